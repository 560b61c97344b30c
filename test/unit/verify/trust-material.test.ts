/**
 * The trusted root as the verifier uses it: every key read as its `keyDetails` say, and an entry keyless cannot use
 * set aside with the reason, failing only a bundle that needs it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { trustedKey } from '../../../src/trust/key-details.js';
import { prepareTrustMaterial, verifyLogSignature } from '../../../src/verify/trust-material.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import type { IdentityPolicy } from '../../../src/verify/verifier.js';
import { clone, coded, vector, verifyJson } from '../../helpers/vectors.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = rsa.publicKey.export({ format: 'der', type: 'pkcs1' });
const spki = rsa.publicKey.export({ format: 'der', type: 'spki' });
const message = Buffer.from('checkpoint body');

describe('keys are read as their key details say', () => {
  test('PKCS1_RSA_PKCS1V5 is a PKCS#1 RSAPublicKey, not an SPKI', () => {
    const { key, scheme } = trustedKey(pkcs1, 'PKCS1_RSA_PKCS1V5');
    assert.equal(key.type, 'rsa');
    assert.deepEqual(Buffer.from(key.spki), spki, 'the same key as its SPKI form');
    assert.equal(scheme.rsaPadding, 'pkcs1v15');
    // Read as SPKI (what keyless did before), the same bytes are not a key at all.
    assert.throws(() => trustedKey(pkcs1, 'PKIX_RSA_PKCS1V5'), coded('ERR_ASN1'));
  });

  test('RSA-PSS details verify PSS signatures and refuse PKCS#1 v1.5 ones', () => {
    const pss = createSign('sha256').update(message).sign({ key: rsa.privateKey, padding: 6, saltLength: 32 });
    const v15 = createSign('sha256').update(message).sign(rsa.privateKey);
    const asPss = trustedKey(spki, 'PKIX_RSA_PSS_2048_SHA256');
    const asV15 = trustedKey(spki, 'PKIX_RSA_PKCS1V15_2048_SHA256');
    const log = (t: typeof asPss) => ({ baseUrl: 'x', logId: new Uint8Array(32), key: t.key, scheme: t.scheme, validFor: { start: 0 } });
    assert.equal(verifyLogSignature(log(asPss), message, pss), true);
    assert.equal(verifyLogSignature(log(asPss), message, v15), false);
    assert.equal(verifyLogSignature(log(asV15), message, v15), true);
    assert.equal(verifyLogSignature(log(asV15), message, pss), false);
  });

  test('PKIX_ECDSA_P384_SHA_256 signs with SHA-256, not the curve\'s SHA-384', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const der = ec.publicKey.export({ format: 'der', type: 'spki' });
    const sig = createSign('sha256').update(message).sign(ec.privateKey);
    const t256 = trustedKey(der, 'PKIX_ECDSA_P384_SHA_256');
    const t384 = trustedKey(der, 'PKIX_ECDSA_P384_SHA_384');
    const log = (t: typeof t256) => ({ baseUrl: 'x', logId: new Uint8Array(32), key: t.key, scheme: t.scheme, validFor: { start: 0 } });
    assert.equal(verifyLogSignature(log(t256), message, sig), true);
    assert.equal(verifyLogSignature(log(t384), message, sig), false);
  });

  test('a key that is not what its details claim is refused', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    assert.throws(() => trustedKey(ec, 'PKIX_ECDSA_P384_SHA_384'), coded('ERR_KEY_UNSUPPORTED', /its details say/));
    assert.throws(() => trustedKey(spki, 'PKIX_ED25519'), coded('ERR_KEY_UNSUPPORTED'));
  });

  test('details keyless cannot use, known or not, are ERR_KEY_UNSUPPORTED with the reason', () => {
    assert.throws(() => trustedKey(spki, 'ML_DSA_65'), coded('ERR_KEY_UNSUPPORTED', /ML-DSA/));
    assert.throws(() => trustedKey(spki, 'PKIX_ED25519_PH'), coded('ERR_KEY_UNSUPPORTED', /Ed25519ph/));
    assert.throws(() => trustedKey(spki, 'SLH_DSA_SHA2_128S'), coded('ERR_KEY_UNSUPPORTED', /unknown to this version/));
  });
});

describe('an unusable entry is set aside, never the whole root', () => {
  const v = vector('v1-message');

  test('a post-quantum CT log and a CA with a broken chain are listed as unusable; the bundle still verifies', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs.push({ ...clone(root.ctlogs[0]), baseUrl: 'https://pq-ct.example', publicKey: { ...root.ctlogs[0].publicKey, keyDetails: 'ML_DSA_65' }, logId: { keyId: Buffer.alloc(32, 7).toString('base64') } });
    const brokenCa = clone(root.certificateAuthorities[0]);
    brokenCa.uri = 'https://broken-ca.example';
    // Followed by another CA's root, the chain no longer holds together.
    brokenCa.certChain.certificates.push(vector('p384-message').trustedRoot.certificateAuthorities[0].certChain.certificates[0]);
    root.certificateAuthorities.push(brokenCa);
    const trust = prepareTrustMaterial(parseTrustedRoot(root));
    assert.deepEqual(trust.unusable.map((u) => [u.kind, u.name]), [['ctlog', 'https://pq-ct.example'], ['certificate authority', 'https://broken-ca.example']]);
    assert.match(trust.unusable[0]?.reason ?? '', /ML-DSA/);
    assert.ok(verifyJson(v.bundle, root, v.artifact).signer);
  });

  test('a bundle that needs the unusable log fails, saying why', () => {
    const root = clone(v.trustedRoot);
    root.tlogs[0].publicKey.keyDetails = 'ML_DSA_87';
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_TLOG_UNKNOWN', /keyless cannot use: .*ML-DSA/));
  });

  test('a bundle whose CA is unusable fails with ERR_CERT_CHAIN, saying why', () => {
    const root = clone(v.trustedRoot);
    root.certificateAuthorities[0].certChain.certificates.push(vector('p384-message').trustedRoot.certificateAuthorities[0].certChain.certificates[0]);
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_CERT_CHAIN', /lists this CA but keyless cannot use it/));
  });

  test('a bundle whose CT log is unusable fails with ERR_SCT, saying why', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs[0].publicKey.keyDetails = 'LMS_SHA256';
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_SCT', /keyless cannot use: .*LMS/));
  });
});

describe('Rekor v1 is sharded: the bundle\'s logIndex is global, the proof\'s is in the shard', () => {
  // A real production entry: global index 2574120827, index 2452216565 in its shard, with a SET and an RFC 3161 time.
  const v = vector('public/message-tsa-v03');
  const identity: IdentityPolicy = {
    kind: 'certificate',
    identities: [{ subjectAlternativeName: { kind: 'exact', value: v.expected.identity }, issuer: { kind: 'exact', value: v.expected.issuer } }],
  };
  const withoutSet = () => {
    const b = clone(v.bundle);
    delete b.verificationMaterial.tlogEntries[0].inclusionPromise;
    return b;
  };

  test('without a SET, the entry verifies at the proof\'s index and reports both', () => {
    const result = verifyJson(withoutSet(), productionTrustedRootJson, v.artifact, identity);
    assert.equal(result.tlogEntries[0]?.logIndex, 2574120827);
    assert.equal(result.tlogEntries[0]?.treeIndex, 2452216565);
    assert.equal(result.tlogEntries[0]?.integratedTime, undefined, 'no SET, so the integrated time is not a trusted time');
    assert.deepEqual(result.times.map((t) => t.source), ['timestamp-authority']);
  });

  test('a global index smaller than the shard index cannot be', () => {
    const b = withoutSet();
    b.verificationMaterial.tlogEntries[0].logIndex = '5';
    assert.throws(() => verifyJson(b, productionTrustedRootJson, v.artifact, identity), coded('ERR_TLOG_INCLUSION', /index 5 but its inclusion proof is for index 2452216565/));
  });

  test('with a SET, the global index is signed: changing it fails the SET', () => {
    const b = clone(v.bundle);
    b.verificationMaterial.tlogEntries[0].logIndex = '2574120828';
    assert.throws(() => verifyJson(b, productionTrustedRootJson, v.artifact, identity), coded('ERR_TLOG_SET'));
  });

  test('a Rekor v2 entry (no integrated time) is not sharded: the indexes must agree', () => {
    const w = vector('v2-message');
    const b = clone(w.bundle);
    const entry = b.verificationMaterial.tlogEntries[0];
    entry.logIndex = String(Number(entry.logIndex ?? 0) + 1);
    assert.throws(() => verifyJson(b, w.trustedRoot, w.artifact), coded('ERR_TLOG_INCLUSION', /inclusion proof is for index/));
  });
});
