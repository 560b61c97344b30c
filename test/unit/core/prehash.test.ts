import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { modularInverse, verifyPrehashed, verifyPrehashedKey } from '../../../src/core/prehash.js';
import { publicKeyFromSpki } from '../../../src/core/keys.js';

const message = Buffer.from('the artifact');

for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-256', 'sha512']] as const) {
  test(`ECDSA ${curve} with ${hash}: verifies from the digest alone, and fails on any change`, () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const digest = createHash(hash).update(message).digest();
    for (let i = 0; i < 5; i++) {
      const sig = sign(hash, message, privateKey);
      assert.equal(verifyPrehashed(publicKey, hash, digest, sig), true);
      const otherDigest = Buffer.from(digest);
      otherDigest[0] = (otherDigest[0] ?? 0) ^ 1;
      assert.equal(verifyPrehashed(publicKey, hash, otherDigest, sig), false);
      const badSig = Buffer.from(sig);
      badSig[badSig.length - 1] = (badSig[badSig.length - 1] ?? 0) ^ 1;
      assert.equal(verifyPrehashed(publicKey, hash, digest, badSig), false);
      assert.equal(verifyPrehashed(publicKey, hash, digest, badSig.subarray(0, 10)), false);
    }
    const other = generateKeyPairSync('ec', { namedCurve: curve });
    assert.equal(verifyPrehashed(other.publicKey, hash, digest, sign(hash, message, privateKey)), false);
  });
}

test('RSA PKCS#1 v1.5 verifies from the digest alone', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const digest = createHash('sha256').update(message).digest();
  const sig = sign('sha256', message, privateKey);
  assert.equal(verifyPrehashed(publicKey, 'sha256', digest, sig), true);
  assert.equal(verifyPrehashed(publicKey, 'sha384', digest, sig), false);
  assert.equal(verifyPrehashed(publicKey, 'sha256', Buffer.alloc(32), sig), false);
});

test('Ed25519 cannot be checked from a digest', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const sig = sign(null, message, privateKey);
  assert.equal(verifyPrehashed(publicKey, 'sha256', createHash('sha256').update(message).digest(), sig), false);
});

test('ECDSA from a digest agrees with OpenSSL on many messages, signatures and mutations (both curves)', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    const hash = curve === 'P-256' ? 'sha256' : 'sha384';
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    for (let i = 0; i < 150; i++) {
      const msg = Buffer.from(`message ${i}`);
      const sig = sign(hash, msg, privateKey);
      // One in three signatures is mutated somewhere in r or s (keeping the DER shape), one in three is for another message.
      const mutated = Buffer.from(sig);
      if (i % 3 === 1) mutated[8 + (i % 20)] = (mutated[8 + (i % 20)] ?? 0) ^ (1 << (i % 8));
      const signedMsg = i % 3 === 2 ? Buffer.from(`other ${i}`) : msg;
      const expected = createVerifyResult(hash, signedMsg, publicKey, mutated);
      assert.equal(verifyPrehashed(publicKey, hash, createHash(hash).update(signedMsg).digest(), mutated), expected, `${curve} case ${i}`);
    }
  }
});

test('ECDSA from a digest: r or s out of range, and a zero digest, are handled', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = (r: Buffer, s: Buffer) => Buffer.concat([Buffer.from([0x30, r.length + s.length + 4, 2, r.length]), r, Buffer.from([2, s.length]), s]);
  const n = Buffer.from('00ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
  assert.equal(verifyPrehashed(publicKey, 'sha256', Buffer.alloc(32), der(Buffer.from([1]), Buffer.from([1]))), false);
  assert.equal(verifyPrehashed(publicKey, 'sha256', Buffer.alloc(32, 7), der(n, Buffer.from([1]))), false);
  assert.equal(verifyPrehashed(publicKey, 'sha256', Buffer.alloc(32, 7), der(Buffer.from([1]), n)), false);
});

function createVerifyResult(hash: string, msg: Buffer, key: ReturnType<typeof generateKeyPairSync>['publicKey'], sig: Buffer): boolean {
  try {
    return verify(hash, msg, key, sig);
  } catch {
    return false;
  }
}

test('RSA from a digest: a signature that does not decrypt, or decrypts to another digest, is false', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from('rsa data');
  const digest = createHash('sha256').update(data).digest();
  const good = sign('sha256', data, privateKey);
  assert.equal(verifyPrehashed(publicKey, 'sha256', digest, good), true);
  // Garbage of the modulus length fails the PKCS#1 padding check (publicDecrypt throws): false, not a pass.
  assert.equal(verifyPrehashed(publicKey, 'sha256', digest, new Uint8Array(256).fill(0x42)), false);
  assert.equal(verifyPrehashed(publicKey, 'sha256', digest, new Uint8Array(3)), false);
  assert.equal(verifyPrehashed(publicKey, 'sha256', createHash('sha256').update('other').digest(), good), false);
  // The DigestInfo names the hash: a SHA-256 signature is not a SHA-384 one over the same bytes.
  assert.equal(verifyPrehashed(publicKey, 'sha384', digest, good), false);
});

