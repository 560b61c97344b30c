// The log never forks (src/log/log.ts, src/log/head-record.ts): a store that comes back smaller than, or other
// than, the recorded checkpoint is refused; a head that goes back while running halts the log; a corrupted tile
// yields ERR_STORE_CORRUPT, never a wrong proof or a checkpoint built on it. On the real SQLite driver.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyInclusion } from '../../../src/core/merkle.js';
import { fsckLog } from '../../../src/log/fsck.js';
import { FileHeadRecord } from '../../../src/log/head-record.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { createLogSigner, type LogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import type { LogHead, LogStore } from '../../../src/log/store/types.js';
import { coded } from '../../helpers/vectors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-fork-'));
  dirs.push(dir);
  return dir;
}

const signer: LogSigner = createLogSigner(generateKeyPairSync('ed25519').privateKey, 'test.example/log', 'c2sp');

/** A store method bound to the store itself (its private fields need the real receiver, not a Proxy). */
function bound(target: LogStore, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target) as unknown;
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

async function openLog(dbPath: string, record: FileHeadRecord | undefined, wrap?: (s: LogStore) => LogStore) {
  const raw = await createSqliteStore({ path: dbPath });
  const store = wrap ? wrap(raw) : raw;
  try {
    const log = await new TransparencyLog({ id: 'test', origin: 'test.example/log', signer, store, ...(record && { record }) }).open();
    return { log, store: raw };
  } catch (err) {
    await raw.close();
    throw err;
  }
}

async function append(log: TransparencyLog, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => log.submit({ body: randomBytes(40), searchKeys: [] })));
}

async function grown(dbPath: string, record: FileHeadRecord | undefined, n: number): Promise<LogHead> {
  const { log, store } = await openLog(dbPath, record);
  await append(log, n);
  const head = await log.head();
  await log.close();
  await store.close();
  return head;
}

describe('head record', () => {
  it('keeps the largest checkpoint written, durably, and ignores a smaller one', async () => {
    const dir = tempDir();
    const record = new FileHeadRecord(join(dir, 'checkpoints'));
    assert.equal(record.read('test'), undefined);
    const db = join(dir, 'log.sqlite');
    const big = await grown(db, record, 20);
    assert.equal(record.read('test')?.size, 20);
    record.write('test', { size: 3, rootHash: new Uint8Array(32), checkpoint: 'x\n' });
    assert.equal(record.read('test')?.checkpoint, big.checkpoint, 'a smaller head does not replace the record');
    assert.deepEqual(readdirSync(join(dir, 'checkpoints')), ['test.checkpoint'], 'no temporary files are left behind');
  });

  it('refuses a record file that is not a signed checkpoint with ERR_STORE_CORRUPT', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    writeFileSync(join(dir, 'test.checkpoint'), 'not a checkpoint');
    assert.throws(() => record.read('test'), coded('ERR_STORE_CORRUPT'));
  });

  it('is written before a submission is acknowledged', async () => {
    const dir = tempDir();
    const record = new FileHeadRecord(join(dir, 'checkpoints'));
    const { log, store } = await openLog(join(dir, 'log.sqlite'), record);
    const [done] = await Promise.all([log.submit({ body: randomBytes(10), searchKeys: [] })]);
    assert.equal(record.read('test')?.checkpoint, done!.head.checkpoint);
    await log.close();
    await store.close();
  });
});

