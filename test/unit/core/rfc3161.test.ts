import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { RFC3161Timestamp } from '@sigstore/core';
import { initializeTSA } from '@sigstore/mock';
import { TAG, contextTag, parseDer } from '../../../src/core/asn1.js';
import {
  encodeGeneralizedTime,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
} from '../../../src/core/asn1-encode.js';
import { base64Decode, bytesEqual, concatBytes, hexEncode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { publicKeyFromSpki, sha256, type PublicKey } from '../../../src/core/keys.js';
import { OID } from '../../../src/core/oids.js';
import { hashAlgorithmName, parseTimestamp, verifyTimestampSignature } from '../../../src/core/rfc3161.js';
import { parseCertificate } from '../../../src/core/x509.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { vector } from '../../helpers/vectors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

/**
 * Real TimeStampResps from the production TSA (timestamp.sigstore.dev), each over the SHA-256 of its bundle's
 * message signature, taken from the public-good bundles of test/vectors/public (see their SOURCE.md). They differ
 * in shape: message-tsa-v03 has a nonce and embeds the TSA certificate; rekor-v2-message has no nonce and an empty
 * `certificates` field.
 */
interface RealTimestamp {
  readonly name: string;
  readonly response: Uint8Array;
  /** What the TSA was asked to timestamp: the bundle's signature bytes. */
  readonly signature: Uint8Array;
}

function realTimestamp(name: string): RealTimestamp {
  const { bundle } = vector(`public/${name}`);
  const [ts, ...more] = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
  assert.equal(more.length, 0);
  return { name, response: base64Decode(ts.signedTimestamp), signature: base64Decode(bundle.messageSignature.signature) };
}

const WITH_CERT = realTimestamp('message-tsa-v03');
const WITHOUT_CERT = realTimestamp('rekor-v2-message');

/** The production TSA's signing certificate and its self-signed root (src/trust/production-root.ts). */
const [PROD_TSA_CERT, PROD_TSA_ROOT] = (productionTrustedRootJson.timestampAuthorities[0]?.certChain.certificates ?? []).map((c) =>
  base64Decode(c.rawBytes),
);
if (PROD_TSA_CERT === undefined || PROD_TSA_ROOT === undefined) throw new Error('no TSA chain in the production trusted root');

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
    o.genTime ?? encodeGeneralizedTime(Date.UTC(2026, 0, 2, 3, 4, 5, 250)),
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

test('real Sigstore TSA responses: fields, imprint and signature', () => {
  const tsaCert = parseCertificate(PROD_TSA_CERT);
  const tsaKey = publicKeyFromSpki(tsaCert.spki);
  const cases = [
    {
      real: WITH_CERT,
      genTime: Date.UTC(2026, 7, 23, 17, 2, 0),
      serialNumber: 0x386313b5cb7b996e17fd2f76807a552387c6f392n,
      nonce: 0x16a6c00f74fae295n,
      certificates: [PROD_TSA_CERT],
    },
    {
      real: WITHOUT_CERT,
      genTime: Date.UTC(2026, 6, 26, 4, 24, 40),
      serialNumber: 0x1a5871804a0e8cd1ebde7c47e273acfddee7e8e5n,
      nonce: undefined,
      certificates: [], // the TSA sent an empty certificates field
    },
  ];
  for (const { real, genTime, serialNumber, nonce, certificates } of cases) {
    const input = Uint8Array.from(real.response);
    const ts = parseTimestamp(input);
    assert.ok(bytesEqual(input, real.response), `${real.name}: parsing leaves the input untouched`);
    assert.equal(ts.genTime, genTime, real.name);
    assert.equal(ts.serialNumber, serialNumber, real.name);
    assert.equal(ts.policy, '1.3.6.1.4.1.57264.2');
    assert.equal(ts.messageImprint.hashAlgorithm, OID.sha256);
    assert.ok(bytesEqual(ts.messageImprint.digest, sha256(real.signature)), real.name);
    assert.equal(ts.nonce, nonce, real.name);
    assert.equal('nonce' in ts, nonce !== undefined, real.name);
    assert.equal(ts.accuracy, 1000);
    assert.deepEqual(ts.certificates.map(hexEncode), certificates.map(hexEncode), real.name);
    assert.ok(bytesEqual(ts.signer.issuer, tsaCert.issuer));
    assert.equal(ts.signer.serialNumber, BigInt(`0x${hexEncode(tsaCert.serialNumber)}`));
    assert.equal(ts.signer.digestAlgorithm, OID.sha256);
    assert.equal(ts.signer.signatureAlgorithm, OID.ecdsaWithSha256);
    assert.equal(ts.signer.contentType, OID.tstInfo);
    assert.equal(ts.signer.signedAttrs?.[0], 0x31, 'the [0] IMPLICIT attributes are verified as a SET');
    assert.ok(bytesEqual(ts.signer.messageDigest ?? new Uint8Array(), sha256(ts.eContent)));
    assert.equal(verifyTimestampSignature(ts, tsaKey), true, real.name);
    assert.equal(verifyTimestampSignature(ts, ecKey), false);
    assert.equal(verifyTimestampSignature(ts, publicKeyFromSpki(parseCertificate(PROD_TSA_ROOT).spki)), false, 'the TSA root did not sign it');

    // the same reading as @sigstore/core
    const theirs = RFC3161Timestamp.parse(Buffer.from(real.response));
    assert.equal(theirs.signingTime.getTime(), ts.genTime);
    assert.ok(bytesEqual(parseDer(ts.signer.issuer).content, theirs.signerIssuer));
    theirs.verify(Buffer.from(real.signature), tsaKey.keyObject);
  }
});

test('a bare TimeStampToken (ContentInfo) reads the same as the response around it', () => {
  const tsaKey = publicKeyFromSpki(parseCertificate(PROD_TSA_CERT).spki);
  for (const real of [WITH_CERT, WITHOUT_CERT]) {
    const tokenDer = parseDer(real.response).children()[1]?.bytes ?? assert.fail();
    const bare = parseTimestamp(tokenDer);
    const full = parseTimestamp(real.response);
    assert.equal(bare.genTime, full.genTime);
    assert.ok(bytesEqual(bare.eContent, full.eContent));
    assert.ok(bytesEqual(bare.signer.signature, full.signer.signature));
    assert.deepEqual(bare.certificates.map(hexEncode), full.certificates.map(hexEncode));
    assert.equal(verifyTimestampSignature(bare, tsaKey), true, real.name);
  }
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
  assert.equal(parseTimestamp(response(0, tok)).genTime, Date.UTC(2026, 0, 2, 3, 4, 5, 250));
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
    'a certificate': PROD_TSA_CERT,
  };
  for (const [what, der] of Object.entries(bad)) {
    assert.throws(() => parseTimestamp(der), code('ERR_TIMESTAMP_INVALID'), what);
  }
});

