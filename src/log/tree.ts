/**
 * The log's RFC 6962 Merkle tree, kept as C2SP tlog-tiles (see tiles.ts): reading node hashes, roots and proofs
 * out of tiles, and appending leaves by growing the rightmost tile of every level.
 *
 * Life of a leaf: the sequencer calls appendLeaves with the committed size (read under the store's write lock)
 * and the batch's leaf hashes; the leaf hash lands in a level-0 tile; when that tile reaches 256 hashes its
 * height-8 root lands in the level-1 tile, and so on up. appendLeaves returns every tile it grew and the new root;
 * the sequencer proves each new leaf with a TreeReader over the same TileCache (lookups, no storage reads, no
 * tile rehashing), signs the checkpoint and commits tiles, entries and head together.
 *
 * Sizes and indexes are JS numbers (safe integers); arithmetic stays in floating point so trees up to 2^53 leaves
 * work. Arguments that can come from a request (sizes, indexes) are refused with ERR_REQUEST; a tile the store
 * should have but does not is ERR_NOT_FOUND; a tile that is malformed or shorter than the tree needs is ERR_STORE.
 */
import { bytesEqual } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import {
  MERKLE_HASH_SIZE,
  combineSubtreeHashes,
  consistencyProofPath,
  emptyRoot,
  inclusionProofPath,
  nodeHash as hashChildren,
  perfectSubtrees,
  type SubtreeRange,
} from '../core/merkle.js';
import type { TileWrite } from './store/types.js';
import { MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, tilePath } from './tiles.js';

/** A committed tile (full, or the latest partial version), or undefined if the store has none. */
export type TileReader = (level: number, index: number) => Promise<Uint8Array | undefined>;

const H = MERKLE_HASH_SIZE;
const TILE_BYTES = TILE_WIDTH * H;
// An expanded tile keeps every complete node of its height-8 subtree, row by row: 256 hashes at in-tile height 0,
// then 128 at height 1, …, 1 at height 8 — 511 hashes. Row r starts at hash 512 - 512/2^r.
const EXPANDED_HASHES = 2 * TILE_WIDTH - 1;
const ROW_OFFSETS: readonly number[] = Array.from({ length: TILE_HEIGHT + 1 }, (_, r) => 2 * TILE_WIDTH - (2 * TILE_WIDTH) / 2 ** r);
const rowOffset = (r: number): number => ROW_OFFSETS[r] as number;

interface ExpandedTile {
  width: number;
  readonly nodes: Uint8Array;
  /** The cache's clock at the last use, for LRU eviction. */
  lastUse: number;
}

// Module-private access to the cache's views and memo (the symbols are not exported): callers outside this file
// get copies only.
const nodeView = Symbol('nodeView');
const copyNode = Symbol('copyNode');
const prefixView = Symbol('prefixView');
const rangeMemo = Symbol('rangeMemo');

/** Counters for tests and metrics. `hashes` counts node hashes computed while expanding tiles. */
export interface TileCacheStats {
  hits: number;
  misses: number;
  hashes: number;
  evictions: number;
}

/**
 * Caches tiles *expanded*: for a tile of width w, every complete internal node (heights 0..8 inside the tile) is
 * computed once, so a proof is lookups, not hashing. Bounded (LRU by tile count, 16 KiB per tile). A tile
 * version longer than the cached one extends it, hashing only the new nodes (prefixes never change); a cached
 * version shorter than needed makes the reader re-read the store.
 *
 * One cache serves one log. It may hold tiles an append built but has not committed yet (that is how the
 * sequencer proves a batch before committing it). With one writer that heals itself: the next append starts from
 * the committed size, replaces every cached tile that disagrees and drops memoised roots past that size. When
 * several writers share a store (frontends on one PostgreSQL), another writer may commit different leaves where
 * the lost append put its own, so: if an append built with this cache is NOT committed (build threw, the commit
 * failed), the caller MUST call clear() before using the cache again.
 */
export class TileCache {
  readonly maxTiles: number;
  readonly stats: TileCacheStats = { hits: 0, misses: 0, hashes: 0, evictions: 0 };
  // One map per tile level, keyed by tile index (small integers stay V8 Smis: cheap lookups).
  readonly #levels: Map<number, ExpandedTile>[] = [];
  #count = 0;
  #clock = 0;
  // MTH of ranges that are not one perfect subtree (the right edge of a tree), keyed "start:end".
  readonly #ranges = new Map<string, Uint8Array>();