describe('a store that rolled back is refused at open', () => {
  it('refuses a store that lost everything', async () => {
    const dir = tempDir();
    const record = new FileHeadRecord(join(dir, 'checkpoints'));
    await grown(join(dir, 'a.sqlite'), record, 10);
    await assert.rejects(openLog(join(dir, 'fresh.sqlite'), record), (err: Error & { details?: Record<string, unknown> }) => {
      coded('ERR_STORE_ROLLBACK')(err);
      assert.equal(err.details?.['storeCheckpoint'], null);
      assert.match(String(err.details?.['recordedCheckpoint']), /^test\.example\/log\n10\n/);
      return true;
    });
  });

  it('refuses a smaller tree, a fork of the same size and a larger tree that does not extend the record', async () => {
    const dir = tempDir();
    const record = new FileHeadRecord(join(dir, 'checkpoints'));
    await grown(join(dir, 'a.sqlite'), record, 10);
    for (const [name, size] of [['smaller', 5], ['fork', 10], ['other', 14]] as const) {
      const db = join(dir, `${name}.sqlite`);
      await grown(db, undefined, size); // built without the record: another history
      await assert.rejects(openLog(db, record), (err: Error & { details?: Record<string, unknown> }) => {
        coded('ERR_STORE_ROLLBACK')(err);
        assert.match(String(err.details?.['storeCheckpoint']), new RegExp(`^test\\.example/log\\n${size}\\n`), name);
        return true;
      }, name);
    }
    assert.equal(record.read('test')?.size, 10, 'a refused store does not move the record');
  });

  it('opens a store that extends the record, and records the new head', async () => {
    const dir = tempDir();
    const record = new FileHeadRecord(join(dir, 'checkpoints'));
    const db = join(dir, 'a.sqlite');
    await grown(db, record, 300);
    const copy = join(dir, 'copy.sqlite');
    copyFileSync(db, copy);
    // The same history, grown further by a process that kept no record (a frontend with another data dir).
    const head = await grown(copy, undefined, 30);
    const { log, store } = await openLog(copy, record);
    assert.equal((await log.head()).size, 330);
    assert.equal(record.read('test')?.checkpoint, head.checkpoint);
    await log.close();
    await store.close();
  });
});

describe('a store that goes back while the log runs', () => {
  it('halts the log with ERR_STORE_ROLLBACK: no head is served and no submission accepted after', async () => {
    const dir = tempDir();
    const old = join(dir, 'old.sqlite');
    await grown(old, undefined, 5);
    const db = join(dir, 'a.sqlite');
    copyFileSync(old, db);
    const oldStore = await createSqliteStore({ path: old });
    let restored = false;
    // A PostgreSQL restored from a backup under a running frontend: heads now come from the old copy.
    const { log, store } = await openLog(db, undefined, (s) => new Proxy(s, {
      get: (target, prop) => (prop === 'head' && restored ? (id: string) => oldStore.head(id) : bound(target, prop)),
    }));
    await append(log, 5);
    assert.equal((await log.head()).size, 10);
    restored = true;
    await assert.rejects(log.head(), coded('ERR_STORE_ROLLBACK'));
    restored = false;
    await assert.rejects(log.head(), coded('ERR_STORE_ROLLBACK'), 'the log stays halted');
    await assert.rejects(log.submit({ body: randomBytes(8), searchKeys: [] }), coded('ERR_STORE_ROLLBACK'));
    await log.close();
    await store.close();
    await oldStore.close();
  });
});

/** Flips one bit of hash `position` in stored tile (level, index) of log `test`. */
function flipTileBit(dbPath: string, level: number, index: number, position: number): void {
  const db = new Database(dbPath);
  const row = db.prepare('SELECT t.hashes FROM tiles t JOIN logs l ON l.id = t.log WHERE l.name = ? AND t.level = ? AND t.idx = ?').get('test', level, index) as { hashes: Buffer };
  const hashes = Buffer.from(row.hashes);
  hashes[position * 32 + 7]! ^= 0x10;
  db.prepare('UPDATE tiles SET hashes = ? WHERE level = ? AND idx = ? AND log = (SELECT id FROM logs WHERE name = ?)').run(hashes, level, index, 'test');
  db.close();
}

