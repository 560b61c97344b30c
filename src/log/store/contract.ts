/**
 * What every driver checks before it writes, shared so that SQLite and PostgreSQL refuse exactly the same
 * batches: the AppendBatch contract of types.ts, tile growth, and the per-log in-process append queue.
 * Nothing here does I/O.
 */
import { KeylessError } from '../../core/errors.js';
import type { AppendBatch, AppendContext, StoredEntry, TileWrite } from './types.js';

const HASH_SIZE = 32;
const TILE_WIDTH = 256;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A zero-copy plain Uint8Array view of a driver's Buffer, so both drivers return the same type. */
export function view(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A zero-copy Buffer view, for driver APIs that want one. */
export function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function storeError(message: string, details: Record<string, unknown> = {}, cause?: unknown): KeylessError {
  return new KeylessError('ERR_STORE', message, details, cause === undefined ? undefined : { cause });
}

/**
 * Driver failures that pass once the operator (or the database) recovers: the disk is full or failing, or the
 * PostgreSQL server is down, restarting or unreachable. Anything else — corruption, a constraint, a bug — is not.
 * SQLite: SQLITE_FULL, SQLITE_IOERR_* (better-sqlite3's `code`); fs: ENOSPC, EDQUOT, EIO, EROFS. PostgreSQL:
 * SQLSTATE class 08 (connection exception), 53 (insufficient resources: disk full, out of memory, too many
 * connections), 57P01–57P03 (admin/crash shutdown, cannot connect now), 25006 (a read-only standby after a
 * failover); node-postgres's socket errors and its "Connection terminated" messages.
 */
const UNAVAILABLE_CODES = /^(SQLITE_FULL|SQLITE_IOERR(_\w+)?|ENOSPC|EDQUOT|EIO|EROFS|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|08\w{3}|53\w{3}|57P0[123]|25006)$/;
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/;

export function isTransientDriverError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) || (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message));
}

/** Seconds a client is told to wait after a transient store failure (Retry-After). */
export const STORE_RETRY_AFTER_SECONDS = 2;

/**
 * Our own coded errors pass through; anything the driver throws becomes ERR_STORE carrying it as cause, or
 * ERR_STORE_UNAVAILABLE (with `retryable` and `retryAfterSeconds`) when it is transient (see above).
 */
export function wrapDriverError(err: unknown, operation: string, logId?: string): KeylessError {
  if (err instanceof KeylessError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  const details: Record<string, unknown> = logId === undefined ? { operation } : { operation, logId };
  if (isCorruption(err)) {
    return new KeylessError('ERR_STORE_CORRUPT', `log store: ${operation} failed, the database is corrupt: ${reason} (stop the server, run keyless log fsck, restore a backup)`, details, { cause: err });
  }
  if (isTransientDriverError(err)) {
    return new KeylessError('ERR_STORE_UNAVAILABLE', `log store unavailable: ${operation} failed: ${reason}`, { ...details, retryable: true, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS }, { cause: err });
  }
  return storeError(`log store: ${operation} failed: ${reason}`, details, err);
}

/** SQLite's "database disk image is malformed" family and "file is not a database"; PostgreSQL's data_corrupted (XX001) and index_corrupted (XX002). */
function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002');
}

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * The batch contract of types.ts, checked against the size committed under the lock. Collects every problem
 * (they are all caller bugs) and throws one ERR_STORE; the caller MUST NOT write anything when this throws.
 */
