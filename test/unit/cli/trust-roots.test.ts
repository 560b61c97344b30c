/**
 * The verifying commands' trust: one root or several (JSON lines, as `gh attestation trusted-root` prints), each
 * bundle checked against the root of its CA with that trust domain's thresholds, and failures that say which root
 * was used when the bundle's CA, log or TSA is not in it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../../src/cli/args.js';
import { createCliVerifier, parseTrustedRoots, type TrustSource } from '../../../src/cli/trust-roots.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { domainThresholds } from '../../../src/verify/trust-domain.js';
import { clone, coded, gitlabIdentity, vector, type Json } from '../../helpers/vectors.js';

const OPTIONS = { 'insecure-ignore-tlog': { type: 'boolean' }, 'insecure-ignore-sct': { type: 'boolean' } } as const;
const flags = (...argv: string[]) => parse(argv, OPTIONS, 'usage');
const source = (roots: Json[], label = 'test roots'): TrustSource => ({ roots: roots.map((r) => parseTrustedRoot(r)), label });

// A trust domain shaped like GitHub's: a CA without certificate transparency and a timestamp authority, no log.
// Its bundles carry an RFC 3161 timestamp and no log entry. Built from the v2-message vector's instance.
const v = vector('v2-message');
const githubLikeRoot = (() => {
  const root = clone(v.trustedRoot);
  root.tlogs = [];
  root.ctlogs = [];
  return root;
})();
const githubLikeBundle = (() => {
  const b = clone(v.bundle);
  b.verificationMaterial.tlogEntries = [];
  return b;
})();
const artifact = { kind: 'bytes', data: v.artifact } as const;

describe('trust domains', () => {
  test('a root with no log and no CT log requires neither, and says so', () => {
    const d = domainThresholds(parseTrustedRoot(githubLikeRoot));
    assert.deepEqual([d.tlogThreshold, d.ctlogThreshold, d.timestampThreshold], [0, 0, 1]);
    assert.equal(d.notes.length, 2);
    assert.match(d.notes[0] ?? '', /no transparency log \(as GitHub's trust domain\)/);
    const p = domainThresholds(parseTrustedRoot(productionTrustedRootJson));
    assert.deepEqual([p.tlogThreshold, p.ctlogThreshold, p.notes.length], [1, 1, 0]);
  });

  test('a GitHub-style bundle (RFC 3161 timestamp, no log entry) verifies against its domain\'s root', () => {
    const verifier = createCliVerifier(source([githubLikeRoot]), flags());
    const result = verifier.verify(parseBundle(githubLikeBundle), { artifact, identity: gitlabIdentity });
    assert.deepEqual(result.times.map((t) => t.source), ['timestamp-authority']);
    assert.equal(result.tlogEntries.length, 0);
    assert.equal(verifier.notes.length, 2);
  });

  test('without the timestamp it has no trusted time and fails', () => {
    const b = clone(githubLikeBundle);
    b.verificationMaterial.timestampVerificationData.rfc3161Timestamps = [];
    assert.throws(() => createCliVerifier(source([githubLikeRoot]), flags()).verify(parseBundle(b), { artifact, identity: gitlabIdentity }), coded('ERR_TIME'));
  });

  test('a root that has logs still requires a log entry', () => {
    assert.throws(() => createCliVerifier(source([v.trustedRoot]), flags()).verify(parseBundle(githubLikeBundle), { artifact, identity: gitlabIdentity }), coded('ERR_TLOG_THRESHOLD'));
    assert.ok(createCliVerifier(source([v.trustedRoot]), flags('--insecure-ignore-tlog')).verify(parseBundle(githubLikeBundle), { artifact, identity: gitlabIdentity }));
  });

  test('several roots as JSON lines: each bundle is checked against the root of its CA', () => {
    const text = `${JSON.stringify(productionTrustedRootJson)}\n${JSON.stringify(githubLikeRoot)}\n`;
    const roots = parseTrustedRoots(text, 'roots.jsonl');
    assert.equal(roots.length, 2);
    const verifier = createCliVerifier({ roots, label: 'roots.jsonl' }, flags());
    assert.ok(verifier.verify(parseBundle(githubLikeBundle), { artifact, identity: gitlabIdentity }));
    const pub = vector('public/message-tsa-v03');
    assert.ok(verifier.verify(parseBundle(pub.bundle), {
      artifact: { kind: 'bytes', data: pub.artifact },
      identity: { kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: pub.expected.identity }, issuer: { kind: 'exact', value: pub.expected.issuer } }] },
    }));
    // The public-good root's thresholds still apply to its bundles: without the log entry, it fails.
    const noLog = clone(pub.bundle);
    noLog.verificationMaterial.tlogEntries = [];
    assert.throws(() => verifier.verify(parseBundle(noLog), { artifact: { kind: 'bytes', data: pub.artifact }, identity: { kind: 'withoutIdentitiesUnsafe' } }), coded('ERR_TLOG_THRESHOLD'));
  });

  test('a file that is neither JSON nor JSON lines is ERR_JSON', () => {
    assert.throws(() => parseTrustedRoots('{"mediaType": ', 'root.json'), coded('ERR_JSON'));
    assert.throws(() => parseTrustedRoots('{}\n{nope', 'roots.jsonl'), coded('ERR_JSON', /line 2/));
  });
});

describe('a failure because the root lacks the bundle\'s CA, TSA or log says which root was used and what to pass', () => {
  const builtIn = source([productionTrustedRootJson], 'the built-in public-good Sigstore trusted root');
  test('an RFC 3161 timestamp from a TSA the root does not list', () => {
    const t = vector('tsa-message');
    assert.throws(
      () => createCliVerifier(builtIn, flags()).verify(parseBundle(t.bundle), { artifact: { kind: 'bytes', data: t.artifact }, identity: gitlabIdentity }),
      coded('ERR_TIMESTAMP', /checked against the built-in public-good Sigstore trusted root; .*--trusted-root trusted_root\.json or --instance URL/),
    );
  });
  test('a log entry from a log the root does not list', () => {
    const t = vector('v1-message');
    assert.throws(
      () => createCliVerifier(builtIn, flags()).verify(parseBundle(t.bundle), { artifact: { kind: 'bytes', data: t.artifact }, identity: gitlabIdentity }),
      coded('ERR_TLOG_UNKNOWN', /checked against the built-in public-good Sigstore trusted root/),
    );
  });
  test('a check that fails for another reason gets no such hint', () => {
    const b = clone(v.bundle);
    assert.throws(
      () => createCliVerifier(source([v.trustedRoot]), flags()).verify(parseBundle(b), { artifact: { kind: 'bytes', data: Buffer.from('other') }, identity: gitlabIdentity }),
      (err: unknown) => coded('ERR_SIGNATURE')(err) && !String((err as Error).message).includes('checked against'),
    );
  });
});
