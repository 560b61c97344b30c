import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  consistencyProofPath,
  emptyRoot,
  inclusionProofPath,
  leafHash,
  nodeHash,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/core/merkle.js';
import { KeylessError } from '../../../src/core/errors.js';
import { tileWidth } from '../../../src/log/tiles.js';
import { TileCache, TreeReader, appendLeaves, type TileReader } from '../../../src/log/tree.js';
import type { TileWrite } from '../../../src/log/store/types.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 48271) % 2147483647;
    return s % n;
  };
}

const leaves = (from: number, to: number, salt = ''): Uint8Array[] =>
  Array.from({ length: to - from }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${salt}${from + i}`)));

/** The in-memory tile store the tests commit into; checks the prefix property on every write. */
class MemoryTiles {
  readonly tiles = new Map<string, Uint8Array>();
  reads = 0;
  readonly read: TileReader = async (level, index) => {
    this.reads++;
    return this.tiles.get(`${level}/${index}`);
  };
  commit(writes: readonly TileWrite[]): void {
    for (const w of writes) {
      const key = `${w.level}/${w.index}`;
      const prev = this.tiles.get(key);
      if (prev !== undefined) {
        assert.ok(w.hashes.length > prev.length, `tile ${key} did not grow`);
        assert.equal(hex(w.hashes.subarray(0, prev.length)), hex(prev), `tile ${key}: the old version is not a prefix of the new one`);
      }
      this.tiles.set(key, w.hashes.slice());
    }
  }
}

/** Every hash at tile level l of the tree over `hashes`, from scratch: MTH of each aligned run of 256**l leaves. */
function levelHashes(all: readonly Uint8Array[], size: number, level: number): Uint8Array[] {
  let row = all.slice(0, size);
  for (let l = 0; l < level; l++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 256 <= row.length; i += 256) next.push(rootFromLeaves(row.slice(i, i + 256)));
    row = next;
  }
  return row;
}

function expectedTile(all: readonly Uint8Array[], size: number, level: number, index: number): Uint8Array {
  const width = tileWidth(level, index, size);
  return Buffer.concat(levelHashes(all, size, level).slice(index * 256, index * 256 + width));
}

/** The tiles whose width differs between two sizes: exactly what an append from size1 to size2 must write. */
function changedTiles(size1: number, size2: number): string[] {
  const out: string[] = [];
  for (let level = 0; level < 7; level++) {
    const last = Math.floor(Math.floor(size2 / 256 ** level) / 256);
    for (let index = Math.floor(Math.floor(size1 / 256 ** level) / 256); index <= last; index++) {
      if (tileWidth(level, index, size2) !== tileWidth(level, index, size1)) out.push(`${level}/${index}`);
    }
  }
  return out.sort();
}

async function checkProofs(reader: TreeReader, all: readonly Uint8Array[], size: number, root: Uint8Array, indexes: Iterable<number>): Promise<void> {
  for (const i of indexes) {
    if (i < 0 || i >= size) continue;
    const proof = await reader.inclusionProof(i, size);
    verifyInclusion(i, size, all[i] as Uint8Array, proof, root);
  }
}

test('appending in random batches matches rootFromLeaves, writes exactly the changed tiles, and each equals a tile recomputed from scratch', async () => {
  const all = leaves(0, 1000);
  for (const seed of [1, 2, 3, 4]) {
    const random = rng(seed);
    const store = new MemoryTiles();
    const cache = new TileCache();
    let size = 0;
    while (size < 650) {
      // Seed 1 appends one leaf at a time, so every size is a committed size at least once.
      const n = seed === 1 ? 1 : 1 + random(seed === 2 ? 8 : 300);
      const before = cache.stats.hashes;
      const result = await appendLeaves(store.read, size, all.slice(size, size + n), cache);
      assert.equal(result.size, size + n);
      assert.equal(hex(result.rootHash), hex(rootFromLeaves(all.slice(0, size + n))), `root at ${size + n}`);
      assert.deepEqual(result.tiles.map((t) => `${t.level}/${t.index}`).sort(), changedTiles(size, size + n));
      let budget = 0;
      for (const t of result.tiles) {
        assert.equal(hex(t.hashes), hex(expectedTile(all, size + n, t.level, t.index)), `tile ${t.level}/${t.index} at size ${size + n}`);
        // Growing a tile hashes only its new nodes: at most (new hashes) + 8 per tile, never the whole tile again.
        budget += t.hashes.length / 32 - tileWidth(t.level, t.index, size) + 8;
      }
      assert.ok(cache.stats.hashes - before <= budget, `append of ${n} hashed ${cache.stats.hashes - before} nodes, budget ${budget}`);
      store.commit(result.tiles);
      size += n;
    }
  }
});

test('a reader over the final store answers every earlier size: roots, inclusion and consistency proofs verify', async () => {
  const all = leaves(0, 620);
  const store = new MemoryTiles();
  const random = rng(7);
  let size = 0;
  while (size < 620) {
    const n = Math.min(620 - size, 1 + random(40));
    store.commit((await appendLeaves(store.read, size, all.slice(size, size + n))).tiles);
    size += n;
  }
  const roots = [emptyRoot()];
  for (let s = 1; s <= 620; s++) roots.push(rootFromLeaves(all.slice(0, s)));
  const reader = new TreeReader(store.read);
  for (let s = 0; s <= 620; s++) {
    const root = roots[s] as Uint8Array;
    assert.equal(hex(await reader.rootHash(s)), hex(root), `root at ${s}`);
    const sample = s <= 70 ? Array.from({ length: s }, (_, i) => i) : [0, 1, 127, 128, 255, 256, 257, 511, 512, s - 2, s - 1, random(s), random(s), random(s)];
    await checkProofs(reader, all, s, root, sample);
    for (const s1 of s <= 40 ? Array.from({ length: s + 1 }, (_, i) => i) : [0, 1, 2, 255, 256, 257, s - 1, s, random(s), random(s), random(s)]) {
      if (s1 > s) continue;
      const proof = await reader.consistencyProof(s1, s);
      verifyConsistency(s1, s, proof, roots[s1] as Uint8Array, root);
    }
  }
});

test('level-2 tiles: appending across 65,536 = 256² leaves', async () => {
  const total = 65536 + 700;
  const all = leaves(0, total);
  // References from scratch, computed once: every complete hash of levels 0..2, and MTH(D[0:s]) by the RFC's
  // recursion, which for 65,536 < s ≤ 131,072 splits at k = 65,536.
  const full = [all, levelHashes(all, total, 1), levelHashes(all, total, 2)];
  const tileRef = (size: number, level: number, index: number) =>
    Buffer.concat((full[level] as Uint8Array[]).slice(index * 256, index * 256 + tileWidth(level, index, size)));
  const first = rootFromLeaves(all.slice(0, 65536));
  const roots = new Map<number, Uint8Array>();
  const refRoot = (s: number): Uint8Array => {
    let r = roots.get(s);
    if (r === undefined) {
      r = s === 65536 ? first : s > 65536 ? nodeHash(first, rootFromLeaves(all.slice(65536, s))) : rootFromLeaves(all.slice(0, s));
      roots.set(s, r);
    }
    return r;
  };
  const store = new MemoryTiles();
  const cache = new TileCache();
  const random = rng(11);
  let size = 0;
  const boundaries = [65535, 65536, 65537, 65536 + 255, 65536 + 256, 65536 + 257, 65536 + 512];
  while (size < total) {
    let n = Math.min(total - size, 10 + random(490));
    // Land exactly on some boundaries, and also cross them inside a batch.
    const next = boundaries.find((b) => b > size && b < size + n);
    if (next !== undefined && random(2) === 0) n = next - size;
    const result = await appendLeaves(store.read, size, all.slice(size, size + n), cache);
    assert.deepEqual(result.tiles.map((t) => `${t.level}/${t.index}`).sort(), changedTiles(size, size + n));
    for (const t of result.tiles) assert.equal(hex(t.hashes), hex(tileRef(size + n, t.level, t.index)), `tile ${t.level}/${t.index} at ${size + n}`);
    if (size + n >= 65536 - 600) {
      assert.equal(hex(result.rootHash), hex(refRoot(size + n)), `root at ${size + n}`);
      // The sequencer's pattern: a proof for every leaf of the batch, from the cache alone.
      const reads = store.reads;
      const hashes = cache.stats.hashes;
      const reader = new TreeReader(store.read, cache);
      await checkProofs(reader, all, size + n, result.rootHash, Array.from({ length: n }, (_, i) => size + i));
      assert.equal(store.reads, reads, 'proofs for a batch just appended read no tiles');
      assert.equal(cache.stats.hashes, hashes, 'proofs for a batch just appended expand no tiles');
    }
    store.commit(result.tiles);
    size += n;
  }
  assert.equal(store.tiles.get('2/0')?.length, 32, 'one hash in the level-2 tile');
  assert.equal(store.tiles.get('1/0')?.length, 8192);
  assert.equal(store.tiles.get('1/1')?.length, 32 * tileWidth(1, 1, total));
  for (const [key, hashes] of store.tiles) {
    const [level, index] = key.split('/').map(Number) as [number, number];
    assert.equal(hex(hashes), hex(tileRef(total, level, index)), `stored tile ${key}`);
  }
  const reader = new TreeReader(store.read);
  const sizes = [...boundaries, 65534, total];
  const random2 = rng(5);
  for (const s of sizes) {
    const root = refRoot(s);
    assert.equal(hex(await reader.rootHash(s)), hex(root));
    await checkProofs(reader, all, s, root, [0, 255, 256, 65535, 65536, 65537, s - 1, random2(s), random2(s)]);
    for (const s1 of sizes) {
      if (s1 <= s) verifyConsistency(s1, s, await reader.consistencyProof(s1, s), refRoot(s1), root);
    }
    for (const s1 of [1, 2, 255, 256, 257, 4096]) {
      verifyConsistency(s1, s, await reader.consistencyProof(s1, s), refRoot(s1), root);
    }
  }
});

test('nodeHash returns perfect subtrees inside and across tiles', async () => {
  const all = leaves(0, 1000);
  const store = new MemoryTiles();
  store.commit((await appendLeaves(store.read, 0, all)).tiles);
  const reader = new TreeReader(store.read);
  for (let height = 0; height <= 9; height++) {
    for (let index = 0; (index + 1) * 2 ** height <= 1000; index += 1 + Math.floor(index / 3)) {
      const expected = rootFromLeaves(all.slice(index * 2 ** height, (index + 1) * 2 ** height));
      assert.equal(hex(await reader.nodeHash(height, index, 1000)), hex(expected), `height ${height} index ${index}`);
    }
  }
  await assert.rejects(reader.nodeHash(3, 124, 999), code('ERR_REQUEST'), 'leaves 992..999 are not all in a tree of 999');
  await assert.rejects(reader.nodeHash(10, 0, 1000), code('ERR_REQUEST'));
  await assert.rejects(reader.nodeHash(-1, 0, 1000), code('ERR_REQUEST'));
  await assert.rejects(reader.nodeHash(0.5, 0, 1000), code('ERR_REQUEST'));
  // Returned hashes are copies: mutating one does not corrupt the cache.
  const h = await reader.nodeHash(2, 1, 1000);
  h.fill(0);
  assert.equal(hex(await reader.nodeHash(2, 1, 1000)), hex(rootFromLeaves(all.slice(4, 8))));
});

test('bad arguments are ERR_REQUEST; missing tiles ERR_NOT_FOUND; short or malformed tiles ERR_STORE', async () => {
  const all = leaves(0, 300);
  const store = new MemoryTiles();
  store.commit((await appendLeaves(store.read, 0, all)).tiles);
  const reader = new TreeReader(store.read);
  await assert.rejects(reader.inclusionProof(300, 300), code('ERR_REQUEST'));
  await assert.rejects(reader.inclusionProof(0, 0), code('ERR_REQUEST'));
  await assert.rejects(reader.inclusionProof(-1, 300), code('ERR_REQUEST'));
  await assert.rejects(reader.inclusionProof(1.5, 300), code('ERR_REQUEST'));
  await assert.rejects(reader.inclusionProof(0, 2 ** 53), code('ERR_REQUEST'));
  await assert.rejects(reader.consistencyProof(301, 300), code('ERR_REQUEST'));
  await assert.rejects(reader.consistencyProof(-1, 300), code('ERR_REQUEST'));
  await assert.rejects(reader.rootHash(Number.NaN), code('ERR_REQUEST'));
  assert.deepEqual(await reader.consistencyProof(0, 300), []);
  assert.deepEqual(await reader.consistencyProof(300, 300), []);

  const reads = store.reads;
  assert.equal(hex(await new TreeReader(store.read).rootHash(0)), hex(emptyRoot()));
  assert.equal(store.reads, reads, 'the empty tree needs no tile');

  // A size beyond what the store holds: level-0 tile 1 has 44 hashes, the tree of 301 needs 45.
  await assert.rejects(new TreeReader(store.read).rootHash(301), code('ERR_STORE'));
  // A tile the store lost.
  const lost = new MemoryTiles();
  for (const [k, v] of store.tiles) if (k !== '0/1') lost.tiles.set(k, v);
  await assert.rejects(new TreeReader(lost.read).inclusionProof(299, 300), code('ERR_NOT_FOUND'));
  await assert.rejects(appendLeaves(lost.read, 300, leaves(300, 301)), code('ERR_NOT_FOUND'));
  await assert.rejects(new TreeReader(new MemoryTiles().read).rootHash(1), code('ERR_NOT_FOUND'));
  // A tile cut short, or not a whole number of hashes.
  for (const bad of [store.tiles.get('0/1')?.subarray(0, 32 * 40), store.tiles.get('0/1')?.subarray(0, 32 * 44 - 1), new Uint8Array(0), new Uint8Array(8224)]) {
    const broken = new MemoryTiles();
    for (const [k, v] of store.tiles) broken.tiles.set(k, k === '0/1' ? (bad as Uint8Array) : v);
    await assert.rejects(new TreeReader(broken.read).rootHash(300), code('ERR_STORE'));
    await assert.rejects(appendLeaves(broken.read, 300, leaves(300, 301)), code('ERR_STORE'));
  }

  await assert.rejects(appendLeaves(store.read, 300, [new Uint8Array(31)]), TypeError);
  await assert.rejects(appendLeaves(store.read, -1, leaves(0, 1)), code('ERR_REQUEST'));
  await assert.rejects(appendLeaves(store.read, 2 ** 53 - 1, leaves(0, 2)), code('ERR_REQUEST'));
  const none = await appendLeaves(store.read, 300, []);
  assert.deepEqual(none.tiles, []);
  assert.equal(hex(none.rootHash), hex(rootFromLeaves(all)));
});

test('TileCache: bounded LRU, longer versions extend, shorter ones are ignored, disagreeing ones replace', () => {
  assert.throws(() => new TileCache(15), TypeError);
  const hashes = (n: number, salt = 'a') => Buffer.concat(leaves(0, n, salt));
  const cache = new TileCache(16);
  for (let i = 0; i < 16; i++) cache.put(0, i, hashes(1));
  cache.put(0, 0, hashes(1)); // a use: tile 0 is now the most recent
  cache.put(0, 16, hashes(1));
  assert.equal(cache.size, 16);
  assert.equal(cache.width(0, 0), 1);
  assert.equal(cache.width(0, 1), 0, 'the least recently used tile went');
  for (let i = 17; i < 40; i++) cache.put(1, i, hashes(1));
  assert.equal(cache.size, 16);
  assert.equal(cache.stats.evictions, 24);

  const before = cache.stats.hashes;
  cache.put(2, 0, hashes(3));
  cache.put(2, 0, hashes(10));
  assert.equal(cache.width(2, 0), 10);
  // 3 → 10 hashes adds heights 1..3 nodes: floor(10/2)-floor(3/2) + floor(10/4)-0 + floor(10/8)-0 = 4 + 2 + 1.
  assert.equal(cache.stats.hashes - before, 1 + 7);
  cache.put(2, 0, hashes(5));
  assert.equal(cache.width(2, 0), 10, 'a shorter agreeing version changes nothing');
  assert.equal(hex(cache.get(2, 0) as Uint8Array), hex(hashes(10)));
  cache.put(2, 0, hashes(5, 'b'));
  assert.equal(cache.width(2, 0), 5, 'a disagreeing version replaces the cached one');
  assert.equal(hex(cache.get(2, 0) as Uint8Array), hex(hashes(5, 'b')));
  assert.throws(() => cache.put(0, 0, new Uint8Array(33)), TypeError);
  assert.throws(() => cache.put(0, 0, new Uint8Array(8224)), TypeError);
  assert.throws(() => cache.put(64, 0, hashes(1)), TypeError);
  cache.clear();
  assert.equal(cache.size, 0);
});

test('a cached version shorter than the tree needs is re-read; one long enough is not', async () => {
  const all = leaves(0, 300);
  const store = new MemoryTiles();
  store.commit((await appendLeaves(store.read, 0, all.slice(0, 3))).tiles);
  const reader = new TreeReader(store.read);
  assert.equal(hex(await reader.rootHash(3)), hex(rootFromLeaves(all.slice(0, 3))));
  assert.equal(store.reads, 1);
  store.commit((await appendLeaves(store.read, 3, all.slice(3, 10))).tiles);
  const reads = store.reads;
  assert.equal(hex(await reader.rootHash(10)), hex(rootFromLeaves(all.slice(0, 10))));
  assert.equal(store.reads, reads + 1, 'the cached 3-wide tile is too short for size 10');
  assert.equal(reader.cache.width(0, 0), 10);
  await reader.rootHash(3);
  await reader.inclusionProof(1, 7);
  await reader.consistencyProof(2, 9);
  assert.equal(store.reads, reads + 1, 'sizes up to 10 are served from the cache');
});

test('an append that is not committed does not poison the next one', async () => {
  const all = leaves(0, 400);
  const store = new MemoryTiles();
  const cache = new TileCache(16);
  store.commit((await appendLeaves(store.read, 0, all.slice(0, 250), cache)).tiles);
  // Built, proved, then the commit "fails": its tiles, nodes and right edges are in the cache.
  const failed = await appendLeaves(store.read, 250, leaves(250, 270, 'lost '), cache);
  await new TreeReader(store.read, cache).inclusionProof(260, 270);
  // The committed tree still reads right through the same cache.
  const reader = new TreeReader(store.read, cache);
  assert.equal(hex(await reader.rootHash(250)), hex(rootFromLeaves(all.slice(0, 250))));
  // The next append, of other leaves to the same size and beyond, is right without clear().
  const next = await appendLeaves(store.read, 250, all.slice(250, 270), cache);
  assert.notEqual(hex(next.rootHash), hex(failed.rootHash));
  assert.equal(hex(next.rootHash), hex(rootFromLeaves(all.slice(0, 270))));
  assert.equal(hex(await reader.rootHash(270)), hex(next.rootHash), 'no memoised right edge survives from the lost append');
  await checkProofs(reader, all, 270, next.rootHash, [0, 249, 250, 255, 256, 269]);
});

/** Deterministic fake tiles for a tree of `size` leaves (not a real tree: only the access pattern matters). */
function syntheticReader(size: number): { read: TileReader; reads: () => number } {
  let reads = 0;
  const read: TileReader = async (level, index) => {
    reads++;
    const width = tileWidth(level, index, size);
    if (width === 0) return undefined;
    const out = new Uint8Array(width * 32);
    for (let i = 0; i < width; i++) out.set(createHash('sha256').update(`${level}/${index}/${i}`).digest(), i * 32);
    return out;
  };
  return { read, reads: () => reads };
}

async function proofCost(size: number): Promise<{ inclusion: { reads: number; hashes: number }; consistency: { reads: number; hashes: number }; warm: { reads: number; hashes: number } }> {
  const cost = async (proof: (reader: TreeReader) => Promise<Uint8Array[]>, expectedLength: number, reader?: TreeReader) => {
    const synthetic = syntheticReader(size);
    const r = reader ?? new TreeReader(synthetic.read);
    const readsBefore = r.stats.tileReads;
    const hashesBefore = r.stats.hashes + r.cache.stats.hashes;
    const p = await proof(r);
    assert.equal(p.length, expectedLength);
    return { reads: r.stats.tileReads - readsBefore, hashes: r.stats.hashes + r.cache.stats.hashes - hashesBefore, reader: r };
  };
  const index = Math.floor(size * 0.37);
  const size1 = Math.floor(size * 0.73) + 1;
  const inclusion = await cost((r) => r.inclusionProof(index, size), inclusionProofPath(index, size).length);
  const consistency = await cost((r) => r.consistencyProof(size1, size), consistencyProofPath(size1, size).length);
  const warm = await cost((r) => r.inclusionProof(index, size), inclusionProofPath(index, size).length, inclusion.reader);
  return { inclusion, consistency, warm };
}

test('a proof in a tree of 10^9 leaves reads and hashes O(log n), and grows logarithmically from 10^6', async () => {
  const big = await proofCost(10 ** 9);
  const small = await proofCost(10 ** 6);
  const log2 = Math.ceil(Math.log2(10 ** 9)); // 30
  const levels = Math.ceil(log2 / 8); // tile levels a path crosses: 4
  for (const [name, c] of Object.entries({ inclusion: big.inclusion, consistency: big.consistency })) {
    // At most two tiles per level (the one holding the path, the right edge) plus the partial tops.
    assert.ok(c.reads <= 2 * levels + 2, `${name} at 10^9 read ${c.reads} tiles`);
    assert.ok(c.reads <= log2, `${name} at 10^9 read ${c.reads} tiles, more than log2(n)`);
    // Hashing is expanding those tiles (at most 255 nodes each) and folding the right edge (at most log2(n)).
    assert.ok(c.hashes <= c.reads * 255 + log2, `${name} at 10^9 hashed ${c.hashes} nodes for ${c.reads} tiles`);
  }
  // 1000× more leaves costs a constant more (about one more tile level), not 1000× more.
  assert.ok(big.inclusion.reads <= small.inclusion.reads + 3, `${big.inclusion.reads} vs ${small.inclusion.reads}`);
  assert.ok(big.consistency.reads <= small.consistency.reads + 3, `${big.consistency.reads} vs ${small.consistency.reads}`);
  assert.ok(big.inclusion.hashes <= 2 * small.inclusion.hashes + 512);
  // The same proof again is lookups only.
  assert.equal(big.warm.reads, 0);
  assert.equal(big.warm.hashes, 0);
});

test('the cache evicts the least recently used tile, and a proof lookup counts as a use', async () => {
  const all = leaves(0, 300);
  const store = new MemoryTiles();
  store.commit((await appendLeaves(store.read, 0, all)).tiles);
  const cache = new TileCache(16);
  const reader = new TreeReader(store.read, cache);
  await reader.inclusionProof(5, 300);
  assert.ok(cache.width(0, 0) > 0 && cache.width(0, 1) > 0);
  const other = new Uint8Array(32);
  const free = 16 - cache.size;
  for (let i = 0; i < free; i++) cache.put(9, i, other);
  assert.equal(cache.size, 16);
  const reads = store.reads;
  await reader.inclusionProof(5, 300);
  assert.equal(store.reads, reads, 'served from the cache');
  cache.put(9, 100, other);
  cache.put(9, 101, other);
  assert.equal(cache.size, 16);
  assert.equal(cache.width(0, 0), 256, 'used by the last proof, so kept');
  // The last proof took the right edge [256, 300) from the memo, so tile 0/1 went first, then the oldest filler.
  assert.equal(cache.width(0, 1), 0);
  assert.equal(cache.width(9, 0), 0);
  assert.equal(cache.width(9, 1), 1);
});

test('an append that is not committed leaves no memoised root behind, even once its tiles are evicted', async () => {
  const all = leaves(0, 300);
  const store = new MemoryTiles();
  const cache = new TileCache(16);
  store.commit((await appendLeaves(store.read, 0, all.slice(0, 250), cache)).tiles);
  const lost = await appendLeaves(store.read, 250, leaves(250, 270, 'lost '), cache);
  await new TreeReader(store.read, cache).inclusionProof(251, 270);
  // Push every tile of the lost append out of the cache, so no disagreeing tile is left to notice.
  for (let i = 0; i < 16; i++) cache.put(9, i, new Uint8Array(32));
  assert.equal(cache.width(0, 1), 0);
  const next = await appendLeaves(store.read, 250, all.slice(250, 270), cache);
  assert.notEqual(hex(next.rootHash), hex(lost.rootHash));
  assert.equal(hex(next.rootHash), hex(rootFromLeaves(all.slice(0, 270))));
  await checkProofs(new TreeReader(store.read, cache), all, 270, next.rootHash, [0, 250, 255, 256, 269]);
});

test('a tile re-read from the store that disagrees with the cache replaces it and drops what was derived from it', async () => {
  // Another writer committed different leaves where this cache holds a lost append's (the case clear() is for).
  const all = leaves(0, 300);
  const store = new MemoryTiles();
  const cache = new TileCache();
  store.commit((await appendLeaves(store.read, 0, all.slice(0, 250), cache)).tiles);
  const lost = await appendLeaves(store.read, 250, leaves(250, 255, 'lost '), cache);
  assert.equal(hex(await new TreeReader(store.read, cache).rootHash(255)), hex(lost.rootHash));
  store.commit((await appendLeaves(store.read, 250, all.slice(250, 300))).tiles);
  const reader = new TreeReader(store.read, cache);
  // Leaf 0's proof at 300 needs node [128, 256) of tile 0/0; the cache has 255 hashes of it, so the store's
  // version comes in, disagrees, and replaces it (and the memoised root of 255 built on the lost leaves).
  const root = rootFromLeaves(all);
  await checkProofs(reader, all, 300, root, [0, 254, 255, 299]);
  assert.equal(hex(await reader.rootHash(300)), hex(root));
  assert.equal(hex(await reader.rootHash(255)), hex(rootFromLeaves(all.slice(0, 255))));
});
