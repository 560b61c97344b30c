/**
 * RFC 9162 §2.1 (same hashing as RFC 6962) Merkle tree hashing, inclusion and consistency proofs.
 *
 * Sizes and indexes are JS numbers that must be safe integers; all arithmetic stays in floating point (no 32-bit
 * bitwise operators), so trees up to 2^53 leaves work and every proof costs O(log n).
 * A wrong argument type (a fraction, a negative number) is a programmer error and a TypeError; a proof that does not
 * fit its tree is attacker-controlled input and a coded error carrying the evidence.
 */
import { bytesEqual, hexEncode } from './encoding.js';
import { KeylessError } from './errors.js';
import { sha256 } from './keys.js';

export const MERKLE_HASH_SIZE = 32;

/** A subtree MTH(D[start:end]) of the RFC 9162 tree: what one element of a proof is the hash of. */
export interface SubtreeRange {
  readonly start: number;
  readonly end: number;
}

/** A perfect (full) subtree of 2^level leaves: leaves [index * 2^level, (index + 1) * 2^level). */
export interface PerfectSubtree {
  readonly level: number;
  readonly index: number;
}

/** The hash of an empty list is the hash of an empty string: MTH({}) = SHA-256(). */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

// Each hash is one-shot over one buffer (keys.ts sha256: node:crypto's hash()) rather than createHash().update()…:
// a log append hashes a few dozen nodes per entry (tree, proofs and their self-check), and each Hash object is a
// native allocation freed only by the GC.

// Inputs of more than 64 bytes get an ArrayBuffer outside V8's heap, which only the garbage collector frees. Leaf and
// node hashes are made from these reused inputs instead; hash() reads them before it returns.
const LEAF_INPUT_MAX = 64 * 1024;
let leafInput = new Uint8Array(4096);

