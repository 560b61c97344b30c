import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { verifyPrehashed } from '../../../src/core/prehash.js';

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
