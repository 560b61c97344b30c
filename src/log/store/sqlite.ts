/**
 * The embedded log store: one SQLite database file (better-sqlite3), owned by one process.
 *
 * Life of a leaf. `append` takes the log's place in the in-process queue, reads the committed head (and, on
 * request, tiles and leaves) with plain reads, and awaits `build`. Nothing is open in SQLite meanwhile, and
 * nothing else can write: the queue orders appends within this process, and the exclusive lock keeps every
 * other process out. It then writes in ONE `BEGIN IMMEDIATE` transaction: the committed size is read again
 * and the batch checked against it, each tile checked to only grow, then the entries, their search keys,
 * the tiles and the head. COMMIT appends the transaction to the WAL and, with synchronous=FULL, fsyncs the
 * WAL before returning, so once `append` resolves the leaf survives `kill -9` and power loss. A checkpoint
 * later copies the pages into the main file; a crash before that replays them from the WAL on open.
 *
 * The lock is SQLite's own: `locking_mode=EXCLUSIVE` set before WAL mode is entered, then a write
 * transaction at open, so this connection holds the file's exclusive lock until it closes. A second store,
 * in this process or any other, gets SQLITE_BUSY when it opens and fails with ERR_STORE. We chose it over
 * a `<path>.lock` pid file because the kernel drops it when the process dies (no stale pid to detect, no pid
 * reused after a reboot or by PID 1 in a restarted container), and because it guards the database itself
 * rather than a file next to it. The price: nothing else can read the file while the server runs (back up
 * through the server, or stop it first). With EXCLUSIVE set first SQLite keeps the WAL index in heap memory,
 * so there is no `-shm` file. Like every fcntl lock, it is not reliable on network file systems.
 */
import Database from 'better-sqlite3';
import { KeylessError } from '../../core/errors.js';
import type { AppendBatch, AppendContext, LogHead, LogStore, StoredEntry } from './types.js';
import { AppendQueue, checkTileGrowth, fencedContext, hex, searchRows, storeError, validateBatch, view, wrapDriverError } from './contract.js';

export interface SqliteStoreOptions {
  /** The database file; `-wal` lives next to it. The directory must exist. */
  readonly path: string;
  /** How long opening waits for another process to let go of the file before failing. Default 2000 ms. */
  readonly busyTimeoutMs?: number;
}

/** 2 added entries.attestation; a version 1 file gains the column when opened. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL DEFAULT 0,
  root_hash BLOB,
  checkpoint TEXT,
  CHECK ((root_hash IS NULL) = (checkpoint IS NULL))
) STRICT;
CREATE TABLE IF NOT EXISTS entries (
  log INTEGER NOT NULL REFERENCES logs (id),
  idx INTEGER NOT NULL,
  leaf_hash BLOB NOT NULL,
  body BLOB NOT NULL,
  integrated_time INTEGER NOT NULL,
  search_keys TEXT NOT NULL,
  attestation BLOB,
  PRIMARY KEY (log, idx),
  UNIQUE (log, leaf_hash)
) STRICT;
CREATE TABLE IF NOT EXISTS tiles (
  log INTEGER NOT NULL REFERENCES logs (id),
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY (log, level, idx)
) STRICT;
CREATE TABLE IF NOT EXISTS search_keys (
  log INTEGER NOT NULL REFERENCES logs (id),
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (log, key, idx)
) STRICT, WITHOUT ROWID;
`;

interface HeadRow { size: number; root_hash: Buffer | null; checkpoint: string | null }
interface EntryRow { idx: number; leaf_hash: Buffer; body: Buffer; integrated_time: number; search_keys: string; attestation: Buffer | null }

const ENTRY_COLUMNS = 'idx, leaf_hash, body, integrated_time, search_keys, attestation';

function toEntry(row: EntryRow): StoredEntry {
  return {
    index: row.idx,
    leafHash: view(row.leaf_hash),
    body: view(row.body),
    integratedTime: row.integrated_time,
    searchKeys: JSON.parse(row.search_keys) as string[],
    ...(row.attestation !== null && { attestation: view(row.attestation) }),
  };
}

function toHead(row: HeadRow | undefined): LogHead | undefined {
  if (row?.root_hash == null || row.checkpoint == null) return undefined;
  return { size: row.size, rootHash: view(row.root_hash), checkpoint: row.checkpoint };
}

function checkRange(what: string, ...values: number[]): void {
  for (const v of values) if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`${what}: ${v} is not a whole number >= 0`);
}

function closedError(operation: string): Error {
  return storeError('log store: the SQLite store is closed', { operation });
}

function openLocked(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    // Order matters: EXCLUSIVE before the first WAL access, so no shared-memory index and no other process.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode !== 'wal') throw storeError(`log store: ${path} cannot use WAL mode (got ${mode}); an in-memory database is not durable`, { path });
    db.pragma('synchronous = FULL');
    db.pragma('fullfsync = ON'); // macOS: fsync alone does not reach the platter
    db.pragma('checkpoint_fullfsync = ON');
    // Checkpoint every 10,000 WAL frames (~40 MiB) instead of SQLite's 1,000: each entry dirties index pages at
    // random (leaf hash, search keys), and a page dirtied by many commits between two checkpoints is copied to the
    // main file once. bench:log, 3 interleaved pairs: 27.6 -> 20.2 KiB written per entry, p99 unchanged.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    checkIntegrity(db, path);
    // The first write takes the exclusive lock; EXCLUSIVE mode keeps it until close.
    db.exec('BEGIN IMMEDIATE');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.exec('ROLLBACK');
      throw storeError(`log store: ${path} has schema version ${version}, newer than this keyless (${SCHEMA_VERSION})`, { path, version });
    }
    db.exec(SCHEMA);
    // CREATE TABLE IF NOT EXISTS leaves a version 1 table as it was; nullable, so old rows read as "no attestation".
    if (version === 1) db.exec('ALTER TABLE entries ADD COLUMN attestation BLOB');
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
    return db;
  } catch (err) {
    db?.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw storeError(`log store: ${path} is in use by another keyless process (SQLite exclusive lock); one process per data directory`, { path }, err);
    }
    throw wrapDriverError(err, 'open');
  }
}

/**
 * `PRAGMA quick_check` at open: every page and cell of every table and index is well formed (O(size of the
 * file), about a second per few hundred MB; it skips only the cross-check of index contents against tables that
 * `integrity_check` adds). A database with damaged pages is refused before it is served or written to. What the
 * pages say is checked above this layer: the tree's root against the signed head (log.ts), and every tile and
 * entry by `keyless log fsck`.
 */