export function validateBatch(logId: string, committedSize: number, batch: AppendBatch): void {
  const problems: string[] = [];
  const { entries, tiles, head } = batch;
  const first = entries[0];
  if (first !== undefined && first.index !== committedSize) {
    problems.push(`first entry index ${first.index} is not the committed size ${committedSize}`);
  }
  if (head.size !== committedSize + entries.length) {
    problems.push(`head size ${head.size} is not committed size ${committedSize} + ${entries.length} entries`);
  }
  if (head.rootHash.length !== HASH_SIZE) problems.push(`head root hash is ${head.rootHash.length} bytes, not ${HASH_SIZE}`);
  if (typeof head.checkpoint !== 'string' || !head.checkpoint.endsWith('\n')) problems.push('head checkpoint is not a note ending in a newline');

  const leafHashes = new Set<string>();
  entries.forEach((e, i) => {
    if (e.index !== committedSize + i) problems.push(`entry ${i} has index ${e.index}, expected ${committedSize + i}`);
    if (e.leafHash.length !== HASH_SIZE) problems.push(`entry ${e.index}: leaf hash is ${e.leafHash.length} bytes`);
    if (!isIndex(e.integratedTime)) problems.push(`entry ${e.index}: integratedTime ${String(e.integratedTime)} is not a whole number`);
    if (!e.searchKeys.every((k) => typeof k === 'string' && k.length > 0)) problems.push(`entry ${e.index}: a search key is not a non-empty string`);
    const key = hex(e.leafHash);
    if (leafHashes.has(key)) problems.push(`entry ${e.index}: leaf hash ${key} appears twice in the batch`);
    leafHashes.add(key);
  });

  const tileKeys = new Set<string>();
  for (const t of tiles) {
    const name = `tile ${t.level}/${t.index}`;
    if (!isIndex(t.level) || !isIndex(t.index)) problems.push(`${name}: level and index must be whole numbers`);
    const width = t.hashes.length / HASH_SIZE;
    if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) problems.push(`${name}: ${t.hashes.length} bytes is not 1 to 256 hashes`);
    const key = `${t.level}/${t.index}`;
    if (tileKeys.has(key)) problems.push(`${name} is written twice in the batch`);
    tileKeys.add(key);
  }

  if (problems.length > 0) {
    throw storeError(`log store: refused a batch for log ${logId}: ${problems.join('; ')}`, { logId, committedSize, problems });
  }
}

/**
 * A tile is only ever replaced by a longer-or-equal version that starts with the committed one (the first W
 * hashes of a tile never change). Anything else means two trees: refuse it before writing.
 */
export function checkTileGrowth(logId: string, write: TileWrite, committed: Uint8Array | undefined): void {
  if (committed === undefined) return;
  const name = `tile ${write.level}/${write.index}`;
  if (write.hashes.length < committed.length) {
    throw storeError(`log store: refused to shorten ${name} of log ${logId} from ${committed.length / HASH_SIZE} to ${write.hashes.length / HASH_SIZE} hashes`, {
      logId, level: write.level, index: write.index, committedWidth: committed.length / HASH_SIZE, writtenWidth: write.hashes.length / HASH_SIZE,
    });
  }
  if (!buffer(committed).equals(buffer(write.hashes.subarray(0, committed.length)))) {
    throw storeError(`log store: refused to rewrite committed hashes of ${name} of log ${logId}`, {
      logId, level: write.level, index: write.index, committedWidth: committed.length / HASH_SIZE,
    });
  }
}

/** The (key, index) rows of the search table, each key once per entry. */
export function searchRows(entries: readonly StoredEntry[]): { keys: string[]; indexes: number[] } {
  const keys: string[] = [];
  const indexes: number[] = [];
  for (const e of entries) {
    for (const k of new Set(e.searchKeys)) {
      keys.push(k);
      indexes.push(e.index);
    }
  }
  return { keys, indexes };
}

/**
 * An AppendContext that stops working once `build` has returned: its reads come from a lock (and, for
 * PostgreSQL, a connection) that no longer belongs to it.
 */
export function fencedContext(ctx: AppendContext): { ctx: AppendContext; close(): void } {
  let open = true;
  const guard = (): void => {
    if (!open) throw storeError('log store: AppendContext used after build returned');
  };
  return {
    ctx: {
      head: ctx.head,
      readTile: async (level, index) => {
        guard();
        return ctx.readTile(level, index);
      },
      findLeaves: async (leafHashes) => {
        guard();
        return ctx.findLeaves(leafHashes);
      },
    },
    close: () => {
      open = false;
    },
  };
}

/**
 * Appends to one log run one at a time in this process, in call order. For SQLite this is the lock (with the
 * single-process file lock); for PostgreSQL it keeps waiting appends off the pool, the row lock does the rest.
 */
export class AppendQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(logId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(logId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(logId, tail);
    void tail.then(() => {
      if (this.#tails.get(logId) === tail) this.#tails.delete(logId);
    });
    return result;
  }

  /** Resolves once every append queued so far has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