/** The hash of a list with one entry (also known as a leaf hash) is: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Uint8Array {
  const n = 1 + data.length;
  if (n > LEAF_INPUT_MAX) {
    const input = new Uint8Array(n);
    input.set(data, 1);
    return sha256(input);
  }
  if (n > leafInput.length) leafInput = new Uint8Array(Math.min(LEAF_INPUT_MAX, 2 ** Math.ceil(Math.log2(n))));
  leafInput[0] = 0;
  leafInput.set(data, 1);
  return sha256(leafInput.subarray(0, n));
}

// A node hash of two 32-byte children: 65 bytes, one more than V8 keeps on its heap, and two dozen per appended
// entry (the tree, the proofs and their self-check).
const NODE_INPUT = new Uint8Array(1 + 2 * MERKLE_HASH_SIZE);
NODE_INPUT[0] = 1;

/** MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === MERKLE_HASH_SIZE && right.length === MERKLE_HASH_SIZE) {
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 1 + MERKLE_HASH_SIZE);
    return sha256(NODE_INPUT);
  }
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The Merkle Tree Hash over already-hashed leaves (O(n); for tests and small trees). */
export function rootFromLeaves(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return leaves[start] as Uint8Array;
  // k is the largest power of two smaller than n
  const k = largestPowerOfTwoBelow(end - start);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/**
 * RFC 9162 §2.1.3.2: the root hash an inclusion proof leads to. Throws ERR_TLOG_INCLUSION when the proof cannot be
 * a proof for this index and size (index out of range, wrong number of hashes, hashes of the wrong length).
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  checkCount(index, 'index');
  checkCount(size, 'size');
  // 1. Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If leaf_index is greater than or
  //    equal to tree_size, then fail the proof verification.
  if (index >= size) {
    throw new KeylessError('ERR_TLOG_INCLUSION', `inclusion proof index ${index} is not inside a tree of size ${size}`, { index, size });
  }
  checkHash(leaf, 'leaf hash', 'ERR_TLOG_INCLUSION');
  proof.forEach((h, i) => checkHash(h, `inclusion proof hash ${i}`, 'ERR_TLOG_INCLUSION'));
  const expected = inclusionProofLength(index, size);
  if (proof.length !== expected) {
    throw new KeylessError('ERR_TLOG_INCLUSION', `inclusion proof has ${proof.length} hashes, a proof for index ${index} in a tree of size ${size} has ${expected}`, {
      index,
      size,
      expectedLength: expected,
      length: proof.length,
    });
  }
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1;
  // 3. Set r to hash.
  let r = leaf;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, then stop the iteration and fail the proof verification. (Ruled out by the length check.)
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (isOdd(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Compare sn to 0. (Guaranteed by the length check; the root comparison is the caller's.)
  return r;
}

/** RFC 9162 §2.1.3.2 step 5: the computed root must equal the root hash. Throws ERR_TLOG_INCLUSION with both roots. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHash(root, 'root hash', 'ERR_TLOG_INCLUSION');
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!bytesEqual(computed, root)) {
    throw new KeylessError('ERR_TLOG_INCLUSION', 'inclusion proof leads to a different root hash', {
      index,
      size,
      expectedRoot: hexEncode(root),
      computedRoot: hexEncode(computed),
    });
  }
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of size2 with root2 extends the tree of size1 with root1.
 * Throws ERR_TLOG_CONSISTENCY with both tree heads and the proof as evidence.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  checkCount(size1, 'size1');
  checkCount(size2, 'size2');
  checkHash(root1, 'first root hash', 'ERR_TLOG_CONSISTENCY');
  checkHash(root2, 'second root hash', 'ERR_TLOG_CONSISTENCY');
  proof.forEach((h, i) => checkHash(h, `consistency proof hash ${i}`, 'ERR_TLOG_CONSISTENCY'));
  const evidence = { size1, size2, root1: hexEncode(root1), root2: hexEncode(root2), proof: proof.map((h) => hexEncode(h)) };
  const fail = (message: string, extra: Record<string, unknown> = {}): never => {
    throw new KeylessError('ERR_TLOG_CONSISTENCY', message, { ...evidence, ...extra });
  };
  if (size1 > size2) fail(`a tree of size ${size2} cannot extend a tree of size ${size1}`);
  // Two trees of the same size are consistent only when they are the same tree, and the proof is empty.
  if (size1 === size2) {
    if (proof.length !== 0) fail('consistency proof between trees of the same size must be empty');
    if (!bytesEqual(root1, root2)) fail('trees of the same size have different root hashes');
    return;
  }
  // Every tree extends the empty tree, whose root is MTH({}) = SHA-256(); the proof is empty.
  if (size1 === 0) {
    if (proof.length !== 0) fail('consistency proof from the empty tree must be empty');
    if (!bytesEqual(root1, emptyRoot())) fail('the empty tree has a root hash other than SHA-256()');
    return;
  }
  const expected = consistencyProofPath(size1, size2).length;
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (proof.length !== expected) {
    fail(`consistency proof has ${proof.length} hashes, a proof from size ${size1} to ${size2} has ${expected}`, { expectedLength: expected });
  }
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) fail('consistency proof is longer than the trees allow');
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (isOdd(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Verify that the fr calculated is equal to the first_hash supplied, that the sr calculated is equal to the
  //    second_hash supplied, and that sn is 0.
  if (sn !== 0) fail('consistency proof is shorter than the trees need');
  if (!bytesEqual(fr, root1)) fail('consistency proof does not lead to the first root hash', { computedRoot1: hexEncode(fr) });
  if (!bytesEqual(sr, root2)) fail('consistency proof does not lead to the second root hash', { computedRoot2: hexEncode(sr) });
}

/**
 * RFC 9162 §2.1.3.1: which subtrees an inclusion proof for leaf `index` in a tree of `size` leaves consists of, in
 * proof order (leaf to root). A log store fetches or computes MTH of each range to build the proof.
 */
export function inclusionProofPath(index: number, size: number): SubtreeRange[] {
  checkCount(index, 'index');
  checkCount(size, 'size');
  if (index >= size) throw new TypeError(`index ${index} is not inside a tree of size ${size}`);
  const path: SubtreeRange[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k; PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k.
  // Walking down from the root finds the siblings root-first; the proof lists them leaf-first.
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m < k) {
      path.push({ start: start + k, end });
      end = start + k;
    } else {
      path.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/**
 * RFC 9162 §2.1.4.1: which subtrees the consistency proof from size1 to size2 consists of, in proof order.
 * Empty when size1 is 0 or equal to size2.
 */
export function consistencyProofPath(size1: number, size2: number): SubtreeRange[] {
  checkCount(size1, 'size1');
  checkCount(size2, 'size2');
  if (size1 > size2) throw new TypeError(`size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const siblings: SubtreeRange[] = [];
  let terminal: SubtreeRange | undefined;
  let start = 0;
  let end = size2;
  let m = size1;
  // b records whether the subtree being walked is still the whole old tree D[0:m] (whose hash the verifier has).
  let b = true;
  while (m !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m <= k) {
      // If m <= k, the right subtree entries D[k:n] only exist in the current tree:
      // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      // If m > k, the left subtree entries D[0:k] are identical in both trees:
      // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      siblings.push({ start, end: start + k });
      start += k;
      m -= k;
      b = false;
    }
  }
  // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
  if (!b) terminal = { start, end };
  // The walk found the siblings root-first; the recursion lists the innermost (terminal) element first.
  siblings.reverse();
  return terminal === undefined ? siblings : [terminal, ...siblings];
}

/**
 * The perfect subtrees, left to right, that a proof range is made of. Every range a proof names starts at a
 * multiple of the largest power of two not above its length, so its MTH is the fold from the right:
 * combineSubtreeHashes(hashes of these parts).
 */
export function perfectSubtrees(range: SubtreeRange): PerfectSubtree[] {
  checkCount(range.start, 'start');
  checkCount(range.end, 'end');
  if (range.end <= range.start) throw new TypeError(`empty subtree range [${range.start}, ${range.end})`);
  const parts: PerfectSubtree[] = [];
  let start = range.start;
  while (start < range.end) {
    let width = largestPowerOfTwoAtMost(range.end - start);
    // A part must be aligned: its start a multiple of its width.
    while (start % width !== 0) width /= 2;
    parts.push({ level: Math.log2(width), index: start / width });
    start += width;
  }
  return parts;
}

/** MTH of a range from the hashes of its perfectSubtrees, in the same order (fold from the right). */
export function combineSubtreeHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new TypeError('no subtree hashes to combine');
  let acc = hashes[hashes.length - 1] as Uint8Array;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Uint8Array, acc);
  return acc;
}

/** How many hashes an inclusion proof for `index` in a tree of `size` has: the steps of §2.1.3.2 until sn is 0. */
function inclusionProofLength(index: number, size: number): number {
  let fn = index;
  let sn = size - 1;
  let n = 0;
  while (sn !== 0) {
    if (!isOdd(fn) && fn === sn) {
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    }
    fn = half(fn);
    sn = half(sn);
    n++;
  }
  return n;
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what} must be a non-negative safe integer, got ${String(n)}`);
}

function checkHash(h: Uint8Array, what: string, code: 'ERR_TLOG_INCLUSION' | 'ERR_TLOG_CONSISTENCY'): void {
  if (!(h instanceof Uint8Array) || h.length !== MERKLE_HASH_SIZE) {
    throw new KeylessError(code, `${what} is not a ${MERKLE_HASH_SIZE}-byte SHA-256 hash`, { what, length: h instanceof Uint8Array ? h.length : null });
  }
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const isPowerOfTwo = (n: number): boolean => n > 0 && largestPowerOfTwoAtMost(n) === n;

function largestPowerOfTwoAtMost(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** k such that k < n <= 2k (RFC 9162: "the largest power of two smaller than n"); n must be at least 2. */
function largestPowerOfTwoBelow(n: number): number {
  return largestPowerOfTwoAtMost(n - 1);
}