  /** `maxTiles` of at least 16, so that one append's tiles (a few per level) stay cached while it is proved. */
  constructor(maxTiles = 1024) {
    if (!Number.isSafeInteger(maxTiles) || maxTiles < 16) throw new TypeError(`maxTiles must be an integer of at least 16, got ${String(maxTiles)}`);
    this.maxTiles = maxTiles;
  }

  /** How many tiles are cached. */
  get size(): number {
    return this.#count;
  }

  /**
   * Caches a version of tile (level, index): 32-byte hashes, 1 to 256 of them. A longer version extends the cached
   * one; a shorter one is ignored. A version that disagrees with the cached one where they overlap replaces it
   * (the store is the truth; the cached one was built by an append that was not committed).
   */
  put(level: number, index: number, hashes: Uint8Array): void {
    checkTileCoordinates(level, index);
    if (!(hashes instanceof Uint8Array) || hashes.length === 0 || hashes.length % H !== 0 || hashes.length > TILE_BYTES) {
      throw new TypeError(`a tile is 1 to ${TILE_WIDTH} hashes of ${H} bytes, got ${hashes instanceof Uint8Array ? `${hashes.length} bytes` : typeof hashes}`);
    }
    const width = hashes.length / H;
    let tile = this.#levels[level]?.get(index);
    if (tile !== undefined) {
      tile.lastUse = ++this.#clock;
      const overlap = Math.min(tile.width, width) * H;
      if (!bytesEqual(tile.nodes.subarray(0, overlap), hashes.subarray(0, overlap))) {
        // Start over in a fresh buffer: views handed out earlier keep the bytes they had.
        tile = { width: 0, nodes: new Uint8Array(EXPANDED_HASHES * H), lastUse: tile.lastUse };
        (this.#levels[level] as Map<number, ExpandedTile>).set(index, tile);
        this.#ranges.clear();
      } else if (width <= tile.width) {
        return;
      }
    } else {
      tile = { width: 0, nodes: new Uint8Array(EXPANDED_HASHES * H), lastUse: ++this.#clock };
      this.#insert(level, index, tile);
    }
    this.#extend(tile, hashes, width);
  }

  /** A copy of the cached version of tile (level, index), or undefined. Does not count as a use. */
  get(level: number, index: number): Uint8Array | undefined {
    const tile = this.#levels[level]?.get(index);
    return tile === undefined ? undefined : tile.nodes.slice(0, tile.width * H);
  }

  /** Width of the cached version of tile (level, index), 0 if none. Does not count as a use. */
  width(level: number, index: number): number {
    return this.#levels[level]?.get(index)?.width ?? 0;
  }

  /** Drops every cached tile and memo. */
  clear(): void {
    this.#levels.length = 0;
    this.#count = 0;
    this.#ranges.clear();
  }

  /** A view of in-tile node (height r, position j) of tile (level, index) if cached and complete; callers copy. */
  [nodeView](level: number, index: number, r: number, j: number): Uint8Array | undefined {
    const tile = this.#levels[level]?.get(index);
    if (tile === undefined || (j + 1) * 2 ** r > tile.width) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    tile.lastUse = ++this.#clock;
    const at = (rowOffset(r) + j) * H;
    return tile.nodes.subarray(at, at + H);
  }

  /** Copies in-tile node (height r, position j) of tile (level, index) into `out` if cached and complete. */
  [copyNode](level: number, index: number, r: number, j: number, out: Uint8Array): boolean {
    const tile = this.#levels[level]?.get(index);
    if (tile === undefined || (j + 1) * 2 ** r > tile.width) return false;
    this.stats.hits++;
    tile.lastUse = ++this.#clock;
    const from = (rowOffset(r) + j) * H;
    const { nodes } = tile;
    for (let k = 0; k < H; k++) out[k] = nodes[from + k] as number;
    return true;
  }

  /** A view of the first `width` hashes of tile (level, index), if that many are cached; callers copy. */
  [prefixView](level: number, index: number, width: number): Uint8Array | undefined {
    const tile = this.#levels[level]?.get(index);
    return tile !== undefined && tile.width >= width ? tile.nodes.subarray(0, width * H) : undefined;
  }

  /** MTH of ranges that are not one perfect subtree, keyed "start:end"; dropped with the tiles they came from. */
  get [rangeMemo](): Map<string, Uint8Array> {
    return this.#ranges;
  }

  #extend(tile: ExpandedTile, hashes: Uint8Array, width: number): void {
    const { nodes } = tile;
    const old = tile.width;
    nodes.set(hashes.subarray(old * H, width * H), old * H);
    // Row r gains the nodes whose 2^r leaves are all present now and were not before.
    for (let r = 1; r <= TILE_HEIGHT; r++) {
      const below = rowOffset(r - 1);
      const row = rowOffset(r);
      const end = Math.floor(width / 2 ** r);
      for (let j = Math.floor(old / 2 ** r); j < end; j++) {
        const left = (below + 2 * j) * H;
        nodes.set(hashChildren(nodes.subarray(left, left + H), nodes.subarray(left + H, left + 2 * H)), (row + j) * H);
        this.stats.hashes++;
      }
    }
    tile.width = width;
  }

  #insert(level: number, index: number, tile: ExpandedTile): void {
    let map = this.#levels[level];
    if (map === undefined) {
      map = new Map();
      for (let l = this.#levels.length; l < level; l++) this.#levels[l] = new Map();
      this.#levels[level] = map;
    }
    map.set(index, tile);
    this.#count++;
    // Evicting scans every tile (about a microsecond per thousand); it happens only when a new tile comes in,
    // which costs a store read anyway, and keeps every hit down to one stamp.
    if (this.#count > this.maxTiles) {
      let oldest: { map: Map<number, ExpandedTile>; index: number; lastUse: number } | undefined;
      for (const m of this.#levels) {
        for (const [i, t] of m) if (oldest === undefined || t.lastUse < oldest.lastUse) oldest = { map: m, index: i, lastUse: t.lastUse };
      }
      if (oldest !== undefined) {
        oldest.map.delete(oldest.index);
        this.#count--;
        this.stats.evictions++;
      }
    }
  }
}

const RANGE_MEMO_LIMIT = 4096;

/** Reads node hashes, roots and proofs of a tiled tree. `size` arguments must be committed sizes (checked by the caller against the head). */
export class TreeReader {
  readonly cache: TileCache;
  /** Tiles read from the store, and node hashes computed to combine subtrees (tile expansion is in cache.stats). */
  readonly stats = { tileReads: 0, hashes: 0 };
  readonly #read: TileReader;

