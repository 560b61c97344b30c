/**
 * The scale-out log store: PostgreSQL shared by several stateless frontends (pg 8).
 *
 * Life of a leaf. `append` takes the log's place in this frontend's queue (so waiting appends do not hold
 * pool connections), opens a READ COMMITTED transaction and locks the log's row with
 * `SELECT … FROM logs WHERE name = … FOR UPDATE`: every frontend's appends to that log now wait for us. The
 * head comes from that row; tiles and leaves that `build` asks for are read under the same lock. After
 * `build` the batch is checked against the locked size, then the entries (`INSERT … SELECT FROM unnest(…)`),
 * their search keys, the tiles (upserts that only extend a committed tile) and the head are written in one
 * statement, and the transaction COMMITs. COMMIT returns once the WAL record is flushed (synchronous_commit is
 * raised to `on` for the transaction if the server or role has it `off`; stricter settings are kept), so
 * once `append` resolves the leaf survives a crash of the server. The next appender, in any frontend, gets
 * the row lock after our COMMIT and, being READ COMMITTED, sees everything we wrote.
 *
 * Second line of defence against a forked tree: primary key (log, idx) and unique (log, leaf_hash) make a
 * buggy writer fail instead of writing a second entry at an index or the same leaf twice.
 */
import pg from 'pg';
import type { AppendBatch, AppendContext, LogHead, LogStore, StoredEntry } from './types.js';
import { AppendQueue, buffer, checkTileGrowth, fencedContext, hex, searchRows, storeError, validateBatch, view, wrapDriverError } from './contract.js';

export type PostgresStoreOptions = {
  /** The schema that holds keyless's tables; created if absent. Letters, digits and `_`, at most 63. */
  readonly schema: string;
} & (
  | { readonly connectionString: string; readonly pool?: never; readonly maxConnections?: number }
  | { readonly pool: pg.Pool; readonly connectionString?: never; readonly maxConnections?: never }
);

interface HeadRow { id: number; size: string; root_hash: Buffer | null; checkpoint: string | null }
interface EntryRow { idx: string; leaf_hash: Buffer; body: Buffer; integrated_time: string; search_keys: string[]; attestation: Buffer | null }

const ENTRY_COLUMNS = 'idx, leaf_hash, body, integrated_time, search_keys, attestation';

/** bigint arrives as a string; every number we store is far below 2^53. */
function num(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw storeError(`log store: ${value} is beyond the safe integer range`);
  return n;
}

function toEntry(row: EntryRow): StoredEntry {
  return {
    index: num(row.idx),
    leafHash: view(row.leaf_hash),
    body: view(row.body),
    integratedTime: num(row.integrated_time),
    searchKeys: row.search_keys,
    ...(row.attestation !== null && { attestation: view(row.attestation) }),
  };
}

function toHead(row: HeadRow | undefined): LogHead | undefined {
  if (row?.root_hash == null || row.checkpoint == null) return undefined;
  return { size: num(row.size), rootHash: view(row.root_hash), checkpoint: row.checkpoint };
}

function checkRange(what: string, ...values: number[]): void {
  for (const v of values) if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`${what}: ${v} is not a whole number >= 0`);
}

