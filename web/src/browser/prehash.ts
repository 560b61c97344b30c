/**
 * src/core/prehash.ts for the page's verifier bundle (scripts/build-web.mjs substitutes it): a signature over a
 * message of which only the digest is known. Node's build does ECDSA with ECDH tricks and RSA with publicDecrypt,
 * neither of which a browser has; @noble/curves verifies over a digest directly, and RSA is the same BigInt check
 * as a whole-message signature (crypto-full.ts). Same exports, same answers.
 */
import type { PublicKey } from '../../../src/core/keys.js';
import { BrowserKey, verifyEcdsaDigest, verifyRsaPkcs1Digest } from './crypto-full.js';

type HashName = 'sha256' | 'sha384' | 'sha512';

export function verifyPrehashed(key: unknown, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  if (!(key instanceof BrowserKey)) return false;
  try {
    if (key.asymmetricKeyType === 'ec') return verifyEcdsaDigest(key, digest, signature);
    if (key.asymmetricKeyType === 'rsa') return verifyRsaPkcs1Digest(key, hash, digest, signature);
  } catch {
    return false;
  }
  return false; // Ed25519 signs the whole message: it cannot be checked from a digest
}

export function verifyPrehashedKey(key: PublicKey, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  return verifyPrehashed(key.keyObject, hash, digest, signature);
}