  constructor(read: TileReader, cache?: TileCache) {
    this.#read = read;
    this.cache = cache ?? new TileCache();
  }

  /** Hash of the perfect subtree of height `height` at position `index` (covering leaves index·2^height …). Must be complete within `size`. */
  async nodeHash(height: number, index: number, size: number): Promise<Uint8Array> {
    checkRequestCount(size, 'tree size');
    checkRequestCount(index, 'node index');
    if (!Number.isInteger(height) || height < 0 || height > 53) throw requestError(`node height must be an integer between 0 and 53, got ${String(height)}`, { height });
    if ((index + 1) * 2 ** height > size) {
      throw requestError(`node ${index} at height ${height} is not complete in a tree of size ${size}`, { height, index, size });
    }
    return (this.#node(height, index) ?? (await this.#loadNode(height, index))).slice();
  }

  /** MTH of the tree of `size` leaves; SHA-256() for 0. */
  async rootHash(size: number): Promise<Uint8Array> {
    checkRequestCount(size, 'tree size');
    if (size === 0) return emptyRoot();
    const whole = { start: 0, end: size };
    return (this.#rangeCached(whole) ?? (await this.#rangeLoading(whole))).slice();
  }

  /** RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in the tree of `size` leaves, leaf to root. */
  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    checkRequestCount(index, 'leaf index');
    checkRequestCount(size, 'tree size');
    if (index >= size) throw requestError(`leaf index ${index} is not inside a tree of size ${size}`, { index, size });
    return this.#proof(inclusionProofPath(index, size));
  }

  /** RFC 9162 §2.1.4.1 consistency proof from the tree of `size1` leaves to the tree of `size2` leaves. */
  async consistencyProof(size1: number, size2: number): Promise<Uint8Array[]> {
    checkRequestCount(size1, 'first tree size');
    checkRequestCount(size2, 'second tree size');
    if (size1 > size2) throw requestError(`first tree size ${size1} is larger than second tree size ${size2}`, { size1, size2 });
    return this.#proof(consistencyProofPath(size1, size2));
  }

  // Each hash is a fresh 32-byte array (small typed arrays live on the V8 heap: cheaper than views of one shared
  // buffer); callers may keep or mutate them without touching the cache.
  async #proof(path: readonly SubtreeRange[]): Promise<Uint8Array[]> {
    const proof: Uint8Array[] = [];
    for (const range of path) {
      const out = new Uint8Array(H);
      if (!this.#copyNode(range, out)) out.set(this.#rangeCached(range) ?? (await this.#rangeLoading(range)));
      proof.push(out);
    }
    return proof;
  }

  // MTH of a range a proof names, from the cache alone, or undefined if a tile is missing. A range is one perfect
  // subtree (a lookup), or the right edge of the tree, folded from its perfect subtrees once and memoised (every
  // proof at one size shares its right edge). Views into the cache or the memo; public methods copy.
  #rangeCached(range: SubtreeRange): Uint8Array | undefined {
    const length = range.end - range.start;
    const height = Math.log2(length);
    if (Number.isInteger(height) && range.start % length === 0) return this.#node(height, range.start / length);
    const memo = this.cache[rangeMemo];
    const key = `${range.start}:${range.end}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const hashes: Uint8Array[] = [];
    for (const p of perfectSubtrees(range)) {
      const h = this.#node(p.level, p.index);
      if (h === undefined) return undefined;
      hashes.push(h);
    }
    return this.#fold(memo, key, hashes);
  }

  // The hot path of a proof: a range that is one cached perfect subtree, copied without an intermediate view.
  #copyNode(range: SubtreeRange, out: Uint8Array): boolean {
    const length = range.end - range.start;
    const height = Math.log2(length);
    if (!Number.isInteger(height) || range.start % length !== 0) return false;
    const index = range.start / length;
    const level = Math.floor(height / TILE_HEIGHT);
    const r = height - level * TILE_HEIGHT;
    const perTile = 2 ** (TILE_HEIGHT - r);
    const tileIndex = Math.floor(index / perTile);
    return this.cache[copyNode](level, tileIndex, r, index - tileIndex * perTile, out);
  }

  // The same, reading the tiles the cache lacks.
  async #rangeLoading(range: SubtreeRange): Promise<Uint8Array> {
    const hashes: Uint8Array[] = [];
    for (const p of perfectSubtrees(range)) hashes.push(this.#node(p.level, p.index) ?? (await this.#loadNode(p.level, p.index)));
    return hashes.length === 1 ? (hashes[0] as Uint8Array) : this.#fold(this.cache[rangeMemo], `${range.start}:${range.end}`, hashes);
  }

  #fold(memo: Map<string, Uint8Array>, key: string, hashes: readonly Uint8Array[]): Uint8Array {
    const combined = combineSubtreeHashes(hashes);
    this.stats.hashes += hashes.length - 1;
    if (memo.size >= RANGE_MEMO_LIMIT) memo.clear();
    memo.set(key, combined);
    return combined;
  }

  // The node at height h is in tile level floor(h/8), at in-tile height h mod 8 (a node at height 8L is a hash
  // stored in the level-L tile itself).
  #node(height: number, index: number): Uint8Array | undefined {
    const level = Math.floor(height / TILE_HEIGHT);
    const r = height - level * TILE_HEIGHT;
    const perTile = 2 ** (TILE_HEIGHT - r);
    const tileIndex = Math.floor(index / perTile);
    return this.cache[nodeView](level, tileIndex, r, index - tileIndex * perTile);
  }

  async #loadNode(height: number, index: number): Promise<Uint8Array> {
    const level = Math.floor(height / TILE_HEIGHT);
    const r = height - level * TILE_HEIGHT;
    const perTile = 2 ** (TILE_HEIGHT - r);
    const tileIndex = Math.floor(index / perTile);
    const j = index - tileIndex * perTile;
    this.stats.tileReads++;
    const bytes = await this.#read(level, tileIndex);
    checkStoredTile(bytes, level, tileIndex, (j + 1) * 2 ** r);
    this.cache.put(level, tileIndex, bytes);
    // Same synchronous turn as the put, so nothing can have evicted the tile in between.
    const node = this.cache[nodeView](level, tileIndex, r, j);
    if (node === undefined) throw new Error('unreachable: a tile just cached lacks a node it covers');
    return node;
  }
}

/**
 * Appends leaf hashes to a committed tree of `size` leaves. Returns every tile that changed (new or grown, at
 * every level: when a level-0 tile fills, its height-8 root goes into the level-1 tile, and so on) and the new
 * root. Each tile it returns is also in `cache` (expanded, hashing only the new nodes), so proofs for the new
 * leaves are lookups. See TileCache for what to do when the append is not committed.
 */
export async function appendLeaves(
  read: TileReader,
  size: number,
  leafHashes: readonly Uint8Array[],
  cache: TileCache = new TileCache(),
): Promise<{ tiles: TileWrite[]; size: number; rootHash: Uint8Array }> {
  checkRequestCount(size, 'tree size');
  leafHashes.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== H) throw new TypeError(`leaf hash ${i} is not a ${H}-byte hash`);
  });
  const newSize = size + leafHashes.length;
  if (!Number.isSafeInteger(newSize)) throw requestError(`a tree of ${size} + ${leafHashes.length} leaves is larger than 2^53`, { size, count: leafHashes.length });

  // Memoised right edges past the committed size can only come from an append that was not committed; drop them
  // so a tree that reaches the same size with other leaves never sees them.
  const memo = cache[rangeMemo];
  for (const key of memo.keys()) if (Number(key.slice(key.indexOf(':') + 1)) > size) memo.delete(key);

  const written = new Map<number, TileWrite>();
  // `fresh` are the hashes new at this level, at positions start, start+1, …: leaf hashes at level 0, the roots of
  // tiles that just filled at every level above.
  let fresh: readonly Uint8Array[] = leafHashes;
  let start = size;
  for (let level = 0; fresh.length > 0; level++) {
    if (level > MAX_TILE_LEVEL) throw new Error('unreachable: a safe-integer tree has fewer than 7 tile levels');
    const filled: Uint8Array[] = [];
    let k = 0;
    while (k < fresh.length) {
      const pos = start + k;
      const index = Math.floor(pos / TILE_WIDTH);
      const offset = pos - index * TILE_WIDTH;
      const take = Math.min(TILE_WIDTH - offset, fresh.length - k);
      const hashes = new Uint8Array((offset + take) * H);
      if (offset > 0) hashes.set(await committedPrefix(read, cache, level, index, offset));
      for (let i = 0; i < take; i++) hashes.set(fresh[k + i] as Uint8Array, (offset + i) * H);
      cache.put(level, index, hashes);
      const write: TileWrite = { level, index, hashes };
      written.set(tileKey(level, index), write);
      if (offset + take === TILE_WIDTH) {
        // "At “level 1” and above, each hash in a tile is the Merkle Tree Hash of a *full* tile at the level below."
        filled.push(tileRoot(cache, level, index));
      }
      k += take;
    }
    fresh = filled;
    start = Math.floor(start / TILE_WIDTH);
  }

  // The root comes from the tiles just built (overlaid on the store, in case the cache is small) and the
  // committed ones the new right edge still uses.
  const overlay: TileReader = async (level, index) => written.get(tileKey(level, index))?.hashes ?? read(level, index);
  const rootHash = await new TreeReader(overlay, cache).rootHash(newSize);
  return { tiles: [...written.values()], size: newSize, rootHash };
}

// The first `width` hashes of a committed tile, from the cache when it has them, else from the store.
async function committedPrefix(read: TileReader, cache: TileCache, level: number, index: number, width: number): Promise<Uint8Array> {
  const view = cache[prefixView](level, index, width);
  if (view !== undefined) return view;
  const bytes = await read(level, index);
  checkStoredTile(bytes, level, index, width);
  cache.put(level, index, bytes);
  return bytes.subarray(0, width * H);
}

// The height-8 root of a full tile, from the expansion the cache just made (put touched it, so it is not evicted).
function tileRoot(cache: TileCache, level: number, index: number): Uint8Array {
  const view = cache[nodeView](level, index, TILE_HEIGHT, 0);
  if (view === undefined) throw new Error('unreachable: a tile just cached lacks its root');
  return view.slice();
}

function checkStoredTile(bytes: Uint8Array | undefined, level: number, index: number, need: number): asserts bytes is Uint8Array {
  const where = tilePath(level, index);
  if (bytes === undefined) {
    throw new KeylessError('ERR_NOT_FOUND', `tile ${where} is missing; the tree needs ${need} hashes of it`, { level, index, need });
  }
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length % H !== 0 || bytes.length > TILE_BYTES) {
    throw new KeylessError('ERR_STORE', `tile ${where} is malformed: not 1 to ${TILE_WIDTH} hashes of ${H} bytes`, {
      level,
      index,
      length: bytes instanceof Uint8Array ? bytes.length : null,
    });
  }
  if (bytes.length / H < need) {
    throw new KeylessError('ERR_STORE', `tile ${where} has ${bytes.length / H} hashes; the tree needs ${need} (corrupt storage)`, {
      level,
      index,
      width: bytes.length / H,
      need,
    });
  }
}

// For appendLeaves' own map: tiles there come from a safe-integer size, so index < 2^45 and index·64 + level is safe.
function tileKey(level: number, index: number): number {
  return index * 64 + level;
}

function checkTileCoordinates(level: number, index: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) throw new TypeError(`tile level must be an integer between 0 and ${MAX_TILE_LEVEL}, got ${String(level)}`);
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`tile index must be a non-negative safe integer, got ${String(index)}`);
}

function checkRequestCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw requestError(`${what} must be a non-negative safe integer, got ${String(n)}`, { [what]: String(n) });
}

function requestError(message: string, details: Record<string, unknown>): KeylessError {
  return new KeylessError('ERR_REQUEST', message, details);
}
