// The log monitor (src/log/monitor.ts) against our own log served in-process, for both APIs: it accepts a log
// that grows honestly and catches a fork (same key and origin, a different history) with the evidence.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { utf8Encode } from '../../../src/core/encoding.js';
import { publicKeyFromSpki } from '../../../src/core/keys.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { auditLog, type LogApi } from '../../../src/log/monitor.js';
import { RekorV1Api } from '../../../src/log/rekor-v1.js';
import { RekorV2Api } from '../../../src/log/rekor-v2.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import { createApp } from '../../../src/server/app.js';
import { coded } from '../../helpers/vectors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A log served by the real app, reached through app.inject instead of a socket. */
async function servedLog(key: KeyObject, api: LogApi) {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-monitor-'));
  dirs.push(dir);
  const store = await createSqliteStore({ path: join(dir, 'log.sqlite') });
  const scheme = api === 'rekor-v1' ? 'rekor-v1' : 'c2sp';
  const log = await new TransparencyLog({ id: 'm', origin: 'monitor.test - 42', signer: createLogSigner(key, 'monitor.test', scheme), store }).open();
  const app = createApp(api === 'rekor-v1' ? { logV1: new RekorV1Api(log, '42') } : { logV2: new RekorV2Api(log) });
  const fetchShim = (async (input: string | URL) => {
    const url = new URL(String(input));
    const res = await app.inject({ method: 'GET', url: url.pathname + url.search });
    return new Response(res.rawPayload, { status: res.statusCode, headers: res.headers as Record<string, string> });
  }) as typeof fetch;
  const add = async (...names: string[]) => {
    for (const n of names) await log.submit({ body: utf8Encode(n), searchKeys: [] });
  };
  return { log, add, fetch: fetchShim, close: async () => { await log.close(); await store.close(); } };
}

for (const api of ['rekor-v1', 'tiles'] as const) {
  describe(`log monitor (${api})`, () => {
    const key = api === 'rekor-v1' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : generateKeyPairSync('ed25519').privateKey;
    const signer = createLogSigner(key, 'monitor.test', api === 'rekor-v1' ? 'rekor-v1' : 'c2sp');
    const keys = [publicKeyFromSpki(signer.spki)];
    // The app serves the v2 log under its own base path, as `keyless serve` does.
    const URL_ = api === 'tiles' ? 'http://log.test/rekor-v2' : 'http://log.test';

    it('records the first checkpoint, then accepts a log that only grew', async () => {
      const honest = await servedLog(key, api);
      await honest.add('a', 'b', 'c');
      const first = await auditLog({ url: URL_, api, keys, fetch: honest.fetch });
      assert.equal(first.current.size, 3);
      // Enough entries to cross a full tile, so the tiles API is read at more than one level.
      await honest.add(...Array.from({ length: 300 }, (_, i) => `e${i}`));
      const second = await auditLog({ url: URL_, api, keys, fetch: honest.fetch, previous: first.current });
      assert.equal(second.grownBy, 300);
      const third = await auditLog({ url: URL_, api, keys, fetch: honest.fetch, previous: second.current });
      assert.equal(third.grownBy, 0);
      await honest.close();
    });

    it('catches a fork: same key and origin, a history that does not extend the one it saw', async () => {
      const honest = await servedLog(key, api);
      const forked = await servedLog(key, api);
      await honest.add('a', 'b', 'c');
      await forked.add('a', 'x', 'c', 'd');
      const seen = await auditLog({ url: URL_, api, keys, fetch: honest.fetch });
      const err = await auditLog({ url: URL_, api, keys, fetch: forked.fetch, previous: seen.current }).catch((e: unknown) => e);
      assert.ok(coded('ERR_TLOG_CONSISTENCY', /does not extend/)(err));
      const evidence = (err as { details: Record<string, unknown> }).details;
      assert.equal(evidence['previous'], seen.current.checkpoint);
      assert.match(String(evidence['current']), /^monitor\.test - 42\n4\n/);
      assert.ok(Array.isArray(evidence['proof']));
      await honest.close();
      await forked.close();
    });

    it('catches two roots for one size, and a log that shrank', async () => {
      const honest = await servedLog(key, api);
      const forked = await servedLog(key, api);
      await honest.add('a', 'b');
      await forked.add('a', 'z');
      const seen = await auditLog({ url: URL_, api, keys, fetch: honest.fetch });
      await assert.rejects(auditLog({ url: URL_, api, keys, fetch: forked.fetch, previous: seen.current }), coded('ERR_TLOG_CONSISTENCY', /fork/));
      await honest.add('c');
      const later = await auditLog({ url: URL_, api, keys, fetch: honest.fetch });
      await assert.rejects(auditLog({ url: URL_, api, keys, fetch: forked.fetch, previous: later.current }), coded('ERR_TLOG_CONSISTENCY', /shrank/));
      await honest.close();
      await forked.close();
    });

    it('refuses a checkpoint not signed by the given key', async () => {
      const honest = await servedLog(key, api);
      const other = generateKeyPairSync('ed25519').privateKey;
      const otherKeys = [publicKeyFromSpki(createLogSigner(other, 'monitor.test', 'c2sp').spki)];
      await assert.rejects(auditLog({ url: URL_, api, keys: otherKeys, fetch: honest.fetch }), coded('ERR_TLOG_CHECKPOINT'));
      await honest.close();
    });
  });
}
