/**
 * The part of node:crypto that src/core's readers use, for the page's bundle (scripts/build-web.mjs substitutes this
 * module for node:crypto; Node itself keeps node:crypto). Only SHA-256 hashing is provided: the page verifies
 * signatures with WebCrypto, so core's Node key and signature functions fail loudly here instead of being bundled.
 */
import { Sha256 } from './sha256.js';

export function createHash(algorithm: string): Sha256 {
  if (algorithm !== 'sha256') throw new Error(`the page's bundle of src/core hashes with SHA-256 only, not ${algorithm}`);
  return new Sha256();
}

export function hash(algorithm: string, data: Uint8Array): Uint8Array {
  return createHash(algorithm).update(data).digest();
}

const unavailable = (what: string) => (): never => {
  throw new Error(`${what} is not available in the browser: the page verifies signatures with WebCrypto`);
};
export const createPublicKey = unavailable('createPublicKey');
export const verify = unavailable('verify');
export const constants = Object.freeze({ RSA_PKCS1_PSS_PADDING: 6, RSA_PSS_SALTLEN_DIGEST: -1 });