test('ECDSA from a digest takes strict DER only: other encodings of a valid signature are false (no malleability)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('der strictness');
  const digest = createHash('sha256').update(data).digest();
  // A signature whose r has its high bit set, so DER pads it with 0x00.
  let sig = sign('sha256', data, privateKey);
  while (sig[4] !== 0) sig = sign('sha256', data, privateKey);
  assert.equal(verifyPrehashed(publicKey, 'sha256', digest, sig), true);
  const rLen = sig[3] as number;
  const r = sig.subarray(4, 4 + rLen);
  const s = sig.subarray(4 + rLen + 2);
  const int = (body: Uint8Array, tag = 0x02) => Buffer.concat([Buffer.of(tag, body.length), body]);
  const seq = (...parts: Uint8Array[]) => { const body = Buffer.concat(parts); return Buffer.concat([Buffer.of(0x30, body.length), body]); };
  const variants: [string, Uint8Array][] = [
    ['r not minimal (an extra 0x00)', seq(int(Buffer.concat([Buffer.of(0), r])), int(s))],
    ['r negative (its 0x00 pad dropped)', seq(int(r.subarray(1)), int(s))],
    ['a trailing byte inside the SEQUENCE', seq(int(r), int(s), Buffer.of(0))],
    ['a trailing byte after the SEQUENCE', Buffer.concat([seq(int(r), int(s)), Buffer.of(0)])],
    ['a SET instead of a SEQUENCE', Buffer.concat([Buffer.of(0x31), seq(int(r), int(s)).subarray(1)])],
    ['a BIT STRING instead of an INTEGER', seq(int(r, 0x03), int(s))],
    ['an empty INTEGER', seq(int(r), int(new Uint8Array(0)))],
    ['an INTEGER running past the end', Buffer.concat([seq(int(r), int(s)).subarray(0, -1)])],
    ['too short to be a signature', Buffer.of(0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x00)],
  ];
  for (const [name, der] of variants) assert.equal(verifyPrehashed(publicKey, 'sha256', digest, der), false, name);
});

test('P-521 from a digest: a real signature (long-form DER length) verifies, a wrong one or a short-form forgery does not', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const data = Buffer.from('p521');
  const digest = createHash('sha512').update(data).digest();
  const signature = sign('sha512', data, privateKey);
  assert.equal(verifyPrehashed(publicKey, 'sha512', digest, signature), true);
  assert.equal(verifyPrehashed(publicKey, 'sha512', createHash('sha512').update('other').digest(), signature), false);
  assert.equal(verifyPrehashed(publicKey, 'sha512', digest, Buffer.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)), false);
  // A long-form length where the short form would do is not DER.
  assert.equal(verifyPrehashed(publicKey, 'sha512', digest, Buffer.of(0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)), false);
});

test('verifyPrehashedKey (from the SPKI, no KeyObject) agrees with verifyPrehashed, every key type', () => {
  const cases = [
    { hash: 'sha256', k: generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
    { hash: 'sha384', k: generateKeyPairSync('ec', { namedCurve: 'P-384' }) },
    { hash: 'sha512', k: generateKeyPairSync('ec', { namedCurve: 'P-521' }) },
    { hash: 'sha256', k: generateKeyPairSync('rsa', { modulusLength: 2048 }) },
  ] as const;
  for (const { hash, k } of cases) {
    const key = publicKeyFromSpki(k.publicKey.export({ format: 'der', type: 'spki' }));
    for (let i = 0; i < 20; i++) {
      const msg = Buffer.from(`message ${i}`);
      const sig = sign(hash, msg, k.privateKey);
      if (i % 2 === 1) sig[sig.length - 3] = (sig[sig.length - 3] ?? 0) ^ 4;
      const d = createHash(hash).update(msg).digest();
      const expected = verifyPrehashed(k.publicKey, hash, d, sig);
      assert.equal(expected, i % 2 === 0, `${key.type} case ${i}`);
      assert.equal(verifyPrehashedKey(key, hash, d, sig), expected, `${key.type} case ${i}`);
    }
  }
});

test('modularInverse (Lehmer) agrees with Fermat inversion mod the P-256/P-384/P-521 orders and primes', () => {
  const moduli = [
    0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    (1n << 521n) - 1n,
    65537n,
  ];
  const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
    let r = 1n;
    for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
    return r;
  };
  for (const m of moduli) {
    const bytes = Math.ceil(m.toString(2).length / 8) + 8;
    const values = [1n, 2n, 3n, m - 1n, m - 2n, m + 5n, -7n, (1n << 64n) + 1n];
    for (let i = 0; i < 200; i++) values.push(BigInt(`0x${randomBytes(bytes).toString('hex')}`));
    for (const a of values) {
      if (((a % m) + m) % m === 0n) continue;
      const inv = modularInverse(a, m);
      assert.equal(inv, modPow(((a % m) + m) % m, m - 2n, m), `${a} mod ${m}`);
      assert.equal((((a % m) + m) % m * inv) % m, 1n);
    }
    assert.equal(modularInverse(0n, m), 0n);
    assert.equal(modularInverse(m * 3n, m), 0n);
  }
});
