import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { EXTENSION_OID_SCT, X509Certificate as SigstoreX509 } from '@sigstore/core';
import { initializeCA, initializeCTLog } from '@sigstore/mock';
import { encodeOctetString, encodeSequence, encodeNull } from '../../../src/core/asn1-encode.js';
import { base64Decode, bytesEqual, concatBytes, hexEncode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { publicKeyFromSpki, sha256 } from '../../../src/core/keys.js';
import { OID } from '../../../src/core/oids.js';
import {
  parseSct,
  parseSctList,
  sctSignedData,
  sctSignedDataX509,
  verifySctSignature,
  type Sct,
} from '../../../src/core/sct.js';
import { findExtension, parseCertificate, precertificateTbs, type Certificate } from '../../../src/core/x509.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { vector } from '../../helpers/vectors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

/**
 * A real production Fulcio leaf with one SCT from ctfe.sigstore.dev/2022: the signing certificate of the
 * sigstore@3.1.0 npm provenance (GitHub Actions, sigstore-js release workflow, February 2025); see
 * test/vectors/public/npm-provenance-intoto/SOURCE.md.
 */
const PROD_LEAF = base64Decode(
  vector('public/npm-provenance-intoto').bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes,
);

/** The public-good trusted root (src/trust/production-root.ts): Fulcio CA chains and CT log keys. */
const root = productionTrustedRootJson;

function sctsOf(cert: Certificate): Sct[] {
  return parseSctList(findExtension(cert, OID.ctSctList)?.value ?? assert.fail('no SCT list'));
}

/** TLS bytes of an SCT, to build lists by hand. */
function serialize(s: Sct): Uint8Array {
  const u = (v: number, n: number) => Uint8Array.from({ length: n }, (_, i) => Math.floor(v / 256 ** (n - 1 - i)) % 256);
  return concatBytes(
    u(s.version, 1),
    s.logId,
    u(s.timestamp, 8),
    u(s.extensions.length, 2),
    s.extensions,
    u(s.hashAlgorithm, 1),
    u(s.signatureAlgorithm, 1),
    u(s.signature.length, 2),
    s.signature,
  );
}

function list(...items: Uint8Array[]): Uint8Array {
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
  const body = concatBytes(...items.map((i) => concatBytes(u16(i.length), i)));
  return encodeOctetString(concatBytes(u16(body.length), body));
}

const sample: Sct = {
  version: 0,
  logId: new Uint8Array(32).fill(0xaa),
  timestamp: 0x0102030405,
  extensions: new Uint8Array(),
  hashAlgorithm: 4,
  signatureAlgorithm: 3,
  signature: Uint8Array.of(1, 2, 3),
};

test('a real public-good SCT verifies against the public-good CT log and Fulcio intermediate', () => {
  const leaf = parseCertificate(PROD_LEAF);
  const [sct, ...more] = sctsOf(leaf);
  assert.ok(sct);
  assert.equal(more.length, 0);
  assert.equal(sct.version, 0);
  assert.equal(sct.timestamp, Date.UTC(2025, 1, 4, 20, 35, 47, 184));
  assert.equal(sct.hashAlgorithm, 4);
  assert.equal(sct.signatureAlgorithm, 3);
  const log = root.ctlogs.find((l) => bytesEqual(base64Decode(l.logId.keyId), sct.logId)) ?? assert.fail('log not in trusted root');
  assert.equal(log.baseUrl, 'https://ctfe.sigstore.dev/2022');
  const logKey = publicKeyFromSpki(base64Decode(log.publicKey.rawBytes));
  assert.ok(bytesEqual(sha256(logKey.spki), sct.logId), 'the log ID is the hash of its key');

  const intermediate = root.certificateAuthorities
    .map((ca) => parseCertificate(base64Decode(ca.certChain.certificates[0]?.rawBytes ?? '')))
    .find((c) => bytesEqual(c.subject, leaf.issuer) && bytesEqual(c.subjectKeyId ?? new Uint8Array(), leaf.authorityKeyId ?? Uint8Array.of(1)));
  assert.ok(intermediate, 'issuer found');
  const tbs = precertificateTbs(leaf);
  const signed = sctSignedData(sct, sha256(intermediate.spki), tbs);
  assert.equal(verifySctSignature(sct, logKey, signed), true);

  // each input matters
  const flipped = Uint8Array.from(tbs);
  flipped[100] = (flipped[100] ?? 0) ^ 1;
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, sha256(intermediate.spki), flipped)), false);
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, sha256(leaf.spki), tbs)), false);
  assert.equal(verifySctSignature({ ...sct, timestamp: sct.timestamp + 1 }, logKey, sctSignedData({ ...sct, timestamp: sct.timestamp + 1 }, sha256(intermediate.spki), tbs)), false);
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, sha256(intermediate.spki), leaf.tbs)), false, 'the TBS must lose its SCT list');
  assert.equal(verifySctSignature({ ...sct, hashAlgorithm: 5 }, logKey, signed), false, 'SCT says SHA-384');
  assert.equal(verifySctSignature({ ...sct, signatureAlgorithm: 1 }, logKey, signed), false, 'SCT says RSA');
  assert.equal(verifySctSignature({ ...sct, hashAlgorithm: 2 }, logKey, signed), false, 'SHA-1 is never accepted');
  const otherLog = root.ctlogs.find((l) => l !== log) ?? assert.fail();
  assert.equal(verifySctSignature(sct, publicKeyFromSpki(base64Decode(otherLog.publicKey.rawBytes)), signed), false);
});

