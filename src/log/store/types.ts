/**
 * The one storage interface every log driver implements (SQLite for the embedded instance, PostgreSQL for
 * scale-out). The engine (src/log/sequencer.ts) owns the tree arithmetic; a store only keeps bytes durably
 * and serialises appends. One shared suite (test/unit/log/store-suite.ts) runs against every driver.
 *
 * Tiles follow C2SP tlog-tiles: the tile at (level L, index I) holds the hashes of the tree nodes at height
 * 8·L, positions 256·I … 256·I+255, concatenated (32 bytes each). A partial tile holds a prefix of that; the
 * first W hashes of a tile never change once written, so a partial tile of width W is a prefix of any later
 * version of the same tile.
 */

/** One leaf as stored. `body` is the exact leaf data whose RFC 6962 leaf hash is `leafHash`. */
export interface StoredEntry {
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly body: Uint8Array;
  /** Unix seconds at which the entry was sequenced. */
  readonly integratedTime: number;
  /** Lookup keys for the v1 index API, e.g. `sha256:<hex>`, `key:<hex sha256 of SPKI>`, `email:<address>`. */
  readonly searchKeys: readonly string[];
  /** The attestation kept beside the leaf (a dsse/intoto entry's DSSE payload); not part of the leaf. Absent if none. */
  readonly attestation?: Uint8Array;
}

export interface TileWrite {
  readonly level: number;
  readonly index: number;
  /** The tile's hashes, 32 bytes each, 1 to 256 of them. Replaces any shorter version of the same tile. */
  readonly hashes: Uint8Array;
}

/** The latest signed tree head of one log. */
export interface LogHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The checkpoint as a C2SP signed note (text, ending in a newline). */
  readonly checkpoint: string;
}

/** What an append sees while it holds the log's write lock. */
export interface AppendContext {
  /** The head as committed, read under the lock (undefined for an empty log). */
  readonly head: LogHead | undefined;
  /** Reads a tile as committed (full or the latest partial version), or undefined if absent. */
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
  /** Which of these leaf hashes are already in the log, and at which entry. Keys are lower-case hex. */
  findLeaves(leafHashes: readonly Uint8Array[]): Promise<Map<string, StoredEntry>>;
}

/** What an append writes: new entries (indexes head.size, head.size+1, … in order), changed tiles and the new head. */
export interface AppendBatch {
  readonly entries: readonly StoredEntry[];
  readonly tiles: readonly TileWrite[];
  readonly head: LogHead;
}

export interface LogStore {
  /** Which driver this is, for logs and metrics. */
  readonly driver: 'sqlite' | 'postgres';

  /** Creates the storage for one log if it does not exist. Idempotent. */
  ensureLog(logId: string): Promise<void>;

  /** The latest committed head, or undefined for an empty log. */
  head(logId: string): Promise<LogHead | undefined>;

  /**
   * Runs `build` while holding the log's exclusive write lock, then commits what it returns.
   * - MUST hold the lock across processes (several frontends on one PostgreSQL): no two appends to one log
   *   interleave, so no index is skipped or used twice and there is one tree.
   * - MUST commit entries, tiles and head atomically, and MUST NOT resolve before the commit is durable
   *   (fsync'd WAL for SQLite, a committed transaction with synchronous_commit for PostgreSQL).
   * - MUST reject a batch whose first entry index is not the committed size, or whose head size is not the
   *   committed size plus the number of entries (a bug in the caller; nothing is written).
   * - If `build` returns undefined, nothing is written (every submission was a duplicate, say).
   * - If `build` throws, or the commit fails, nothing is written and the promise rejects.
   */
  append<T>(logId: string, build: (ctx: AppendContext) => Promise<{ batch: AppendBatch | undefined; value: T }>): Promise<T>;

  /** A committed tile (full, or the latest partial), or undefined. */
  readTile(logId: string, level: number, index: number): Promise<Uint8Array | undefined>;

  /** Entries [start, start + count) that exist, in index order. */
  readEntries(logId: string, start: number, count: number): Promise<StoredEntry[]>;

  /** The entry with this leaf hash, or undefined. */
  entryByLeafHash(logId: string, leafHash: Uint8Array): Promise<StoredEntry | undefined>;

  /** Indexes of entries carrying this search key, ascending, at most `limit`. */
  search(logId: string, key: string, limit: number): Promise<number[]>;

  /** Releases connections and locks. Committed data stays. */
  close(): Promise<void>;
}