describe('corrupted tiles', () => {
  it('a flipped bit in a full tile: the proofs that use it fail with ERR_STORE_CORRUPT, the others still verify, fsck names the tile', async () => {
    const dir = tempDir();
    const db = join(dir, 'a.sqlite');
    const head = await grown(db, undefined, 600); // level-0 tiles 0 and 1 full, 2 partial
    flipTileBit(db, 0, 0, 10);
    const { log, store } = await openLog(db, undefined); // the right edge does not use tile 0/000: it opens
    const entry = await log.entry(11); // its proof names leaf 10, in the flipped tile
    await assert.rejects(log.inclusionProof(entry, head), coded('ERR_STORE_CORRUPT'));
    const far = await log.entry(400);
    const proof = await log.inclusionProof(far, head); // uses tile 0/000 only through its root, stored above
    verifyInclusion(400, 600, far.leafHash, proof, head.rootHash);
    await assert.rejects(log.consistencyProof(11, 600), coded('ERR_STORE_CORRUPT'));
    // Tile clients get the tile itself: the flipped one is refused, its neighbour is served.
    await assert.rejects(log.tile(0, 0, 256, head), coded('ERR_STORE_CORRUPT'));
    assert.equal((await log.tile(0, 1, 256, head)).length, 256 * 32);
    const report = await fsckLog(store, 'test');
    assert.ok(report.problemCount >= 1, 'fsck finds the flipped bit');
    assert.ok(report.problems.some((p) => p.includes('entry 10') && p.includes('tile/0/000')), report.problems.join('\n'));
    await log.close();
    await store.close();
  });

  it('a flipped bit in the right edge: the store is refused at open, and no batch is built on it', async () => {
    const dir = tempDir();
    const db = join(dir, 'a.sqlite');
    await grown(db, undefined, 300);
    flipTileBit(db, 0, 1, 3); // the partial tile 0/001.p/44
    await assert.rejects(openLog(db, undefined), coded('ERR_STORE_CORRUPT'));
    // A log that was already open when the tile went bad (the disk returns other bytes from now on): its next
    // batch refuses to build on it.
    const db2 = join(dir, 'b.sqlite');
    await grown(db2, undefined, 300);
    let bad = false;
    const flipped = (level: number, index: number, bytes: Uint8Array | undefined): Uint8Array | undefined => {
      if (!bad || bytes === undefined || level !== 0 || index !== 1) return bytes;
      const copy = bytes.slice();
      copy[3 * 32]! ^= 0x01;
      return copy;
    };
    const { log, store } = await openLog(db2, undefined, (s) => new Proxy(s, {
      get: (target, prop) => prop !== 'append' ? bound(target, prop) : (id: string, build: Parameters<LogStore['append']>[1]) =>
        target.append(id, (ctx) => build({ head: ctx.head, findLeaves: (h) => ctx.findLeaves(h), readTile: async (l, i) => flipped(l, i, await ctx.readTile(l, i)) })),
    }));
    log.tiles.clear();
    bad = true;
    await assert.rejects(log.submit({ body: randomBytes(8), searchKeys: [] }), coded('ERR_STORE_CORRUPT'));
    assert.equal((await store.head('test'))?.size, 300, 'nothing was appended');
    await log.close();
    await store.close();
  });

  it('fsck reports a clean store as clean, and a missing entry or a wrong tile width as problems', async () => {
    const dir = tempDir();
    const db = join(dir, 'a.sqlite');
    await grown(db, undefined, 520);
    const store = await createSqliteStore({ path: db });
    const clean = await fsckLog(store, 'test');
    assert.deepEqual(clean.problems, []);
    assert.equal(clean.entriesChecked, 520);
    assert.equal(clean.tilesChecked, 4); // 0/000, 0/001, 0/002.p/8, 1/000.p/2
    await store.close();
    const raw = new Database(db);
    raw.prepare('DELETE FROM entries WHERE idx = 17').run();
    raw.prepare("UPDATE tiles SET hashes = substr(hashes, 1, 32) WHERE level = 1").run();
    raw.close();
    const again = await createSqliteStore({ path: db });
    const broken = await fsckLog(again, 'test');
    assert.ok(broken.problems.includes('entry 17 is missing'), broken.problems.join('\n'));
    assert.ok(broken.problems.some((p) => p.startsWith('tile tile/1/000.p/2 holds 1 hashes')), broken.problems.join('\n'));
    await again.close();
    assert.ok(existsSync(db));
  });
});