function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.logs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  size bigint NOT NULL DEFAULT 0,
  root_hash bytea,
  checkpoint text,
  CHECK ((root_hash IS NULL) = (checkpoint IS NULL))
);
CREATE TABLE IF NOT EXISTS ${s}.entries (
  log integer NOT NULL REFERENCES ${s}.logs (id),
  idx bigint NOT NULL,
  leaf_hash bytea NOT NULL,
  body bytea NOT NULL,
  integrated_time bigint NOT NULL,
  search_keys jsonb NOT NULL,
  attestation bytea,
  PRIMARY KEY (log, idx),
  UNIQUE (log, leaf_hash)
);
-- Added after the first release: tables created before it gain the (nullable) column here.
ALTER TABLE ${s}.entries ADD COLUMN IF NOT EXISTS attestation bytea;
CREATE TABLE IF NOT EXISTS ${s}.tiles (
  log integer NOT NULL REFERENCES ${s}.logs (id),
  level integer NOT NULL,
  idx bigint NOT NULL,
  hashes bytea NOT NULL,
  PRIMARY KEY (log, level, idx)
);
CREATE TABLE IF NOT EXISTS ${s}.search_keys (
  log integer NOT NULL REFERENCES ${s}.logs (id),
  key text NOT NULL,
  idx bigint NOT NULL,
  PRIMARY KEY (log, key, idx)
);`;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

async function query<R extends pg.QueryResultRow>(db: Queryable, operation: string, logId: string | undefined, text: string, values: unknown[] = []): Promise<R[]> {
  try {
    return (await db.query<R>(text, values)).rows;
  } catch (err) {
    throw wrapDriverError(err, operation, logId);
  }
}

class PostgresStore implements LogStore {
  readonly driver = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #s: string;
  readonly #queue = new AppendQueue();
  #closing = false;

  constructor(pool: pg.Pool, ownsPool: boolean, quotedSchema: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#s = quotedSchema;
  }

  #open(operation: string): void {
    if (this.#closing) throw storeError('log store: the PostgreSQL store is closed', { operation });
  }

  #logIdSql(param: string): string {
    return `(SELECT id FROM ${this.#s}.logs WHERE name = ${param})`;
  }

  async ensureLog(logId: string): Promise<void> {
    if (typeof logId !== 'string' || logId.length === 0) throw new TypeError('logId must be a non-empty string');
    this.#open('ensureLog');
    await query(this.#pool, 'ensureLog', logId, `INSERT INTO ${this.#s}.logs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [logId]);
  }

  async head(logId: string): Promise<LogHead | undefined> {
    this.#open('head');
    const rows = await query<HeadRow>(this.#pool, 'head', logId, `SELECT id, size, root_hash, checkpoint FROM ${this.#s}.logs WHERE name = $1`, [logId]);
    return toHead(rows[0]);
  }

  append<T>(logId: string, build: (ctx: AppendContext) => Promise<{ batch: AppendBatch | undefined; value: T }>): Promise<T> {
    try {
      this.#open('append');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#queue.run(logId, () => this.#appendLocked(logId, build));
  }

  async #appendLocked<T>(logId: string, build: (ctx: AppendContext) => Promise<{ batch: AppendBatch | undefined; value: T }>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw wrapDriverError(err, 'append: connect', logId);
    }
    // A connection that dies while `build` runs would otherwise be an unhandled 'error' event.
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    let inTransaction = false;
    try {
      // One round trip (simple protocol, so several statements and no parameters: the log id goes in as a
      // quoted literal): begin, lock the log's row, and read the tiles of its right edge (at each level the
      // partial tile, which is what the next append extends and what its root is computed from). With one
      // frontend those are cached already; with several, the other frontends' appends have grown them.
      const name = client.escapeLiteral(logId);
      inTransaction = true;
      const results = (await client.query(
        "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT set_config('synchronous_commit', 'on', true) WHERE current_setting('synchronous_commit') = 'off'; " +
          `SELECT id, size, root_hash, checkpoint FROM ${this.#s}.logs WHERE name = ${name} FOR UPDATE; ` +
          `SELECT t.level, t.idx, t.hashes FROM ${this.#s}.logs l CROSS JOIN generate_series(0, 7) AS g (level)
             JOIN ${this.#s}.tiles t ON t.log = l.id AND t.level = g.level AND t.idx = l.size >> (8 * (g.level + 1))
             WHERE l.name = ${name} AND (l.size >> (8 * g.level)) & 255 <> 0`,
      ).catch((err: unknown) => {
        throw wrapDriverError(err, 'append: lock', logId);
      })) as unknown as [unknown, unknown, pg.QueryResult<HeadRow>, pg.QueryResult<{ level: number; idx: string; hashes: Buffer }>];
      const row = results[2]?.rows[0];
      if (row === undefined) throw storeError(`log store: unknown log ${logId}; call ensureLog first`, { logId });
      const edge = new Map((results[3]?.rows ?? []).map((t) => [`${t.level}/${num(t.idx)}`, view(t.hashes)]));

      const fence = fencedContext({
        head: toHead(row),
        readTile: async (level, index) => edge.get(`${level}/${index}`) ?? this.#tile(client, logId, row.id, level, index),
        findLeaves: async (leafHashes) => this.#findLeaves(client, logId, row.id, leafHashes),
      });
      let result: { batch: AppendBatch | undefined; value: T };
      try {
        result = await build(fence.ctx);
      } finally {
        fence.close();
      }
      if (result.batch !== undefined) await this.#write(client, logId, row.id, num(row.size), result.batch);
      const done = await client.query(result.batch === undefined ? 'ROLLBACK' : 'COMMIT').catch((err: unknown) => {
        throw wrapDriverError(err, 'append: commit', logId);
      });
      inTransaction = false;
      if (done.command !== (result.batch === undefined ? 'ROLLBACK' : 'COMMIT')) {
        throw storeError(`log store: append to log ${logId} was rolled back by the server`, { logId, command: done.command });
      }
      return result.value;
    } catch (err) {
      if (inTransaction && broken === undefined) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
      }
      throw err;
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed rather than returned to the pool.
      client.release(broken);
    }
  }

  /**
   * Writes the batch in ONE statement (a round trip is ~70 µs of a frontend's CPU and a statement is parsed and
   * planned by the backend each time; this was five): data-modifying CTEs for the entries, their search keys, the
   * tiles and the head. The tile upsert only replaces a committed tile that the new version extends (the same
   * hashes, then more); a tile that fails that is not written, the count comes back short, and the committed
   * versions are read to say which tile and why (checkTileGrowth) before the transaction is rolled back.
   */
  async #write(client: pg.PoolClient, logId: string, logNo: number, committedSize: number, batch: AppendBatch): Promise<void> {
    validateBatch(logId, committedSize, batch);
    const s = this.#s;
    const { tiles, entries, head } = batch;
    const rows = searchRows(entries);
    const written = await query<{ tiles: number; heads: number }>(client, 'append: write', logId,
      `WITH e AS (
         INSERT INTO ${s}.entries (log, ${ENTRY_COLUMNS})
         SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], $6::jsonb[], $7::bytea[])
       ), k AS (
         INSERT INTO ${s}.search_keys (log, key, idx) SELECT $1, * FROM unnest($8::text[], $9::bigint[])
       ), t AS (
         INSERT INTO ${s}.tiles AS old (log, level, idx, hashes) SELECT $1, * FROM unnest($10::integer[], $11::bigint[], $12::bytea[])
         ON CONFLICT (log, level, idx) DO UPDATE SET hashes = excluded.hashes
           WHERE length(excluded.hashes) >= length(old.hashes) AND substring(excluded.hashes FROM 1 FOR length(old.hashes)) = old.hashes
         RETURNING 1
       ), h AS (
         UPDATE ${s}.logs SET size = $13, root_hash = $14, checkpoint = $15 WHERE id = $1 RETURNING 1
       )
       SELECT (SELECT count(*)::integer FROM t) AS tiles, (SELECT count(*)::integer FROM h) AS heads`,
      [
        logNo,
        entries.map((e) => e.index),
        entries.map((e) => buffer(e.leafHash)),
        entries.map((e) => buffer(e.body)),
        entries.map((e) => e.integratedTime),
        entries.map((e) => JSON.stringify(e.searchKeys)),
        entries.map((e) => (e.attestation === undefined ? null : buffer(e.attestation))),
        rows.keys,
        rows.indexes,
        tiles.map((t) => t.level),
        tiles.map((t) => t.index),
        tiles.map((t) => buffer(t.hashes)),
        head.size,
        buffer(head.rootHash),
        head.checkpoint,
      ]);
    const counts = written[0];
    if (counts?.heads !== 1) throw storeError(`log store: the head of log ${logId} was not written`, { logId });
    if (counts.tiles !== tiles.length) {
      const committed = await query<{ level: number; idx: string; hashes: Buffer }>(client, 'append: read tiles', logId,
        `SELECT t.level, t.idx, t.hashes FROM ${s}.tiles t JOIN unnest($2::integer[], $3::bigint[]) AS w (level, idx)
           ON t.level = w.level AND t.idx = w.idx WHERE t.log = $1`,
        [logNo, tiles.map((t) => t.level), tiles.map((t) => t.index)]);
      const byKey = new Map(committed.map((r) => [`${r.level}/${num(r.idx)}`, r.hashes]));
      for (const t of tiles) checkTileGrowth(logId, t, byKey.get(`${t.level}/${t.index}`));
      throw storeError(`log store: ${tiles.length - counts.tiles} tile(s) of log ${logId} were not written`, { logId });
    }
  }

  async #tile(db: Queryable, logId: string, logNo: number, level: number, index: number): Promise<Uint8Array | undefined> {
    checkRange('readTile', level, index);
    const rows = await query<{ hashes: Buffer }>(db, 'readTile', logId,
      `SELECT hashes FROM ${this.#s}.tiles WHERE log = $1 AND level = $2 AND idx = $3`, [logNo, level, index]);
    return rows[0] === undefined ? undefined : view(rows[0].hashes);
  }

  async #findLeaves(db: Queryable, logId: string, logNo: number, leafHashes: readonly Uint8Array[]): Promise<Map<string, StoredEntry>> {
    const found = new Map<string, StoredEntry>();
    if (leafHashes.length === 0) return found;
    const rows = await query<EntryRow>(db, 'findLeaves', logId,
      `SELECT ${ENTRY_COLUMNS} FROM ${this.#s}.entries WHERE log = $1 AND leaf_hash = ANY ($2::bytea[])`,
      [logNo, leafHashes.map(buffer)]);
    for (const r of rows) found.set(hex(r.leaf_hash), toEntry(r));
    return found;
  }

  async readTile(logId: string, level: number, index: number): Promise<Uint8Array | undefined> {
    checkRange('readTile', level, index);
    this.#open('readTile');
    const rows = await query<{ hashes: Buffer }>(this.#pool, 'readTile', logId,
      `SELECT hashes FROM ${this.#s}.tiles WHERE log = ${this.#logIdSql('$1')} AND level = $2 AND idx = $3`, [logId, level, index]);
    return rows[0] === undefined ? undefined : view(rows[0].hashes);
  }

  async readEntries(logId: string, start: number, count: number): Promise<StoredEntry[]> {
    checkRange('readEntries', start, count);
    this.#open('readEntries');
    const rows = await query<EntryRow>(this.#pool, 'readEntries', logId,
      `SELECT ${ENTRY_COLUMNS} FROM ${this.#s}.entries WHERE log = ${this.#logIdSql('$1')} AND idx >= $2 AND idx < $3 ORDER BY idx`,
      [logId, start, start + count]);
    return rows.map(toEntry);
  }

  async entryByLeafHash(logId: string, leafHash: Uint8Array): Promise<StoredEntry | undefined> {
    this.#open('entryByLeafHash');
    const rows = await query<EntryRow>(this.#pool, 'entryByLeafHash', logId,
      `SELECT ${ENTRY_COLUMNS} FROM ${this.#s}.entries WHERE log = ${this.#logIdSql('$1')} AND leaf_hash = $2`, [logId, buffer(leafHash)]);
    return rows[0] === undefined ? undefined : toEntry(rows[0]);
  }

  async search(logId: string, key: string, limit: number): Promise<number[]> {
    checkRange('search', limit);
    this.#open('search');
    const rows = await query<{ idx: string }>(this.#pool, 'search', logId,
      `SELECT idx FROM ${this.#s}.search_keys WHERE log = ${this.#logIdSql('$1')} AND key = $2 ORDER BY idx LIMIT $3`, [logId, key, limit]);
    return rows.map((r) => num(r.idx));
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#queue.idle();
    if (this.#ownsPool) {
      await this.#pool.end().catch((err: unknown) => {
        throw wrapDriverError(err, 'close');
      });
    }
  }
}

/**
 * Connects to PostgreSQL and creates the schema and tables if absent. With `pool`, the caller keeps owning
 * it (close() leaves it open); with `connectionString`, the store makes and ends its own pool.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<LogStore> {
  const { schema } = options;
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError('createPostgresStore: schema must be letters, digits and _, starting with a letter or _, at most 63');
  }
  const quoted = `"${schema}"`;
  const owns = options.pool === undefined;
  // A server that does not answer (a network partition, not a refusal) fails a connect after 10 s instead of
  // holding the request forever; the failure is ERR_STORE_UNAVAILABLE like any outage (see contract.ts).
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
  if (owns) {
    // An idle connection the server drops is discarded by the pool; without a listener it would crash us.
    pool.on('error', () => undefined);
  }
  try {
    const client = await pool.connect();
    try {
      // Frontends starting together must not race on CREATE … IF NOT EXISTS (it is not atomic).
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keyless log store ${schema}`]);
      await client.query(schemaSql(quoted));
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  } catch (err) {
    if (owns) await pool.end().catch(() => undefined);
    throw wrapDriverError(err, 'open');
  }
  return new PostgresStore(pool, owns, quoted);
}
