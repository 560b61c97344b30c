/**
 * Every verification check fails when one thing in a valid bundle (or its trust) changes, with its own code.
 * Bundles are the golden vectors made by sigstore-js (test/vectors).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { publicKeyFromPem } from '../../../src/core/keys.js';
import { parseCertificate } from '../../../src/core/x509.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { verifyDsseSignature, verifyMessageSignature } from '../../../src/verify/signature.js';
import { clone, coded, flipBase64, GENERATED, testKeys, vector, verifyJson, type Json } from '../../helpers/vectors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('valid vectors verify', () => {
  for (const name of GENERATED) {
    test(name, () => {
      const v = vector(name);
      const result = verifyJson(v.bundle, v.trustedRoot, v.artifact);
      assert.equal(result.signer?.issuer, 'https://gitlab.com');
      assert.ok(result.times.length >= 1);
      assert.ok(result.tlogEntries.length >= 1);
    });
  }
  test('publickey-message with --key', () => {
    const v = vector('publickey-message');
    const key = publicKeyFromPem(readFileSync(join(v.dir, 'key.pub'), 'utf8'));
    const result = verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'key', key });
    assert.equal(result.signer, undefined);
  });
  test('a message signature verifies from the artifact digest alone', () => {
    const v = vector('v1-message');
    const digest = createHash('sha256').update(v.artifact).digest();
    verifyJson(v.bundle, v.trustedRoot, { kind: 'digest', algorithm: 'sha256', digest });
  });
  test('a DSSE bundle verifies against the in-toto subject digest', () => {
    const v = vector('v1-dsse');
    const result = verifyJson(v.bundle, v.trustedRoot, { kind: 'digest', algorithm: 'sha256', digest: createHash('sha256').update(v.artifact).digest() });
    assert.equal(result.statement?.subject.length, 1);
  });
});

test('base64 fields wrapped at 76 columns (as the base64 tool writes them) verify the same', () => {
  const v = vector('v1-message');
  const b = clone(v.bundle);
  const wrap = (x: string) => x.replace(/.{76}/g, '$&\n');
  b.verificationMaterial.certificate.rawBytes = wrap(b.verificationMaterial.certificate.rawBytes);
  b.verificationMaterial.tlogEntries[0].canonicalizedBody = wrap(b.verificationMaterial.tlogEntries[0].canonicalizedBody).replace(/\n/g, '\r\n');
  assert.ok(b.verificationMaterial.certificate.rawBytes.includes('\n'));
  assert.ok(verifyJson(b, v.trustedRoot, v.artifact).signer);
  b.messageSignature.signature = b.messageSignature.signature.replace(/^(.{10})/, '$1 ');
  assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_BUNDLE_INVALID'));
});

describe('1. certificate chain', () => {
  const v = vector('v1-message');
  test('a CA the trusted root does not list', () => {
    const root = clone(v.trustedRoot);
    const other = vector('p384-message').trustedRoot.certificateAuthorities;
    root.certificateAuthorities = other;
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_CERT_CHAIN'));
  });
  test('a CA whose validity in the trusted root ended before the signing time', () => {
    const root = clone(v.trustedRoot);
    root.certificateAuthorities[0].validFor = { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' };
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });
  test('a chain in the bundle that carries the root certificate verifies: certificates after the leaf are hints', () => {
    const w = vector('v02-message');
    const bundle = clone(w.bundle);
    for (const c of w.trustedRoot.certificateAuthorities[0].certChain.certificates) bundle.verificationMaterial.x509CertificateChain.certificates.push(c);
    assert.equal(verifyJson(bundle, w.trustedRoot, w.artifact).signer?.certificateAuthority, w.trustedRoot.certificateAuthorities[0].uri);
  });
  test('a self-signed root carried in the bundle, and not in the trusted root, never makes its leaf trusted', () => {
    // The bundle carries its CA's whole chain (intermediate and self-signed root); the trusted root lists another
    // CA only. Were anything from the bundle taken as an anchor, this would verify.
    const w = vector('v02-message');
    const bundle = clone(w.bundle);
    for (const c of w.trustedRoot.certificateAuthorities[0].certChain.certificates) bundle.verificationMaterial.x509CertificateChain.certificates.push(c);
    const root = clone(w.trustedRoot);
    root.certificateAuthorities = vector('p384-message').trustedRoot.certificateAuthorities;
    assert.throws(() => verifyJson(bundle, root, w.artifact), coded('ERR_CERT_CHAIN'));
  });
  test('an empty chain', () => {
    const w = vector('v02-message');
    const bundle = clone(w.bundle);
    bundle.verificationMaterial.x509CertificateChain.certificates = [];
    assert.throws(() => verifyJson(bundle, w.trustedRoot, w.artifact), coded('ERR_BUNDLE_INVALID'));
  });
});

describe('2. signed certificate timestamps', () => {
  const v = vector('v1-message');
  test('no CT log in the trusted root', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs = [];
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_SCT'));
  });
  test('the CT log key was not yet valid at the SCT time', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs[0].publicKey.validFor = { start: '2100-01-01T00:00:00Z' };
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_SCT'));
  });
  test('another key under the CT log\'s ID', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs[0].publicKey.rawBytes = v.trustedRoot.tlogs[0].publicKey.rawBytes;
    root.ctlogs[0].publicKey.keyDetails = v.trustedRoot.tlogs[0].publicKey.keyDetails;
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_SCT'));
  });
  test('--insecure-ignore-sct (ctlogThreshold 0) accepts a root without CT logs', () => {
    const root = clone(v.trustedRoot);
    root.ctlogs = [];
    verifyJson(v.bundle, root, v.artifact, undefined, { ctlogThreshold: 0 });
  });
});

function setBody(bundle: Json, mutate: (body: Json) => void): void {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
  mutate(body);
  entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
}

describe('3. transparency log', () => {
  const v = vector('v1-message');
  const v2 = vector('v2-message');
  const entry = (b: Json) => b.verificationMaterial.tlogEntries[0];
  test('hashedrekord 0.0.1 body names another digest', () => {
    const b = clone(v.bundle);
    setBody(b, (body) => { body.spec.data.hash.value = '00'.repeat(32); });
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY', /artifact digest differs/));
  });
  test('hashedrekord 0.0.1 body names another signature', () => {
    const b = clone(v.bundle);
    setBody(b, (body) => { body.spec.signature.content = flipBase64(body.spec.signature.content); });
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY', /signature differs/));
  });
  test('hashedrekord 0.0.1 body names another certificate', () => {
    const b = clone(v.bundle);
    const other = vector('p384-message').bundle.verificationMaterial.certificate.rawBytes;
    const pem = `-----BEGIN CERTIFICATE-----\n${other}\n-----END CERTIFICATE-----\n`;
    setBody(b, (body) => { body.spec.signature.publicKey.content = Buffer.from(pem).toString('base64'); });
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY', /certificate or key differs/));
  });
  test('hashedrekord 0.0.2 body names another digest', () => {
    const b = clone(v2.bundle);
    setBody(b, (body) => { body.spec.hashedRekordV002.data.digest = flipBase64(body.spec.hashedRekordV002.data.digest); });
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TLOG_BODY'));
  });
  test('dsse 0.0.1, dsse 0.0.2 and intoto 0.0.2 bodies name another payload', () => {
    for (const [name, mutate] of [
      ['v1-dsse', (body: Json) => { body.spec.payloadHash.value = '11'.repeat(32); }],
      ['v2-dsse', (body: Json) => { body.spec.dsseV002.payloadHash.digest = flipBase64(body.spec.dsseV002.payloadHash.digest); }],
      ['v1-intoto', (body: Json) => { body.spec.content.payloadHash.value = '22'.repeat(32); }],
    ] as const) {
      const w = vector(name);
      const b = clone(w.bundle);
      setBody(b, mutate);
      assert.throws(() => verifyJson(b, w.trustedRoot, w.artifact), coded('ERR_TLOG_BODY', /payload digest differs/), name);
    }
  });
  test('the entry\'s kind differs from its body', () => {
    const b = clone(v.bundle);
    entry(b).kindVersion.version = '0.0.2';
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY', /but its body is/));
  });
  test('an inclusion proof hash changed', () => {
    const b = clone(v2.bundle);
    const proof = entry(b).inclusionProof;
    assert.ok(proof.hashes.length > 0);
    proof.hashes[0] = flipBase64(proof.hashes[0]);
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TLOG_INCLUSION'));
  });
  test('an inclusion proof whose root differs from the checkpoint\'s', () => {
    const b = clone(v.bundle);
    entry(b).inclusionProof.rootHash = flipBase64(entry(b).inclusionProof.rootHash);
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_INCLUSION'));
  });
  test('a checkpoint signature changed (v1 ECDSA and v2 Ed25519)', () => {
    for (const w of [v, v2]) {
      const b = clone(w.bundle);
      const proof = entry(b).inclusionProof;
      const [body, sigs] = proof.checkpoint.envelope.split('\n\n');
      const line = sigs.split('\n')[0];
      const [dash, name, sig] = line.split(' ');
      proof.checkpoint.envelope = `${body}\n\n${[dash, name, flipBase64(sig)].join(' ')}\n`;
      assert.throws(() => verifyJson(b, w.trustedRoot, w.artifact), coded('ERR_TLOG_CHECKPOINT'), w.name);
    }
  });
  test('a checkpoint whose body was changed after signing', () => {
    const b = clone(v2.bundle);
    const proof = entry(b).inclusionProof;
    proof.checkpoint.envelope = proof.checkpoint.envelope.replace(/\n(\d+)\n/, (_m: string, n: string) => `\n${Number(n) + 1}\n`);
    proof.treeSize = String(Number(proof.treeSize) + 1);
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TLOG_CHECKPOINT'));
  });
  test('a signed entry timestamp changed', () => {
    const b = clone(v.bundle);
    entry(b).inclusionPromise.signedEntryTimestamp = flipBase64(entry(b).inclusionPromise.signedEntryTimestamp);
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_SET'));
  });
  test('the integrated time changed (the SET no longer covers it)', () => {
    const b = clone(v.bundle);
    entry(b).integratedTime = String(Number(entry(b).integratedTime) - 60);
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_SET'));
  });
  test('a log the trusted root does not list', () => {
    const b = clone(v.bundle);
    entry(b).logId.keyId = Buffer.alloc(32, 7).toString('base64');
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_UNKNOWN'));
  });
  test('the log key was not valid at the integrated time', () => {
    const root = clone(v.trustedRoot);
    for (const log of root.tlogs) log.publicKey.validFor = { start: '2100-01-01T00:00:00Z' };
    assert.throws(() => verifyJson(v.bundle, root, v.artifact), coded('ERR_TLOG_UNKNOWN', /not valid at the time/));
  });
  test('the v2 log key was not valid at the timestamp\'s time', () => {
    const root = clone(v2.trustedRoot);
    for (const log of root.tlogs) log.publicKey.validFor = { start: '2000-01-01T00:00:00Z', end: '2001-01-01T00:00:00Z' };
    assert.throws(() => verifyJson(v2.bundle, root, v2.artifact), coded('ERR_TLOG_UNKNOWN'));
  });
  test('no log entry at all', () => {
    const b = clone(v.bundle);
    b.verificationMaterial.tlogEntries = [];
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_THRESHOLD'));
    // --insecure-ignore-tlog still needs a trusted time: an RFC 3161 timestamp gives one, nothing else does.
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact, undefined, { tlogThreshold: 0 }), coded('ERR_TIME'));
    const t = vector('tsa-message');
    const withTimestamp = clone(t.bundle);
    withTimestamp.verificationMaterial.tlogEntries = [];
    verifyJson(withTimestamp, t.trustedRoot, t.artifact, undefined, { tlogThreshold: 0 });
  });
});

describe('4. time', () => {
  const v2 = vector('v2-message');
  const tsa = vector('tsa-message');
  const ts = (b: Json) => b.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
  test('a Rekor v2 bundle without its RFC 3161 timestamp has no trusted time', () => {
    const b = clone(v2.bundle);
    b.verificationMaterial.timestampVerificationData.rfc3161Timestamps = [];
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TIME', /no trusted time/));
  });
  test('a timestamp over another signature', () => {
    const b = clone(v2.bundle);
    ts(b)[0] = ts(tsa.bundle)[0];
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TIMESTAMP', /message imprint differs/));
  });
  test('a timestamp authority the trusted root does not list', () => {
    const root = clone(v2.trustedRoot);
    root.timestampAuthorities = [];
    assert.throws(() => verifyJson(v2.bundle, root, v2.artifact), coded('ERR_TIMESTAMP'));
  });
  test('a timestamp authority not valid at the timestamp\'s time', () => {
    const root = clone(v2.trustedRoot);
    root.timestampAuthorities[0].validFor = { start: '2000-01-01T00:00:00Z', end: '2001-01-01T00:00:00Z' };
    assert.throws(() => verifyJson(v2.bundle, root, v2.artifact), coded('ERR_TIMESTAMP', /not valid at/));
  });
  test('a timestamp whose signature was changed', () => {
    const b = clone(v2.bundle);
    ts(b)[0].signedTimestamp = flipBase64(ts(b)[0].signedTimestamp, -3);
    assert.throws(() => verifyJson(b, v2.trustedRoot, v2.artifact), coded('ERR_TIMESTAMP'));
  });
  test('a log time (with a valid SET) outside the certificate\'s validity', async () => {
    const keys = await testKeys();
    const v = vector('v1-message');
    const b = clone(v.bundle);
    const e = b.verificationMaterial.tlogEntries[0];
    const cert = parseCertificate(Buffer.from(b.verificationMaterial.certificate.rawBytes, 'base64'));
    e.integratedTime = String(Math.floor(cert.notAfter / 1000) + 3600);
    const payload = canonicalize({
      body: e.canonicalizedBody,
      integratedTime: Number(e.integratedTime),
      logID: Buffer.from(e.logId.keyId, 'base64').toString('hex'),
      logIndex: Number(e.logIndex),
    });
    e.inclusionPromise.signedEntryTimestamp = sign('sha256', Buffer.from(payload), keys.rekorV1!.privateKey).toString('base64');
    assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TIME', /was not valid at/));
  });
});

describe('5. signature over the artifact', () => {
  test('another artifact (message signature)', () => {
    const v = vector('v1-message');
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, Buffer.from('another artifact')), coded('ERR_SIGNATURE', /digest differs/));
  });
  test('another digest (message signature)', () => {
    const v = vector('v1-message');
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, { kind: 'digest', algorithm: 'sha256', digest: Buffer.alloc(32) }), coded('ERR_SIGNATURE'));
  });
  test('another artifact (DSSE subject)', () => {
    for (const name of ['v1-dsse', 'v2-dsse', 'v1-intoto']) {
      const v = vector(name);
      assert.throws(() => verifyJson(v.bundle, v.trustedRoot, Buffer.from('another artifact')), coded('ERR_SUBJECT'), name);
    }
  });
  test('a changed message signature fails the cryptographic check', () => {
    const v = vector('v1-message');
    const bundle = parseBundle(v.bundle);
    assert.equal(bundle.content.kind, 'messageSignature');
    if (bundle.content.kind !== 'messageSignature' || bundle.verificationMaterial.content.kind !== 'certificate') return;
    const key = publicKeyFromPem(parseCertificatePem(bundle.verificationMaterial.content.certificate));
    const content = { ...bundle.content, signature: Buffer.from(flipBase64(Buffer.from(bundle.content.signature).toString('base64'), 10), 'base64') };
    verifyMessageSignature(bundle.content, key, { kind: 'bytes', data: v.artifact });
    assert.throws(() => verifyMessageSignature(content, key, { kind: 'bytes', data: v.artifact }), coded('ERR_SIGNATURE', /does not verify/));
    const digest = createHash('sha256').update(v.artifact).digest();
    assert.throws(() => verifyMessageSignature(content, key, { kind: 'digest', algorithm: 'sha256', digest }), coded('ERR_SIGNATURE', /does not verify/));
  });
  test('a changed DSSE signature or payload fails the cryptographic check', () => {
    const v = vector('v1-dsse');
    const bundle = parseBundle(v.bundle);
    if (bundle.content.kind !== 'dsseEnvelope' || bundle.verificationMaterial.content.kind !== 'certificate') return assert.fail('not DSSE');
    const key = publicKeyFromPem(parseCertificatePem(bundle.verificationMaterial.content.certificate));
    const env = bundle.content.envelope;
    verifyDsseSignature(bundle.content, key, { kind: 'bytes', data: v.artifact });
    const badSig = { kind: 'dsseEnvelope' as const, envelope: { ...env, signatures: [{ keyid: '', sig: Buffer.from(flipBase64(Buffer.from(env.signatures[0]!.sig).toString('base64'), 12), 'base64') }] } };
    assert.throws(() => verifyDsseSignature(badSig, key, undefined), coded('ERR_SIGNATURE'));
    const badType = { kind: 'dsseEnvelope' as const, envelope: { ...env, payloadType: 'text/plain' } };
    assert.throws(() => verifyDsseSignature(badType, key, undefined), coded('ERR_SIGNATURE'));
  });
});

function parseCertificatePem(der: Uint8Array): string {
  const cert = parseCertificate(der);
  return `-----BEGIN PUBLIC KEY-----\n${Buffer.from(cert.spki).toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

describe('6. identity', () => {
  const v = vector('v1-message');
  const exact = (value: string) => ({ kind: 'exact', value }) as const;
  test('another SAN', () => {
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, v.artifact, {
      kind: 'certificate', identities: [{ subjectAlternativeName: exact('https://gitlab.com/other/project//.gitlab-ci.yml@refs/heads/main'), issuer: exact('https://gitlab.com') }],
    }), coded('ERR_IDENTITY', /none of the expected identities matched/));
  });
  test('another issuer', () => {
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, v.artifact, {
      kind: 'certificate', identities: [{ subjectAlternativeName: exact(v.expected.identity), issuer: exact('https://token.actions.githubusercontent.com') }],
    }), coded('ERR_IDENTITY'));
  });
  test('a Fulcio extension that differs (by name and by OID)', () => {
    const base = { subjectAlternativeName: exact(v.expected.identity), issuer: exact('https://gitlab.com') };
    const r = verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'certificate', identities: [{ ...base, extensions: { sourceRepositoryRef: 'refs/heads/main', buildTrigger: 'push' } }] });
    assert.equal(r.signer?.extensions.runnerEnvironment, 'gitlab-hosted');
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'certificate', identities: [{ ...base, extensions: { buildTrigger: 'schedule' } }] }), coded('ERR_IDENTITY'));
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'certificate', identities: [{ ...base, extensions: { '1.3.6.1.4.1.57264.1.11': 'self-hosted' } }] }), coded('ERR_IDENTITY'));
  });
  test('managed-key mode: a certificate bundle checked against another key, a key bundle checked for an identity', () => {
    const k = vector('publickey-message');
    const key = publicKeyFromPem(readFileSync(join(k.dir, 'key.pub'), 'utf8'));
    assert.throws(() => verifyJson(v.bundle, v.trustedRoot, v.artifact, { kind: 'key', key }), coded('ERR_KEY_MISMATCH'));
    assert.throws(() => verifyJson(k.bundle, k.trustedRoot, k.artifact), coded('ERR_KEY_MISMATCH'));
    const other = publicKeyFromPem(parseCertificatePem(Buffer.from(v.bundle.verificationMaterial.certificate.rawBytes, 'base64')));
    assert.throws(() => verifyJson(k.bundle, k.trustedRoot, k.artifact, { kind: 'key', key: other }), coded('ERR_TLOG_BODY'));
  });
});
