/**
 * The verifier's own steps beyond the per-check modules: the certificate's validity at the trusted times (inclusive
 * bounds), bundles without a message digest, Fulcio extensions by OID, Bundle objects built without the parser,
 * and the programmer errors (TypeError) of its options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyFromPem } from '../../../src/core/keys.js';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { parseCertificate } from '../../../src/core/x509.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { createVerifier } from '../../../src/verify/verifier.js';
import { clone, coded, gitlabIdentity, testKeys, vector, verifyJson, type Json } from '../../helpers/vectors.js';

const v = vector('v1-message');

/** The v1-message bundle with its entry's integrated time moved to `seconds` and the SET signed again. */
async function withIntegratedTime(seconds: number): Promise<Json> {
  const keys = await testKeys();
  const b = clone(v.bundle);
  const e = b.verificationMaterial.tlogEntries[0];
  e.integratedTime = String(seconds);
  const payload = canonicalize({ body: e.canonicalizedBody, integratedTime: seconds, logID: Buffer.from(e.logId.keyId, 'base64').toString('hex'), logIndex: Number(e.logIndex) });
  e.inclusionPromise.signedEntryTimestamp = sign('sha256', Buffer.from(payload), keys.rekorV1!.privateKey).toString('base64');
  return b;
}

const leaf = parseCertificate(Buffer.from(v.bundle.verificationMaterial.certificate.rawBytes, 'base64'));
// Made up front (top-level await): assert.throws takes a synchronous function.
const atBounds = await Promise.all([leaf.notBefore, leaf.notAfter].map(async (t) => [t, await withIntegratedTime(t / 1000)] as const));
const outside = await Promise.all([leaf.notBefore - 1000, leaf.notAfter + 1000].map(async (t) => [t, await withIntegratedTime(t / 1000)] as const));

test('the certificate is valid at its notBefore and its notAfter, and not a second outside', () => {
  for (const [t, bundle] of atBounds) assert.equal(verifyJson(bundle, v.trustedRoot, v.artifact).times[0]?.time, t);
  for (const [t, bundle] of outside) {
    assert.throws(() => verifyJson(bundle, v.trustedRoot, v.artifact), coded('ERR_TIME', /signing certificate was not valid at/), new Date(t).toISOString());
  }
});

test('a message signature without a message digest (a Bundle built without the parser): the entry must name the artifact\'s digest', () => {
  const bundle = parseBundle(v.bundle);
  if (bundle.content.kind !== 'messageSignature') return assert.fail('not a message signature');
  const noDigest = { ...bundle, content: { kind: 'messageSignature' as const, signature: bundle.content.signature } };
  const verifier = createVerifier({ trustedRoot: parseTrustedRoot(v.trustedRoot) });
  verifier.verify(noDigest, { artifact: { kind: 'bytes', data: v.artifact }, identity: gitlabIdentity });
  assert.throws(() => verifier.verify(noDigest, { artifact: { kind: 'bytes', data: Buffer.from('another artifact') }, identity: gitlabIdentity }), coded('ERR_TLOG_BODY', /artifact digest differs/));
});

test('Fulcio extensions are reported and matched by OID as well as by name', () => {
  const base = { subjectAlternativeName: { kind: 'exact' as const, value: v.expected.identity }, issuer: { kind: 'exact' as const, value: 'https://gitlab.com' } };
  const result = verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'certificate', identities: [{ ...base, extensions: { '1.3.6.1.4.1.57264.1.11': 'gitlab-hosted' } }] });
  const byOid = result.signer?.extensionsByOid ?? {};
  assert.equal(byOid['1.3.6.1.4.1.57264.1.11'], 'gitlab-hosted');
  assert.equal(byOid['1.3.6.1.4.1.57264.1.8'], 'https://gitlab.com');
  // 1.1 is the legacy raw-bytes issuer extension, read as a string.
  assert.equal(byOid['1.3.6.1.4.1.57264.1.1'], 'https://gitlab.com');
  assert.ok(Object.values(byOid).every((value) => typeof value === 'string'));
});

test('a Bundle built without the parser whose certificate chain is empty', () => {
  const w = vector('v02-message');
  const bundle = parseBundle(w.bundle);
  assert.equal(bundle.verificationMaterial.content.kind, 'x509CertificateChain');
  const empty = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, content: { kind: 'x509CertificateChain' as const, certificates: [] } } };
  const verifier = createVerifier({ trustedRoot: parseTrustedRoot(w.trustedRoot) });
  assert.throws(() => verifier.verify(empty, { artifact: { kind: 'bytes', data: w.artifact }, identity: gitlabIdentity }), coded('ERR_BUNDLE_INVALID', /certificate chain is empty/));
});

test('thresholds must be non-negative integers (a programmer error: TypeError)', () => {
  const trustedRoot = parseTrustedRoot(v.trustedRoot);
  for (const bad of [-1, 1.5, Number.NaN]) {
    for (const name of ['tlogThreshold', 'ctlogThreshold', 'timestampThreshold'] as const) {
      assert.throws(() => createVerifier({ trustedRoot, [name]: bad }), { name: 'TypeError', message: new RegExp(`${name} must be a non-negative integer`) }, `${name} ${bad}`);
    }
  }
  createVerifier({ trustedRoot, tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
});

test('a message signature needs the artifact (a programmer error: TypeError)', () => {
  const verifier = createVerifier({ trustedRoot: parseTrustedRoot(v.trustedRoot) });
  assert.throws(() => verifier.verify(parseBundle(v.bundle), { identity: gitlabIdentity }), { name: 'TypeError', message: /needs the artifact or its digest/ });
});

test('a key bundle verified with its key reports no signer at all', () => {
  const k = vector('publickey-message');
  const key = publicKeyFromPem(readFileSync(join(k.dir, 'key.pub'), 'utf8'));
  const result = verifyJson(k.bundle, k.trustedRoot, k.artifact, { kind: 'key', key });
  assert.equal('signer' in result, false);
  assert.equal('matchedIdentity' in result, false);
});
