import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../../../src/log/store/sqlite.js';
import { isKeylessError } from '../../../src/core/errors.js';
import { appendFake, fakeEntry, fakeHead, leafTiles, storeSuite } from './store-suite.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'keyless-sqlite-'));
}

storeSuite('sqlite', async () => {
  const dir = await tempDir();
  const path = join(dir, 'log.db');
  const store = await createSqliteStore({ path });
  return {
    store,
    reopen: () => createSqliteStore({ path }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

function isLockedError(err: unknown): boolean {
  return isKeylessError(err) && err.code === 'ERR_STORE' && /in use by another keyless process/.test(err.message);
}

/** A child process that appends batches of 2 fabricated entries forever, printing each acknowledged size. */
const CHILD = `
import { createSqliteStore } from ${JSON.stringify(new URL('../../../src/log/store/sqlite.js', import.meta.url).href)};
import { appendFake } from ${JSON.stringify(new URL('./store-suite.js', import.meta.url).href)};
const store = await createSqliteStore({ path: process.env.KEYLESS_KILL_DB });
await store.ensureLog('kill');
for (;;) {
  const start = await appendFake(store, 'kill', 2, 'kill');
  process.stdout.write('acked ' + (start + 2) + '\\n');
}
`;

describe('LogStore: sqlite only', () => {
  it('a second store on the same file fails with ERR_STORE while the first is open', async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.db');
    try {
      const first = await createSqliteStore({ path });
      await first.ensureLog('a');
      await assert.rejects(createSqliteStore({ path, busyTimeoutMs: 50 }), isLockedError);
      await first.close();
      const second = await createSqliteStore({ path, busyTimeoutMs: 50 });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an in-memory database is refused: it cannot be durable', async () => {
    await assert.rejects(createSqliteStore({ path: ':memory:' }), (err) => isKeylessError(err) && err.code === 'ERR_STORE');
  });

  it('acknowledged appends survive kill -9; the lock dies with the process', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.db');
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
        env: { ...process.env, KEYLESS_KILL_DB: path },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

      let acked = 0;
      let lockChecked = false;
      let buffered = '';
      await new Promise<void>((resolve, reject) => {
        child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) acked = Math.max(acked, Number(line.replace('acked ', '')));
          if (acked >= 20 && !lockChecked) {
            lockChecked = true;
            // While the child runs, this process cannot open the database.
            createSqliteStore({ path, busyTimeoutMs: 50 }).then(
              (s) => s.close().then(() => reject(new Error('opened a database held by another process'))),
              (err: unknown) => (isLockedError(err) ? undefined : reject(err)),
            );
          }
          if (acked >= 60 && lockChecked) {
            child.kill('SIGKILL'); // right after an acknowledgement
            resolve();
          }
        });
      });
      assert.equal(await exited, 'SIGKILL');
      assert.ok(existsSync(`${path}-wal`), 'the acknowledged data was still (at least partly) in the WAL');

      const store = await createSqliteStore({ path, busyTimeoutMs: 50 });
      try {
        const size = (await store.head('kill'))?.size ?? 0;
        assert.ok(size >= acked, `head size ${size} is at least the acknowledged size ${acked}`);
        const entries = await store.readEntries('kill', 0, acked);
        assert.deepEqual(entries, Array.from({ length: acked }, (_, i) => fakeEntry(i, 'kill')));
        assert.equal(await appendFake(store, 'kill', 1, 'after'), size);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a schema version 1 file gains the attestation column when opened; its entries read as having none', async () => {
    const dir = await tempDir();
    const path = join(dir, 'log.db');
    try {
      const first = await createSqliteStore({ path });
      await first.ensureLog('a');
      await appendFake(first, 'a', 2, 'old');
      await first.close();
      // Turn the file back into what version 1 wrote: the same tables without entries.attestation.
      const raw = new Database(path);
      raw.exec('ALTER TABLE entries DROP COLUMN attestation');
      raw.pragma('user_version = 1');
      raw.close();

      const store = await createSqliteStore({ path });
      try {
        assert.deepEqual(await store.readEntries('a', 0, 10), [0, 1].map((i) => fakeEntry(i, 'old')));
        const entry = { ...fakeEntry(2, 'new'), attestation: new Uint8Array([1, 2, 3]) };
        await store.append('a', async (ctx) => ({ batch: { entries: [entry], tiles: await leafTiles(ctx, [entry]), head: fakeHead(3) }, value: null }));
        assert.deepEqual((await store.readEntries('a', 2, 1))[0], entry);
      } finally {
        await store.close();
      }
      const check = new Database(path, { readonly: true });
      assert.equal(check.pragma('user_version', { simple: true }), 2);
      check.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
