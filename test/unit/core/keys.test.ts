import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ECDH, createECDH, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  defaultHash,
  digest,
  encodedSpki,
  publicKeyFromPem,
  publicKeyFromSpki,
  sha256,
  verifySignature,
  verifyWithAlgorithm,
} from '../../../src/core/keys.js';
import { encodeBitString, encodeInteger, encodeNull, encodeOid, encodeSequence } from '../../../src/core/asn1-encode.js';
import { base64Decode, hexEncode, pemEncode, utf8Encode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { OID } from '../../../src/core/oids.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const spkiOf = (k: KeyObject) => new Uint8Array(k.export({ format: 'der', type: 'spki' }));
const data = utf8Encode('keyless');

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const keys = {
  p256: ec('P-256'),
  p384: ec('P-384'),
  p521: ec('P-521'),
  ed25519: generateKeyPairSync('ed25519'),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

test('publicKeyFromSpki reads the key types Sigstore uses', () => {
  const expected = [
    [keys.p256, 'ecdsa-p256', 256],
    [keys.p384, 'ecdsa-p384', 384],
    [keys.p521, 'ecdsa-p521', 521],
    [keys.ed25519, 'ed25519', 256],
    [keys.rsa, 'rsa', 2048],
  ] as const;
  for (const [pair, type, bits] of expected) {
    const spki = spkiOf(pair.publicKey);
    const key = publicKeyFromSpki(spki);
    assert.equal(key.type, type);
    assert.equal(key.bits, bits);
    assert.deepEqual(key.spki, spki);
    assert.notEqual(key.spki.buffer, spki.buffer, 'the SPKI is copied, so callers may reuse their buffer');
    assert.ok(key.keyObject.equals(pair.publicKey));
  }
});

test('fast (JWK) and DER imports give the same key', () => {
  // a compressed P-256 point takes the DER path, the uncompressed one the JWK path
  const uncompressed = spkiOf(keys.p256.publicKey).subarray(-65);
  const compressed = ECDH.convertKey(uncompressed, 'prime256v1', undefined, undefined, 'compressed') as Buffer;
  const spki = encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeOid(OID.p256)), encodeBitString(compressed));
  assert.ok(publicKeyFromSpki(spki).keyObject.equals(keys.p256.publicKey));
  const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 3 }).publicKey;
  const key = publicKeyFromSpki(spkiOf(rsa3072));
  assert.equal(key.bits, 3072);
  assert.equal(key.keyObject.asymmetricKeyDetails?.modulusLength, 3072);
  assert.equal(key.keyObject.asymmetricKeyDetails?.publicExponent, 3n);
  assert.ok(key.keyObject.equals(rsa3072));
  const rsaSpki = (n: bigint, e: bigint) =>
    encodeSequence(encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()), encodeBitString(encodeSequence(encodeInteger(n), encodeInteger(e))));
  assert.throws(() => publicKeyFromSpki(rsaSpki(-(2n ** 2047n), 65537n)), code('ERR_KEY_UNSUPPORTED'), 'negative modulus');
  assert.throws(() => publicKeyFromSpki(rsaSpki(2n ** 2047n + 1n, 0n)), code('ERR_KEY_UNSUPPORTED'), 'zero exponent');
  assert.equal(publicKeyFromSpki(rsaSpki(2n ** 2047n + 1n, 65537n)).bits, 2048);
  assert.throws(() => publicKeyFromSpki(rsaSpki(2n ** 2046n + 1n, 65537n)), code('ERR_KEY_UNSUPPORTED'), '2047 bits');
  const ed31 = encodeSequence(encodeSequence(encodeOid(OID.ed25519)), encodeBitString(new Uint8Array(31)));
  assert.throws(() => publicKeyFromSpki(ed31), code('ERR_KEY_UNSUPPORTED'));
});

test('the public-good trusted root keys load', () => {
  const require = createRequire(import.meta.url);
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets: Record<string, string> }>;
  const seed = Object.values(seeds)[0];
  assert.ok(seed?.targets['trusted_root.json']);
  const root = JSON.parse(new TextDecoder().decode(base64Decode(seed.targets['trusted_root.json']))) as {
    tlogs: { publicKey: { rawBytes: string; keyDetails: string } }[];
    ctlogs: { publicKey: { rawBytes: string; keyDetails: string } }[];
  };
  const types = [...root.tlogs, ...root.ctlogs].map((l) => [l.publicKey.keyDetails, publicKeyFromSpki(base64Decode(l.publicKey.rawBytes)).type]);
  assert.ok(types.some(([d, t]) => d === 'PKIX_ED25519' && t === 'ed25519'));
  assert.ok(types.every(([d, t]) => d !== 'PKIX_ECDSA_P256_SHA_256' || t === 'ecdsa-p256'));
});

test('publicKeyFromPem reads a PUBLIC KEY block and nothing else', () => {
  const pem = keys.p256.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.equal(publicKeyFromPem(pem).type, 'ecdsa-p256');
  assert.throws(() => publicKeyFromPem(pemEncode(spkiOf(keys.p256.publicKey), 'CERTIFICATE')), code('ERR_ENCODING'));
});

