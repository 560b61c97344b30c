// The signer's and the OCI client's HTTP against a busy, distant or dead service: bounded retries of 503/429 and
// connection resets honouring Retry-After, a timeout on every request, and HTTP(S)_PROXY/NO_PROXY as corporate CI
// runners set them. The service and the proxy are loopback stand-ins (test/helpers/net-faults.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeylessError } from '../../src/core/errors.js';
import { defaultFetch, withRetries, type RetryInfo } from '../../src/net/http.js';
import { getJson } from '../../src/sign/http.js';
import type { FetchLike } from '../../src/sign/http.js';
import { createRegistryClient } from '../../src/oci/client.js';
import { startFlaky, startProxy, type Proxy } from '../helpers/net-faults.js';

const coded = (code: string, check?: (e: KeylessError) => void) => (err: unknown) => {
  assert.ok(err instanceof KeylessError, String(err));
  assert.equal(err.code, code, err.message);
  check?.(err);
  return true;
};

/** A Retry-After HTTP date at least `ms` ahead (HTTP dates have whole seconds, so rounded up). */
const httpDateIn = (ms: number): string => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toUTCString();

describe('client retries, timeouts and proxies', { timeout: 60_000 }, () => {
  let proxy: Proxy;
  before(async () => {
    proxy = await startProxy();
  });
  after(async () => {
    await proxy.close();
  });

  it('503 with Retry-After (seconds), 429 with Retry-After (an HTTP date), then a reset: retried through the proxy until it succeeds', { timeout: 20_000 }, async () => {
    const retryAt = httpDateIn(1500);
    const flaky = await startFlaky([
      { status: 503, headers: { 'retry-after': '1' }, body: 'busy' },
      { status: 429, headers: { 'retry-after': retryAt }, body: 'slow down' },
      'reset',
    ]);
    const before = proxy.seen.length;
    const env = { HTTP_PROXY: proxy.url, KEYLESS_HTTP_ATTEMPTS: '4' };
    const retries: RetryInfo[] = [];
    try {
      const answer = await getJson({ service: 'test service', url: `${flaky.url}/doc.json`, fetch: defaultFetch(env) as unknown as FetchLike, retry: { env, onRetry: (i) => retries.push(i) } });
      assert.deepEqual(answer, { ok: true });
      assert.deepEqual(flaky.requests.map((r) => r.got), ['503', '429', 'reset', '200']);
      assert.deepEqual(retries.map((r) => [r.attempt, r.reason.startsWith('HTTP') ? r.reason : 'connection']), [[2, 'HTTP 503'], [3, 'HTTP 429'], [4, 'connection']]);
      const [r1, r2, r3] = flaky.requests;
      // Retry-After honoured: the waits are at least what the service asked for (generous upper bounds).
      assert.ok(r2!.at - r1!.at >= 950, `waited ${r2!.at - r1!.at} ms after "Retry-After: 1"`);
      assert.ok(r3!.at >= Date.parse(retryAt) - 50, `the third request came ${Date.parse(retryAt) - r3!.at} ms before the Retry-After date`);
      assert.ok(r3!.at - r1!.at < 10_000);
      // Every attempt went through the proxy (undici tunnels with CONNECT).
      const host = new URL(flaky.url).host;
      assert.ok(proxy.seen.slice(before).filter((h) => h === host).length >= 1, `proxy saw ${JSON.stringify(proxy.seen.slice(before))}`);
    } finally {
      await flaky.close();
    }
  });

  it('NO_PROXY hosts go around the proxy; lower-case variables count too', { timeout: 10_000 }, async () => {
    const flaky = await startFlaky([]);
    try {
      const host = new URL(flaky.url).host;
      let before = proxy.seen.length;
      const around = await withRetries(defaultFetch({ https_proxy: proxy.url, http_proxy: proxy.url, no_proxy: 'example.com,127.0.0.1' }))(`${flaky.url}/x`);
      assert.equal(around.status, 200);
      await (around as Response).text();
      assert.deepEqual(proxy.seen.slice(before), [], 'NO_PROXY host reached directly');
      before = proxy.seen.length;
      const through = await withRetries(defaultFetch({ http_proxy: proxy.url }))(`${flaky.url}/y`);
      assert.equal(through.status, 200);
      await (through as Response).text();
      assert.deepEqual(proxy.seen.slice(before), [host], 'lower-case http_proxy used');
      // Without any proxy variable, the global fetch, directly.
      assert.equal(defaultFetch({}), globalThis.fetch);
    } finally {
      await flaky.close();
    }
  });

  it('a service that never answers trips the timeout: ERR_TIMEOUT, one attempt, no retry', { timeout: 10_000 }, async () => {
    const flaky = await startFlaky([], 'hang');
    try {
      const started = Date.now();
      await assert.rejects(
        getJson({ service: 'transparency log', url: `${flaky.url}/hang`, fetch: globalThis.fetch as unknown as FetchLike, retry: { env: { KEYLESS_HTTP_TIMEOUT: '0.4' } } }),
        coded('ERR_TIMEOUT', (e) => assert.match(e.message, /transparency log at .*\/hang: no answer within 0\.4 s \(set KEYLESS_HTTP_TIMEOUT/)),
      );
      const took = Date.now() - started;
      assert.ok(took >= 350 && took < 5_000, `took ${took} ms`);
      assert.equal(flaky.requests.length, 1);
    } finally {
      await flaky.close();
    }
  });

  it('a permanent 503 gives up after the bounded number of attempts: ERR_PUSHBACK, saying how many', { timeout: 15_000 }, async () => {
    const flaky = await startFlaky([], { status: 503, body: '{"message":"overloaded"}' });
    try {
      await assert.rejects(
        getJson({ service: 'certificate authority', url: `${flaky.url}/busy`, fetch: globalThis.fetch as unknown as FetchLike, retry: { attempts: 3, baseDelayMs: 20 } }),
        coded('ERR_PUSHBACK', (e) => {
          assert.match(e.message, /answered HTTP 503: overloaded \(after 3 attempts\)/);
          assert.equal(e.details['attempts'], 3);
        }),
      );
      assert.equal(flaky.requests.length, 3);
    } finally {
      await flaky.close();
    }
  });

  it('a refused connection is retried, then ERR_SERVICE naming the reason and the attempts', { timeout: 10_000 }, async () => {
    const flaky = await startFlaky([]);
    const url = flaky.url;
    await flaky.close();
    const waits: number[] = [];
    await assert.rejects(
      getJson({ service: 'timestamp authority', url: `${url}/gone`, fetch: globalThis.fetch as unknown as FetchLike, retry: { attempts: 3, baseDelayMs: 10, onRetry: (i) => waits.push(i.delayMs) } }),
      coded('ERR_SERVICE', (e) => assert.match(e.message, /cannot reach the timestamp authority at .*: connect ECONNREFUSED .* \(after 3 attempts\)/)),
    );
    assert.equal(waits.length, 2);
  });

  it('the OCI client retries a registry\'s 503 and a reset, through the proxy, and gives up with a code', { timeout: 20_000 }, async () => {
    const flaky = await startFlaky([{ status: 503, headers: { 'retry-after': '0' } }, 'reset'], { status: 200, headers: { 'content-type': 'application/json' }, body: '{"name":"a/b","tags":["v1"]}' });
    const env = { HTTP_PROXY: proxy.url };
    const before = proxy.seen.length;
    try {
      const host = new URL(flaky.url).host;
      const client = createRegistryClient({ registry: host, fetch: defaultFetch(env), retry: { baseDelayMs: 10 } });
      assert.deepEqual(await client.listTags('a/b'), ['v1']);
      assert.deepEqual(flaky.requests.map((r) => r.got), ['503', 'reset', '200']);
      assert.ok(proxy.seen.slice(before).includes(host), 'through the proxy');
    } finally {
      await flaky.close();
    }
    const busy = await startFlaky([], { status: 503 });
    try {
      const client = createRegistryClient({ registry: new URL(busy.url).host, retry: { attempts: 2, baseDelayMs: 10 } });
      await assert.rejects(client.listTags('a/b'), coded('ERR_SERVICE', (e) => assert.match(e.message, /503/)));
      assert.equal(busy.requests.length, 2);
    } finally {
      await busy.close();
    }
    const silent = await startFlaky([], 'hang');
    try {
      const client = createRegistryClient({ registry: new URL(silent.url).host, retry: { timeoutMs: 300 } });
      await assert.rejects(client.listTags('a/b'), coded('ERR_TIMEOUT'));
    } finally {
      await silent.close();
    }
  });
});
