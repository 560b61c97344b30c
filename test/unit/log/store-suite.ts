/**
 * The one test suite every LogStore driver passes (see src/log/store/types.ts). Tiles, hashes and checkpoints
 * are fabricated: the tree maths is tested elsewhere; here only what a store keeps and refuses matters.
 * Level-0 tiles are built the way the sequencer does (the committed partial tile plus the new leaf hashes),
 * so a store that lost or reordered an append shows up as a tile that disagrees with the entries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isKeylessError } from '../../../src/core/errors.js';
import type { AppendBatch, AppendContext, LogHead, LogStore, StoredEntry, TileWrite } from '../../../src/log/store/types.js';

export interface StoreHarness {
  readonly store: LogStore;
  /** Opens another store on the same data (the test closes the first one before). */
  reopen(): Promise<LogStore>;
  /** Closes `store` and deletes the data. */
  cleanup(): Promise<void>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text).digest());
}

/** The entry a test writes at `index`; `tag` keeps the leaf hashes of different writers apart. */
export function fakeEntry(index: number, tag: string, searchKeys: readonly string[] = [`tag:${tag}`, `sha256:${tag}-${index}`]): StoredEntry {
  return {
    index,
    leafHash: sha256(`leaf ${tag} ${index}`),
    body: new TextEncoder().encode(`{"body":"${tag}","index":${index}}`),
    integratedTime: 1_700_000_000 + index,
    searchKeys,
  };
}

export function fakeHead(size: number, tag = 'head'): LogHead {
  const rootHash = sha256(`root ${tag} ${size}`);
  return { size, rootHash, checkpoint: `keyless.test/log\n${size}\n${Buffer.from(rootHash).toString('base64')}\n` };
}

/** Level-0 tiles after adding `entries`: each touched tile is its committed version plus the new leaf hashes. */
export async function leafTiles(ctx: AppendContext, entries: readonly StoredEntry[]): Promise<TileWrite[]> {
  const tiles = new Map<number, Uint8Array>();
  for (const e of entries) {
    const index = Math.floor(e.index / 256);
    const prefix = tiles.get(index) ?? (await ctx.readTile(0, index)) ?? new Uint8Array();
    tiles.set(index, Buffer.concat([prefix, e.leafHash]));
  }
  return [...tiles].map(([index, hashes]) => ({ level: 0, index, hashes: new Uint8Array(hashes) }));
}

/** Appends `count` fabricated entries after the committed head; resolves to the first index written. */
export async function appendFake(store: LogStore, logId: string, count: number, tag: string, yieldInBuild = false): Promise<number> {
  return store.append(logId, async (ctx) => {
    const size = ctx.head?.size ?? 0;
    // Give every other append the chance to interleave: only the store's lock keeps them apart.
    if (yieldInBuild) await new Promise((resolve) => setImmediate(resolve));
    const entries = Array.from({ length: count }, (_, i) => fakeEntry(size + i, tag));
    return { batch: { entries, tiles: await leafTiles(ctx, entries), head: fakeHead(size + count, tag) }, value: size };
  });
}

/** A key with quotes, backslashes, commas, braces and non-ASCII, which array and JSON encodings must survive. */
const ODD_KEY = 'email:"o\\\'neil",{x}@exämple.com';

function isStoreError(err: unknown): boolean {
  return isKeylessError(err) && err.code === 'ERR_STORE';
}

/** Everything a log holds that a refused or empty append must leave alone. */
async function snapshot(store: LogStore, logId: string, searchKey = 'tag:base'): Promise<unknown> {
  return {
    head: await store.head(logId),
    entries: await store.readEntries(logId, 0, 1000),
    tiles: [await store.readTile(logId, 0, 0), await store.readTile(logId, 1, 0)],
    search: await store.search(logId, searchKey, 1000),
  };
}

