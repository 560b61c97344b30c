// RFC 6962 Merkle tree hashing and the RFC 9162 2.1.3.2 / 2.1.4.2 proof checks, with WebCrypto's SHA-256, so that
// the page verifies what the log answers instead of believing it. Sizes and indexes are JS numbers (safe up to
// 2^53), so halving is Math.floor(x / 2) rather than a 32-bit shift.
/* global crypto */
import { base64Bytes } from './der.js';

export class ProofError extends Error {}

async function sha256(...parts) {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

/** RFC 6962 2.1: MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (data) => sha256(Uint8Array.of(0), data);
/** RFC 6962 2.1: SHA-256(0x01 || left || right). */
export const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

export const bytesEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function checkHashes(list, what) {
  for (const h of list) if (h.length !== 32) throw new ProofError(`${what} holds a hash that is not 32 bytes`);
}

/** RFC 9162 2.1.3.2: the root that `proof` leads to from `leaf` at `index` in a tree of `size`. */
export async function rootFromInclusionProof(index, size, leaf, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new ProofError(`log index ${index} is not inside a tree of size ${size}`);
  }
  checkHashes(proof, 'the inclusion proof');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new ProofError('the inclusion proof has more hashes than the tree is deep');
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('the inclusion proof has fewer hashes than the tree needs');
  return r;
}

/** Throws ProofError unless `proof` shows the tree of `size1` with `root1` is a prefix of `size2` with `root2`. */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  checkHashes(proof, 'the consistency proof');
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 1 || size2 < size1) {
    throw new ProofError(`no consistency proof exists from size ${size1} to size ${size2}`);
  }
  if (size1 === size2) {
    if (proof.length !== 0) throw new ProofError('a proof between equal sizes must be empty');
    if (!bytesEqual(root1, root2)) throw new ProofError('two different roots for the same tree size');
    return;
  }
  // RFC 9162 2.1.4.2, step by step.
  if (proof.length === 0) throw new ProofError('the consistency proof is empty');
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError('the consistency proof has more hashes than the tree needs');
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('the consistency proof has fewer hashes than the tree needs');
  if (!bytesEqual(fr, root1)) throw new ProofError(`the consistency proof does not lead to the root of size ${size1}`);
  if (!bytesEqual(sr, root2)) throw new ProofError(`the consistency proof does not lead to the root of size ${size2}`);
}

function isPowerOfTwo(n) {
  while (n > 1 && !odd(n)) n = half(n);
  return n === 1;
}

/** C2SP tlog-checkpoint body: origin, decimal size, base64 root hash. Signatures are not checked here. */
export function parseCheckpoint(text) {
  const [body] = String(text).split('\n\n');
  const [origin, size, root] = body.split('\n');
  if (origin === undefined || !/^(?:0|[1-9][0-9]{0,15})$/.test(size ?? '') || root === undefined) throw new ProofError('the checkpoint is malformed');
  let rootHash;
  try {
    rootHash = base64Bytes(root);
  } catch {
    throw new ProofError('the checkpoint root hash is not base64');
  }
  if (rootHash.length !== 32) throw new ProofError('the checkpoint root hash is not 32 bytes');
  return { origin, size: Number(size), rootHash };
}

export function hexBytes(text, what) {
  if (typeof text !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new ProofError(`${what} is not hex`);
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}