test('keys we do not accept are ERR_KEY_UNSUPPORTED; non-DER is ERR_ASN1', () => {
  const unsupported = {
    'RSA 1024': generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
    secp256k1: ec('secp256k1').publicKey,
    'P-224': ec('P-224').publicKey,
    Ed448: generateKeyPairSync('ed448').publicKey,
    X25519: generateKeyPairSync('x25519').publicKey,
    'RSA-PSS': generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
  };
  for (const [name, k] of Object.entries(unsupported)) {
    assert.throws(() => publicKeyFromSpki(spkiOf(k)), code('ERR_KEY_UNSUPPORTED'), name);
  }
  // a P-256 SPKI whose point is not on the curve
  const bad = spkiOf(keys.p256.publicKey);
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
  assert.throws(() => publicKeyFromSpki(bad), code('ERR_KEY_UNSUPPORTED'));
  // RSA without the NULL parameters
  const raw = new Uint8Array(keys.rsa.publicKey.export({ format: 'der', type: 'pkcs1' }));
  const noParams = encodeSequence(encodeSequence(encodeOid(OID.rsaEncryption)), encodeBitString(raw));
  assert.throws(() => publicKeyFromSpki(noParams), code('ERR_KEY_UNSUPPORTED'));
  // EC with explicit curve parameters instead of a named curve
  const explicit = encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeSequence()), encodeBitString(new Uint8Array(65)));
  assert.throws(() => publicKeyFromSpki(explicit), code('ERR_KEY_UNSUPPORTED'));
  assert.throws(() => publicKeyFromSpki(new Uint8Array([0x30, 0x03, 0x01])), code('ERR_ASN1'));
  assert.throws(() => publicKeyFromSpki(spkiOf(keys.p256.publicKey).subarray(0, 40)), code('ERR_ASN1'));
});

test('verifySignature: each key type with its default hash', () => {
  const cases = [
    [keys.p256, 'sha256'],
    [keys.p384, 'sha384'],
    [keys.p521, 'sha512'],
    [keys.rsa, 'sha256'],
  ] as const;
  for (const [pair, hash] of cases) {
    const key = publicKeyFromSpki(spkiOf(pair.publicKey));
    assert.equal(defaultHash(key.type), hash);
    const sig = sign(hash, data, pair.privateKey);
    assert.equal(verifySignature(key, data, sig), true, key.type);
    assert.equal(verifySignature(key, utf8Encode('other'), sig), false, `${key.type} other data`);
    const other = hash === 'sha256' ? 'sha384' : 'sha256';
    assert.equal(verifySignature(key, data, sig, other), false, `${key.type} other hash`);
    assert.equal(verifySignature(key, data, sign(other, data, pair.privateKey), other), true, `${key.type} explicit hash`);
  }
  const ed = publicKeyFromSpki(spkiOf(keys.ed25519.publicKey));
  const edSig = sign(null, data, keys.ed25519.privateKey);
  assert.equal(verifySignature(ed, data, edSig), true);
  assert.equal(verifySignature(ed, data, edSig, 'sha512'), true, 'Ed25519 is pure whatever hash is asked');
  assert.equal(verifySignature(ed, utf8Encode('x'), edSig), false);
});

test('verifySignature returns false for malformed signatures, never throws', () => {
  const key = publicKeyFromSpki(spkiOf(keys.p256.publicKey));
  const p1363 = sign('sha256', data, { key: keys.p256.privateKey, dsaEncoding: 'ieee-p1363' });
  assert.equal(verifySignature(key, data, p1363), false, 'raw r||s is not accepted');
  const good = sign('sha256', data, keys.p256.privateKey);
  const nonMinimal = new Uint8Array([good[0] ?? 0x30, 0x81, ...good.subarray(1)]);
  for (const sig of [new Uint8Array(), new Uint8Array(3), good.subarray(0, 20), nonMinimal, new Uint8Array([...good, 0])]) {
    assert.equal(verifySignature(key, data, sig), false);
  }
  const rsa = publicKeyFromSpki(spkiOf(keys.rsa.publicKey));
  assert.equal(verifySignature(rsa, data, new Uint8Array(300)), false);
  const ed = publicKeyFromSpki(spkiOf(keys.ed25519.publicKey));
  assert.equal(verifySignature(ed, data, new Uint8Array(10)), false);
});

