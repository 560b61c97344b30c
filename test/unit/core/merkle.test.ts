import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  combineSubtreeHashes,
  consistencyProofPath,
  emptyRoot,
  inclusionProofPath,
  leafHash,
  nodeHash,
  perfectSubtrees,
  rootFromInclusionProof,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
  type SubtreeRange,
} from '../../../src/core/merkle.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// transparency-dev/merkle testonly/constants.go: the RFC 6962 reference leaves and roots.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// A naive reference written straight from RFC 9162 §2.1.1 and §2.1.3.1 / §2.1.4.1, recursion and all.
function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return leafHash(d[0] as Uint8Array);
  return nodeHash(mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const kk = k(d.length);
  return m < kk ? [...path(m, d.slice(0, kk)), mth(d.slice(kk))] : [...path(m - kk, d.slice(kk)), mth(d.slice(0, kk))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const kk = k(d.length);
  return m <= kk
    ? [...subproof(m, d.slice(0, kk), b), mth(d.slice(kk))]
    : [...subproof(m - kk, d.slice(kk), false), mth(d.slice(0, kk))];
}
const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => Uint8Array.of(i, i >> 8, 0x5a));
const rangeHash = (d: Uint8Array[], r: SubtreeRange) => mth(d.slice(r.start, r.end));

test('tree hashes match the RFC 6962 reference vectors', () => {
  assert.equal(toHex(emptyRoot()), ROOTS[0]);
  for (let n = 0; n <= LEAVES.length; n++) {
    assert.equal(toHex(rootFromLeaves(LEAVES.slice(0, n).map(leafHash))), ROOTS[n], `size ${n}`);
  }
});