test('our SCT parse and precertificate TBS agree with @sigstore/core and @sigstore/verify', () => {
  const theirs = SigstoreX509.parse(Buffer.from(PROD_LEAF));
  const [their] = theirs.extSCT?.signedCertificateTimestamps ?? [];
  const [ours] = sctsOf(parseCertificate(PROD_LEAF));
  assert.ok(their && ours);
  assert.equal(hexEncode(ours.logId), hexEncode(their.logID));
  assert.equal(ours.timestamp, their.datetime.getTime());
  assert.equal(hexEncode(ours.signature), hexEncode(their.signature));
  assert.equal(ours.hashAlgorithm, their.hashAlgorithm);
  // @sigstore/verify's precert TBS: clone, drop the SCT extension, re-encode
  const clone = theirs.clone();
  const i = clone.extensions.findIndex((e) => e.subs[0]?.toOID() === EXTENSION_OID_SCT);
  clone.extensions.splice(i, 1);
  assert.equal(hexEncode(precertificateTbs(parseCertificate(PROD_LEAF))), hexEncode(clone.tbsCertificate.toDER()));
});

test('SCTs from @sigstore/mock’s CA and CT log verify', async () => {
  const ctKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctLog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), ctLog);
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
  const der = await ca.issueCertificate({ publicKey: leafKey, subjectAltName: 'https://gitlab.com/a/b' });
  const leaf = parseCertificate(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  const caCert = parseCertificate(new Uint8Array(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength));
  const [sct] = sctsOf(leaf);
  assert.ok(sct);
  assert.ok(bytesEqual(sct.logId, new Uint8Array(ctLog.logID.buffer, ctLog.logID.byteOffset, ctLog.logID.byteLength)));
  const logKey = publicKeyFromSpki(new Uint8Array(ctLog.publicKey));
  const signed = sctSignedData(sct, sha256(caCert.spki), precertificateTbs(leaf));
  assert.equal(verifySctSignature(sct, logKey, signed), true);
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, sha256(caCert.spki), leaf.tbs)), false);
});

test('sctSignedData and sctSignedDataX509 lay out RFC 6962 §3.2 exactly', () => {
  const ikh = new Uint8Array(32).fill(0x11);
  const tbs = Uint8Array.of(0x30, 0x00);
  const withExt = { ...sample, extensions: Uint8Array.of(9, 9) };
  assert.equal(
    hexEncode(sctSignedData(withExt, ikh, tbs)),
    '00' + '00' + '0000000102030405' + '0001' + '11'.repeat(32) + '000002' + '3000' + '0002' + '0909',
  );
  assert.equal(hexEncode(sctSignedDataX509(sample, tbs)), '00' + '00' + '0000000102030405' + '0000' + '000002' + '3000' + '0000');
  assert.throws(() => sctSignedData(sample, new Uint8Array(31), tbs), TypeError);
  assert.throws(() => sctSignedData(sample, ikh, new Uint8Array(0x1000000)), code('ERR_CERT_INVALID'));
  assert.throws(() => sctSignedDataX509({ ...sample, extensions: new Uint8Array(0x10000) }, tbs), code('ERR_CERT_INVALID'));
});

