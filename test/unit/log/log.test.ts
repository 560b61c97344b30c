// The log engine (src/log/log.ts) on the real SQLite driver: group commit, proofs to each batch's checkpoint,
// de-duplication, failure handling and pushback.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCheckpoint } from '../../../src/core/checkpoint.js';
import { utf8Encode } from '../../../src/core/encoding.js';
import { publicKeyFromSpki, verifySignature } from '../../../src/core/keys.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../../src/core/merkle.js';
import { parseSignedNote, verifySignedNote } from '../../../src/core/note.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import type { LogStore } from '../../../src/log/store/types.js';
import { coded } from '../../helpers/vectors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function openLog(opts: { wrap?: (s: LogStore) => LogStore; maxPending?: number; maxBatch?: number; batchWaitMs?: number; onBatch?: (s: { answered: number }) => void } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-log-'));
  dirs.push(dir);
  const raw = await createSqliteStore({ path: join(dir, 'log.sqlite') });
  const store = opts.wrap ? opts.wrap(raw) : raw;
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = createLogSigner(privateKey, 'test.example/log', 'c2sp');
  const log = await new TransparencyLog({ id: 'test', origin: 'test.example/log', signer, store, now: () => 1_700_000_000_000, ...opts }).open();
  return { log, store: raw, signer };
}

function verifyHead(checkpointText: string, signer: { spki: Uint8Array }) {
  const note = parseSignedNote(checkpointText);
  const key = publicKeyFromSpki(signer.spki);
  verifySignedNote(note, note.signatures.map((s) => ({ name: s.name, keyHint: s.keyHint, verify: (m: Uint8Array, sig: Uint8Array) => verifySignature(key, m, sig) })));
  return parseCheckpoint(note.text);
}

