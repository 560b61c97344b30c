/**
 * The log's side of witnessing: after a batch's checkpoint is durably committed, it is sent to every configured
 * witness (C2SP tlog-witness add-checkpoint) and the cosignatures that come back are appended to it.
 *
 * Life of a checkpoint:
 *  1. `publish(head)` is called once per committed batch (batched by checkpoint, never per entry).
 *  2. Each witness has at most one request in flight. When it is free it is sent the LATEST head, with a consistency
 *     proof from the size it last cosigned (learnt from its answers; a 409 tells it, and the request is retried
 *     once with a proof from that size). Heads that arrive while a witness is busy are not sent on their own: the
 *     next request covers them, so a slow witness costs one round trip per request, not per batch.
 *  3. `publish` resolves with the smallest-work answer that is good enough: the largest head, at least as large as
 *     the one given, that has `quorum` cosignatures; else, once every witness has answered (or failed) for a head
 *     that large, the best head seen; else, at the deadline, the best head seen — possibly the given head with no
 *     cosignature at all. A witness that is down or refuses therefore delays a batch by at most the deadline and
 *     never stops appends; the shortfall shows in `status()` and the metrics.
 * The cosignature lines are verified against the witness's key before they are attached.
 */
import { addCheckpoint, type WitnessEndpoint } from './client.js';

export interface PublishableHead {
  readonly size: number;
  /** The log-signed checkpoint note. */
  readonly checkpoint: string;
}

export interface CollectorOptions {
  readonly witnesses: readonly WitnessEndpoint[];
  /** Cosignatures after which a checkpoint is published without waiting for the rest. Default: all witnesses. */
  readonly quorum?: number;
  /** Longest a batch's acknowledgement waits for cosignatures, and the per-request timeout. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** RFC 6962 consistency proof between two committed sizes of the log. */
  consistencyProof(size1: number, size2: number): Promise<Uint8Array[]>;
  readonly fetch?: typeof fetch;
  /** Clock in milliseconds (for status times). */
  readonly now?: () => number;
  /** Told about every request's outcome (for metrics). */
  readonly onOutcome?: (witness: string, outcome: 'cosigned' | 'conflict' | 'failed') => void;
}

export interface WitnessStatus {
  readonly name: string;
  readonly url: string;
  /** Size of the latest checkpoint this witness cosigned for us (as far as we know). */
  readonly cosignedSize?: number;
  readonly lastSuccess?: string;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  readonly cosigned: number;
  readonly failed: number;
}

export interface CollectorStatus {
  readonly quorum: number;
  readonly witnesses: readonly WitnessStatus[];
  /** The last published checkpoint: its size and how many cosignatures it carries. */
  readonly published?: { readonly size: number; readonly cosignatures: number; readonly witnesses: readonly string[] };
  /** True when the last published checkpoint carries at least `quorum` cosignatures. */
  readonly quorumMet: boolean;
  /** Checkpoints handed to `publish`, and how many of those waits ended at the deadline. */
  readonly published_total: number;
  readonly timed_out_total: number;
}

interface Candidate<H extends PublishableHead> {
  readonly head: H;
  /** witness name → cosignature line */
  readonly lines: Map<string, string>;
}

interface WitnessTrack {
  readonly endpoint: WitnessEndpoint;
  knownSize?: number;
  busy: boolean;
  /** Largest head size a request completed (successfully or not) for. */
  attempted: number;
  cosignedSize?: number;
  lastSuccess?: number;
  lastError?: string;
  lastErrorAt?: number;
  cosigned: number;
  failed: number;
}

interface Waiter<H> {
  readonly size: number;
  readonly resolve: (h: H) => void;
  timer: NodeJS.Timeout | undefined;
}

export class CosignatureCollector<H extends PublishableHead> {
  readonly quorum: number;
  readonly timeoutMs: number;
  readonly #opts: CollectorOptions;
  readonly #tracks: WitnessTrack[];
  readonly #candidates = new Map<number, Candidate<H>>();
  readonly #waiters = new Set<Waiter<H>>();
  #latest: H | undefined;
  #published: { size: number; witnesses: string[] } | undefined;
  #timedOut = 0;
  #batches = 0;

  constructor(opts: CollectorOptions) {
    this.#opts = opts;
    this.quorum = opts.quorum ?? opts.witnesses.length;
    if (!Number.isSafeInteger(this.quorum) || this.quorum < 0 || this.quorum > opts.witnesses.length) {
      throw new TypeError(`the witness quorum must be between 0 and the number of witnesses (${opts.witnesses.length})`);
    }
    const names = new Set(opts.witnesses.map((w) => w.name));
    if (names.size !== opts.witnesses.length) throw new TypeError('witness names must be distinct');
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.#tracks = opts.witnesses.map((endpoint) => ({ endpoint, busy: false, attempted: -1, cosigned: 0, failed: 0 }));
  }