test('an x509_entry SCT, Ed25519 and RSA logs', () => {
  const leafDer = parseCertificate(PROD_LEAF).der;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecKey = publicKeyFromSpki(new Uint8Array(ec.publicKey.export({ format: 'der', type: 'spki' })));
  const ecSct = { ...sample, logId: sha256(ecKey.spki) };
  const signedX509 = sctSignedDataX509(ecSct, leafDer);
  const withSig = { ...ecSct, signature: sign('sha256', signedX509, ec.privateKey) };
  assert.equal(verifySctSignature(withSig, ecKey, signedX509), true);
  assert.equal(verifySctSignature(withSig, ecKey, sctSignedData(withSig, new Uint8Array(32), leafDer)), false);

  const ed = generateKeyPairSync('ed25519');
  const edKey = publicKeyFromSpki(new Uint8Array(ed.publicKey.export({ format: 'der', type: 'spki' })));
  const edSct = { ...sample, hashAlgorithm: 8, signatureAlgorithm: 7 };
  const edSigned = sctSignedDataX509(edSct, leafDer);
  const edWithSig = { ...edSct, signature: sign(null, edSigned, ed.privateKey) };
  assert.equal(verifySctSignature(edWithSig, edKey, edSigned), true);
  assert.equal(verifySctSignature({ ...edWithSig, hashAlgorithm: 4 }, edKey, edSigned), false);

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKey = publicKeyFromSpki(new Uint8Array(rsa.publicKey.export({ format: 'der', type: 'spki' })));
  const rsaSct = { ...sample, signatureAlgorithm: 1 };
  const rsaSigned = sctSignedDataX509(rsaSct, leafDer);
  const rsaWithSig = { ...rsaSct, signature: sign('sha256', rsaSigned, rsa.privateKey) };
  assert.equal(verifySctSignature(rsaWithSig, rsaKey, rsaSigned), true);
  assert.equal(verifySctSignature({ ...rsaWithSig, signatureAlgorithm: 3 }, rsaKey, rsaSigned), false);
});

test('parseSctList reads several SCTs and round-trips the fields', () => {
  const second = { ...sample, version: 1, extensions: Uint8Array.of(7), signature: new Uint8Array(72).fill(5) };
  const scts = parseSctList(list(serialize(sample), serialize(second)));
  assert.equal(scts.length, 2);
  assert.deepEqual(scts.map((s) => hexEncode(serialize(s))), [hexEncode(serialize(sample)), hexEncode(serialize(second))]);
  assert.equal(scts[1]?.version, 1);
  assert.equal(parseSct(serialize(sample)).timestamp, sample.timestamp);
});

test('malformed SCT lists are ERR_CERT_INVALID', () => {
  const good = serialize(sample);
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
  const bad: Record<string, Uint8Array> = {
    'not DER': Uint8Array.of(0x04, 0x05, 0x00),
    'not an OCTET STRING': encodeSequence(encodeNull()),
    'empty list': list(),
    'empty SerializedSCT': list(new Uint8Array()),
    'list length too long': encodeOctetString(concatBytes(u16(good.length + 3), u16(good.length), good)),
    'list length too short': encodeOctetString(concatBytes(u16(good.length), u16(good.length), good)),
    'bytes after the list': encodeOctetString(concatBytes(u16(good.length + 2), u16(good.length), good, Uint8Array.of(0))),
    'SCT truncated': list(good.subarray(0, good.length - 1)),
    'SCT with trailing bytes': list(concatBytes(good, Uint8Array.of(0))),
    'SCT shorter than a log ID': list(good.subarray(0, 20)),
    'timestamp past 2^53': list(serialize({ ...sample, timestamp: 0 }).map((b, i) => (i === 33 ? 0xff : b))),
    'raw TLS without the OCTET STRING': concatBytes(u16(good.length + 2), u16(good.length), good),
  };
  for (const [what, value] of Object.entries(bad)) {
    assert.throws(() => parseSctList(value), code('ERR_CERT_INVALID'), what);
  }
  assert.throws(() => parseSct(good.subarray(0, 40)), code('ERR_CERT_INVALID'));
});