test('verifyWithAlgorithm: X.509 signature algorithms, key family must match', () => {
  const p256 = publicKeyFromSpki(spkiOf(keys.p256.publicKey));
  const p384 = publicKeyFromSpki(spkiOf(keys.p384.publicKey));
  const rsa = publicKeyFromSpki(spkiOf(keys.rsa.publicKey));
  const ed = publicKeyFromSpki(spkiOf(keys.ed25519.publicKey));
  assert.equal(verifyWithAlgorithm(p256, OID.ecdsaWithSha384, data, sign('sha384', data, keys.p256.privateKey)), true);
  assert.equal(verifyWithAlgorithm(p384, OID.ecdsaWithSha256, data, sign('sha256', data, keys.p384.privateKey)), true);
  assert.equal(verifyWithAlgorithm(p384, OID.ecdsaWithSha512, data, sign('sha512', data, keys.p384.privateKey)), true);
  assert.equal(verifyWithAlgorithm(p256, OID.ecdsaWithSha256, data, sign('sha384', data, keys.p256.privateKey)), false);
  for (const [oid, hash] of [
    [OID.sha256WithRsaEncryption, 'sha256'],
    [OID.sha384WithRsaEncryption, 'sha384'],
    [OID.sha512WithRsaEncryption, 'sha512'],
  ] as const) {
    assert.equal(verifyWithAlgorithm(rsa, oid, data, sign(hash, data, keys.rsa.privateKey)), true, oid);
  }
  assert.equal(verifyWithAlgorithm(ed, OID.ed25519, data, sign(null, data, keys.ed25519.privateKey)), true);
  // a key of the wrong family is a failed verification, not an exception
  assert.equal(verifyWithAlgorithm(rsa, OID.ecdsaWithSha256, data, sign('sha256', data, keys.rsa.privateKey)), false);
  assert.equal(verifyWithAlgorithm(p256, OID.sha256WithRsaEncryption, data, sign('sha256', data, keys.p256.privateKey)), false);
  assert.equal(verifyWithAlgorithm(p256, OID.ed25519, data, sign('sha256', data, keys.p256.privateKey)), false);
  for (const oid of [OID.rsassaPss, '1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.3']) {
    assert.throws(() => verifyWithAlgorithm(rsa, oid, data, new Uint8Array()), code('ERR_KEY_UNSUPPORTED'), oid);
  }
});

test('digest and sha256 match the FIPS 180 vectors', () => {
  const abc = utf8Encode('abc');
  assert.equal(hexEncode(sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hexEncode(digest('sha256', abc)), hexEncode(sha256(abc)));
  assert.equal(
    hexEncode(digest('sha384', abc)),
    'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  );
  assert.equal(
    hexEncode(digest('sha512', abc)),
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  );
  assert.ok(sha256(abc) instanceof Uint8Array);
});

test('verifySignature is false, never a throw or a pass, for arguments it cannot use', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = publicKeyFromSpki(new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })));
  const data = utf8Encode('data');
  assert.equal(verifySignature(key, data, undefined as unknown as Uint8Array), false);
  assert.equal(verifySignature(key, data, new Uint8Array(sign('sha256', data, pair.privateKey)), 'md5' as unknown as 'sha256'), false);
});

test('a P-256 key with a compressed point imports (through the SPKI, not the JWK fast path)', () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const compressed = ecdh.getPublicKey(undefined, 'compressed');
  const spki = encodeSequence(encodeSequence(encodeOid(OID.ecPublicKey), encodeOid('1.2.840.10045.3.1.7')), encodeBitString(compressed));
  const key = publicKeyFromSpki(spki);
  assert.equal(key.type, 'ecdsa-p256');
  const uncompressed = ecdh.getPublicKey();
  assert.equal(Buffer.from(key.keyObject.export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex'), uncompressed.subarray(1, 33).toString('hex'));
});

test('Ed25519 keys with parameters or of the wrong length are refused as such', () => {
  const ed = (params: Uint8Array[], bytes: number) => encodeSequence(encodeSequence(encodeOid(OID.ed25519), ...params), encodeBitString(new Uint8Array(bytes).fill(1)));
  assert.throws(() => publicKeyFromSpki(ed([encodeNull()], 32)), (e) => code('ERR_KEY_UNSUPPORTED')(e) && /Ed25519 key with parameters/.test((e as Error).message));
  assert.throws(() => publicKeyFromSpki(ed([], 31)), (e) => code('ERR_KEY_UNSUPPORTED')(e) && /Ed25519 key of 31 bytes/.test((e as Error).message));
});

test('a P-256 point is checked when the key is read, though the KeyObject is imported only when first used', () => {
  const spki = spkiOf(keys.p256.publicKey);
  // x = p (not below the field prime), with any y: refused before any import.
  const big = Uint8Array.from(spki);
  big.set(Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex'), spki.length - 64);
  assert.throws(() => publicKeyFromSpki(big), code('ERR_KEY_UNSUPPORTED'));
  // A changed y is (all but surely) off the curve.
  const off = Uint8Array.from(spki);
  off[off.length - 1] = (off[off.length - 1] ?? 0) ^ 0x80;
  assert.throws(() => publicKeyFromSpki(off), code('ERR_KEY_UNSUPPORTED'));
  const key = publicKeyFromSpki(spki);
  assert.equal(key.keyObject.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(key.keyObject, key.keyObject, 'imported once');
  const msg = Buffer.from('lazy');
  assert.equal(verifySignature(key, msg, sign('sha256', msg, keys.p256.privateKey)), true);
});

test('encodedSpki is the DER encoding OpenSSL exports, for every key type', () => {
  for (const [name, k] of Object.entries(keys)) {
    const key = publicKeyFromSpki(spkiOf(k.publicKey));
    assert.deepEqual(encodedSpki(key), new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' })), name);
  }
});
