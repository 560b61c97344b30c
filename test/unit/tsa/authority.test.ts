import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TAG, contextTag, parseDer, type Asn1 } from '../../../src/core/asn1.js';
import { encodeInteger } from '../../../src/core/asn1-encode.js';
import { bytesEqual, pemDecodeAll } from '../../../src/core/encoding.js';
import { publicKeyFromSpki, sha256 as coreSha256 } from '../../../src/core/keys.js';
import { OID } from '../../../src/core/oids.js';
import { parseTimestamp, verifyTimestampSignature, type TimestampToken } from '../../../src/core/rfc3161.js';
import { parseCertificate } from '../../../src/core/x509.js';
import { createTimestampAuthority, DEFAULT_TSA_POLICY, type TimestampAuthorityOptions } from '../../../src/tsa/authority.js';
import { DATA, FROZEN_MS, P256, P384, code, encodeRequest, otherP256Key, sha256 } from './helpers.js';

const tsa = (extra: Partial<TimestampAuthorityOptions> = {}) => createTimestampAuthority({ key: P256.key, chain: P256.chainDer, now: () => FROZEN_MS, ...extra });
const leaf = parseCertificate(P256.chainDer[0] as Uint8Array);
const leafKey = publicKeyFromSpki(leaf.spki);

/** Our verifier's view: parses, and the signature checks out with the leaf key. */
function verified(resp: Uint8Array, key = leafKey): TimestampToken {
  const token = parseTimestamp(resp);
  assert.equal(verifyTimestampSignature(token, key), true, 'signature verifies');
  return token;
}

/** The TSTInfo children: version, policy, messageImprint, serialNumber, genTime, accuracy, [nonce], tsa. */
const tstFields = (token: TimestampToken): readonly Asn1[] => parseDer(token.eContent).children();

test('a token our rfc3161 parser reads and verifies, with the request imprint, policy and 1 s accuracy', () => {
  const token = verified(tsa().timestamp(encodeRequest()));
  assert.equal(token.policy, DEFAULT_TSA_POLICY);
  assert.equal(token.messageImprint.hashAlgorithm, OID.sha256);
  assert.deepEqual(token.messageImprint.digest, sha256(DATA));
  assert.equal(token.accuracy, 1000);
  assert.equal(token.nonce, undefined);
  assert.equal(token.signer.digestAlgorithm, OID.sha256);
  assert.equal(token.signer.signatureAlgorithm, OID.ecdsaWithSha256);
  assert.deepEqual(token.signer.issuer, leaf.issuer);
  assert.equal(token.signer.serialNumber, BigInt(`0x${Buffer.from(leaf.serialNumber).toString('hex')}`));
  // the tsa field names the leaf: [0] { [4] { Name } }
  const tsaName = tstFields(token).at(-1) as Asn1;
  assert.equal(tsaName.tag, contextTag(0, true));
  assert.deepEqual(tsaName.children()[0]?.children()[0]?.bytes, leaf.subject);
});

test('the verifier catches a token altered after signing (so the checks above can fail)', () => {
  const resp = tsa().timestamp(encodeRequest());
  const token = parseTimestamp(resp);
  const digestAt = Buffer.from(resp).indexOf(Buffer.from(sha256(DATA)));
  const tampered = Uint8Array.from(resp);
  tampered[digestAt] = (tampered[digestAt] as number) ^ 1;
  assert.equal(verifyTimestampSignature(parseTimestamp(tampered), leafKey), false);
  assert.equal(verifyTimestampSignature(token, publicKeyFromSpki(parseCertificate(P384.chainDer[0] as Uint8Array).spki)), false);
});

test('genTime is whole seconds, GeneralizedTime YYYYMMDDHHMMSSZ, from the injected clock', () => {
  const token = verified(tsa().timestamp(encodeRequest()));
  const genTime = tstFields(token)[4] as Asn1;
  assert.equal(genTime.tag, TAG.GENERALIZED_TIME);
  assert.equal(Buffer.from(genTime.content).toString('latin1'), '20260314150926Z');
  assert.equal(token.genTime, FROZEN_MS - 535);
  // the signing-time attribute says the same second, as UTCTime (RFC 5652 §11.3 for years before 2050)
  assert.ok(Buffer.from(token.signer.signedAttrs as Uint8Array).includes(Buffer.from('260314150926Z')));
});

test('the nonce is echoed exactly: small, 160-bit and negative', () => {
  for (const nonce of [1n, 0x1234567890abcdefn, (1n << 159n) | 0xdeadbeefn, -77n]) {
    const token = verified(tsa().timestamp(encodeRequest({ nonce })));
    assert.equal(token.nonce, nonce);
    assert.ok(tstFields(token).some((f) => bytesEqual(f.bytes, encodeInteger(nonce))));
  }
});

test('certReq true embeds exactly the TSA leaf; false or absent embeds no certificates field at all', () => {
  assert.deepEqual(verified(tsa().timestamp(encodeRequest({ certReq: true }))).certificates, [P256.chainDer[0]]);
  for (const certReq of [undefined, 'explicit-false'] as const) {
    const resp = tsa().timestamp(encodeRequest(certReq === undefined ? {} : { certReq }));
    assert.deepEqual(verified(resp).certificates, []);
    assert.equal(Buffer.from(resp).indexOf(Buffer.from(P256.chainDer[0] as Uint8Array)), -1);
  }
});

