import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { RFC3161Timestamp } from '@sigstore/core';
import { initializeTSA } from '@sigstore/mock';
import {
  TAG,
  contextTag,
  encodeGeneralizedTime,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  parseDer,
} from '../../../src/core/asn1.js';
import { base64Decode, bytesEqual, concatBytes, hexEncode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { publicKeyFromSpki, sha256, type PublicKey } from '../../../src/core/keys.js';
import { OID } from '../../../src/core/oids.js';
import { hashAlgorithmName, parseTimestamp, verifyTimestampSignature } from '../../../src/core/rfc3161.js';
import { parseCertificate } from '../../../src/core/x509.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

/**
 * A real TimeStampResp from timestamp.sigstage.dev (sigstore-conformance rekor2-dsse-happy-path, July 2025), over
 * the SHA-256 of the bundle's DSSE signature, and the staging TSA's signing certificate (trusted_root.staging.json).
 */
const STAGING_RESPONSE = base64Decode(
  'MIIC1DADAgEAMIICywYJKoZIhvcNAQcCoIICvDCCArgCAQMxDTALBglghkgBZQMEAgEwgcIGCyqGSIb3DQEJEAEEoIGyBIGvMIGs' +
  'AgEBBgkrBgEEAYO/MAIwMTANBglghkgBZQMEAgEFAAQgNSZgOQLhQyE5YVACG+5yEfX0yQlOrb2N+tkwHLlv7GgCFQCZYtn/MFM8' +
  'QxQeqH+xjmI7OME5PRgPMjAyNTA3MjUxOTUzMDRaMAMCAQECCHIblM1fq2p9oDKkMDAuMRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYx' +
  'FTATBgNVBAMTDHNpZ3N0b3JlLXRzYaAAMYIB2zCCAdcCAQEwUTA5MRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYxIDAeBgNVBAMTF3Np' +
  'Z3N0b3JlLXRzYS1zZWxmc2lnbmVkAhQKNaEGYdXiQXPGiZan8n3yfgN8pzALBglghkgBZQMEAgGggfwwGgYJKoZIhvcNAQkDMQ0G' +
  'CyqGSIb3DQEJEAEEMBwGCSqGSIb3DQEJBTEPFw0yNTA3MjUxOTUzMDRaMC8GCSqGSIb3DQEJBDEiBCBXsc1vTwDV1QjwNVpngrpC' +
  'FfiDZDvqh+VhxJZpzIEnJDCBjgYLKoZIhvcNAQkQAi8xfzB9MHsweQQgBvT/4Ef+s1mZtzOw16MjUBz8GOTAM2aoRdd1NudLJ0Qw' +
  'VTA9pDswOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZAIUCjWhBmHV4kFz' +
  'xomWp/J98n4DfKcwCgYIKoZIzj0EAwIEZzBlAjEAqlP2X4CtKNPpaAwr3emNJ80/0NbBJDevWImASmZjnTILAMbI9lMVw8cEU0Qv' +
  'dxrFAjAnHqCSXkesDkNbGG42jE8thTigB3lhWD+zHEanwHB1CdCEa9qyhgXf1968PEZZVEM=',
);
const STAGING_TSA_CERT = base64Decode(
  'MIICDzCCAZagAwIBAgIUCjWhBmHV4kFzxomWp/J98n4DfKcwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAw' +
  'HgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTAzMjgwOTE0MDZaFw0zNTAzMjYwODE0MDZaMC4xFTATBgNVBAoT' +
  'DHNpZ3N0b3JlLmRldjEVMBMGA1UEAxMMc2lnc3RvcmUtdHNhMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEx1v5F3HpD9egHuknpBFl' +
  'Rz7QBRDJu4aeVzt9zJLRY0lvmx1lF7WBM2c9AN8ZGPQsmDqHlJN2R/7+RxLkvlLzkc19IOx38t7mGGEcB7agUDdCF/Ky3RTLSK0X' +
  'o/0AgHQdo2owaDAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFKj8ZPYo3i7mO3NPVIxSxOGc3VOlMB8GA1UdIwQYMBaAFDsgRlle' +
  'tTJNRzDObmPuc3RH8gR9MBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMIMAoGCCqGSM49BAMDA2cAMGQCMESvVS6GGtF33+J19TfwENWJ' +
  'XjRv4i0/HQFwLUSkX6TfV7g0nG8VnqNHJLvEpAtOjQIwUD3uywTXorQP1DgbV09rF9Yen+CEqs/iEpieJWPst280SSOZ5Na+dyPV' +
  'k9/8SFk6',
);
const STAGING_DSSE_SIGNATURE = base64Decode(
  'MEYCIQD81HJEJF49ZOKNQDcgcG5KiNbGU+sicdESuXORdUh42AIhAKGdTlFMAz494niB0RP4cO8bHHyMmt24u+xPPYEWLoJj',
);

const spkiKey = (k: KeyObject): PublicKey => publicKeyFromSpki(new Uint8Array(k.export({ format: 'der', type: 'spki' })));

// --- a TSA on our own encoders, to reach the shapes real TSAs do not produce ---------------------------------------

interface TstOptions {
  version?: number;
  digest?: Uint8Array;
  genTime?: Uint8Array;
  accuracy?: Uint8Array;
  nonce?: bigint;
  trailing?: Uint8Array[];
}

function tstInfo(o: TstOptions = {}): Uint8Array {
  return encodeSequence(
    encodeInteger(o.version ?? 1),
    encodeOid('1.3.6.1.4.1.57264.2'),
    encodeSequence(encodeSequence(encodeOid(OID.sha256), encodeNull()), encodeOctetString(o.digest ?? sha256(Uint8Array.of(1)))),
    encodeInteger(0xdeadbeefn),
    o.genTime ?? encodeGeneralizedTime(Date.UTC(2025, 6, 25, 19, 53, 4, 250)),
    ...(o.accuracy === undefined ? [] : [o.accuracy]),
    ...(o.nonce === undefined ? [] : [encodeInteger(o.nonce)]),
    ...(o.trailing ?? []),
  );
}

interface TokenOptions {
  keys: { privateKey: KeyObject };
  hash?: 'sha256' | 'sha384' | null; // null: Ed25519
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  eContent?: Uint8Array;
  contentType?: string;
  eContentType?: string;
  attrs?: 'none' | Uint8Array[]; // default: contentType + messageDigest
  signers?: number;
  sid?: Uint8Array;
  certificates?: Uint8Array[];
  tamper?: boolean;
}

const attr = (oid: string, ...values: Uint8Array[]) => encodeSequence(encodeOid(oid), encodeSet(...values));

function token(o: TokenOptions): Uint8Array {
  const eContent = o.eContent ?? tstInfo();
  const hash = o.hash === undefined ? 'sha256' : o.hash;
  const digestAlgorithm = o.digestAlgorithm ?? OID.sha256;
  const attrs =
    o.attrs === 'none'
      ? undefined
      : (o.attrs ?? [
          attr(OID.contentType, encodeOid(OID.tstInfo)),
          attr(OID.messageDigest, encodeOctetString(createHash(hash ?? 'sha256').update(eContent).digest())),
        ]);
  const signed = attrs === undefined ? eContent : encodeTlv(TAG.SET, concatBytes(...attrs));
  const signature = new Uint8Array(sign(hash, signed, o.keys.privateKey));
  if (o.tamper === true) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
  const signerInfo = encodeSequence(
    encodeInteger(1),
    o.sid ?? encodeSequence(encodeSequence(), encodeInteger(42)),
    encodeSequence(encodeOid(digestAlgorithm)),
    ...(attrs === undefined ? [] : [encodeTlv(contextTag(0, true), concatBytes(...attrs))]),
    encodeSequence(encodeOid(o.signatureAlgorithm ?? OID.ecdsaWithSha256)),
    encodeOctetString(signature),
  );
  const signedData = encodeSequence(
    encodeInteger(3),
    encodeSet(encodeSequence(encodeOid(digestAlgorithm))),
    encodeSequence(encodeOid(o.eContentType ?? OID.tstInfo), encodeTlv(contextTag(0, true), encodeOctetString(eContent))),
    ...(o.certificates === undefined ? [] : [encodeTlv(contextTag(0, true), concatBytes(...o.certificates))]),
    encodeTlv(TAG.SET, concatBytes(...Array.from({ length: o.signers ?? 1 }, () => signerInfo))),
  );
  return encodeSequence(encodeOid(o.contentType ?? OID.signedData), encodeTlv(contextTag(0, true), signedData));
}

const response = (status: number, tok?: Uint8Array) =>
  encodeSequence(encodeSequence(encodeInteger(status)), ...(tok === undefined ? [] : [tok]));

const ecKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecKey = spkiKey(ecKeys.publicKey);

// --- tests -------------------------------------------------------------------------------------------------------

test('a real Sigstore TSA response: fields, imprint and signature', () => {
  const ts = parseTimestamp(STAGING_RESPONSE);
  const tsaCert = parseCertificate(STAGING_TSA_CERT);
  assert.equal(ts.genTime, Date.UTC(2025, 6, 25, 19, 53, 4));
  assert.equal(ts.policy, '1.3.6.1.4.1.57264.2');
  assert.equal(ts.messageImprint.hashAlgorithm, OID.sha256);
  assert.ok(bytesEqual(ts.messageImprint.digest, sha256(STAGING_DSSE_SIGNATURE)));
  assert.equal(ts.nonce, 8222329154489248381n);
  assert.equal(ts.accuracy, 1000);
  assert.deepEqual(ts.certificates, [], 'the TSA sent an empty certificates field');
  assert.ok(bytesEqual(ts.signer.issuer, tsaCert.issuer));
  assert.equal(ts.signer.serialNumber, BigInt(`0x${hexEncode(tsaCert.serialNumber)}`));
  assert.equal(ts.signer.digestAlgorithm, OID.sha256);
  assert.equal(ts.signer.signatureAlgorithm, OID.ecdsaWithSha256);
  assert.equal(ts.signer.contentType, OID.tstInfo);
  assert.equal(ts.signer.signedAttrs?.[0], 0x31);
  assert.ok(bytesEqual(ts.signer.messageDigest ?? new Uint8Array(), sha256(ts.eContent)));
  assert.equal(verifyTimestampSignature(ts, publicKeyFromSpki(tsaCert.spki)), true);
  assert.equal(verifyTimestampSignature(ts, ecKey), false);
  assert.equal(STAGING_RESPONSE[ts.signer.signedAttrs ? 0 : 1], 0x30, 'parsing copied the attributes, the input is untouched');

  // the same reading as @sigstore/core
  const theirs = RFC3161Timestamp.parse(Buffer.from(STAGING_RESPONSE));
  assert.equal(theirs.signingTime.getTime(), ts.genTime);
  assert.ok(bytesEqual(parseDer(ts.signer.issuer).content, theirs.signerIssuer));
  theirs.verify(Buffer.from(STAGING_DSSE_SIGNATURE), publicKeyFromSpki(tsaCert.spki).keyObject);
});

test('a bare TimeStampToken (ContentInfo) reads the same as the response around it', () => {
  const tokenDer = parseDer(STAGING_RESPONSE).children()[1]?.bytes ?? assert.fail();
  const bare = parseTimestamp(tokenDer);
  const full = parseTimestamp(STAGING_RESPONSE);
  assert.equal(bare.genTime, full.genTime);
  assert.ok(bytesEqual(bare.eContent, full.eContent));
  assert.ok(bytesEqual(bare.signer.signature, full.signer.signature));
  assert.equal(verifyTimestampSignature(bare, publicKeyFromSpki(parseCertificate(STAGING_TSA_CERT).spki)), true);
});

test('@sigstore/mock TSA responses, with and without the certificate', async () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const tsa = await initializeTSA(keys);
  const artifactHash = createHash('sha256').update('artifact').digest();
  for (const certReq of [true, false]) {
    const der = await tsa.timestamp({ artifactHash, hashAlgorithmOID: OID.sha256, nonce: 42, policyOID: '1.2.3.4', certReq });
    const ts = parseTimestamp(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
    assert.equal(ts.nonce, 42n);
    assert.equal(ts.policy, '1.2.3.4');
    assert.equal(ts.serialNumber, -559038737n, 'the mock writes DEADBEEF without a leading zero: a negative INTEGER');
    assert.equal(ts.accuracy, 1000);
    assert.ok(bytesEqual(ts.messageImprint.digest, artifactHash));
    const signingCert = new Uint8Array(tsa.intCertificate.buffer, tsa.intCertificate.byteOffset, tsa.intCertificate.byteLength);
    assert.equal(ts.certificates.length, certReq ? 1 : 0);
    if (certReq) assert.ok(bytesEqual(ts.certificates[0] ?? new Uint8Array(), signingCert));
    const cert = parseCertificate(signingCert);
    assert.ok(bytesEqual(ts.signer.issuer, cert.issuer));
    assert.equal(verifyTimestampSignature(ts, publicKeyFromSpki(cert.spki)), true);
  }
});

test('the TSA status must be granted or grantedWithMods', () => {
  const tok = token({ keys: ecKeys });
  assert.equal(parseTimestamp(response(0, tok)).genTime, Date.UTC(2025, 6, 25, 19, 53, 4, 250));
  assert.equal(verifyTimestampSignature(parseTimestamp(response(1, tok)), ecKey), true);
  for (const status of [2, 3, 4, 5]) {
    assert.throws(
      () => parseTimestamp(response(status, tok)),
      (err: unknown) => err instanceof KeylessError && err.code === 'ERR_TIMESTAMP_INVALID' && err.details.status === status,
    );
  }
  assert.throws(() => parseTimestamp(response(0)), code('ERR_TIMESTAMP_INVALID'), 'granted without a token');
  assert.throws(() => parseTimestamp(concatBytes(response(0, tok), Uint8Array.of(0))), code('ERR_TIMESTAMP_INVALID'));
});

test('signature checks per RFC 5652: signed attributes, or the content itself', () => {
  assert.equal(verifyTimestampSignature(parseTimestamp(token({ keys: ecKeys })), ecKey), true);
  const direct = parseTimestamp(token({ keys: ecKeys, attrs: 'none' }));
  assert.equal(direct.signer.signedAttrs, undefined);
  assert.equal(verifyTimestampSignature(direct, ecKey), true, 'no signed attributes: the signature covers eContent');
  assert.equal(verifyTimestampSignature(parseTimestamp(token({ keys: ecKeys, tamper: true })), ecKey), false);

  const wrongDigest = [attr(OID.contentType, encodeOid(OID.tstInfo)), attr(OID.messageDigest, encodeOctetString(new Uint8Array(32)))];
  assert.equal(verifyTimestampSignature(parseTimestamp(token({ keys: ecKeys, attrs: wrongDigest })), ecKey), false, 'digest of other content');
  const digest = encodeOctetString(sha256(tstInfo()));
  const wrongType = [attr(OID.contentType, encodeOid(OID.signedData)), attr(OID.messageDigest, digest)];
  assert.equal(verifyTimestampSignature(parseTimestamp(token({ keys: ecKeys, attrs: wrongType })), ecKey), false, 'content type');
  const extra = [attr(OID.contentType, encodeOid(OID.tstInfo)), attr(OID.signingTime, encodeTime(0)), attr(OID.messageDigest, digest)];
  assert.equal(verifyTimestampSignature(parseTimestamp(token({ keys: ecKeys, attrs: extra })), ecKey), true, 'other attributes ride along');

  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const sha384 = parseTimestamp(token({ keys: p384, hash: 'sha384', digestAlgorithm: OID.sha384, signatureAlgorithm: OID.ecdsaWithSha384 }));
  assert.equal(verifyTimestampSignature(sha384, spkiKey(p384.publicKey)), true);
  const byKeyAlgorithm = parseTimestamp(token({ keys: ecKeys, signatureAlgorithm: OID.ecPublicKey }));
  assert.equal(verifyTimestampSignature(byKeyAlgorithm, ecKey), true, 'signatureAlgorithm may name only the key type');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaToken = parseTimestamp(token({ keys: rsa, signatureAlgorithm: OID.rsaEncryption }));
  assert.equal(verifyTimestampSignature(rsaToken, spkiKey(rsa.publicKey)), true);
  assert.equal(verifyTimestampSignature(rsaToken, ecKey), false, 'rsaEncryption with an EC key');
  assert.equal(verifyTimestampSignature(byKeyAlgorithm, spkiKey(rsa.publicKey)), false, 'ecPublicKey with an RSA key');
  const ed = generateKeyPairSync('ed25519');
  const edToken = parseTimestamp(token({ keys: ed, hash: null, signatureAlgorithm: OID.ed25519 }));
  assert.equal(verifyTimestampSignature(edToken, spkiKey(ed.publicKey)), true);
  assert.equal(verifyTimestampSignature(edToken, ecKey), false);

  const sha1 = parseTimestamp(token({ keys: ecKeys, digestAlgorithm: '1.3.14.3.2.26' }));
  assert.throws(() => verifyTimestampSignature(sha1, ecKey), code('ERR_KEY_UNSUPPORTED'));
});

test('TSTInfo fields: nonce, accuracy and extensions are optional', () => {
  const minimal = parseTimestamp(token({ keys: ecKeys }));
  assert.equal('nonce' in minimal, false);
  assert.equal('accuracy' in minimal, false);
  const accuracy = encodeSequence(encodeInteger(2), encodeTlv(contextTag(0, false), Uint8Array.of(0x01, 0xf4)), encodeTlv(contextTag(1, false), Uint8Array.of(1)));
  const full = parseTimestamp(
    token({
      keys: ecKeys,
      eContent: tstInfo({
        accuracy,
        nonce: -5n,
        trailing: [encodeTlv(contextTag(0, true), encodeTlv(contextTag(6, false), new Uint8Array(3))), encodeTlv(contextTag(1, true), encodeSequence())],
      }),
    }),
  );
  assert.equal(full.nonce, -5n);
  assert.equal(full.accuracy, 2501, '2 s + 500 ms + 1 µs rounded up');
});

test('malformed tokens are ERR_TIMESTAMP_INVALID', () => {
  const bad: Record<string, Uint8Array> = {
    'not SignedData': token({ keys: ecKeys, contentType: '1.2.840.113549.1.7.1' }),
    'not TSTInfo': token({ keys: ecKeys, eContentType: '1.2.840.113549.1.7.1' }),
    'two signers': token({ keys: ecKeys, signers: 2 }),
    'no signer': token({ keys: ecKeys, signers: 0 }),
    'subjectKeyIdentifier signer': token({ keys: ecKeys, sid: encodeTlv(contextTag(0, false), new Uint8Array(20)) }),
    'TSTInfo v2': token({ keys: ecKeys, eContent: tstInfo({ version: 2 }) }),
    'genTime as UTCTime': token({ keys: ecKeys, eContent: tstInfo({ genTime: encodeTime(0) }) }),
    'genTime with trailing zero': token({ keys: ecKeys, eContent: tstInfo({ genTime: encodeTlv(TAG.GENERALIZED_TIME, new TextEncoder().encode('20250101000000.50Z')) }) }),
    'TSTInfo with an unknown field': token({ keys: ecKeys, eContent: tstInfo({ trailing: [encodeOctetString(new Uint8Array())] }) }),
    'TSTInfo not DER': token({ keys: ecKeys, eContent: Uint8Array.of(0x30, 0x80) }),
    'accuracy millis out of range': token({ keys: ecKeys, eContent: tstInfo({ accuracy: encodeSequence(encodeTlv(contextTag(0, false), Uint8Array.of(0x03, 0xe8))) }) }),
    'no messageDigest attribute': token({ keys: ecKeys, attrs: [attr(OID.contentType, encodeOid(OID.tstInfo))] }),
    'no contentType attribute': token({ keys: ecKeys, attrs: [attr(OID.messageDigest, encodeOctetString(new Uint8Array(32)))] }),
    'duplicate attribute': token({
      keys: ecKeys,
      attrs: [
        attr(OID.contentType, encodeOid(OID.tstInfo)),
        attr(OID.messageDigest, encodeOctetString(new Uint8Array(32))),
        attr(OID.messageDigest, encodeOctetString(new Uint8Array(32))),
      ],
    }),
    'messageDigest with two values': token({
      keys: ecKeys,
      attrs: [
        attr(OID.contentType, encodeOid(OID.tstInfo)),
        attr(OID.messageDigest, encodeOctetString(new Uint8Array(32)), encodeOctetString(new Uint8Array(31))),
      ],
    }),
    'empty': new Uint8Array(),
    'empty SEQUENCE': encodeSequence(),
    'a certificate': STAGING_TSA_CERT,
  };
  for (const [what, der] of Object.entries(bad)) {
    assert.throws(() => parseTimestamp(der), code('ERR_TIMESTAMP_INVALID'), what);
  }
});

test('embedded certificates: plain ones are returned, other CertificateChoices skipped', () => {
  const other = encodeTlv(contextTag(1, true), encodeSequence());
  const ts = parseTimestamp(token({ keys: ecKeys, certificates: [STAGING_TSA_CERT, other] }));
  assert.equal(ts.certificates.length, 1);
  assert.ok(bytesEqual(ts.certificates[0] ?? new Uint8Array(), STAGING_TSA_CERT));
});

test('hashAlgorithmName knows SHA-2 only', () => {
  assert.equal(hashAlgorithmName(OID.sha256), 'sha256');
  assert.equal(hashAlgorithmName(OID.sha384), 'sha384');
  assert.equal(hashAlgorithmName(OID.sha512), 'sha512');
  assert.throws(() => hashAlgorithmName('1.3.14.3.2.26'), code('ERR_KEY_UNSUPPORTED'));
});

test('fuzz: 2,000 mutations of a real TSA response only ever raise KeylessError', () => {
  const key = publicKeyFromSpki(parseCertificate(STAGING_TSA_CERT).spki);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from(STAGING_RESPONSE);
    let der: Uint8Array = b;
    const at = randomInt(b.length);
    switch (randomInt(4)) {
      case 0:
        b[at] = randomInt(256);
        break;
      case 1:
        b[at] = (b[at] ?? 0) ^ (1 << randomInt(8));
        break;
      case 2:
        der = b.subarray(0, at);
        break;
      default:
        der = concatBytes(b.subarray(0, at), Uint8Array.of(randomInt(256)), b.subarray(at));
    }
    try {
      const ts = parseTimestamp(der);
      parsed++;
      verifyTimestampSignature(ts, key);
    } catch (err) {
      assert.ok(err instanceof KeylessError, String(err));
    }
  }
  assert.ok(parsed > 50, `some mutations still parse (${parsed})`);
});
