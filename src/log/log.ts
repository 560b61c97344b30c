/**
 * One transparency log: an append-only RFC 6962 tree stored as C2SP tlog-tiles, with group commit.
 *
 * Life of a submission:
 *  1. `submit` queues the canonical entry and returns a promise.
 *  2. Whenever no batch is being committed, the queue is drained into one batch (at most `maxBatch` entries).
 *     Under the store's write lock the batch is de-duplicated against the log and against itself, given
 *     consecutive indexes from the committed size, its leaves are appended to the tiles, and a checkpoint for the
 *     new size is signed — one checkpoint per batch, not per timer tick.
 *  3. The store commits entries, tiles and head in one durable transaction.
 *  4. Only then does each promise resolve, with the entry's index and an inclusion proof to that checkpoint.
 *     With witnessing (`publish`), the batch's checkpoint first goes to the witnesses while the next batch commits,
 *     and the promises resolve with the checkpoint the collector publishes (cosignatures appended; see
 *     src/witness/collector.ts for how long that waits).
 * A submission is therefore acknowledged only once it is durable and covered by a signed checkpoint; if the
 * commit fails, every promise in the batch rejects and nothing is acknowledged.
 */
import { formatCheckpoint } from '../core/checkpoint.js';
import { hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { leafHash } from '../core/merkle.js';
import { signNote } from '../core/note.js';
import type { LogSigner } from './signer.js';
import type { AppendContext, LogHead, LogStore, StoredEntry } from './store/types.js';
import { appendLeaves, TileCache, TreeReader } from './tree.js';

export interface LogOptions {
  /** Storage key of this log; several logs share one store. */
  readonly id: string;
  /** The checkpoint origin line (C2SP tlog-checkpoint), unique per log. */
  readonly origin: string;
  readonly signer: LogSigner;
  readonly store: LogStore;
  /** Clock in milliseconds (injectable for tests). */
  readonly now?: () => number;
  /** Largest batch committed at once. */
  readonly maxBatch?: number;
  /** Queued submissions beyond which `submit` pushes back with ERR_PUSHBACK instead of queueing. */
  readonly maxPending?: number;
  /** Tiles kept expanded in memory. */
  readonly cacheTiles?: number;
  /** Told about every committed batch (for metrics): entries appended, submissions answered, milliseconds taken. */
  readonly onBatch?: (stats: { readonly appended: number; readonly answered: number; readonly ms: number }) => void;
  /**
   * Witnessing (src/witness/collector.ts): turns a committed batch's head into the head its submissions are given
   * and /checkpoint serves — the same or a larger committed head, its checkpoint with cosignature lines appended.
   * The batch is acknowledged when it resolves (after the durable commit; the next batch commits meanwhile).
   */
  readonly publish?: (head: LogHead) => Promise<LogHead>;
}

export interface Submission {
  /** Exact leaf data. */
  readonly body: Uint8Array;
  readonly searchKeys: readonly string[];
  /** Kept beside the leaf and returned with the entry (Rekor's attestation storage). */
  readonly attestation?: Uint8Array;
}

export interface Sequenced {
  /** False when an equal entry was already in the log; `entry` is then the existing one. */
  readonly created: boolean;
  readonly entry: StoredEntry;
  /** The head the proof leads to: the checkpoint of the batch that committed (or the latest, for a duplicate). */
  readonly head: LogHead;
  readonly inclusionProof: Uint8Array[];
}

interface Pending {
  readonly submission: Submission;
  readonly leafHash: Uint8Array;
  readonly resolve: (s: Sequenced) => void;
  readonly reject: (e: unknown) => void;
}

export class TransparencyLog {
  readonly id: string;
  readonly origin: string;
  readonly signer: LogSigner;
  readonly store: LogStore;
  readonly tiles: TileCache;
  readonly reader: TreeReader;
  readonly #now: () => number;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  readonly #onBatch: LogOptions['onBatch'];
  #queue: Pending[] = [];
  #committing: Promise<void> | undefined;
  #latest: LogHead | undefined;
  #closed = false;
  readonly #publish: LogOptions['publish'];
  #published: LogHead | undefined;
  readonly #publishing = new Set<Promise<void>>();

  constructor(opts: LogOptions) {
    this.id = opts.id;
    this.origin = opts.origin;
    this.signer = opts.signer;
    this.store = opts.store;
    this.#now = opts.now ?? Date.now;
    this.#maxBatch = opts.maxBatch ?? 1000;
    this.#maxPending = opts.maxPending ?? 20_000;
    this.#onBatch = opts.onBatch;
    this.#publish = opts.publish;
    this.tiles = new TileCache(opts.cacheTiles ?? 4096);
    this.reader = new TreeReader((level, index) => this.store.readTile(this.id, level, index), this.tiles);
  }

  /** Creates the log's storage and, for a new log, commits the signed checkpoint of the empty tree. */
  async open(): Promise<this> {
    await this.store.ensureLog(this.id);
    this.#latest = await this.store.head(this.id);
    if (this.#latest === undefined) {
      this.#latest = await this.store.append(this.id, async (ctx) => {
        if (ctx.head !== undefined) return { batch: undefined, value: ctx.head };
        const head = this.#signHead(0, await this.reader.rootHash(0));
        return { batch: { entries: [], tiles: [], head }, value: head };
      });
    }
    return this;
  }

  /** The latest committed head. Reads the store, so it sees appends made by other frontends. */
  async head(): Promise<LogHead> {
    const head = await this.store.head(this.id);
    if (head === undefined) throw new KeylessError('ERR_STORE', `log ${this.id} has no head; was it opened?`);
    if (this.#latest === undefined || head.size >= this.#latest.size) this.#latest = head;
    return head;
  }

  /** The head this process last saw, without a store read (for metrics and health). */
  get latestSize(): number {
    return this.#latest?.size ?? 0;
  }

  /** Number of submissions waiting for the next batch. */
  get pending(): number {
    return this.#queue.length;
  }

  submit(submission: Submission): Promise<Sequenced> {
    if (this.#closed) return Promise.reject(new KeylessError('ERR_PUSHBACK', 'the log is shutting down', { retryAfterSeconds: 1 }));
    if (this.#queue.length >= this.#maxPending) {
      return Promise.reject(new KeylessError('ERR_PUSHBACK', `the log has ${this.#queue.length} submissions waiting; retry shortly`, { retryAfterSeconds: 1 }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ submission, leafHash: leafHash(submission.body), resolve, reject });
      this.#schedule();
    });
  }

  async entry(index: number): Promise<StoredEntry> {
    const [entry] = await this.store.readEntries(this.id, index, 1);
    if (entry === undefined) throw new KeylessError('ERR_NOT_FOUND', `log ${this.origin} has no entry ${index}`, { logIndex: index });
    return entry;
  }

  async entryByLeafHash(hash: Uint8Array): Promise<StoredEntry> {
    const entry = await this.store.entryByLeafHash(this.id, hash);
    if (entry === undefined) throw new KeylessError('ERR_NOT_FOUND', `log ${this.origin} has no entry with leaf hash ${hexEncode(hash)}`);
    return entry;
  }

  inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    return this.reader.inclusionProof(index, size);
  }

  consistencyProof(size1: number, size2: number): Promise<Uint8Array[]> {
    return this.reader.consistencyProof(size1, size2);
  }

  /** Finishes the batch in flight and every queued submission, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#committing !== undefined) await this.#committing;
    while (this.#publishing.size > 0) await Promise.all(this.#publishing);
  }

  /**
   * The head clients are shown at /checkpoint: with witnessing, the latest published (cosigned, or given up on)
   * head, which may trail the committed one by the batch being witnessed; without, the committed head.
   */
  async publishedHead(): Promise<LogHead> {
    const head = await this.head();
    if (this.#publish === undefined) return head;
    if (this.#published === undefined) {
      if (this.#publishing.size === 0) this.#track(this.#publish(head).then((p) => this.#notePublished(p), () => undefined));
      return head;
    }
    return this.#published;
  }

  #track(p: Promise<void>): void {
    this.#publishing.add(p);
    void p.finally(() => this.#publishing.delete(p));
  }

  #notePublished(head: LogHead): void {
    if (this.#published === undefined || head.size >= this.#published.size) this.#published = head;
  }

  /** With witnessing: a batch is acknowledged with the head the witnesses' answers made (see LogOptions.publish). */
  async #publishThenResolve(batch: readonly Pending[], results: readonly Sequenced[]): Promise<void> {
    const head = results[0]?.head;
    let published = head;
    if (head !== undefined) {
      try {
        const known = this.#published;
        published = known !== undefined && known.size >= head.size ? known : await this.#publish!(head);
      } catch {
        published = head;
      }
      if (published.size < head.size) published = head;
      this.#notePublished(published);
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i]!;
      if (published === undefined || published === r.head) {
        batch[i]!.resolve(r);
        continue;
      }
      try {
        const inclusionProof = published.size === r.head.size ? r.inclusionProof : await this.reader.inclusionProof(r.entry.index, published.size);
        batch[i]!.resolve({ ...r, head: published, inclusionProof });
      } catch {
        batch[i]!.resolve(r);
      }
    }
  }

  #schedule(): void {
    if (this.#committing !== undefined || this.#queue.length === 0) return;
    // Submissions that arrive while a batch commits wait for the next one: that is the group commit. The batch
    // starts on the next turn of the event loop (setImmediate, not now), so that every request already read from
    // the sockets in this turn joins it instead of the first one committing alone.
    this.#committing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#commitNext())
      .finally(() => {
        this.#committing = undefined;
        this.#schedule();
      });
  }

  async #commitNext(): Promise<void> {
    const batch = this.#queue.splice(0, this.#maxBatch);
    const started = performance.now();
    try {
      const results = await this.store.append(this.id, (ctx) => this.#build(ctx, batch));
      if (this.#publish === undefined) for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      else this.#track(this.#publishThenResolve(batch, results));
      const head = results[0]?.head;
      if (head !== undefined && (this.#latest === undefined || head.size > this.#latest.size)) this.#latest = head;
      this.#onBatch?.({ appended: results.filter((r) => r.created).length, answered: batch.length, ms: performance.now() - started });
    } catch (err) {
      this.tiles.clear();
      const failure = err instanceof KeylessError ? err : new KeylessError('ERR_STORE', `the log could not commit: ${String(err)}`, {}, { cause: err });
      for (const p of batch) p.reject(failure);
    }
  }

  async #build(ctx: AppendContext, batch: readonly Pending[]) {
    const committed = ctx.head;
    if (committed === undefined) throw new KeylessError('ERR_STORE', `log ${this.id} has no head; was it opened?`);
    const existing = await ctx.findLeaves(batch.map((p) => p.leafHash));
    // Each distinct new leaf gets the next index; a repeat (in the log, or earlier in this batch) gets the first.
    const time = Math.floor(this.#now() / 1000);
    const fresh: StoredEntry[] = [];
    const byHash = new Map<string, { entry: StoredEntry; created: boolean }>();
    for (const [hex, entry] of existing) byHash.set(hex, { entry, created: false });
    const outcome = batch.map((p) => {
      const hex = hexEncode(p.leafHash);
      const seen = byHash.get(hex);
      if (seen !== undefined) return { entry: seen.entry, created: false };
      const entry: StoredEntry = {
        index: committed.size + fresh.length,
        leafHash: p.leafHash,
        body: p.submission.body,
        integratedTime: time,
        searchKeys: p.submission.searchKeys,
        ...(p.submission.attestation !== undefined && { attestation: p.submission.attestation }),
      };
      fresh.push(entry);
      byHash.set(hex, { entry, created: true });
      return { entry, created: true };
    });

    let head = committed;
    let tiles: Awaited<ReturnType<typeof appendLeaves>>['tiles'] = [];
    if (fresh.length > 0) {
      const appended = await appendLeaves((level, index) => ctx.readTile(level, index), committed.size, fresh.map((e) => e.leafHash), this.tiles);
      tiles = appended.tiles;
      head = this.#signHead(appended.size, appended.rootHash);
    }
    return {
      batch: fresh.length > 0 ? { entries: fresh, tiles, head } : undefined,
      value: await this.#proofs(head, tiles, outcome),
    };
  }

  /**
   * Inclusion proofs to the batch's new head, computed from the tiles it is about to write. This runs inside
   * `build`, before the commit; the results are handed out only after `append` resolves. If the commit fails,
   * `#commitNext` drops the tile cache, which may by then hold tile versions that were never committed.
   */
  async #proofs(head: LogHead, tiles: readonly { level: number; index: number; hashes: Uint8Array }[], outcome: readonly { entry: StoredEntry; created: boolean }[]): Promise<Sequenced[]> {
    const read = async (level: number, index: number): Promise<Uint8Array | undefined> =>
      tiles.find((t) => t.level === level && t.index === index)?.hashes ?? this.store.readTile(this.id, level, index);
    const reader = new TreeReader(read, this.tiles);
    const results: Sequenced[] = [];
    for (const { entry, created } of outcome) {
      results.push({ created, entry, head, inclusionProof: await reader.inclusionProof(entry.index, head.size) });
    }
    return results;
  }

  #signHead(size: number, rootHash: Uint8Array): LogHead {
    const text = formatCheckpoint({ origin: this.origin, size, rootHash, extensions: [] });
    return { size, rootHash, checkpoint: signNote(text, [this.signer.noteSigner]) };
  }
}