test('embedded certificates: plain ones are returned, other CertificateChoices skipped', () => {
  const other = encodeTlv(contextTag(1, true), encodeSequence());
  const ts = parseTimestamp(token({ keys: ecKeys, certificates: [PROD_TSA_CERT, other] }));
  assert.equal(ts.certificates.length, 1);
  assert.ok(bytesEqual(ts.certificates[0] ?? new Uint8Array(), PROD_TSA_CERT));
});

test('hashAlgorithmName knows SHA-2 only', () => {
  assert.equal(hashAlgorithmName(OID.sha256), 'sha256');
  assert.equal(hashAlgorithmName(OID.sha384), 'sha384');
  assert.equal(hashAlgorithmName(OID.sha512), 'sha512');
  assert.throws(() => hashAlgorithmName('1.3.14.3.2.26'), code('ERR_KEY_UNSUPPORTED'));
});

test('fuzz: 2,000 mutations of real TSA responses only ever raise KeylessError', () => {
  const key = publicKeyFromSpki(parseCertificate(PROD_TSA_CERT).spki);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    // both shapes: with an embedded certificate and a nonce, and with neither
    const b = Uint8Array.from((i % 2 === 0 ? WITH_CERT : WITHOUT_CERT).response);
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

test('accuracy fields at their bounds: zero seconds, 999 millis and micros are accepted; 1000 millis is not', () => {
  const acc = (...parts: Uint8Array[]) => parseTimestamp(token({ keys: ecKeys, eContent: tstInfo({ accuracy: encodeSequence(...parts) }) })).accuracy;
  assert.equal(acc(encodeInteger(0)), 0);
  assert.equal(acc(encodeTlv(contextTag(0, false), Uint8Array.of(0x03, 0xe7))), 999);
  assert.equal(acc(encodeTlv(contextTag(1, false), Uint8Array.of(0x03, 0xe7))), 1);
  assert.throws(() => acc(encodeTlv(contextTag(0, false), Uint8Array.of(0x03, 0xe8))), code('ERR_TIMESTAMP_INVALID'));
});
