// /readyz's checks: each named with its outcome, a hung check answered "not ready" within the timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeylessError } from '../../../src/core/errors.js';
import { createApp } from '../../../src/server/app.js';
import { runChecks, witnessCheck } from '../../../src/server/readiness.js';

test('every check is reported by name; one failure makes the whole not ready, with its code', async () => {
  const report = await runChecks({
    store: async () => {
      throw new KeylessError('ERR_STORE_UNAVAILABLE', 'database down');
    },
    keys: async () => undefined,
  });
  assert.equal(report.ready, false);
  assert.equal(report.checks['keys']?.ok, true);
  assert.equal(report.checks['store']?.ok, false);
  assert.equal(report.checks['store']?.code, 'ERR_STORE_UNAVAILABLE');
  assert.equal(report.checks['store']?.message, 'database down');
});

test('a check that hangs is not ready after the timeout, with ERR_TIMEOUT', async () => {
  const started = Date.now();
  const report = await runChecks({ store: () => new Promise(() => undefined) }, 150);
  assert.ok(Date.now() - started < 1000);
  assert.equal(report.ready, false);
  assert.equal(report.checks['store']?.code, 'ERR_TIMEOUT');
});

test('/readyz answers 200 when ready, 503 with Retry-After and the report when not', async () => {
  let healthy = true;
  const app = createApp({}, { ready: () => runChecks({ store: async () => { if (!healthy) throw new Error('no space left on device'); } }) });
  try {
    let res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().ready, true);
    healthy = false;
    res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.json().status, 'not ready');
    assert.equal(res.json().checks.store.ok, false);
    // Liveness is another question: still alive.
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('an advisory check (the witnesses) is reported without making the instance unready', async () => {
  const report = await runChecks({ store: async () => undefined }, 500, { witnesses: witnessCheck(() => ({ ready: false, reason: 'w2 unreachable' })) });
  assert.equal(report.ready, true);
  assert.equal(report.advisory?.['witnesses']?.ok, false);
  assert.equal(report.advisory?.['witnesses']?.code, 'ERR_WITNESS');
  assert.match(report.advisory?.['witnesses']?.message ?? '', /w2 unreachable/);
  const fine = await runChecks({}, 500, { witnesses: witnessCheck(() => ({ ready: true })) });
  assert.equal(fine.advisory?.['witnesses']?.ok, true);
});