export function storeSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  const withStore = (fn: (h: StoreHarness) => Promise<void>) => async () => {
    const h = await makeStore();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };

  describe(`LogStore: ${name}`, () => {
    it('an empty log has no head, entries, tiles or search hits; ensureLog is idempotent', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await store.ensureLog('a');
      assert.equal(await store.head('a'), undefined);
      assert.deepEqual(await store.readEntries('a', 0, 10), []);
      assert.equal(await store.readTile('a', 0, 0), undefined);
      assert.deepEqual(await store.search('a', 'tag:x', 10), []);
      assert.equal(await store.entryByLeafHash('a', fakeEntry(0, 'x').leafHash), undefined);
      await store.append('a', async (ctx) => {
        assert.equal(ctx.head, undefined);
        return { batch: undefined, value: null };
      });
    }));

    it('append commits entries, tiles and head, and resolves to what build returned', withStore(async ({ store }) => {
      await store.ensureLog('a');
      const entries = [0, 1, 2].map((i) => fakeEntry(i, 'base'));
      const tiles: TileWrite[] = [{ level: 0, index: 0, hashes: Buffer.concat(entries.map((e) => e.leafHash)) }, { level: 1, index: 0, hashes: sha256('l1') }];
      const value = await store.append('a', async () => ({ batch: { entries, tiles, head: fakeHead(3) }, value: { ok: 42 } }));
      assert.deepEqual(value, { ok: 42 });
      assert.deepEqual(await store.head('a'), fakeHead(3));
      assert.deepEqual(await store.readEntries('a', 0, 3), entries);
      assert.deepEqual(await store.readTile('a', 0, 0), new Uint8Array(tiles[0]!.hashes));
      assert.deepEqual(await store.readTile('a', 1, 0), sha256('l1'));
      assert.deepEqual(await store.search('a', 'sha256:base-1', 10), [1]);
      await store.append('a', async (ctx) => {
        assert.deepEqual(ctx.head, fakeHead(3));
        assert.deepEqual(await ctx.readTile(0, 0), new Uint8Array(tiles[0]!.hashes));
        return { batch: undefined, value: null };
      });
    }));

    it('build returning no batch writes nothing', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await appendFake(store, 'a', 3, 'base');
      const before = await snapshot(store, 'a');
      assert.equal(await store.append('a', async () => ({ batch: undefined, value: 'duplicate' })), 'duplicate');
      assert.deepEqual(await snapshot(store, 'a'), before);
    }));

    it('build throwing writes nothing and rejects with its own error', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await appendFake(store, 'a', 3, 'base');
      const before = await snapshot(store, 'a');
      const thrown = new Error('signer unavailable');
      await assert.rejects(store.append('a', async (ctx) => {
        await ctx.findLeaves([fakeEntry(3, 'base').leafHash]);
        throw thrown;
      }), (err) => err === thrown);
      assert.deepEqual(await snapshot(store, 'a'), before);
      assert.equal(await appendFake(store, 'a', 1, 'base'), 3, 'the log is usable after a failed build');
    }));

    it('a batch breaking the contract is refused with ERR_STORE and nothing is written', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await appendFake(store, 'a', 3, 'base');
      const before = await snapshot(store, 'a');
      const tiles: TileWrite[] = [{ level: 1, index: 0, hashes: sha256('refused') }];
      const bad: Record<string, AppendBatch> = {
        'first index past the size': { entries: [fakeEntry(4, 'base')], tiles, head: fakeHead(5) },
        'first index before the size': { entries: [fakeEntry(2, 'x')], tiles, head: fakeHead(3) },
        'head size not size + entries': { entries: [fakeEntry(3, 'base')], tiles, head: fakeHead(5) },
        'head size without entries': { entries: [], tiles, head: fakeHead(4) },
        'entries not consecutive': { entries: [fakeEntry(3, 'base'), fakeEntry(5, 'base')], tiles, head: fakeHead(5) },
        'one leaf twice': { entries: [fakeEntry(3, 'base'), { ...fakeEntry(3, 'base'), index: 4 }], tiles, head: fakeHead(5) },
        'tile not whole hashes': { entries: [fakeEntry(3, 'base')], tiles: [{ level: 1, index: 0, hashes: new Uint8Array(33) }], head: fakeHead(4) },
      };
      for (const [what, batch] of Object.entries(bad)) {
        await assert.rejects(store.append('a', async () => ({ batch, value: 0 })), isStoreError, what);
        assert.deepEqual(await snapshot(store, 'a'), before, what);
      }
      await assert.rejects(store.append('never-ensured', async () => ({ batch: undefined, value: 0 })), isStoreError);
    }));

    it('a leaf already in the log is refused by the store itself, as ERR_STORE with the driver error as cause', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await appendFake(store, 'a', 3, 'base');
      const before = await snapshot(store, 'a');
      const again = { ...fakeEntry(1, 'base'), index: 3 };
      const batch = { entries: [again], tiles: [{ level: 1, index: 0, hashes: sha256('fork') }], head: fakeHead(4) };
      await assert.rejects(store.append('a', async () => ({ batch, value: 0 })), (err) => isStoreError(err) && (err as Error).cause !== undefined);
      assert.deepEqual(await snapshot(store, 'a'), before);
    }));

    it('tiles grow and are never shortened or rewritten', withStore(async ({ store }) => {
      await store.ensureLog('a');
      const h = (n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => sha256(`node ${i}`)));
      const write = (size: number, hashes: Uint8Array) => store.append('a', async () => ({
        batch: { entries: [fakeEntry(size, 'base')], tiles: [{ level: 0, index: 0, hashes }], head: fakeHead(size + 1) },
        value: null,
      }));
      await write(0, h(2));
      await write(1, h(5));
      assert.deepEqual(await store.readTile('a', 0, 0), new Uint8Array(h(5)));
      const before = await snapshot(store, 'a');
      await assert.rejects(write(2, h(3)), (err) => isStoreError(err) && /refused to shorten tile 0\/0 of log a from 5 to 3 hashes/.test((err as Error).message), 'shorter');
      const rewritten = h(6);
      rewritten[0] = rewritten[0]! ^ 1;
      await assert.rejects(write(2, rewritten), (err) => isStoreError(err) && /refused to rewrite committed hashes of tile 0\/0/.test((err as Error).message), 'committed prefix changed');
      assert.deepEqual(await snapshot(store, 'a'), before);
      await write(2, h(5));
      await write(3, h(256));
      assert.deepEqual(await store.readTile('a', 0, 0), new Uint8Array(h(256)));
      assert.equal(await store.readTile('a', 0, 1), undefined);
    }));

    it('readEntries returns the entries that exist in [start, start + count), in order', withStore(async ({ store }) => {
      await store.ensureLog('a');
      for (const n of [4, 1, 5]) await appendFake(store, 'a', n, 'base');
      const all = Array.from({ length: 10 }, (_, i) => fakeEntry(i, 'base'));
      assert.deepEqual(await store.readEntries('a', 0, 10), all);
      assert.deepEqual(await store.readEntries('a', 3, 4), all.slice(3, 7));
      assert.deepEqual(await store.readEntries('a', 8, 5), all.slice(8), 'a range past the end is cut');
      assert.deepEqual(await store.readEntries('a', 10, 5), []);
      assert.deepEqual(await store.readEntries('a', 100, 1), []);
      assert.deepEqual(await store.readEntries('a', 3, 0), []);
      assert.deepEqual(await store.readEntries('unknown', 0, 10), []);
      await assert.rejects(store.readEntries('a', -1, 2), TypeError);
    }));

    it('entryByLeafHash finds an entry of this log only', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await store.ensureLog('b');
      await appendFake(store, 'a', 4, 'base');
      assert.deepEqual(await store.entryByLeafHash('a', fakeEntry(2, 'base').leafHash), fakeEntry(2, 'base'));
      assert.equal(await store.entryByLeafHash('a', fakeEntry(4, 'base').leafHash), undefined);
      assert.equal(await store.entryByLeafHash('b', fakeEntry(2, 'base').leafHash), undefined);
    }));

    it('findLeaves sees the committed leaves under the lock, keyed by lower-case hex', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await appendFake(store, 'a', 3, 'base');
      const wanted = [fakeEntry(1, 'base'), fakeEntry(9, 'new'), fakeEntry(2, 'base')];
      const found = await store.append('a', async (ctx) => ({ batch: undefined, value: await ctx.findLeaves(wanted.map((e) => e.leafHash)) }));
      assert.deepEqual(found, new Map([
        [Buffer.from(wanted[0]!.leafHash).toString('hex'), fakeEntry(1, 'base')],
        [Buffer.from(wanted[2]!.leafHash).toString('hex'), fakeEntry(2, 'base')],
      ]));
      assert.deepEqual(await store.append('a', async (ctx) => ({ batch: undefined, value: await ctx.findLeaves([]) })), new Map());
    }));

    it('the context stops working once build has returned', withStore(async ({ store }) => {
      await store.ensureLog('a');
      const leaked = await store.append('a', async (ctx) => ({ batch: undefined, value: ctx }));
      await assert.rejects(leaked.readTile(0, 0), isStoreError);
      await assert.rejects(leaked.findLeaves([]), isStoreError);
    }));

    it('search returns ascending indexes carrying the key, at most limit', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await store.append('a', async () => {
        const entries = Array.from({ length: 6 }, (_, i) => fakeEntry(i, 'base', i % 2 === 0 ? ['email:a@example.com', 'email:a@example.com'] : ['email:b@example.com']));
        entries.push(fakeEntry(6, 'base', [ODD_KEY, '{"json":"looking"}']));
        return { batch: { entries, tiles: [], head: fakeHead(7) }, value: null };
      });
      assert.deepEqual(await store.search('a', 'email:a@example.com', 100), [0, 2, 4], 'a key repeated in one entry counts once');
      assert.deepEqual(await store.search('a', 'email:a@example.com', 2), [0, 2]);
      assert.deepEqual(await store.search('a', 'email:b@example.com', 1), [1]);
      assert.deepEqual(await store.search('a', 'email:c@example.com', 10), []);
      assert.deepEqual(await store.search('a', 'email:a@example.com', 0), []);
      assert.deepEqual(await store.search('a', ODD_KEY, 10), [6]);
      assert.deepEqual((await store.readEntries('a', 6, 1))[0]?.searchKeys, [ODD_KEY, '{"json":"looking"}']);
      assert.deepEqual((await store.readEntries('a', 0, 1))[0]?.searchKeys, ['email:a@example.com', 'email:a@example.com'], 'keys kept as given');
    }));

    it('several logs in one store are independent', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await store.ensureLog('b');
      await appendFake(store, 'a', 3, 'same');
      await appendFake(store, 'b', 2, 'same');
      await appendFake(store, 'a', 1, 'same');
      assert.equal((await store.head('a'))?.size, 4);
      assert.equal((await store.head('b'))?.size, 2);
      assert.deepEqual(await store.readEntries('b', 0, 10), [0, 1].map((i) => fakeEntry(i, 'same')));
      assert.equal((await store.readTile('a', 0, 0))?.length, 4 * 32);
      assert.equal((await store.readTile('b', 0, 0))?.length, 2 * 32);
      assert.deepEqual(await store.search('b', 'tag:same', 10), [0, 1]);
    }));

    it('concurrent appends from one store serialise: every index once, tiles agree with the entries', withStore(async ({ store }) => {
      await store.ensureLog('a');
      await store.ensureLog('b');
      const calls = Array.from({ length: 50 }, (_, k) => [appendFake(store, 'a', 3, `c${k}`, true), appendFake(store, 'b', 1, `d${k}`, true)]);
      const starts = await Promise.all(calls.map(([a]) => a!));
      await Promise.all(calls.map(([, b]) => b!));
      assert.deepEqual([...starts].sort((x, y) => x - y), Array.from({ length: 50 }, (_, k) => 3 * k));
      const entries = await store.readEntries('a', 0, 1000);
      assert.deepEqual(entries.map((e) => e.index), Array.from({ length: 150 }, (_, i) => i));
      assert.equal((await store.head('a'))?.size, 150);
      assert.deepEqual(await store.readTile('a', 0, 0), new Uint8Array(Buffer.concat(entries.map((e) => e.leafHash))));
      assert.equal((await store.head('b'))?.size, 50);
    }));

    it('an attestation is kept beside its entry, and is absent when none was given', withStore(async (h) => {
      await h.store.ensureLog('a');
      // Bytes no text encoding survives, and one empty attestation (kept, not confused with none).
      const attestations = [undefined, new Uint8Array([0, 0xff, 0x80, 0x0a, 0x27, 0x5c]), new Uint8Array(), undefined];
      const entries = attestations.map((a, i) => ({ ...fakeEntry(i, 'att'), ...(a !== undefined && { attestation: a }) }));
      await h.store.append('a', async (ctx) => ({ batch: { entries, tiles: await leafTiles(ctx, entries), head: fakeHead(4, 'att') }, value: null }));
      const check = async (store: LogStore): Promise<void> => {
        const read = await store.readEntries('a', 0, 10);
        assert.deepEqual(read, entries);
        assert.deepEqual(read.map((e) => 'attestation' in e), [false, true, true, false]);
        assert.deepEqual((await store.entryByLeafHash('a', entries[1]!.leafHash))?.attestation, attestations[1]);
        assert.equal('attestation' in ((await store.entryByLeafHash('a', entries[0]!.leafHash)) ?? {}), false);
        await store.append('a', async (ctx) => {
          const found = await ctx.findLeaves(entries.map((e) => e.leafHash));
          assert.deepEqual(found.get(hex(entries[1]!.leafHash))?.attestation, attestations[1]);
          assert.equal('attestation' in (found.get(hex(entries[3]!.leafHash)) ?? {}), false);
          return { batch: undefined, value: null };
        });
      };
      await check(h.store);
      await h.store.close();
      const store = await h.reopen();
      try {
        await check(store);
      } finally {
        await store.close();
      }
    }));

    it('committed data survives close and reopen; close waits for an append in flight', withStore(async (h) => {
      await h.store.ensureLog('a');
      await appendFake(h.store, 'a', 3, 'base');
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      const inFlight = h.store.append('a', async (ctx) => {
        await gate;
        const entries = [fakeEntry(3, 'base')];
        return { batch: { entries, tiles: await leafTiles(ctx, entries), head: fakeHead(4, 'base') }, value: 'late' };
      });
      const closed = h.store.close();
      await assert.rejects(h.store.append('a', async () => ({ batch: undefined, value: 0 })), isStoreError, 'closing store refuses new appends');
      release();
      assert.equal(await inFlight, 'late');
      await closed;
      await assert.rejects(h.store.head('a'), isStoreError, 'closed store refuses reads');

      const store = await h.reopen();
      try {
        assert.deepEqual(await store.head('a'), fakeHead(4, 'base'));
        assert.deepEqual(await store.readEntries('a', 0, 10), [0, 1, 2, 3].map((i) => fakeEntry(i, 'base')));
        assert.equal((await store.readTile('a', 0, 0))?.length, 4 * 32);
        assert.deepEqual(await store.search('a', 'tag:base', 10), [0, 1, 2, 3]);
        assert.equal(await appendFake(store, 'a', 1, 'base'), 4);
      } finally {
        await store.close();
      }
    }));
  });
}
