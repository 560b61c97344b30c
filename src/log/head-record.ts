/**
 * The head record: the latest checkpoint each log has served or acknowledged, kept in a second place that a lost
 * or truncated database WAL cannot take with it. A log that comes back smaller than its record, or with another
 * root at the same size, or with a tree its record's tree is not a prefix of, has rolled back; serving it would
 * sign a checkpoint that contradicts one already published (a fork). TransparencyLog refuses to open then, with
 * ERR_STORE_ROLLBACK and both checkpoints as evidence (see log.ts).
 *
 * Life of a record. A log hands out a checkpoint only after `write` has returned for it (or for a larger one): on
 * the acknowledgement path after the store's durable commit, on the read path the first time a frontend sees a
 * new head. A record only grows: a write for a smaller tree than the file holds is skipped, so frontends sharing
 * one data directory never shrink each other's record.
 *
 * The file, `<dir>/<log id>.checkpoint`, is two slots of equal size (4 KiB each, more for a checkpoint with many
 * cosignatures). Each slot is text: a header line `keyless-head-record 1 <seq> <length> <sha256 of the text>`, the
 * signed checkpoint, then newlines up to the slot's end, so `cat` shows both. The record is the valid slot with the
 * larger seq. `write` puts the new checkpoint in the other slot with one pwrite and makes it durable with one
 * fdatasync: the file's size never changes, so no inode or directory update has to reach the disk. A crash in the
 * middle leaves a slot whose digest does not match, which is read as empty, and the other slot still holds the
 * previous record (the new checkpoint was not handed out: `write` had not returned). This replaced a temporary
 * file, fsync, rename and directory fsync per write: 2 journal commits and ~0.5 ms of blocked event loop per batch.
 *
 * The file is created (or rewritten with larger slots, or converted from the single-checkpoint file earlier
 * versions kept) the careful way: a temporary file, fsync, rename over, fsync the directory. A file of one
 * signed checkpoint with no header is still read as the record.
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
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpoint } from '../core/checkpoint.js';
import { KeylessError } from '../core/errors.js';
import { hexEncode } from '../core/encoding.js';
import { sha256 } from '../core/keys.js';
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
    const file = readRecordFile(path);
    return file === undefined ? undefined : file.current?.head;
  }

  write(logId: string, head: LogHead): void {
    const path = this.path(logId);
    try {
      const file = readRecordFile(path);
      const current = file?.current;
      if (current !== undefined && current.head.size >= head.size) return;
      const seq = (current?.seq ?? 0) + 1;
      const slot = encodeSlot(seq, head.checkpoint);
      if (file?.slotSize !== undefined && slot.length <= file.slotSize) {
        // The slot the record is not in: the record stays whole whatever happens to this write.
        const target = current?.slot === 0 ? 1 : 0;
        const fd = openSync(path, 'r+');
        try {
          writeFull(fd, padded(slot, file.slotSize), target * file.slotSize);
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } else {
        // A new file, a legacy one, or a checkpoint too long for the slots: rewrite the whole file atomically.
        const slotSize = Math.max(SLOT_SIZE, Math.ceil(slot.length / SLOT_SIZE) * SLOT_SIZE);
        this.#replace(path, Buffer.concat([padded(slot, slotSize), padded(Buffer.alloc(0), slotSize)]));
      }
    } catch (err) {
      // A full or failing disk is an outage like the store's own (503, retry later); the checkpoint is not served.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== undefined && UNAVAILABLE.has(code)) {
        throw new KeylessError('ERR_STORE_UNAVAILABLE', `the head record ${path} cannot be written: ${(err as Error).message}`, { path, retryable: true, retryAfterSeconds: 2 }, { cause: err });
      }
      throw err;
    }
  }

  #replace(path: string, content: Uint8Array): void {
    mkdirSync(this.location, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeFull(fd, content, 0);
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

/** Slots are whole pages, so that a torn write of one never reaches into the other. */
const SLOT_SIZE = 4096;
const MAGIC = 'keyless-head-record 1 ';
const HEADER = /^keyless-head-record 1 (\d{1,15}) (\d{1,9}) ([0-9a-f]{64})\n/;

interface Slot {
  readonly slot: 0 | 1;
  readonly seq: number;
  readonly head: LogHead;
}

interface RecordFile {
  /** The slots' size, or undefined for a legacy file (one checkpoint, no header). */
  readonly slotSize: number | undefined;
  /** The record: the valid slot with the larger seq (undefined if neither slot holds one yet). */
  readonly current: Slot | undefined;
}

function encodeSlot(seq: number, checkpoint: string): Buffer {
  const text = Buffer.from(checkpoint, 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC}${seq} ${text.length} ${hexEncode(sha256(text))}\n`, 'latin1'), text]);
}

function padded(slot: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(size, 0x0a);
  out.set(slot, 0);
  return out;
}

function writeFull(fd: number, data: Uint8Array, position: number): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, position + done);
}

/** The record file at `path`, undefined if there is none; ERR_STORE_CORRUPT if neither slot nor the whole file holds a checkpoint. */
function readRecordFile(path: string): RecordFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeylessError('ERR_STORE_CORRUPT', `the head record ${path} cannot be read: ${(err as Error).message}`, { path }, { cause: err });
  }
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC, 'latin1'))) {
    // The single-checkpoint file of earlier versions; it is rewritten in slots at its next write.
    return { slotSize: undefined, current: { slot: 0, seq: 0, head: headFromCheckpoint(bytes.toString('utf8'), path) } };
  }
  const slotSize = bytes.length / 2;
  if (!Number.isInteger(slotSize) || slotSize % SLOT_SIZE !== 0) {
    throw new KeylessError('ERR_STORE_CORRUPT', `the head record ${path} is ${bytes.length} bytes, not two slots of a multiple of ${SLOT_SIZE}`, { path, where: path });
  }
  const slots = ([0, 1] as const).map((i) => readSlot(bytes.subarray(i * slotSize, (i + 1) * slotSize), i, path));
  const valid = slots.filter((s): s is Slot => s !== undefined);
  if (valid.length === 0) {
    throw new KeylessError('ERR_STORE_CORRUPT', `the head record ${path} holds no intact checkpoint in either slot`, { path, where: path });
  }
  const current = valid.reduce((a, b) => (b.seq > a.seq ? b : a));
  return { slotSize, current };
}

/** One slot's checkpoint, or undefined if the slot is empty or torn (its digest does not match). */
function readSlot(slot: Buffer, index: 0 | 1, path: string): Slot | undefined {
  const newline = slot.indexOf(0x0a);
  if (newline < 0) return undefined;
  const header = HEADER.exec(slot.toString('latin1', 0, newline + 1));
  if (header === null) return undefined;
  const length = Number(header[2]);
  const text = slot.subarray(newline + 1, newline + 1 + length);
  if (text.length !== length || hexEncode(sha256(text)) !== header[3]) return undefined;
  return { slot: index, seq: Number(header[1]), head: headFromCheckpoint(text.toString('utf8'), `${path} (slot ${index})`) };
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
