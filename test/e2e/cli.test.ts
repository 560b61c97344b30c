/** The `keyless` command as a user runs it: a real process, real files, exit codes and messages. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productionTrustedRootJson } from '../../src/trust/production-root.js';
import { ROOT, vector } from '../helpers/vectors.js';

const BIN = join(ROOT, 'bin', 'keyless.js');
const GITLAB_SAN = 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main';

function keyless(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, KEYLESS_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const v = (name: string) => join(ROOT, 'test', 'vectors', name);
const tmp = mkdtempSync(join(tmpdir(), 'keyless-cli-'));

/** One coded line on stderr, no stack trace. */
function assertCodedError(r: { stderr: string }, code: string): void {
  assert.match(r.stderr, new RegExp(`^Error: .*\\[${code}\\]\\n$`), r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe('verify-blob', () => {
  test('the documentation\'s flags verify a GitLab-signed artifact', () => {
    const r = keyless('verify-blob', v('v1-message/artifact'), '--bundle', v('v1-message/bundle.json'), '--trusted-root', v('v1-message/trusted_root.json'),
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'Verified OK\n');
  });
  test('the GitLab flags and an extension verify, and --output json says what was verified', () => {
    const r = keyless('verify-blob', v('v2-message/artifact'), '--bundle', v('v2-message/bundle.json'), '--trusted-root', v('v2-message/trusted_root.json'),
      '--gitlab-project', 'my-group/my-project', '--gitlab-ref', 'refs/heads/main', '--certificate-extension', 'buildTrigger=push', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.identity, [GITLAB_SAN]);
    assert.equal(out.issuer, 'https://gitlab.com');
    assert.equal(out.extensions.sourceRepositoryRef, 'refs/heads/main');
    assert.equal(out.times[0].source, 'timestamp-authority');
  });
  test('a near-miss identity fails with exit 1, cosign\'s words and a hint', () => {
    const r = keyless('verify-blob', v('v1-message/artifact'), '--bundle', v('v1-message/bundle.json'), '--trusted-root', v('v1-message/trusted_root.json'),
      '--certificate-identity', GITLAB_SAN.replace('//.gitlab', '/.gitlab'), '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /none of the expected identities matched the certificate: expected .*; found subjects \[https:\/\/gitlab\.com\/my-group\/my-project\/\/\.gitlab-ci\.yml@refs\/heads\/main\] with issuer https:\/\/gitlab\.com/);
    assert.match(r.stderr, /hint: GitLab identities have a double slash/);
    assert.match(r.stderr, /\[ERR_IDENTITY\]\n$/);
  });
  test('a tampered artifact fails with exit 1', () => {
    const file = join(tmp, 'artifact');
    writeFileSync(file, 'not what was signed');
    const r = keyless('verify-blob', file, '--bundle', v('v1-message/bundle.json'), '--trusted-root', v('v1-message/trusted_root.json'),
      '--gitlab-project', 'my-group/my-project', '--gitlab-ref', 'main');
    assert.equal(r.code, 1);
    assertCodedError(r, 'ERR_SIGNATURE');
  });
  test('a cosign 2 `sign-blob --bundle` file verifies too', () => {
    const b = JSON.parse(readFileSync(v('v1-message/bundle.json'), 'utf8'));
    const entry = b.verificationMaterial.tlogEntries[0];
    const pem = `-----BEGIN CERTIFICATE-----\n${b.verificationMaterial.certificate.rawBytes}\n-----END CERTIFICATE-----\n`;
    const file = join(tmp, 'cosign.bundle');
    writeFileSync(file, JSON.stringify({
      base64Signature: b.messageSignature.signature,
      cert: Buffer.from(pem).toString('base64'),
      rekorBundle: { SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp, Payload: {
        body: entry.canonicalizedBody, integratedTime: Number(entry.integratedTime), logIndex: Number(entry.logIndex), logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex') } },
    }));
    const r = keyless('verify-blob', v('v1-message/artifact'), '--bundle', file, '--trusted-root', v('v1-message/trusted_root.json'),
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 0, r.stderr);
  });
  test('public-good bundles verify offline with the built-in production trusted root', () => {
    for (const name of ['public/message-tsa-v03', 'public/rekor-v2-message', 'public/npm-provenance-intoto']) {
      const p = vector(name);
      const r = keyless('verify-blob', join(p.dir, p.expected.artifact), '--bundle', join(p.dir, 'bundle.json'),
        '--certificate-identity', p.expected.identity, '--certificate-oidc-issuer', p.expected.issuer);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
  });
  test('a public v0.1 bundle whose chain carries the root certificate verifies (as in sigstore-go, -js and -python)', () => {
    const p = vector('public/v01-dsse-2022');
    const r = keyless('verify-blob', join(p.dir, 'artifact'), '--bundle', join(p.dir, 'bundle.json'),
      '--certificate-identity', p.expected.identity, '--certificate-oidc-issuer', p.expected.issuer);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('bad input is a coded one-line error with exit 2', () => {
  const good = JSON.parse(readFileSync(v('v1-message/bundle.json'), 'utf8'));
  const cases: [string, string, string][] = [
    ['malformed JSON', '{"mediaType": ', 'ERR_JSON'],
    ['an unknown bundle version', JSON.stringify({ ...good, mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' }), 'ERR_BUNDLE_UNSUPPORTED'],
    ['bad base64', JSON.stringify({ ...good, messageSignature: { ...good.messageSignature, signature: 'not*base64' } }), 'ERR_BUNDLE_INVALID'],
    ['a negative log index', JSON.stringify({ ...good, verificationMaterial: { ...good.verificationMaterial, tlogEntries: [{ ...good.verificationMaterial.tlogEntries[0], logIndex: '-1' }] } }), 'ERR_BUNDLE_INVALID'],
    ['a truncated certificate', JSON.stringify({ ...good, verificationMaterial: { ...good.verificationMaterial, certificate: { rawBytes: good.verificationMaterial.certificate.rawBytes.slice(0, 200) } } }), 'ERR_CERT_INVALID'],
  ];
  for (const [what, text, code] of cases) {
    test(what, () => {
      const file = join(tmp, `${code}.json`);
      writeFileSync(file, text);
      const r = keyless('verify-blob', v('v1-message/artifact'), '--bundle', file, '--trusted-root', v('v1-message/trusted_root.json'),
        '--gitlab-project', 'my-group/my-project', '--gitlab-ref', 'main');
      assert.equal(r.code, 2, r.stderr);
      assertCodedError(r, code);
    });
  }
  test('usage errors name the problem in one coded line and point to --help', () => {
    const r = keyless('verify-blob', v('v1-message/artifact'), '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y');
    assert.equal(r.code, 2);
    assertCodedError(r, 'ERR_USAGE');
    assert.match(r.stderr, /--bundle is required; see 'keyless verify-blob --help'/);
    assert.doesNotMatch(r.stderr, /Usage:/);
    const unknown = keyless('verify-blob', '--no-such-flag');
    assert.equal(unknown.code, 2);
    assertCodedError(unknown, 'ERR_USAGE');
    assert.match(unknown.stderr, /unknown option --no-such-flag;/);
    const missing = keyless('verify-blob', 'no-such-file', '--bundle', v('v1-message/bundle.json'), '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /neither a file nor a digest/);
  });
});

describe('verify-bundle (sigstore-conformance CLI protocol)', () => {
  test('a digest instead of a file, and a DSSE subject digest', () => {
    for (const name of ['v1-message', 'v1-dsse', 'v2-dsse']) {
      const digest = `sha256:${createHash('sha256').update(readFileSync(v(`${name}/artifact`))).digest('hex')}`;
      const r = keyless('verify-bundle', '--bundle', v(`${name}/bundle.json`), '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com',
        '--trusted-root', v(`${name}/trusted_root.json`), digest);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
    const wrong = keyless('verify-bundle', '--bundle', v('v1-dsse/bundle.json'), '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com',
      '--trusted-root', v('v1-dsse/trusted_root.json'), `sha256:${'0'.repeat(64)}`);
    assert.equal(wrong.code, 1);
    assertCodedError(wrong, 'ERR_SUBJECT');
  });
  test('--key for a bundle signed with a key', () => {
    const r = keyless('verify-bundle', '--bundle', v('publickey-message/bundle.json'), '--key', v('publickey-message/key.pub'),
      '--trusted-root', v('publickey-message/trusted_root.json'), v('publickey-message/artifact'));
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('trust roots, trust domains and what the messages say', () => {
  test('a local bundle checked against the built-in root says which root was used and what to pass', () => {
    const r = keyless('verify-blob', v('tsa-message/artifact'), '--bundle', v('tsa-message/bundle.json'),
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 1);
    assertCodedError(r, 'ERR_TIMESTAMP');
    assert.match(r.stderr, /checked against the built-in public-good Sigstore trusted root; .*--trusted-root trusted_root\.json or --instance URL/);
  });
  test('a root with no log (GitHub\'s trust domain) takes an RFC 3161 timestamp instead, and says so; JSON lines of roots work', () => {
    const w = vector('v2-message');
    const root = { ...w.trustedRoot, tlogs: [], ctlogs: [] };
    const bundle = structuredClone(w.bundle);
    bundle.verificationMaterial.tlogEntries = [];
    const rootFile = join(tmp, 'github-like-root.json');
    const bundleFile = join(tmp, 'github-like.sigstore.json');
    writeFileSync(rootFile, JSON.stringify(root));
    writeFileSync(bundleFile, JSON.stringify(bundle));
    const r = keyless('verify-blob', v('v2-message/artifact'), '--bundle', bundleFile, '--trusted-root', rootFile,
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: .*lists no transparency log \(as GitHub's trust domain\)/);
    const jsonl = join(tmp, 'roots.jsonl');
    writeFileSync(jsonl, `${JSON.stringify(productionTrustedRootJson)}\n${JSON.stringify(root)}\n`);
    const both = keyless('verify-blob', v('v2-message/artifact'), '--bundle', bundleFile, '--trusted-root', jsonl,
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com', '--output', 'json');
    assert.equal(both.code, 0, both.stderr);
    assert.ok(JSON.parse(both.stdout).notes.length > 0);
  });
  test('a real GitHub artifact attestation from GitHub\'s own trust domain verifies with GitHub\'s trusted root, as gh attestation verify does', () => {
    const rw = join(ROOT, 'test', 'vectors', 'realworld');
    const githubRoot = join(rw, 'roots', 'github-trusted_root.json');
    const args = [join(rw, 'gh-cli', 'artifacts', 'github_provenance_demo-0.0.12-py3-none-any.whl'), '--bundle', join(rw, 'gh-cli', 'gh-github-trust-domain-attest-demo', 'bundle.json'),
      '--certificate-identity', 'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
      '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com'];
    const r = keyless('verify-blob', ...args, '--trusted-root', githubRoot);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: .*no transparency log \(as GitHub's trust domain\)/);
    // `gh attestation trusted-root` prints the public-good root and GitHub's as JSON lines: the bundle finds its own.
    const jsonl = join(tmp, 'gh-trusted-roots.jsonl');
    writeFileSync(jsonl, `${JSON.stringify(productionTrustedRootJson)}\n${JSON.stringify(JSON.parse(readFileSync(githubRoot, 'utf8')))}\n`);
    assert.equal(keyless('verify-blob', ...args, '--trusted-root', jsonl).code, 0);
    // With the public-good root alone, GitHub's CA is unknown, and the message says which root was used.
    const publicOnly = keyless('verify-blob', ...args);
    assert.equal(publicOnly.code, 1);
    assert.match(publicOnly.stderr, /checked against the built-in public-good Sigstore trusted root/);
  });
  test('an npm package is verified by its sha512 digest, as npm provenance names it', () => {
    const p = vector('public/npm-provenance-intoto');
    const r = keyless('verify-blob', p.expected.digest, '--bundle', join(p.dir, 'bundle.json'),
      '--certificate-identity', p.expected.identity, '--certificate-oidc-issuer', p.expected.issuer);
    assert.equal(r.code, 0, r.stderr);
    const wrong = keyless('verify-blob', `sha512:${'0'.repeat(128)}`, '--bundle', join(p.dir, 'bundle.json'),
      '--certificate-identity', p.expected.identity, '--certificate-oidc-issuer', p.expected.issuer);
    assert.equal(wrong.code, 1);
    assertCodedError(wrong, 'ERR_SUBJECT');
  });
  test('a DSSE payload that is not UTF-8: inspect shows what it can and marks it; verification is a failed check (exit 1)', () => {
    const b = JSON.parse(readFileSync(v('v1-dsse/bundle.json'), 'utf8'));
    const payload = Buffer.from(b.dsseEnvelope.payload, 'base64');
    const at = payload.indexOf('"name":"') + 8;
    b.dsseEnvelope.payload = Buffer.concat([payload.subarray(0, at), Buffer.from([0xff, 0xfe]), payload.subarray(at)]).toString('base64');
    const file = join(tmp, 'not-utf8.json');
    writeFileSync(file, JSON.stringify(b));
    const shown = keyless('inspect', file);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /payload is not valid UTF-8/);
    assert.match(shown.stdout, /subject \uFFFD\uFFFDartifact sha256:/);
    const r = keyless('verify-blob', v('v1-dsse/artifact'), '--bundle', file, '--trusted-root', v('v1-dsse/trusted_root.json'), '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 1, r.stderr);
    assertCodedError(r, 'ERR_TLOG_BODY');
  });
});

describe('inspect', () => {
  test('shows identity, issuer, every Fulcio extension by name, log entries and times', () => {
    const r = keyless('inspect', v('tsa-message/bundle.json'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Identity: ${GITLAB_SAN.replace(/[.]/g, '\\.')}`));
    assert.match(r.stdout, /Issuer: https:\/\/gitlab\.com/);
    assert.match(r.stdout, /Build Trigger \(1\.3\.6\.1\.4\.1\.57264\.1\.20\): push/);
    assert.match(r.stdout, /Runner Environment \(1\.3\.6\.1\.4\.1\.57264\.1\.11\): gitlab-hosted/);
    assert.match(r.stdout, /Log entry \d+: hashedrekord 0\.0\.1, integrated /);
    assert.match(r.stdout, /RFC 3161 timestamp: \d{4}-/);
  });
  test('shows a DSSE statement\'s predicate type and subjects, as JSON too', () => {
    const r = keyless('inspect', v('v1-dsse/bundle.json'), '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.statement.payloadType, 'application/vnd.in-toto+json');
    assert.equal(out.statement.subjects.length, 1);
    assert.equal(out.certificate.extensions.buildTrigger, 'push');
  });
});
