/**
 * A witness's durable state: for each log (by origin) the latest checkpoint it cosigned — size, root hash and the
 * cosigned note — in one SQLite file (better-sqlite3, WAL, synchronous=FULL).
 *
 * Guarantees:
 * - `advance` runs the caller's check and the update in ONE `BEGIN IMMEDIATE` transaction, and COMMIT fsyncs the
 *   WAL before it returns: the check of the old size and the write of the new one are atomic (the race tlog-witness
 *   warns about cannot happen, even with another process on the file), and a cosignature is only ever returned
 *   for a state that survives `kill -9` and power loss.
 * - The file records which witness key it belongs to. A witness key that exists without its state is a witness
 *   that may have cosigned checkpoints it no longer remembers; starting it afresh could cosign a fork or a smaller
 *   tree. `openWitnessState` refuses that (ERR_WITNESS_STATE) unless told `resetStateUnsafe`.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { KeylessError } from '../core/errors.js';
import { hexEncode } from '../core/encoding.js';

export interface WitnessedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The cosigned checkpoint: the note text, the log signature(s) the witness verified and its own cosignature. */
  readonly note: string;
}

export interface WitnessState {
  get(origin: string): WitnessedCheckpoint | undefined;
  /**
   * Atomically: reads the latest state for `origin`, lets `decide` check the request against it (it throws to
   * refuse) and return the new state, and commits that durably. Returns what `decide` returned.
   */
  advance(origin: string, decide: (current: WitnessedCheckpoint | undefined) => WitnessedCheckpoint): WitnessedCheckpoint;
  all(): WitnessedCheckpoint[];
  close(): void;
}

export interface WitnessStateOptions {
  readonly path: string;
  /** The witness's cosigning public key (raw); the state file is bound to it. */
  readonly publicKey: Uint8Array;
  /** The key was generated just now, so it has cosigned nothing: a missing state file is expected. */
  readonly keyIsNew: boolean;
  /** Start even though the state is missing or belongs to another key, forgetting what was cosigned before. */
  readonly resetStateUnsafe?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS logs (
  origin TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  note TEXT NOT NULL
) STRICT;`;

function refuse(message: string, details: Record<string, unknown>): never {
  throw new KeylessError('ERR_WITNESS_STATE', message, details);
}

export function openWitnessState(opts: WitnessStateOptions): WitnessState {
  const key = hexEncode(opts.publicKey);
  const existed = existsSync(opts.path);
  if (!existed && !opts.keyIsNew && opts.resetStateUnsafe !== true) {
    refuse(`the witness state ${opts.path} is missing, but the witness key already exists: this witness may have cosigned checkpoints it no longer remembers, and starting afresh could cosign a fork or a smaller tree. Restore the state file, or start with --reset-state-unsafe if you accept that risk`, { path: opts.path });
  }
  const db = new Database(opts.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    const row = db.prepare('SELECT v FROM meta WHERE k = ?').get('public_key') as { v: string } | undefined;
    if (row === undefined || row.v !== key) {
      const logs = (db.prepare('SELECT COUNT(*) AS n FROM logs').get() as { n: number }).n;
      if (row !== undefined && opts.resetStateUnsafe !== true) {
        refuse(`the witness state ${opts.path} belongs to another witness key; start with the key it was made for, or with --reset-state-unsafe to forget it`, { path: opts.path });
      }
      if (row === undefined && existed && logs > 0 && opts.resetStateUnsafe !== true) {
        refuse(`the witness state ${opts.path} names no witness key`, { path: opts.path });
      }
      db.transaction(() => {
        if (opts.resetStateUnsafe === true) db.exec('DELETE FROM logs');
        db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)').run('public_key', key);
      }).immediate();
    }
  } catch (err) {
    db.close();
    throw err;
  }
  const select = db.prepare('SELECT origin, size, root_hash AS rootHash, note FROM logs WHERE origin = ?');
  const upsert = db.prepare('INSERT INTO logs (origin, size, root_hash, note) VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, note = excluded.note');
  const read = (origin: string): WitnessedCheckpoint | undefined => {
    const r = select.get(origin) as { origin: string; size: number; rootHash: Buffer; note: string } | undefined;
    return r === undefined ? undefined : { origin: r.origin, size: r.size, rootHash: new Uint8Array(r.rootHash), note: r.note };
  };
  return {
    get: read,
    advance(origin, decide) {
      return db.transaction(() => {
        const current = read(origin);
        const next = decide(current);
        if (next.origin !== origin) throw new TypeError('a witness state update must stay on its origin');
        // MUST NOT: a smaller tree after a larger one. `decide` checks consistency; this is the last line.
        if (current !== undefined && next.size < current.size) throw new TypeError(`refusing to roll the witness state of ${origin} back from ${current.size} to ${next.size}`);
        upsert.run(origin, next.size, Buffer.from(next.rootHash), next.note);
        return next;
      }).immediate();
    },
    all() {
      return (db.prepare('SELECT origin FROM logs ORDER BY origin').all() as { origin: string }[]).map((r) => read(r.origin)!);
    },
    close() {
      db.close();
    },
  };
}
