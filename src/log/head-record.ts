/**
 * The head record: the latest checkpoint each log has served or acknowledged, kept in a second place that a lost
 * or truncated database WAL cannot take with it. A log that comes back smaller than its record, or with another
 * root at the same size, or with a tree its record's tree is not a prefix of, has rolled back; serving it would
 * sign a checkpoint that contradicts one already published (a fork). TransparencyLog refuses to open then, with
 * ERR_STORE_ROLLBACK and both checkpoints as evidence (see log.ts).
 *
 * Life of a record. A log hands out a checkpoint only after `write` has returned for it (or for a larger one): on
 * the acknowledgement path after the store's durable commit, on the read path the first time a frontend sees a
 * new head. `write` replaces `<dir>/<log id>.checkpoint` with the signed checkpoint text: write a temporary file,
 * fsync it, rename it over the record, fsync the directory. A crash at any point leaves the old record or the
 * new one, never half of one. A record only grows: a write for a smaller tree than the file holds is skipped, so
 * frontends sharing one data directory never shrink each other's record.
 *
 * Where it lives. For SQLite, `<data-dir>/checkpoints/`, beside `db/` but not inside it: a WAL lost with the
 * database, or a restored copy of `db/`, leaves the record as it was. For PostgreSQL every frontend keeps its own
 * record in its own data directory; a database restored from an old backup, or a failover to a replica that had
 * not caught up, comes back smaller than what some frontend has served, and that frontend refuses it. (Deleting the
 * record file removes the protection until the next start, which records the store's head again.)
 *
 * The calls are synchronous on purpose: SQLite commits synchronously too, so a commit and its record happen in
 * one turn of the event loop, and no request can read a head that is committed but not yet recorded.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpoint } from '../core/checkpoint.js';
import { KeylessError } from '../core/errors.js';
import { parseSignedNote } from '../core/note.js';
import type { LogHead } from './store/types.js';

export interface HeadRecord {
  /** Where the record is kept, for messages. */
  readonly location: string;
  /** The recorded head of `logId`, or undefined if none was ever recorded. ERR_STORE_CORRUPT if it cannot be read. */
  read(logId: string): LogHead | undefined;
  /** Records `head` durably, unless the record already holds a tree at least as large. */
  write(logId: string, head: LogHead): void;
}

const UNAVAILABLE = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE']);

const SAFE_LOG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class FileHeadRecord implements HeadRecord {
  readonly location: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('FileHeadRecord: dir must be a non-empty path');
    this.location = dir;
  }

  path(logId: string): string {
    if (!SAFE_LOG_ID.test(logId)) throw new TypeError(`log id ${JSON.stringify(logId)} cannot name a record file`);
    return join(this.location, `${logId}.checkpoint`);
  }

  read(logId: string): LogHead | undefined {
    const path = this.path(logId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new KeylessError('ERR_STORE_CORRUPT', `the head record ${path} cannot be read: ${(err as Error).message}`, { path }, { cause: err });
    }
    return headFromCheckpoint(text, path);
  }

  write(logId: string, head: LogHead): void {
    const path = this.path(logId);
    const current = this.read(logId);
    if (current !== undefined && current.size >= head.size) return;
    try {
      this.#replace(path, head.checkpoint);
    } catch (err) {
      // A full or failing disk is an outage like the store's own (503, retry later); the checkpoint is not served.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== undefined && UNAVAILABLE.has(code)) {
        throw new KeylessError('ERR_STORE_UNAVAILABLE', `the head record ${path} cannot be written: ${(err as Error).message}`, { path, retryable: true, retryAfterSeconds: 2 }, { cause: err });
      }
      throw err;
    }
  }

  #replace(path: string, checkpoint: string): void {
    mkdirSync(this.location, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, checkpoint);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, path);
    // The rename is durable only once the directory entry is.
    const dirFd = openSync(this.location, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

/** Size and root of a signed checkpoint as a LogHead; ERR_STORE_CORRUPT when it does not parse. */
export function headFromCheckpoint(text: string, where: string): LogHead {
  try {
    const cp = parseCheckpoint(parseSignedNote(text).text);
    return { size: cp.size, rootHash: cp.rootHash, checkpoint: text };
  } catch (err) {
    throw new KeylessError('ERR_STORE_CORRUPT', `${where} does not hold a signed checkpoint: ${(err as Error).message}`, { where }, { cause: err });
  }
}