function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(20)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
  if (problems.length > 0) {
    throw new KeylessError('ERR_STORE_CORRUPT', `log store: ${path} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}. Stop here: restore the data directory from a backup (see README, "Recovering a log")`, {
      path,
      problems,
    });
  }
}

class SqliteStore implements LogStore {
  readonly driver = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #queue = new AppendQueue();
  readonly #logNos = new Map<string, number>();
  /** Set when close() starts: new calls are refused, queued appends still finish. */
  #closing = false;
  #closed = false;

  readonly #insertLog;
  readonly #selectLogNo;
  readonly #selectHead;
  readonly #selectTile;
  readonly #selectEntries;
  readonly #selectByLeaf;
  readonly #selectSearch;
  readonly #insertEntry;
  readonly #insertSearchKey;
  readonly #upsertTile;
  readonly #updateHead;
  readonly #commit;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertLog = db.prepare<[string]>('INSERT INTO logs (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    this.#selectLogNo = db.prepare<[string], { id: number }>('SELECT id FROM logs WHERE name = ?');
    this.#selectHead = db.prepare<[number], HeadRow>('SELECT size, root_hash, checkpoint FROM logs WHERE id = ?');
    this.#selectTile = db.prepare<[number, number, number], { hashes: Buffer }>('SELECT hashes FROM tiles WHERE log = ? AND level = ? AND idx = ?');
    this.#selectEntries = db.prepare<[number, number, number], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx`,
    );
    this.#selectByLeaf = db.prepare<[number, Buffer], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE log = ? AND leaf_hash = ?`);
    this.#selectSearch = db.prepare<[number, string, number], { idx: number }>(
      'SELECT idx FROM search_keys WHERE log = ? AND key = ? ORDER BY idx LIMIT ?',
    );
    this.#insertEntry = db.prepare<[number, number, Uint8Array, Uint8Array, number, string, Uint8Array | null]>(
      `INSERT INTO entries (log, ${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertSearchKey = db.prepare<[number, string, number]>('INSERT INTO search_keys (log, key, idx) VALUES (?, ?, ?)');
    this.#upsertTile = db.prepare<[number, number, number, Uint8Array]>(
      'INSERT INTO tiles (log, level, idx, hashes) VALUES (?, ?, ?, ?) ON CONFLICT (log, level, idx) DO UPDATE SET hashes = excluded.hashes',
    );
    this.#updateHead = db.prepare<[number, Uint8Array, string, number]>('UPDATE logs SET size = ?, root_hash = ?, checkpoint = ? WHERE id = ?');
    // One statement per row inside one transaction: better-sqlite3 runs them in-process with no round trip,
    // so a multi-row VALUES list would only add a prepared statement per batch size.
    this.#commit = db.transaction((logId: string, logNo: number, batch: AppendBatch) => {
      validateBatch(logId, this.#selectHead.get(logNo)?.size ?? 0, batch);
      for (const t of batch.tiles) checkTileGrowth(logId, t, this.#selectTile.get(logNo, t.level, t.index)?.hashes);
      for (const e of batch.entries) {
        this.#insertEntry.run(logNo, e.index, e.leafHash, e.body, e.integratedTime, JSON.stringify(e.searchKeys), e.attestation ?? null);
      }
      const rows = searchRows(batch.entries);
      rows.keys.forEach((key, i) => this.#insertSearchKey.run(logNo, key, rows.indexes[i] as number));
      for (const t of batch.tiles) this.#upsertTile.run(logNo, t.level, t.index, t.hashes);
      this.#updateHead.run(batch.head.size, batch.head.rootHash, batch.head.checkpoint, logNo);
    });
  }

  /** Runs a synchronous driver call, turning its failures into ERR_STORE. */
  #run<T>(operation: string, logId: string | undefined, fn: () => T): T {
    if (this.#closed) throw closedError(operation);
    try {
      return fn();
    } catch (err) {
      throw wrapDriverError(err, operation, logId);
    }
  }

  #logNo(logId: string): number | undefined {
    let n = this.#logNos.get(logId);
    if (n === undefined) {
      n = this.#selectLogNo.get(logId)?.id;
      if (n !== undefined) this.#logNos.set(logId, n);
    }
    return n;
  }

  async ensureLog(logId: string): Promise<void> {
    if (typeof logId !== 'string' || logId.length === 0) throw new TypeError('logId must be a non-empty string');
    this.#run('ensureLog', logId, () => this.#insertLog.run(logId));
  }

  async head(logId: string): Promise<LogHead | undefined> {
    return this.#run('head', logId, () => {
      const n = this.#logNo(logId);
      return n === undefined ? undefined : toHead(this.#selectHead.get(n));
    });
  }

  append<T>(logId: string, build: (ctx: AppendContext) => Promise<{ batch: AppendBatch | undefined; value: T }>): Promise<T> {
    if (this.#closing) return Promise.reject(closedError('append'));
    return this.#queue.run(logId, async () => {
      const logNo = this.#run('append', logId, () => this.#logNo(logId));
      if (logNo === undefined) throw storeError(`log store: unknown log ${logId}; call ensureLog first`, { logId });
      const head = this.#run('append', logId, () => toHead(this.#selectHead.get(logNo)));
      const fence = fencedContext({
        head,
        readTile: async (level, index) => this.#tile(logId, logNo, level, index),
        findLeaves: async (leafHashes) =>
          this.#run('findLeaves', logId, () => {
            const found = new Map<string, StoredEntry>();
            for (const h of leafHashes) {
              const row = this.#selectByLeaf.get(logNo, Buffer.from(h.buffer, h.byteOffset, h.byteLength));
              if (row !== undefined) found.set(hex(h), toEntry(row));
            }
            return found;
          }),
      });
      let result: { batch: AppendBatch | undefined; value: T };
      try {
        result = await build(fence.ctx);
      } finally {
        fence.close();
      }
      const { batch } = result;
      if (batch !== undefined) this.#run('append', logId, () => this.#commit.immediate(logId, logNo, batch));
      return result.value;
    });
  }

  #tile(logId: string, logNo: number, level: number, index: number): Uint8Array | undefined {
    checkRange('readTile', level, index);
    const row = this.#run('readTile', logId, () => this.#selectTile.get(logNo, level, index));
    return row === undefined ? undefined : view(row.hashes);
  }

  async readTile(logId: string, level: number, index: number): Promise<Uint8Array | undefined> {
    const n = this.#run('readTile', logId, () => this.#logNo(logId));
    return n === undefined ? undefined : this.#tile(logId, n, level, index);
  }

  async readEntries(logId: string, start: number, count: number): Promise<StoredEntry[]> {
    checkRange('readEntries', start, count);
    return this.#run('readEntries', logId, () => {
      const n = this.#logNo(logId);
      return n === undefined ? [] : this.#selectEntries.all(n, start, start + count).map(toEntry);
    });
  }

  async entryByLeafHash(logId: string, leafHash: Uint8Array): Promise<StoredEntry | undefined> {
    return this.#run('entryByLeafHash', logId, () => {
      const n = this.#logNo(logId);
      const row = n === undefined ? undefined : this.#selectByLeaf.get(n, Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength));
      return row === undefined ? undefined : toEntry(row);
    });
  }

  async search(logId: string, key: string, limit: number): Promise<number[]> {
    checkRange('search', limit);
    return this.#run('search', logId, () => {
      const n = this.#logNo(logId);
      return n === undefined ? [] : this.#selectSearch.all(n, key, limit).map((r) => r.idx);
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#queue.idle();
    this.#closed = true;
    try {
      this.#db.close();
    } catch (err) {
      throw wrapDriverError(err, 'close');
    }
  }
}

/** Opens (creating if needed) the SQLite log store at `path`, taking its exclusive lock. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<LogStore> {
  if (typeof options.path !== 'string' || options.path.length === 0) throw new TypeError('createSqliteStore: path must be a non-empty string');
  return new SqliteStore(openLocked(options.path, options.busyTimeoutMs ?? 2000));
}
