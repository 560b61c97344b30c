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
 *
 * The log never forks. Every checkpoint it hands out (in an acknowledgement, at /checkpoint, with an entry) is
 * first written to the head record (head-record.ts), a second place that a lost database WAL cannot take with it.
 *  - At open, the store's tree must hold together (its root, recomputed from the stored tiles, is the signed
 *    head's) and must extend the recorded checkpoint: at least as large, and consistent with it by a consistency
 *    proof from the tiles. Otherwise `open` refuses with ERR_STORE_ROLLBACK (or ERR_STORE_CORRUPT), carrying both
 *    checkpoints, and nothing is served.
 *  - While running, every head read from the store must extend the last one seen; a store that goes back (a
 *    PostgreSQL restored under a running frontend) halts the log with ERR_STORE_ROLLBACK.
 *  - Before a batch is appended, the committed right edge read from the tiles must give the committed root, so a
 *    corrupted tile is never built into a new signed checkpoint.
 *  - Every proof is verified against the signed root before it is returned: a corrupted tile yields
 *    ERR_STORE_CORRUPT, never a wrong proof.
 */
import { formatCheckpoint, parseCheckpoint } from '../core/checkpoint.js';
import { bytesEqual, hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { leafHash, rootFromLeaves, verifyConsistency, verifyInclusion } from '../core/merkle.js';
import { parseSignedNote, signNote } from '../core/note.js';
import type { HeadRecord } from './head-record.js';
import type { LogSigner } from './signer.js';
import type { AppendContext, LogHead, LogStore, StoredEntry } from './store/types.js';
import { TILE_HEIGHT as TILE_LEVEL_HEIGHT, TILE_WIDTH as TILE_FULL } from './tiles.js';
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
  /**
   * How long, in milliseconds, a submission may wait for others to join its batch (default 0: a batch starts on
   * the next turn of the event loop). Each batch costs about a millisecond of CPU whatever its size (checkpoint
   * signature, tiles, the durable commit and the head record), so under a moderate load, where batches would hold
   * one or two entries, a few milliseconds of waiting halve the CPU per entry. Under a heavy load it changes
   * nothing: submissions queue up while the previous batch commits, and the oldest has waited long enough.
   */
  readonly batchWaitMs?: number;
  /** Queued submissions beyond which `submit` pushes back with ERR_PUSHBACK instead of queueing. */
  readonly maxPending?: number;
  /** Tiles kept expanded in memory. */
  readonly cacheTiles?: number;
  /** Told about every committed batch (for metrics): entries appended, submissions answered, milliseconds taken. */
  readonly onBatch?: (stats: { readonly appended: number; readonly answered: number; readonly ms: number }) => void;
  /**
   * Where checkpoints are recorded before they are handed out, and checked against at open (see head-record.ts).
   * Without one the log cannot detect a store that rolled back across restarts; `keyless serve` always sets it.
   */
  readonly record?: HeadRecord;
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
  /**
   * The submitter needs no inclusion proof (a CT log's add-pre-chain answers an SCT only): none is computed, and
   * `Sequenced.inclusionProof` is empty. The entry is committed and recorded exactly as any other.
   */
  readonly withoutProof?: boolean;
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
  /** performance.now() when it was queued. */
  readonly queuedAt: number;
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
  readonly #batchWaitMs: number;
  /** Set while a batch waits out its window: starts it now. */
  #startNow: (() => void) | undefined;
  readonly #maxPending: number;
  readonly #onBatch: LogOptions['onBatch'];
  #queue: Pending[] = [];
  #committing: Promise<void> | undefined;
  #latest: LogHead | undefined;
  #closed = false;
  readonly #record: HeadRecord | undefined;
  /** Set when the store is found rolled back or corrupt while running: from then on the log refuses everything. */
  #halted: KeylessError | undefined;
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
    this.#batchWaitMs = opts.batchWaitMs ?? 0;
    if (!Number.isFinite(this.#batchWaitMs) || this.#batchWaitMs < 0 || this.#batchWaitMs > 1000) throw new TypeError('batchWaitMs must be between 0 and 1000');
    this.#maxPending = opts.maxPending ?? 20_000;
    this.#onBatch = opts.onBatch;
    this.#record = opts.record;
    this.#publish = opts.publish;
    this.tiles = new TileCache(opts.cacheTiles ?? 4096);
    this.reader = new TreeReader((level, index) => this.store.readTile(this.id, level, index), this.tiles);
  }

  /**
   * Creates the log's storage and, for a new log, commits the signed checkpoint of the empty tree. Refuses with
   * ERR_STORE_CORRUPT when the stored tree does not give its signed root, and with ERR_STORE_ROLLBACK when it does
   * not extend the recorded checkpoint.
   */
  async open(): Promise<this> {
    await this.store.ensureLog(this.id);
    const recorded = this.#record?.read(this.id);
    let head = await this.store.head(this.id);
    if (head === undefined) {
      if (recorded !== undefined && recorded.size > 0) throw this.#rollback('the store holds no tree at all', recorded, undefined);
      head = await this.store.append(this.id, async (ctx) => {
        if (ctx.head !== undefined) return { batch: undefined, value: ctx.head };
        const empty = this.#signHead(0, await this.reader.rootHash(0));
        return { batch: { entries: [], tiles: [], head: empty }, value: empty };
      });
    }
    await this.#checkStoredHead(head);
    if (recorded !== undefined) await this.#checkExtends(recorded, head);
    this.#record?.write(this.id, head);
    this.#latest = head;
    return this;
  }

  /** The latest committed head. Reads the store, so it sees appends made by other frontends. */
  async head(): Promise<LogHead> {
    if (this.#halted !== undefined) throw this.#halted;
    let head = await this.store.head(this.id);
    if (head === undefined) throw new KeylessError('ERR_STORE', `log ${this.id} has no head; was it opened?`);
    const latest = this.#latest;
    if (latest !== undefined && head.size < latest.size) {
      // A read that started before a newer head was seen can finish after it; a read started now cannot.
      head = await this.store.head(this.id);
      if (head === undefined || head.size < latest.size) {
        throw this.#halt(this.#rollback('the store went back to a smaller tree while the log was serving', latest, head));
      }
    }
    return this.#accept(head, false);
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
    if (this.#halted !== undefined) return Promise.reject(this.#halted);
    if (this.#closed) return Promise.reject(new KeylessError('ERR_PUSHBACK', 'the log is shutting down', { retryAfterSeconds: 1 }));
    if (this.#queue.length >= this.#maxPending) {
      return Promise.reject(new KeylessError('ERR_PUSHBACK', `the log has ${this.#queue.length} submissions waiting; retry shortly`, { retryAfterSeconds: 1 }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ submission, leafHash: leafHash(submission.body), queuedAt: performance.now(), resolve, reject });
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

  /** An inclusion proof of `entry` in the tree of `head`, verified against the head's signed root first. */
  async inclusionProof(entry: StoredEntry, head: LogHead): Promise<Uint8Array[]> {
    return this.#checkedInclusion(entry, head, await this.reader.inclusionProof(entry.index, head.size));
  }

  /**
   * A consistency proof from the tree of `size1` to the tree of `size2` (at most the latest head's size), and the
   * root of `size2`, both checked against the latest signed root before they are returned.
   */
  async consistencyProof(size1: number, size2: number): Promise<{ proof: Uint8Array[]; rootHash: Uint8Array }> {
    const head = await this.head();
    if (size2 > head.size) throw new KeylessError('ERR_REQUEST', `tree size ${size2} is beyond the tree size ${head.size}`, { size2, treeSize: head.size });
    const proof = await this.reader.consistencyProof(size1, size2);
    const root1 = await this.reader.rootHash(size1);
    const root2 = size2 === head.size ? head.rootHash : await this.reader.rootHash(size2);
    try {
      verifyConsistency(size1, size2, proof, root1, root2);
      // A size below the head: its root came from the tiles, so tie it to the signed root as well.
      if (size2 < head.size) verifyConsistency(size2, head.size, await this.reader.consistencyProof(size2, head.size), root2, head.rootHash);
    } catch (err) {
      throw this.#corruptTiles(`a consistency proof from ${size1} to ${size2} built from the stored tiles does not verify against the signed root`, err);
    }
    return { proof, rootHash: root2 };
  }

  /**
   * The first `width` hashes of stored tile (level, index) of the tree of `head`, as tile clients fetch them. A
   * full tile is checked first against the hash its parent tile holds for it (its Merkle root), so a flipped bit
   * is refused with ERR_STORE_CORRUPT instead of being served as proof material. (A partial tile is on the right
   * edge, which open() checked against the signed root and only this log has written since.)
   */
  async tile(level: number, index: number, width: number, head: LogHead): Promise<Uint8Array> {
    const hashes = await this.store.readTile(this.id, level, index);
    if (hashes === undefined || hashes.length < width * 32) {
      throw new KeylessError('ERR_STORE', `tile ${level}/${index} is missing from storage although the tree of size ${head.size} covers it`, { level, index });
    }
    const served = hashes.subarray(0, width * 32);
    if (width === TILE_FULL) {
      const root = rootFromLeaves(Array.from({ length: TILE_FULL }, (_, i) => served.subarray(i * 32, (i + 1) * 32)));
      const parent = await this.reader.nodeHash(TILE_LEVEL_HEIGHT * (level + 1), index, head.size);
      if (!bytesEqual(root, parent)) {
        throw this.#corruptTiles(`stored tile ${level}/${index} does not hash to the root its parent tile holds for it`, new Error(`tile root ${hexEncode(root)}, parent holds ${hexEncode(parent)}`));
      }
    }
    return served;
  }

  /** Finishes the batch in flight and every queued submission, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#startNow?.(); // a batch waiting out its window commits now
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
        const inclusionProof = published.size === r.head.size || batch[i]!.submission.withoutProof === true ? r.inclusionProof : await this.inclusionProof(r.entry, published);
        batch[i]!.resolve({ ...r, head: published, inclusionProof });
      } catch {
        batch[i]!.resolve(r);
      }
    }
  }

  #schedule(): void {
    // A batch waiting out its window starts at once when it is full.
    if (this.#startNow !== undefined && this.#queue.length >= this.#maxBatch) this.#startNow();
    if (this.#committing !== undefined || this.#queue.length === 0) return;
    // Submissions that arrive while a batch commits wait for the next one: that is the group commit. The batch
    // starts on the next turn of the event loop (setImmediate, not now), so that every request already read from
    // the sockets in this turn joins it instead of the first one committing alone.
    // With a batch window, a batch that is not full yet starts when its oldest submission has waited that long.
    const wait = this.#queue.length >= this.#maxBatch ? 0 : this.#queue[0]!.queuedAt + this.#batchWaitMs - performance.now();
    this.#committing = new Promise<void>((resolve) => {
      if (wait <= 0) {
        setImmediate(resolve);
        return;
      }
      const timer = setTimeout(() => this.#startNow?.(), wait);
      this.#startNow = () => {
        clearTimeout(timer);
        this.#startNow = undefined;
        resolve();
      };
    })
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
      // Recorded before any submitter hears of it (head-record.ts).
      const head = results[0]?.head;
      if (head !== undefined) await this.#accept(head, true);
      if (this.#publish === undefined) for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      else this.#track(this.#publishThenResolve(batch, results));
      this.#onBatch?.({ appended: results.filter((r) => r.created).length, answered: batch.length, ms: performance.now() - started });
    } catch (err) {
      this.tiles.clear();
      const failure = err instanceof KeylessError ? err : new KeylessError('ERR_STORE', `the log could not commit: ${String(err)}`, {}, { cause: err });
      for (const p of batch) p.reject(failure);
    }
  }

  async #build(ctx: AppendContext, batch: readonly Pending[]) {
    if (this.#halted !== undefined) throw this.#halted;
    const committed = ctx.head;
    if (committed === undefined) throw new KeylessError('ERR_STORE', `log ${this.id} has no head; was it opened?`);
    await this.#checkRightEdge(ctx, committed);
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
      value: await this.#proofs(head, tiles, outcome, batch),
    };
  }

  /**
   * Inclusion proofs to the batch's new head, computed from the tiles it is about to write. This runs inside
   * `build`, before the commit; the results are handed out only after `append` resolves. If the commit fails,
   * `#commitNext` drops the tile cache, which may by then hold tile versions that were never committed.
   */
  async #proofs(
    head: LogHead,
    tiles: readonly { level: number; index: number; hashes: Uint8Array }[],
    outcome: readonly { entry: StoredEntry; created: boolean }[],
    batch: readonly Pending[],
  ): Promise<Sequenced[]> {
    const read = async (level: number, index: number): Promise<Uint8Array | undefined> =>
      tiles.find((t) => t.level === level && t.index === index)?.hashes ?? this.store.readTile(this.id, level, index);
    const reader = new TreeReader(read, this.tiles);
    const results: Sequenced[] = [];
    for (const [i, { entry, created }] of outcome.entries()) {
      const inclusionProof = batch[i]!.submission.withoutProof === true ? [] : this.#checkedInclusion(entry, head, await reader.inclusionProof(entry.index, head.size));
      results.push({ created, entry, head, inclusionProof });
    }
    return results;
  }

  /**
   * Takes a head read from the store or just committed: it must extend the last head seen (a head from another
   * frontend is checked by a consistency proof), and it is recorded before it is returned.
   */
  async #accept(head: LogHead, ours: boolean): Promise<LogHead> {
    const latest = this.#latest;
    if (latest !== undefined && head.size <= latest.size) {
      if (head.size === latest.size && !bytesEqual(head.rootHash, latest.rootHash)) {
        throw this.#halt(this.#rollback('the store holds another tree of the same size', latest, head));
      }
      // An acknowledgement of ours can arrive after a larger head from another frontend was seen: that one stands.
      return head.size === latest.size || ours ? head : latest;
    }
    if (latest !== undefined && !ours) {
      try {
        verifyConsistency(latest.size, head.size, await this.reader.consistencyProof(latest.size, head.size), latest.rootHash, head.rootHash);
      } catch (err) {
        throw this.#halt(this.#rollback(`the store's new tree does not extend the last one seen (${(err as Error).message})`, latest, head));
      }
    }
    if (this.#latest === undefined || head.size > this.#latest.size) {
      this.#record?.write(this.id, head);
      this.#latest = head;
    }
    return head;
  }

  // The signed head must say what the store says, and the stored tiles must give its root.
  async #checkStoredHead(head: LogHead): Promise<void> {
    let cp;
    try {
      cp = parseCheckpoint(parseSignedNote(head.checkpoint).text);
    } catch (err) {
      throw new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: the stored checkpoint does not parse: ${(err as Error).message}`, { logId: this.id }, { cause: err });
    }
    if (cp.origin !== this.origin || cp.size !== head.size || !bytesEqual(cp.rootHash, head.rootHash)) {
      throw new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: the stored checkpoint (${cp.origin}, size ${cp.size}) does not match the stored head (size ${head.size})`, {
        logId: this.id,
        checkpoint: head.checkpoint,
      });
    }
    this.tiles.clear();
    let computed: Uint8Array;
    try {
      computed = await this.reader.rootHash(head.size);
    } catch (err) {
      throw new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: the stored tiles cannot give the root of the tree of size ${head.size}: ${(err as Error).message}`, { logId: this.id }, { cause: err });
    }
    if (!bytesEqual(computed, head.rootHash)) {
      throw new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: the stored tiles give another root than the signed head of size ${head.size}`, {
        logId: this.id,
        size: head.size,
        signedRoot: hexEncode(head.rootHash),
        tilesRoot: hexEncode(computed),
      });
    }
  }

  // The store's head must be the recorded tree or extend it.
  async #checkExtends(recorded: LogHead, head: LogHead): Promise<void> {
    if (head.size < recorded.size) throw this.#rollback(`the store holds ${head.size} entries, fewer than the ${recorded.size} of a checkpoint already published`, recorded, head);
    if (head.size === recorded.size) {
      if (!bytesEqual(head.rootHash, recorded.rootHash)) throw this.#rollback('the store holds another tree of the recorded size', recorded, head);
      return;
    }
    try {
      verifyConsistency(recorded.size, head.size, await this.reader.consistencyProof(recorded.size, head.size), recorded.rootHash, head.rootHash);
    } catch (err) {
      throw this.#rollback(`the store's tree does not extend the recorded one (${(err as Error).message})`, recorded, head);
    }
  }

  // Under the write lock, before anything is built on it: the committed right edge must give the committed root.
  // A memo hit in the common case (the previous batch computed this root from the tiles it wrote).
  async #checkRightEdge(ctx: AppendContext, committed: LogHead): Promise<void> {
    const root = (): Promise<Uint8Array> => new TreeReader((level, index) => ctx.readTile(level, index), this.tiles).rootHash(committed.size);
    if (bytesEqual(await root(), committed.rootHash)) return;
    this.tiles.clear(); // perhaps only the cache was stale (another frontend appended); read the store again
    const fromStore = await root();
    if (bytesEqual(fromStore, committed.rootHash)) return;
    throw this.#halt(new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: the stored tiles give another root than the committed head of size ${committed.size}; nothing is appended`, {
      logId: this.id,
      size: committed.size,
      signedRoot: hexEncode(committed.rootHash),
      tilesRoot: hexEncode(fromStore),
    }));
  }

  #checkedInclusion(entry: StoredEntry, head: LogHead, proof: Uint8Array[]): Uint8Array[] {
    try {
      if (!bytesEqual(leafHash(entry.body), entry.leafHash)) throw new Error(`the stored body of entry ${entry.index} does not hash to its leaf hash`);
      verifyInclusion(entry.index, head.size, entry.leafHash, proof, head.rootHash);
    } catch (err) {
      throw this.#corruptTiles(`the inclusion proof of entry ${entry.index} in the tree of size ${head.size} does not verify against the signed root`, err);
    }
    return proof;
  }

  #corruptTiles(message: string, cause: unknown): KeylessError {
    this.tiles.clear();
    return new KeylessError('ERR_STORE_CORRUPT', `log ${this.origin}: ${message}; stored data is corrupt (run keyless log fsck)`, {
      logId: this.id,
      reason: (cause as Error).message,
    }, { cause });
  }

  #rollback(reason: string, recorded: LogHead, found: LogHead | undefined): KeylessError {
    return new KeylessError(
      'ERR_STORE_ROLLBACK',
      `log ${this.origin} would fork: ${reason}. Published: size ${recorded.size}; store: ${found === undefined ? 'empty' : `size ${found.size}`}. ` +
        'Restore the data from a backup that holds the published tree; if none does, the log cannot go on without forking and must be retired (see README, "Recovering a log").',
      {
        logId: this.id,
        origin: this.origin,
        recordedCheckpoint: recorded.checkpoint,
        storeCheckpoint: found?.checkpoint ?? null,
        ...(this.#record !== undefined && { record: this.#record.location }),
      },
    );
  }

  #halt(err: KeylessError): KeylessError {
    this.#halted ??= err;
    return err;
  }

  #signHead(size: number, rootHash: Uint8Array): LogHead {
    const text = formatCheckpoint({ origin: this.origin, size, rootHash, extensions: [] });
    return { size, rootHash, checkpoint: signNote(text, [this.signer.noteSigner]) };
  }
}
