/**
 * The shared suite against PostgreSQL, plus what only a shared database has: several frontends appending
 * to one log at once. Each store gets a fresh schema, dropped afterwards. Without a server these tests FAIL;
 * set KEYLESS_TEST_POSTGRES=skip to skip them on purpose (not under CI=true, where no test may skip).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { verifyInclusion } from '../../../src/core/merkle.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createPostgresStore } from '../../../src/log/store/postgres.js';
import { isKeylessError } from '../../../src/core/errors.js';
import type { LogStore } from '../../../src/log/store/types.js';
import { appendFake, storeSuite } from './store-suite.js';
import { requireOrSkip } from '../../helpers/requirements.js';

const url = process.env.KEYLESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const skip = requireOrSkip('PostgreSQL', process.env.KEYLESS_TEST_POSTGRES !== 'skip', 'KEYLESS_TEST_POSTGRES=skip');

function freshSchema(): string {
  return `keyless_test_${process.pid}_${randomBytes(6).toString('hex')}`;
}

if (skip !== false) {
  it('PostgreSQL store tests', { skip }, () => undefined);
} else {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on('error', () => undefined);
  after(() => admin.end());
  const dropSchema = async (schema: string) => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  };

  it(`a PostgreSQL server answers at ${url.replace(/:[^:@/]*@/, ':***@')}`, async () => {
    await admin.query('SELECT 1').catch((err: unknown) => {
      throw new Error(`no PostgreSQL at KEYLESS_TEST_POSTGRES_URL (${String(err)}); start one, or set KEYLESS_TEST_POSTGRES=skip`, { cause: err });
    });
  });

  storeSuite('postgres', async () => {
    const schema = freshSchema();
    const store = await createPostgresStore({ connectionString: url, schema });
    return {
      store,
      reopen: () => createPostgresStore({ connectionString: url, schema }),
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('LogStore: postgres only', () => {
    it('two frontends appending to one log at once leave every index 0..N-1 exactly once', async () => {
      const schema = freshSchema();
      // Opening together also tests that concurrent schema creation does not race.
      const frontends = await Promise.all([1, 2].map(() => createPostgresStore({ connectionString: url, schema, maxConnections: 4 })));
      try {
        await Promise.all(frontends.map((f) => f.ensureLog('shared')));
        const starts = await Promise.all(frontends.flatMap((f, n) =>
          Array.from({ length: 50 }, (_, k) => appendFake(f, 'shared', 3, `f${n}-${k}`, true))));
        assert.deepEqual([...starts].sort((a, b) => a - b), Array.from({ length: 100 }, (_, k) => 3 * k));
        for (const f of frontends) {
          assert.equal((await f.head('shared'))?.size, 300);
          const entries = await f.readEntries('shared', 0, 1000);
          assert.deepEqual(entries.map((e) => e.index), Array.from({ length: 300 }, (_, i) => i));
          const leafHashes = entries.map((e) => Buffer.from(e.leafHash));
          assert.equal(new Set(leafHashes.map((h) => h.toString('hex'))).size, 300);
          // Each build extended the tile it read under the lock, so the tiles list the leaves in index order.
          assert.deepEqual(await f.readTile('shared', 0, 0), new Uint8Array(Buffer.concat(leafHashes.slice(0, 256))));
          assert.deepEqual(await f.readTile('shared', 0, 1), new Uint8Array(Buffer.concat(leafHashes.slice(256))));
        }
      } finally {
        await Promise.all(frontends.map((f) => f.close()));
        await dropSchema(schema);
      }
    });

    it('two logs (frontends) on one schema, appending in turn past a tile boundary: every proof verifies against its head', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([1, 2].map(() => createPostgresStore({ connectionString: url, schema, maxConnections: 4 })));
      const signer = createLogSigner(generateKeyPairSync('ed25519').privateKey, 'test.example/log', 'c2sp');
      try {
        const logs = [];
        for (const store of stores) logs.push(await new TransparencyLog({ id: "it's", origin: 'test.example/log', signer, store }).open());
        // Each batch is built on a right edge the other frontend grew: its tiles come from the lock's round trip.
        for (let round = 0; round < 12; round++) {
          const log = logs[round % 2]!;
          const done = await Promise.all(Array.from({ length: 30 }, () => log.submit({ body: randomBytes(40), searchKeys: [] })));
          for (const r of done) verifyInclusion(r.entry.index, r.head.size, r.entry.leafHash, r.inclusionProof, r.head.rootHash);
        }
        const head = await logs[0]!.head();
        assert.equal(head.size, 360);
        assert.deepEqual((await logs[1]!.head()).rootHash, head.rootHash);
        const entry = await logs[1]!.entry(300);
        verifyInclusion(300, 360, entry.leafHash, await logs[1]!.inclusionProof(entry, head), head.rootHash);
        for (const log of logs) await log.close();
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await dropSchema(schema);
      }
    });

    it('a store on a caller-owned pool leaves the pool open', async () => {
      const schema = freshSchema();
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      let store: LogStore | undefined;
      try {
        store = await createPostgresStore({ pool, schema });
        await store.ensureLog('a');
        await appendFake(store, 'a', 2, 'base');
        await store.close();
        assert.equal((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".entries`)).rows[0].n, 2);
      } finally {
        await store?.close();
        await pool.end();
        await dropSchema(schema);
      }
    });

    it('an unreachable server fails with ERR_STORE_UNAVAILABLE, marked retryable', async () => {
      await assert.rejects(
        createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none', schema: freshSchema() }),
        (err) => isKeylessError(err) && err.code === 'ERR_STORE_UNAVAILABLE' && err.details['retryable'] === true && err.cause !== undefined,
      );
    });

    it('a schema name that is not a plain identifier is a TypeError', async () => {
      await assert.rejects(createPostgresStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' }), TypeError);
    });
  });
}
