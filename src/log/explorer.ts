/**
 * What the explorer's home page shows beyond each log's own API: every log's size and checkpoint, the newest
 * entries across logs (paged), and appends per hour. Keyless extensions under `/api/explorer/`; the page still
 * fetches each entry from its log's API and checks it there, so nothing here is trusted as proof. Times are the
 * instance's own record of when it sequenced each entry (a Rekor v2 entry carries none the log signs). HTTP-free.
 */
import { hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import type { TransparencyLog } from './log.js';
import { kindVersionOf } from './rekor-v2.js';
import type { StoredEntry } from './store/types.js';

export interface ExplorerLog {
  /** `v2` or `v1`: the `log=` of the page's deep links. */
  readonly name: 'v1' | 'v2';
  readonly label: string;
  readonly log: TransparencyLog;
}

export interface LogSummary {
  name: string;
  label: string;
  origin: string;
  size: number;
  rootHash: string;
  checkpoint: string;
  /** When the newest entry was sequenced (Unix seconds), or null for an empty log. */
  newestIntegratedTime: number | null;
}

export interface RecentEntry {
  log: string;
  logIndex: number;
  integratedTime: number;
  kind: string;
  apiVersion: string;
}

export interface Activity {
  /** Unix seconds: the end of the last bucket. */
  end: number;
  bucketSeconds: number;
  logs: { name: string; label: string; counts: number[]; complete: boolean }[];
}

const MAX_PAGE = 100;
const ACTIVITY_BUCKETS = 24;
const ACTIVITY_BUCKET_SECONDS = 3600;
/** Entries read back per log for the activity chart; a busier log is reported as incomplete, not read further. */
const ACTIVITY_READ_CAP = 4096;
const READ_CHUNK = 256;

export class ExplorerApi {
  readonly #logs: readonly ExplorerLog[];

  constructor(logs: readonly ExplorerLog[]) {
    this.#logs = logs;
  }

  /** GET /api/explorer/logs. Published heads only: an entry still being witnessed is in no tree a reader can check. */
  async logs(): Promise<{ logs: LogSummary[] }> {
    const logs = await Promise.all(
      this.#logs.map(async ({ name, label, log }) => {
        const head = await log.publishedHead();
        const newest = head.size === 0 ? undefined : await log.entry(head.size - 1);
        return { name, label, origin: log.origin, size: head.size, rootHash: hexEncode(head.rootHash), checkpoint: head.checkpoint, newestIntegratedTime: newest?.integratedTime ?? null };
      }),
    );
    return { logs };
  }

  /**
   * GET /api/explorer/recent?limit=&before=: the newest entries of all logs, newest first (by sequencing time, then
   * log, then index). `before` is the `next` of the previous page: per log, the index below which to continue.
   */
  async recent(limitParam: string | undefined, beforeParam: string | undefined): Promise<{ entries: RecentEntry[]; next: string | null }> {
    const limit = limitParam === undefined ? 20 : boundedInteger(limitParam, 'limit', 1, MAX_PAGE);
    const before = parseCursor(beforeParam, this.#logs.map((l) => l.name));
    const candidates = await Promise.all(
      this.#logs.map(async ({ name, log }) => {
        const size = (await log.publishedHead()).size;
        const bound = Math.min(before.get(name) ?? size, size);
        const start = Math.max(0, bound - limit);
        const entries = await log.store.readEntries(log.id, start, bound - start);
        return { name, bound, entries: entries.map((e) => ({ name, e })) };
      }),
    );
    const order = new Map(this.#logs.map((l, i) => [l.name, i]));
    const picked = candidates
      .flatMap((c) => c.entries)
      .sort((a, b) => b.e.integratedTime - a.e.integratedTime || order.get(a.name)! - order.get(b.name)! || b.e.index - a.e.index)
      .slice(0, limit);
    const next = candidates.map((c) => {
      const taken = picked.filter((p) => p.name === c.name).map((p) => p.e.index);
      return [c.name, taken.length === 0 ? c.bound : Math.min(...taken)] as const;
    });
    return {
      entries: picked.map(({ name, e }) => ({ log: name, logIndex: e.index, integratedTime: e.integratedTime, ...kindOf(e) })),
      next: next.some(([, bound]) => bound > 0) ? next.map(([name, bound]) => `${name}:${bound}`).join(',') : null,
    };
  }

  /** GET /api/explorer/activity: entries sequenced per hour over the last 24 hours, per log. */
  async activity(now = Math.floor(Date.now() / 1000)): Promise<Activity> {
    const end = Math.ceil(now / ACTIVITY_BUCKET_SECONDS) * ACTIVITY_BUCKET_SECONDS;
    const start = end - ACTIVITY_BUCKETS * ACTIVITY_BUCKET_SECONDS;
    const logs = await Promise.all(
      this.#logs.map(async ({ name, label, log }) => {
        const counts = new Array<number>(ACTIVITY_BUCKETS).fill(0);
        let index = (await log.publishedHead()).size;
        let read = 0;
        let reachedStart = false;
        while (index > 0 && read < ACTIVITY_READ_CAP && !reachedStart) {
          const from = Math.max(0, index - READ_CHUNK);
          const entries = await log.store.readEntries(log.id, from, index - from);
          for (const e of entries.reverse()) {
            if (e.integratedTime < start) {
              reachedStart = true;
              break;
            }
            if (e.integratedTime < end) counts[Math.floor((e.integratedTime - start) / ACTIVITY_BUCKET_SECONDS)]! += 1;
          }
          read += index - from;
          index = from;
        }
        return { name, label, counts, complete: reachedStart || index === 0 };
      }),
    );
    return { end, bucketSeconds: ACTIVITY_BUCKET_SECONDS, logs };
  }
}

function boundedInteger(text: string, name: string, min: number, max: number): number {
  if (!/^[0-9]{1,16}$/.test(text) || Number(text) < min || Number(text) > max) throw new KeylessError('ERR_REQUEST', `${name} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** `v2:12,v1:5` → {v2: 12, v1: 5}; each name at most once, only the logs this instance has. */
function parseCursor(text: string | undefined, names: readonly string[]): Map<string, number> {
  const cursor = new Map<string, number>();
  if (text === undefined || text === '') return cursor;
  for (const part of text.split(',')) {
    const m = /^([a-z0-9]{1,8}):(0|[1-9][0-9]{0,15})$/.exec(part);
    if (m === null || !names.includes(m[1]!) || cursor.has(m[1]!) || !Number.isSafeInteger(Number(m[2]))) {
      throw new KeylessError('ERR_REQUEST', `before must be what the previous page returned as next (log:index,…), not ${JSON.stringify(text.slice(0, 80))}`);
    }
    cursor.set(m[1]!, Number(m[2]));
  }
  return cursor;
}

function kindOf(entry: StoredEntry): { kind: string; apiVersion: string } {
  try {
    const { kind, version } = kindVersionOf(entry.body);
    return { kind, apiVersion: version };
  } catch {
    // A body the log wrote but cannot read back is for fsck to report; the list shows it as unknown.
    return { kind: 'unknown', apiVersion: '' };
  }
}