  /** Sends `head` to the witnesses and resolves with the head to publish: `head` or a larger one, with cosignatures. */
  publish(head: H): Promise<H> {
    if (this.#tracks.length === 0) return Promise.resolve(head);
    this.#batches++;
    if (!this.#candidates.has(head.size)) this.#candidates.set(head.size, { head, lines: new Map() });
    if (this.#latest === undefined || head.size > this.#latest.size) this.#latest = head;
    return new Promise<H>((resolve) => {
      const waiter: Waiter<H> = { size: head.size, resolve, timer: undefined };
      waiter.timer = setTimeout(() => {
        this.#timedOut++;
        this.#finish(waiter);
      }, this.timeoutMs);
      this.#waiters.add(waiter);
      for (const t of this.#tracks) this.#kick(t);
      this.#check();
    });
  }

  status(): CollectorStatus {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const witnesses = this.#tracks.map((t): WitnessStatus => ({
      name: t.endpoint.name,
      url: t.endpoint.url,
      ...(t.cosignedSize !== undefined ? { cosignedSize: t.cosignedSize } : {}),
      ...(t.lastSuccess !== undefined ? { lastSuccess: iso(t.lastSuccess)! } : {}),
      ...(t.lastError !== undefined ? { lastError: t.lastError, lastErrorAt: iso(t.lastErrorAt)! } : {}),
      cosigned: t.cosigned,
      failed: t.failed,
    }));
    const published = this.#published;
    return {
      quorum: this.quorum,
      witnesses,
      ...(published !== undefined ? { published: { size: published.size, cosignatures: published.witnesses.length, witnesses: published.witnesses } } : {}),
      quorumMet: published !== undefined && published.witnesses.length >= this.quorum,
      published_total: this.#batches,
      timed_out_total: this.#timedOut,
    };
  }

  /** Cancels the waits (each resolves with the best head it has). */
  close(): void {
    for (const w of [...this.#waiters]) this.#finish(w);
  }

  #kick(track: WitnessTrack): void {
    const target = this.#latest;
    if (track.busy || target === undefined || target.size <= track.attempted) return;
    track.busy = true;
    void this.#send(track, target).finally(() => {
      track.busy = false;
      track.attempted = Math.max(track.attempted, target.size);
      this.#check();
      this.#kick(track);
    });
  }

  async #send(track: WitnessTrack, target: H): Promise<void> {
    const now = this.#opts.now ?? Date.now;
    const fail = (message: string): void => {
      track.failed++;
      track.lastError = message;
      track.lastErrorAt = now();
      this.#opts.onOutcome?.(track.endpoint.name, 'failed');
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const oldSize = track.knownSize ?? 0;
      if (oldSize > target.size) return fail(`the witness has cosigned size ${oldSize}, larger than this log's ${target.size}: the log was rolled back or forked`);
      let proof: Uint8Array[];
      try {
        proof = oldSize === 0 || oldSize === target.size ? [] : await this.#opts.consistencyProof(oldSize, target.size);
      } catch (err) {
        return fail(`no consistency proof from ${oldSize} to ${target.size}: ${(err as Error).message}`);
      }
      const outcome = await addCheckpoint(track.endpoint, { oldSize, proof, checkpoint: target.checkpoint, timeoutMs: this.timeoutMs, ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}) });
      if (outcome.kind === 'cosigned') {
        track.knownSize = target.size;
        track.cosignedSize = target.size;
        track.cosigned++;
        track.lastSuccess = now();
        this.#candidates.get(target.size)?.lines.set(track.endpoint.name, outcome.line);
        this.#opts.onOutcome?.(track.endpoint.name, 'cosigned');
        return;
      }
      if (outcome.kind === 'conflict') {
        this.#opts.onOutcome?.(track.endpoint.name, 'conflict');
        if (outcome.size === oldSize) return fail(`409 Conflict naming the size we sent (${oldSize})`);
        track.knownSize = outcome.size;
        continue;
      }
      return fail(outcome.status !== undefined ? `HTTP ${outcome.status}: ${outcome.message}` : outcome.message);
    }
    return fail('the witness kept answering 409 Conflict');
  }

  #check(): void {
    for (const waiter of [...this.#waiters]) {
      const quorate = this.#best(waiter.size, true);
      if (quorate !== undefined) {
        this.#finish(waiter, quorate);
        continue;
      }
      if (this.#tracks.every((t) => t.attempted >= waiter.size)) this.#finish(waiter);
    }
    this.#prune();
  }

  /** The candidate to publish for a waiter of `size`: with `quorate`, the largest with a quorum; else the most cosigned. */
  #best(size: number, quorate: boolean): Candidate<H> | undefined {
    let best: Candidate<H> | undefined;
    for (const c of this.#candidates.values()) {
      if (c.head.size < size) continue;
      if (quorate) {
        if (c.lines.size >= this.quorum && c.lines.size > 0 && (best === undefined || c.head.size > best.head.size)) best = c;
      } else if (best === undefined || c.lines.size > best.lines.size || (c.lines.size === best.lines.size && c.head.size < best.head.size && c.head.size >= size)) {
        best = c;
      }
    }
    return best;
  }

  #finish(waiter: Waiter<H>, chosen?: Candidate<H>): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    const c = chosen ?? this.#best(waiter.size, false);
    if (c === undefined) return; // cannot happen: the waiter's own head is a candidate
    // The note's signature block ends with a newline, so cosignature lines append to it (c2sp.org/tlog-cosignature).
    const names = this.#tracks.map((t) => t.endpoint.name).filter((n) => c.lines.has(n));
    const checkpoint = `${c.head.checkpoint}${names.map((n) => c.lines.get(n)!).join('')}`;
    if (this.#published === undefined || c.head.size >= this.#published.size) this.#published = { size: c.head.size, witnesses: names };
    waiter.resolve({ ...c.head, checkpoint });
  }

  #prune(): void {
    const keepFrom = Math.min(...[...this.#waiters].map((w) => w.size), this.#latest?.size ?? 0, this.#published?.size ?? Infinity);
    for (const size of this.#candidates.keys()) if (size < keepFrom) this.#candidates.delete(size);
  }
}