test('known inclusion proofs from transparency-dev verify', () => {
  const vectors: [number, number, string[]][] = [
    [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
    [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  ];
  for (const [index, size, proof] of vectors) {
    verifyInclusion(index, size, leafHash(LEAVES[index] as Uint8Array), proof.map(hex), hex(ROOTS[size] as string));
  }
});

test('known consistency proofs from transparency-dev verify', () => {
  const vectors: [number, number, string[]][] = [
    [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
    [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
    [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  ];
  for (const [m, n, proof] of vectors) {
    verifyConsistency(m, n, proof.map(hex), hex(ROOTS[m] as string), hex(ROOTS[n] as string));
  }
});

test('inclusion proofs agree with the naive RFC definition for every index of every tree up to 64 leaves', () => {
  for (let n = 1; n <= 64; n++) {
    const d = leavesOf(n);
    const root = mth(d);
    assert.deepEqual(rootFromLeaves(d.map(leafHash)), root);
    for (let m = 0; m < n; m++) {
      const expected = path(m, d);
      const proof = inclusionProofPath(m, n).map((r) => rangeHash(d, r));
      assert.deepEqual(proof.map(toHex), expected.map(toHex), `PATH(${m}, D[${n}])`);
      verifyInclusion(m, n, leafHash(d[m] as Uint8Array), proof, root);
      // The neighbouring leaf never verifies with this proof.
      if (n > 1) {
        assert.throws(() => verifyInclusion(m, n, leafHash(d[(m + 1) % n] as Uint8Array), proof, root), code('ERR_TLOG_INCLUSION'));
      }
    }
  }
});

test('consistency proofs agree with the naive RFC definition for every pair of sizes up to 64', () => {
  const d = leavesOf(64);
  for (let n = 1; n <= 64; n++) {
    const root2 = mth(d.slice(0, n));
    for (let m = 1; m <= n; m++) {
      const root1 = mth(d.slice(0, m));
      const expected = m === n ? [] : subproof(m, d.slice(0, n), true);
      const proof = consistencyProofPath(m, n).map((r) => rangeHash(d, r));
      assert.deepEqual(proof.map(toHex), expected.map(toHex), `PROOF(${m}, D[${n}])`);
      verifyConsistency(m, n, proof, root1, root2);
      if (m < n) {
        assert.throws(() => verifyConsistency(m, n, proof, root2, root1), code('ERR_TLOG_CONSISTENCY'));
      }
    }
  }
});

test('corrupted inclusion proofs fail with ERR_TLOG_INCLUSION and the evidence', () => {
  const d = leavesOf(13);
  const root = mth(d);
  const leaf = leafHash(d[6] as Uint8Array);
  const proof = inclusionProofPath(6, 13).map((r) => rangeHash(d, r));
  const probes: [number, number, Uint8Array[]][] = [
    [5, 13, proof], [7, 13, proof], [6, 26, proof], [6, 7, proof],
    [6, 13, [...proof, root]], [6, 13, [root, ...proof]], [6, 13, proof.slice(1)],
    ...proof.map((_, i): [number, number, Uint8Array[]] => [6, 13, proof.map((h, j) => (j === i ? Uint8Array.from(h, (b, x) => (x === 0 ? b ^ 8 : b)) : h))]),
  ];
  for (const [i, n, p] of probes) assert.throws(() => verifyInclusion(i, n, leaf, p, root), code('ERR_TLOG_INCLUSION'));
  try {
    verifyInclusion(6, 13, leaf, proof, emptyRoot());
    assert.fail('verified against the wrong root');
  } catch (err) {
    assert.ok(err instanceof KeylessError);
    assert.equal(err.code, 'ERR_TLOG_INCLUSION');
    assert.equal(err.details['expectedRoot'], toHex(emptyRoot()));
    assert.equal(err.details['computedRoot'], toHex(root));
  }
});

test('inclusion proof shape errors are coded: index out of range, wrong length, wrong hash sizes', () => {
  const h = leafHash(new Uint8Array());
  assert.throws(() => rootFromInclusionProof(0, 0, h, []), code('ERR_TLOG_INCLUSION'));
  assert.throws(() => rootFromInclusionProof(3, 3, h, [h, h]), code('ERR_TLOG_INCLUSION'));
  assert.throws(() => rootFromInclusionProof(0, 4, h, [h]), (e) => code('ERR_TLOG_INCLUSION')(e) && (e as KeylessError).details['expectedLength'] === 2);
  assert.throws(() => rootFromInclusionProof(0, 2, h.subarray(1), [h]), code('ERR_TLOG_INCLUSION'));
  assert.throws(() => rootFromInclusionProof(0, 2, h, [new Uint8Array(31)]), code('ERR_TLOG_INCLUSION'));
  assert.throws(() => verifyInclusion(0, 1, h, [], new Uint8Array(3)), code('ERR_TLOG_INCLUSION'));
  assert.deepEqual(rootFromInclusionProof(0, 1, h, []), h);
  // Wrong argument types are programmer errors.
  assert.throws(() => rootFromInclusionProof(0.5, 2, h, [h]), TypeError);
  assert.throws(() => rootFromInclusionProof(-1, 2, h, [h]), TypeError);
});

test('consistency edge cases: same size, empty tree, time travel, wrong length', () => {
  const d = leavesOf(8);
  const r = (n: number) => mth(d.slice(0, n));
  verifyConsistency(0, 0, [], emptyRoot(), emptyRoot());
  verifyConsistency(0, 5, [], emptyRoot(), r(5));
  verifyConsistency(5, 5, [], r(5), r(5));
  const bad = (m: number, n: number, p: Uint8Array[], r1: Uint8Array, r2: Uint8Array) =>
    assert.throws(() => verifyConsistency(m, n, p, r1, r2), code('ERR_TLOG_CONSISTENCY'));
  bad(5, 5, [], r(5), r(4));
  bad(5, 5, [r(1)], r(5), r(5));
  bad(0, 5, [r(1)], emptyRoot(), r(5));
  bad(0, 5, [], r(1), r(5));
  bad(6, 5, [], r(6), r(5));
  bad(3, 8, [], r(3), r(8));
  const proof = consistencyProofPath(3, 8).map((x) => rangeHash(d, x));
  bad(3, 8, proof.slice(1), r(3), r(8));
  bad(3, 8, [...proof, r(3)], r(3), r(8));
  bad(3, 8, [r(3), ...proof.slice(1)], r(3), r(8));
  bad(3, 8, proof, r(3), new Uint8Array(32));
  bad(3, 8, proof, new Uint8Array(31), r(8));
  bad(3, 8, proof.map((h) => h.subarray(1)), r(3), r(8));
  try {
    verifyConsistency(3, 8, proof, r(4), r(8));
    assert.fail('verified with the wrong first root');
  } catch (err) {
    assert.ok(err instanceof KeylessError);
    assert.equal(err.code, 'ERR_TLOG_CONSISTENCY');
    assert.equal(err.details['size1'], 3);
    assert.equal(err.details['root1'], toHex(r(4)));
    assert.equal((err.details['proof'] as string[]).length, proof.length);
  }
});

test('perfect subtree decomposition recombines to the range hash', () => {
  const d = leavesOf(64);
  const nodeOf = (level: number, index: number) => mth(d.slice(index * 2 ** level, (index + 1) * 2 ** level));
  for (let n = 1; n <= 64; n++) {
    for (let m = 0; m < n; m++) {
      for (const r of inclusionProofPath(m, n)) {
        const parts = perfectSubtrees(r);
        assert.deepEqual(combineSubtreeHashes(parts.map((p) => nodeOf(p.level, p.index))), rangeHash(d, r));
      }
    }
  }
  assert.deepEqual(perfectSubtrees({ start: 8, end: 15 }), [{ level: 2, index: 2 }, { level: 1, index: 6 }, { level: 0, index: 14 }]);
});

// A huge tree whose leaves are all the same except one: subtree hashes are computable in O(log² n) by memoizing the
// uniform ones, so proofs for 10^9..2^53 leaves can be checked against an independent MTH.
function sparseTree(special: number) {
  const uniformLeaf = leafHash(Uint8Array.of(1));
  const specialLeaf = leafHash(Uint8Array.of(2));
  const memo = new Map<number, Uint8Array>();
  const uniform = (n: number): Uint8Array => {
    if (n === 1) return uniformLeaf;
    const hit = memo.get(n);
    if (hit) return hit;
    const kk = k(n);
    const h = nodeHash(uniform(kk), uniform(n - kk));
    memo.set(n, h);
    return h;
  };
  const hash = (start: number, end: number): Uint8Array => {
    if (special < start || special >= end) return uniform(end - start);
    if (end - start === 1) return specialLeaf;
    const kk = k(end - start);
    return nodeHash(hash(start, start + kk), hash(start + kk, end));
  };
  return { hash, specialLeaf };
}

test('inclusion and consistency proofs stay O(log n) and correct for very large trees', () => {
  const sizes = [1e9, 1e9 + 7, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * n);
  };
  for (const size of sizes) {
    for (let t = 0; t < 5; t++) {
      const index = t === 0 ? size - 1 : rand(size);
      const tree = sparseTree(index);
      const proof = inclusionProofPath(index, size).map((r) => tree.hash(r.start, r.end));
      assert.ok(proof.length <= 54);
      verifyInclusion(index, size, tree.specialLeaf, proof, tree.hash(0, size));
      assert.throws(() => verifyInclusion(index === 0 ? 1 : index - 1, size, tree.specialLeaf, proof, tree.hash(0, size)), code('ERR_TLOG_INCLUSION'));
      const size1 = index + 1 + rand(size - index);
      const cproof = consistencyProofPath(size1, size).map((r) => tree.hash(r.start, r.end));
      verifyConsistency(size1, size, cproof, tree.hash(0, size1), tree.hash(0, size));
    }
  }
});

test('a consistency proof of the wrong length is refused as such, before any hashing', () => {
  const d = leavesOf(8);
  const r = (n: number) => mth(d.slice(0, n));
  const proof = subproof(3, d, true);
  const coded = (pattern: RegExp) => (err: unknown) => err instanceof KeylessError && err.code === 'ERR_TLOG_CONSISTENCY' && pattern.test(err.message);
  verifyConsistency(3, 8, proof, r(3), r(8));
  assert.throws(() => verifyConsistency(3, 8, [...proof, r(1)], r(3), r(8)), coded(/consistency proof has 5 hashes, a proof from size 3 to 8 has 4/));
  assert.throws(() => verifyConsistency(3, 8, proof.slice(1), r(3), r(8)), coded(/consistency proof has 3 hashes/));
});

test('proof paths: a leaf index must lie inside the tree, and no path between equal or empty trees', () => {
  assert.throws(() => inclusionProofPath(4, 4), { name: 'TypeError', message: /index 4 is not inside a tree of size 4/ });
  assert.equal(inclusionProofPath(3, 4).length, 2);
  assert.throws(() => consistencyProofPath(5, 4), { name: 'TypeError', message: /size1 5 is larger than size2 4/ });
  assert.deepEqual(consistencyProofPath(5, 5), []);
  assert.deepEqual(consistencyProofPath(0, 5), []);
  assert.equal(consistencyProofPath(4, 5).length, 1);
});

test('subtree helpers refuse empty input (programmer errors)', () => {
  assert.throws(() => perfectSubtrees({ start: 4, end: 4 }), { name: 'TypeError', message: /empty subtree range \[4, 4\)/ });
  assert.throws(() => perfectSubtrees({ start: 5, end: 4 }), TypeError);
  assert.deepEqual(perfectSubtrees({ start: 4, end: 5 }), [{ level: 0, index: 4 }]);
  assert.throws(() => combineSubtreeHashes([]), { name: 'TypeError', message: /no subtree hashes to combine/ });
});

test('leaf and node hashes from their reused inputs equal SHA-256 of 0x00 || d and 0x01 || l || r, at any size and order', () => {
  const oracle = (prefix: number, ...parts: Uint8Array[]) => createHash('sha256').update(Uint8Array.of(prefix)).update(Buffer.concat(parts)).digest();
  // Long before short, so that a stale tail of the reused input would show; past the reused input's largest size too.
  const sizes = [70_000, 65_536, 4097, 4096, 4095, 65, 64, 63, 1, 0, 5000];
  const results = sizes.map((n) => {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
    const h = leafHash(data);
    assert.deepEqual(h, oracle(0, data), `leaf of ${n} bytes`);
    return { h, expected: oracle(0, data) };
  });
  for (const r of results) assert.deepEqual(r.h, r.expected, 'an earlier hash is not changed by later ones');
  const a = leafHash(Uint8Array.of(1));
  const b = leafHash(Uint8Array.of(2));
  assert.deepEqual(nodeHash(a, b), oracle(1, a, b));
  assert.deepEqual(nodeHash(b, a), oracle(1, b, a));
  assert.deepEqual(nodeHash(a, Uint8Array.of(9)), oracle(1, a, Uint8Array.of(9)), 'children of other lengths take the general path');
});
