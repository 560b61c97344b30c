// The one error→status table, through a real fastify app in-process: status, coded body, Retry-After on every 503,
// the store's transient failures told apart from the rest, and a 413 that names its limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeylessError, type ErrorCode } from '../../../src/core/errors.js';
import { isTransientDriverError, wrapDriverError } from '../../../src/log/store/contract.js';
import { createApp } from '../../../src/server/app.js';
import { retryAfterOf, statusOf } from '../../../src/server/errors.js';

test('each service error code has its status', () => {
  const expected: [ErrorCode, number][] = [
    ['ERR_REQUEST', 400], ['ERR_TOKEN', 400], ['ERR_CLAIM_TOO_LARGE', 400], ['ERR_NOT_FOUND', 404], ['ERR_ENTRY_EXISTS', 409],
    ['ERR_TOO_LARGE', 413], ['ERR_PUSHBACK', 503], ['ERR_STORE_UNAVAILABLE', 503], ['ERR_ISSUER_UNAVAILABLE', 503],
    ['ERR_STORE', 500], ['ERR_SERVICE', 502],
  ];
  for (const [code, status] of expected) assert.equal(statusOf(code), status, code);
});

test('Retry-After: only for 503s, from details.retryAfterSeconds rounded up, else 1', () => {
  assert.equal(retryAfterOf(new KeylessError('ERR_STORE_UNAVAILABLE', 'x', { retryAfterSeconds: 2 })), 2);
  assert.equal(retryAfterOf(new KeylessError('ERR_ISSUER_UNAVAILABLE', 'x', { retryAfterSeconds: 4.2 })), 5);
  assert.equal(retryAfterOf(new KeylessError('ERR_PUSHBACK', 'x')), 1);
  assert.equal(retryAfterOf(new KeylessError('ERR_PUSHBACK', 'x', { retryAfterSeconds: 0 })), 1);
  assert.equal(retryAfterOf(new KeylessError('ERR_STORE', 'x', { retryAfterSeconds: 3 })), undefined);
  assert.equal(retryAfterOf(new KeylessError('ERR_REQUEST', 'x')), undefined);
});

test('driver failures: disk full, I/O errors and a database that is down are transient; corruption and constraints are not', () => {
  const transient = [
    { code: 'SQLITE_FULL', message: 'database or disk is full' },
    { code: 'SQLITE_IOERR_WRITE', message: 'disk I/O error' },
    { code: 'ENOSPC', message: 'no space left on device' },
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    { code: '57P01', message: 'terminating connection due to administrator command' },
    { code: '57P03', message: 'the database system is starting up' },
    { code: '08006', message: 'connection failure' },
    { code: '53100', message: 'could not extend file: No space left on device' },
    new Error('Connection terminated unexpectedly'),
  ];
  for (const err of transient) {
    assert.ok(isTransientDriverError(err), JSON.stringify(err.message));
    const wrapped = wrapDriverError(err, 'append: commit', 'rekor-v1');
    assert.equal(wrapped.code, 'ERR_STORE_UNAVAILABLE');
    assert.equal(wrapped.details['retryable'], true);
    assert.equal(statusOf(wrapped.code), 503);
    assert.equal(wrapped.cause, err);
  }
  // Corruption is neither transient nor a plain failure: it names itself, so the operator runs fsck.
  for (const err of [{ code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' }, { code: 'SQLITE_NOTADB', message: 'file is not a database' }, { code: 'XX001', message: 'invalid page in block 7' }]) {
    assert.ok(!isTransientDriverError(err), err.message);
    assert.equal(wrapDriverError(err, 'append').code, 'ERR_STORE_CORRUPT');
  }
  const permanent = [
    { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed' },
    { code: '23505', message: 'duplicate key value violates unique constraint' },
    { code: 'SQLITE_BUSY', message: 'database is locked' },
    new Error('something else'),
    'a string',
  ];
  for (const err of permanent) {
    assert.ok(!isTransientDriverError(err), String(err));
    assert.equal(wrapDriverError(err, 'append').code, 'ERR_STORE');
  }
  const ours = new KeylessError('ERR_NOT_FOUND', 'x');
  assert.equal(wrapDriverError(ours, 'read'), ours, 'our own coded errors pass through');
});

test('through the app: coded bodies, Retry-After on 503, internal errors without their message', async () => {
  const app = createApp({});
  const errors: Record<string, unknown> = {
    unavailable: wrapDriverError({ code: 'SQLITE_FULL', message: 'database or disk is full' }, 'append: commit'),
    issuer: new KeylessError('ERR_ISSUER_UNAVAILABLE', 'issuer down', { retryAfterSeconds: 7 }),
    claim: new KeylessError('ERR_CLAIM_TOO_LARGE', 'too big', { problems: ['SAN (uri): 10000 bytes'] }),
    broken: new KeylessError('ERR_STORE', 'constraint failed'),
    bug: new TypeError('secret internal detail'),
  };
  app.get('/fail/:what', async (request) => {
    throw errors[(request.params as { what: string }).what];
  });
  try {
    const get = async (what: string) => app.inject({ method: 'GET', url: `/fail/${what}` });
    let res = await get('unavailable');
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '2');
    assert.equal(res.json().error, 'ERR_STORE_UNAVAILABLE');
    res = await get('issuer');
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '7');
    assert.equal(res.json().error, 'ERR_ISSUER_UNAVAILABLE');
    res = await get('claim');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['retry-after'], undefined);
    assert.deepEqual(res.json(), { code: 400, message: 'too big', error: 'ERR_CLAIM_TOO_LARGE', details: { problems: ['SAN (uri): 10000 bytes'] } });
    res = await get('broken');
    assert.equal(res.statusCode, 500);
    assert.equal(res.headers['retry-after'], undefined);
    assert.equal(res.json().error, 'ERR_STORE');
    res = await get('bug');
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { code: 500, message: 'internal error', error: 'ERR_INTERNAL' });
  } finally {
    await app.close();
  }
});

test('a body over the limit is 413 ERR_TOO_LARGE naming the limit in bytes', async () => {
  const app = createApp({}, { bodyLimit: 2048 });
  app.post('/echo', async (request) => request.body);
  try {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(4096) }) });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json(), { code: 413, message: 'request body is larger than the limit of 2048 bytes', error: 'ERR_TOO_LARGE' });
  } finally {
    await app.close();
  }
});
