/**
 * `keyless log fsck`: reads a log's whole store and checks that it holds together.
 *  - every entry 0 … size-1 exists, its leaf hash is the RFC 6962 hash of its body, and it is the hash the
 *    level-0 tile holds at that position;
 *  - every tile the tree needs exists and has exactly the width the tree gives it (tlog-tiles), and every full
 *    tile's Merkle root is the hash its parent tile holds for it;
 *  - the root recomputed from the tiles is the signed head's, and the signed head's checkpoint says what the
 *    head row says;
 *  - the head extends the head record (head-record.ts), if one is given.
 * The server checks the right edge at every start and every proof it serves; fsck is the full pass, for after a
 * disk fault, before a backup is trusted, or when the server refused to start. It reads through the LogStore
 * interface, so it checks SQLite and PostgreSQL alike.
 */
import { parseCheckpoint } from '../core/checkpoint.js';
import { bytesEqual, hexEncode } from '../core/encoding.js';
import { leafHash, MERKLE_HASH_SIZE, rootFromLeaves, verifyConsistency } from '../core/merkle.js';
import { parseSignedNote } from '../core/note.js';
import type { LogHead, LogStore } from './store/types.js';
import { TILE_WIDTH, tilePath } from './tiles.js';
import { TileCache, TreeReader } from './tree.js';

export interface FsckProgress {
  readonly logId: string;
  readonly checked: number;
  readonly total: number;
}

export interface FsckReport {
  readonly logId: string;
  /** False when the store holds no such log. */
  readonly present: boolean;
  readonly size: number;
  readonly entriesChecked: number;
  readonly tilesChecked: number;
  /** Every mismatch found (at most `maxProblems`), each naming what was expected and what was found. */
  readonly problems: readonly string[];
  /** How many problems there were in all, including those not listed. */
  readonly problemCount: number;
}

export interface FsckOptions {
  readonly recorded?: LogHead | undefined;
  readonly onProgress?: (p: FsckProgress) => void;
  readonly maxProblems?: number;
}

const H = MERKLE_HASH_SIZE;

export async function fsckLog(store: LogStore, logId: string, opts: FsckOptions = {}): Promise<FsckReport> {
  const maxProblems = opts.maxProblems ?? 50;
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (message: string): void => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(message);
  };
  const head = await store.head(logId);
  if (head === undefined) {
    if (opts.recorded !== undefined && opts.recorded.size > 0) problem(`the store holds no tree, but the head record holds a checkpoint of size ${opts.recorded.size}`);
    return { logId, present: false, size: 0, entriesChecked: 0, tilesChecked: 0, problems, problemCount };
  }

  try {
    const cp = parseCheckpoint(parseSignedNote(head.checkpoint).text);
    if (cp.size !== head.size || !bytesEqual(cp.rootHash, head.rootHash)) {
      problem(`the signed checkpoint says size ${cp.size} root ${hexEncode(cp.rootHash)}, the head row size ${head.size} root ${hexEncode(head.rootHash)}`);
    }
  } catch (err) {
    problem(`the stored checkpoint does not parse: ${(err as Error).message}`);
  }

  let entriesChecked = 0;
  let tilesChecked = 0;
  // Level by level: the hashes at level L are the leaf hashes (L = 0) or the roots of the full tiles below.
  // `expectedAbove` collects the roots of level L's full tiles, to compare with level L+1's tiles.
  let count = head.size; // number of hashes at this level
  let childRoots: Uint8Array[] | undefined; // roots of the full tiles one level down, in order
  for (let level = 0; count > 0; level++) {
    const tiles = Math.ceil(count / TILE_WIDTH);
    const roots: Uint8Array[] = [];
    for (let index = 0; index < tiles; index++) {
      const width = Math.min(TILE_WIDTH, count - index * TILE_WIDTH);
      const where = tilePath(level, index, width === TILE_WIDTH ? undefined : width);
      const tile = await store.readTile(logId, level, index);
      tilesChecked++;
      if (tile === undefined) {
        problem(`tile ${where} is missing`);
      } else if (tile.length !== width * H) {
        problem(`tile ${where} holds ${tile.length / H} hashes, the tree of size ${head.size} gives it ${width}`);
      }
      const hashes = (i: number): Uint8Array | undefined => (tile !== undefined && tile.length >= (i + 1) * H ? tile.subarray(i * H, (i + 1) * H) : undefined);
      if (level === 0) {
        const entries = await store.readEntries(logId, index * TILE_WIDTH, width);
        const byIndex = new Map(entries.map((e) => [e.index, e]));
        for (let i = 0; i < width; i++) {
          const at = index * TILE_WIDTH + i;
          const entry = byIndex.get(at);
          entriesChecked++;
          if (entry === undefined) {
            problem(`entry ${at} is missing`);
            continue;
          }
          const computed = leafHash(entry.body);
          if (!bytesEqual(computed, entry.leafHash)) problem(`entry ${at}: its body hashes to ${hexEncode(computed)}, its stored leaf hash is ${hexEncode(entry.leafHash)}`);
          const inTile = hashes(i);
          if (inTile !== undefined && !bytesEqual(inTile, entry.leafHash)) problem(`entry ${at}: tile ${where} holds ${hexEncode(inTile)}, the entry's leaf hash is ${hexEncode(entry.leafHash)}`);
        }
      } else if (childRoots !== undefined) {
        for (let i = 0; i < width; i++) {
          const child = childRoots[index * TILE_WIDTH + i];
          const inTile = hashes(i);
          if (child !== undefined && inTile !== undefined && !bytesEqual(child, inTile)) {
            problem(`tile ${tilePath(level - 1, index * TILE_WIDTH + i)} has root ${hexEncode(child)}, its parent tile ${where} holds ${hexEncode(inTile)} for it`);
          }
        }
      }
      if (width === TILE_WIDTH && tile !== undefined && tile.length === TILE_WIDTH * H) {
        roots.push(rootFromLeaves(Array.from({ length: TILE_WIDTH }, (_, i) => tile.subarray(i * H, (i + 1) * H))));
      }
      opts.onProgress?.({ logId, checked: level === 0 ? entriesChecked : head.size, total: head.size });
    }
    childRoots = roots;
    count = Math.floor(count / TILE_WIDTH);
  }

  try {
    const root = await new TreeReader((level, index) => store.readTile(logId, level, index), new TileCache(64)).rootHash(head.size);
    if (!bytesEqual(root, head.rootHash)) problem(`the tiles give root ${hexEncode(root)}, the signed head of size ${head.size} says ${hexEncode(head.rootHash)}`);
  } catch (err) {
    problem(`the root cannot be computed from the tiles: ${(err as Error).message}`);
  }

  const recorded = opts.recorded;
  if (recorded !== undefined) {
    if (recorded.size > head.size) {
      problem(`the store holds ${head.size} entries, fewer than the ${recorded.size} of the recorded checkpoint (the store rolled back)`);
    } else if (recorded.size === head.size) {
      if (!bytesEqual(recorded.rootHash, head.rootHash)) problem(`the store's root differs from the recorded checkpoint's at size ${head.size} (a fork)`);
    } else {
      try {
        const proof = await new TreeReader((level, index) => store.readTile(logId, level, index), new TileCache(64)).consistencyProof(recorded.size, head.size);
        verifyConsistency(recorded.size, head.size, proof, recorded.rootHash, head.rootHash);
      } catch (err) {
        problem(`the store's tree does not extend the recorded checkpoint of size ${recorded.size}: ${(err as Error).message}`);
      }
    }
  }
  return { logId, present: true, size: head.size, entriesChecked, tilesChecked, problems, problemCount };
}