describe('transparency log engine', () => {
  it('starts with a signed checkpoint of the empty tree', async () => {
    const { log, signer } = await openLog();
    const head = await log.head();
    assert.equal(head.size, 0);
    assert.equal(verifyHead(head.checkpoint, signer).size, 0);
    await log.close();
  });

  it('commits concurrent submissions in batches, each acknowledged with a proof to a signed checkpoint', async () => {
    const { log, signer } = await openLog({ maxBatch: 64 });
    const n = 700;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => log.submit({ body: utf8Encode(`entry ${i}`), searchKeys: [`sha256:${i}`] })));
    const indexes = results.map((r) => r.entry.index).sort((a, b) => a - b);
    assert.deepEqual(indexes, Array.from({ length: n }, (_, i) => i), 'every index used exactly once');
    const heads = new Set(results.map((r) => r.head.size));
    assert.ok(heads.size < n / 10, `group commit: ${heads.size} checkpoints for ${n} entries`);
    assert.ok(heads.size >= Math.ceil(n / 64), 'no batch is larger than maxBatch');
    for (const r of results) {
      assert.ok(r.created);
      const cp = verifyHead(r.head.checkpoint, signer);
      assert.equal(cp.size, r.head.size);
      verifyInclusion(r.entry.index, r.head.size, leafHash(r.entry.body), r.inclusionProof, cp.rootHash);
    }
    // Every batch's checkpoint extends the earlier ones.
    const final = await log.head();
    for (const r of results.slice(0, 20)) {
      verifyConsistency(r.head.size, final.size, (await log.consistencyProof(r.head.size, final.size)).proof, r.head.rootHash, final.rootHash);
    }
    await log.close();
  });

  it('commits a submission made without a proof like any other, and computes no proof for it alone', async () => {
    const { log, signer } = await openLog();
    const [bare, proven] = await Promise.all([
      log.submit({ body: utf8Encode('no proof wanted'), searchKeys: [], withoutProof: true }),
      log.submit({ body: utf8Encode('proof wanted'), searchKeys: [] }),
    ]);
    assert.deepEqual(bare.inclusionProof, []);
    assert.equal(bare.head.size, 2, 'both in one batch');
    const cp = verifyHead(proven.head.checkpoint, signer);
    verifyInclusion(proven.entry.index, cp.size, leafHash(proven.entry.body), proven.inclusionProof, cp.rootHash);
    // The entry is in the tree all the same: its proof, asked for, verifies against the signed head.
    const head = await log.head();
    verifyInclusion(bare.entry.index, head.size, leafHash(utf8Encode('no proof wanted')), await log.inclusionProof(bare.entry, head), head.rootHash);
    await log.close();
  });

  it('answers a repeated entry with the existing one, in the log or within one batch', async () => {
    const { log } = await openLog();
    const first = await log.submit({ body: utf8Encode('same'), searchKeys: [] });
    const [again, other, twin] = await Promise.all([
      log.submit({ body: utf8Encode('same'), searchKeys: [] }),
      log.submit({ body: utf8Encode('other'), searchKeys: [] }),
      log.submit({ body: utf8Encode('other'), searchKeys: [] }),
    ]);
    assert.equal(again!.created, false);
    assert.equal(again!.entry.index, first.entry.index);
    assert.equal(other!.created, true);
    assert.equal(twin!.created, false);
    assert.equal(twin!.entry.index, other!.entry.index);
    assert.equal((await log.head()).size, 2);
    await log.close();
  });

  it('rejects every submission of a batch whose commit fails, acknowledges nothing, and recovers', async () => {
    let failNext = false;
    const { log, store } = await openLog({
      wrap: (s) => ({
        ...s,
        driver: s.driver,
        ensureLog: (id) => s.ensureLog(id),
        head: (id) => s.head(id),
        readTile: (id, l, i) => s.readTile(id, l, i),
        readEntries: (id, a, b) => s.readEntries(id, a, b),
        entryByLeafHash: (id, h) => s.entryByLeafHash(id, h),
        search: (id, k, l) => s.search(id, k, l),
        close: () => s.close(),
        append: (id, build) =>
          s.append(id, async (ctx) => {
            const out = await build(ctx);
            if (failNext) {
              failNext = false;
              throw new Error('disk full');
            }
            return out;
          }),
      }),
    });
    await log.submit({ body: utf8Encode('before'), searchKeys: [] });
    failNext = true;
    const failed = await Promise.allSettled([log.submit({ body: utf8Encode('lost 1'), searchKeys: [] }), log.submit({ body: utf8Encode('lost 2'), searchKeys: [] })]);
    assert.ok(failed.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ERR_STORE'));
    assert.equal((await store.head('test'))!.size, 1, 'nothing of the failed batch was written');
    // The next batch builds on the committed tree, not on the tiles of the failed one.
    const next = await log.submit({ body: utf8Encode('after'), searchKeys: [] });
    assert.equal(next.entry.index, 1);
    verifyInclusion(1, next.head.size, leafHash(utf8Encode('after')), next.inclusionProof, next.head.rootHash);
    await log.close();
  });

  it('pushes back when too many submissions wait', async () => {
    const { log } = await openLog({ maxPending: 5 });
    const subs = Array.from({ length: 20 }, (_, i) => log.submit({ body: utf8Encode(`p${i}`), searchKeys: [] }));
    const settled = await Promise.allSettled(subs);
    const pushedBack = settled.filter((r) => r.status === 'rejected');
    assert.ok(pushedBack.length > 0);
    for (const r of pushedBack) assert.ok(coded('ERR_PUSHBACK')((r as PromiseRejectedResult).reason));
    await log.close();
  });

  it('finishes queued submissions on close and refuses new ones', async () => {
    const { log } = await openLog();
    const pending = Array.from({ length: 50 }, (_, i) => log.submit({ body: utf8Encode(`c${i}`), searchKeys: [] }));
    await log.close();
    assert.equal((await Promise.all(pending)).length, 50);
    await assert.rejects(log.submit({ body: utf8Encode('late'), searchKeys: [] }), coded('ERR_PUSHBACK'));
  });

  it('with a batch window, submissions that arrive apart within it share one batch; without, each commits alone', async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (const batchWaitMs of [0, 400]) {
      const batches: number[] = [];
      const { log } = await openLog({ batchWaitMs, onBatch: (s) => batches.push(s.answered) });
      const first = log.submit({ body: utf8Encode('w1'), searchKeys: [] });
      await pause(60);
      const second = log.submit({ body: utf8Encode('w2'), searchKeys: [] });
      const [a, b] = await Promise.all([first, second]);
      if (batchWaitMs === 0) {
        assert.deepEqual(batches, [1, 1], 'without a window the first submission did not wait for the second');
        assert.notEqual(a.head.size, b.head.size);
      } else {
        assert.deepEqual(batches, [2], 'within the window both joined one batch');
        assert.equal(a.head.checkpoint, b.head.checkpoint, 'one checkpoint for both');
      }
      await log.close();
    }
  });

  it('a full batch does not wait out its window, and close commits a waiting batch at once', async () => {
    const batches: number[] = [];
    const { log } = await openLog({ batchWaitMs: 1000, maxBatch: 3, onBatch: (s) => batches.push(s.answered) });
    let settledEarly = false;
    const full = Promise.all([0, 1, 2].map((i) => log.submit({ body: utf8Encode(`f${i}`), searchKeys: [] }))).then((r) => {
      settledEarly = true;
      return r;
    });
    // Well inside the 1 s window: only a batch that started when it was full can have committed by now.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settledEarly, true, 'the full batch committed without waiting for the window');
    assert.equal((await full).length, 3);
    const waiting = log.submit({ body: utf8Encode('last'), searchKeys: [] });
    await log.close();
    assert.equal((await waiting).entry.index, 3);
    assert.deepEqual(batches, [3, 1]);
  });

  it('refuses a batch window outside 0 to 1000 ms', async () => {
    for (const batchWaitMs of [-1, 1001, Number.NaN]) await assert.rejects(openLog({ batchWaitMs }), (err: Error) => err instanceof TypeError && /batchWaitMs/.test(err.message));
  });

  it('finds entries by index and leaf hash, and says clearly when there is none', async () => {
    const { log } = await openLog();
    const r = await log.submit({ body: utf8Encode('findme'), searchKeys: ['email:a@example.com'] });
    assert.equal(Buffer.from((await log.entry(r.entry.index)).body).toString(), 'findme');
    assert.equal((await log.entryByLeafHash(leafHash(utf8Encode('findme')))).index, r.entry.index);
    await assert.rejects(log.entry(99), coded('ERR_NOT_FOUND', /no entry 99/));
    await assert.rejects(log.entryByLeafHash(new Uint8Array(32)), coded('ERR_NOT_FOUND'));
    await log.close();
  });
});