test('serial numbers are unique, positive and at most 20 octets', () => {
  const authority = tsa();
  const serials = new Set<bigint>();
  for (let i = 0; i < 200; i++) {
    const token = verified(authority.timestamp(encodeRequest()));
    assert.ok(token.serialNumber > 0n);
    assert.ok((tstFields(token)[3] as Asn1).content.length <= 20);
    serials.add(token.serialNumber);
  }
  assert.equal(serials.size, 200);
});

test('an injected serial source is used as given; one that breaks the rules is a TypeError', () => {
  const token = verified(tsa({ serial: () => Uint8Array.of(0, 0, 0xff) }).timestamp(encodeRequest()));
  assert.equal(token.serialNumber, 255n);
  assert.throws(() => tsa({ serial: () => new Uint8Array(3) }).timestamp(encodeRequest()), TypeError);
  assert.throws(() => tsa({ serial: () => new Uint8Array(20).fill(0xff) }).timestamp(encodeRequest()), TypeError); // 21 octets encoded
  assert.doesNotThrow(() => tsa({ serial: () => new Uint8Array(20).fill(0x7f) }).timestamp(encodeRequest()));
});

test('signingCertificateV2 carries the SHA-256 of the TSA leaf and its issuer and serial', () => {
  const token = verified(tsa().timestamp(encodeRequest()));
  const attrs = parseDer(token.signer.signedAttrs as Uint8Array).children();
  const types = attrs.map((a) => Buffer.from(a.children()[0]?.bytes ?? []).toString('hex'));
  assert.equal(new Set(types).size, 4);
  const scv2 = attrs.find((a) => bytesEqual(a.children()[0]?.content ?? new Uint8Array(0), Buffer.from('2a864886f70d010910022f', 'hex')));
  assert.ok(scv2, 'signingCertificateV2 present');
  const essCertId = scv2.children()[1]?.children()[0]?.children()[0]?.children()[0] as Asn1;
  const [certHash, issuerSerial] = essCertId.children(); // hashAlgorithm omitted: SHA-256 is the DEFAULT
  assert.deepEqual(certHash?.content, new Uint8Array(coreSha256(P256.chainDer[0] as Uint8Array)));
  const [names, serial] = issuerSerial?.children() ?? [];
  assert.deepEqual(names?.children()[0]?.children()[0]?.bytes, leaf.issuer);
  assert.deepEqual(serial?.content, leaf.serialNumber);
});

test('a P-384 TSA signs with ecdsa-with-SHA384 and a SHA-384 message digest', () => {
  const authority = createTimestampAuthority({ key: P384.key, chain: P384.chainDer });
  const p384Leaf = parseCertificate(P384.chainDer[0] as Uint8Array);
  const token = verified(authority.timestamp(encodeRequest()), publicKeyFromSpki(p384Leaf.spki));
  assert.equal(token.signer.digestAlgorithm, OID.sha384);
  assert.equal(token.signer.signatureAlgorithm, OID.ecdsaWithSha384);
  assert.equal(token.signer.messageDigest?.length, 48);
});

test('requests the TSA refuses throw ERR_REQUEST / ERR_TOO_LARGE from timestamp()', () => {
  const authority = tsa();
  assert.throws(() => authority.timestamp(new Uint8Array([1, 2, 3])), code('ERR_REQUEST'));
  assert.throws(() => authority.timestamp(encodeRequest({ policy: '1.2.3' })), code('ERR_REQUEST'));
  assert.throws(() => authority.timestamp(new Uint8Array(64 * 1024)), code('ERR_TOO_LARGE'));
  // a custom policy is served, and the default one then refused
  const custom = tsa({ policyOid: '1.3.6.1.4.1.99999.1' });
  assert.equal(verified(custom.timestamp(encodeRequest({ policy: '1.3.6.1.4.1.99999.1' }))).policy, '1.3.6.1.4.1.99999.1');
  assert.throws(() => custom.timestamp(encodeRequest({ policy: DEFAULT_TSA_POLICY })), code('ERR_REQUEST'));
});

test('certChainPem is the chain, leaf first, as PEM', () => {
  const pem = tsa().certChainPem();
  assert.deepEqual(pemDecodeAll(pem, 'CERTIFICATE').map((b) => new Uint8Array(b)), P256.chainDer);
  assert.equal(pem, P256.chainPem);
});

test('misconfiguration is refused at construction', () => {
  const [leafDer, rootDer] = P256.chainDer as [Uint8Array, Uint8Array];
  // a key that is not the leaf's
  assert.throws(() => createTimestampAuthority({ key: otherP256Key(), chain: P256.chainDer }), /does not match/);
  // a leaf without the timeStamping EKU (the root, with its own key unavailable: any key fails first on EKU)
  assert.throws(() => createTimestampAuthority({ key: P256.key, chain: [rootDer] }), /extendedKeyUsage/);
  // an EKU naming codeSigning instead of timeStamping (same length, so the certificate still parses)
  const eku = Buffer.from('06082b06010505070308', 'hex');
  const swapped = Buffer.from(leafDer);
  const at = swapped.indexOf(eku);
  assert.ok(at > 0);
  swapped[at + 9] = 0x03;
  assert.throws(() => createTimestampAuthority({ key: P256.key, chain: [new Uint8Array(swapped)] }), /extendedKeyUsage/);
  // no chain, a public key, a bad policy
  assert.throws(() => createTimestampAuthority({ key: P256.key, chain: [] }), TypeError);
  assert.throws(() => createTimestampAuthority({ key: parseCertificate(leafDer) as never, chain: P256.chainDer }), TypeError);
  assert.throws(() => createTimestampAuthority({ key: P256.key, chain: P256.chainDer, policyOid: 'not-an-oid' }), TypeError);
});
