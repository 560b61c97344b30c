// src/net/http.ts without a network: the retry loop against a scripted fetch, with the clock and sleep injected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeylessError } from '../../../src/core/errors.js';
import { parseRetryAfter, proxyEnv, retrySettings, withRetries, type HttpAnswer } from '../../../src/net/http.js';

type Step = number | { status: number; retryAfter?: string } | Error;

/** A fetch that plays `steps` (a status, or an error to throw) and records each call's signal. */
function scripted(steps: Step[]) {
  const calls: { signal: AbortSignal | undefined }[] = [];
  const fetch = async (_url: string, init?: { signal?: AbortSignal }): Promise<HttpAnswer> => {
    calls.push({ signal: init?.signal });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step instanceof Error) throw step;
    const { status, retryAfter } = typeof step === 'number' ? { status: step, retryAfter: undefined } : step;
    return { status, headers: { get: (name: string) => (name === 'retry-after' ? retryAfter ?? null : null) } };
  };
  return { fetch, calls };
}

const reset = () => new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });

describe('withRetries', () => {
  it('retries 503 and 429, honouring Retry-After in seconds and as an HTTP date, capped', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const { fetch, calls } = scripted([{ status: 503, retryAfter: '3' }, { status: 429, retryAfter: 'Thu, 01 Jan 2026 00:00:07 GMT' }, { status: 503, retryAfter: '3600' }, 200]);
    const waits: number[] = [];
    const answer = await withRetries(fetch, { attempts: 4, now: () => now, sleep: async (ms) => void waits.push(ms), maxRetryAfterMs: 30_000 })('http://x/');
    assert.equal(answer.status, 200);
    assert.equal(calls.length, 4);
    assert.deepEqual(waits, [3000, 7000, 30_000]);
  });

  it('backs off exponentially with jitter when no Retry-After is given, and stops after `attempts`', async () => {
    const { fetch, calls } = scripted([503]);
    const waits: number[] = [];
    const answer = await withRetries(fetch, { attempts: 4, baseDelayMs: 100, maxDelayMs: 250, random: () => 1, sleep: async (ms) => void waits.push(ms) })('http://x/');
    assert.equal(answer.status, 503, 'the last answer is returned for the caller to map');
    assert.equal(calls.length, 4);
    assert.deepEqual(waits, [100, 200, 250]);
    const low: number[] = [];
    await withRetries(scripted([503]).fetch, { attempts: 3, baseDelayMs: 100, random: () => 0, sleep: async (ms) => void low.push(ms) })('http://x/');
    assert.deepEqual(low, [50, 100], 'jitter keeps at least half the backoff');
  });

  it('does not retry other statuses', async () => {
    for (const status of [200, 400, 404, 409, 500, 502]) {
      const { fetch, calls } = scripted([status]);
      assert.equal((await withRetries(fetch, { sleep: async () => undefined })('http://x/')).status, status);
      assert.equal(calls.length, 1, `HTTP ${status}`);
    }
  });

  it('retries a connection reset or refusal, unless told the request is not safe to repeat', async () => {
    const { fetch, calls } = scripted([reset(), 200]);
    assert.equal((await withRetries(fetch, { sleep: async () => undefined })('http://x/')).status, 200);
    assert.equal(calls.length, 2);
    const once = scripted([reset(), 200]);
    await assert.rejects(withRetries(once.fetch, { retryNetworkErrors: false, sleep: async () => undefined })('http://x/'), (e: unknown) => {
      assert.ok(e instanceof KeylessError && e.code === 'ERR_SERVICE', String(e));
      assert.match(e.message, /cannot reach http:\/\/x\/: read ECONNRESET$/);
      return true;
    });
    assert.equal(once.calls.length, 1);
    const refused = scripted([new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) })]);
    await assert.rejects(withRetries(refused.fetch, { attempts: 2, sleep: async () => undefined })('http://x/'), (e: unknown) =>
      e instanceof KeylessError && e.code === 'ERR_SERVICE' && /ECONNREFUSED .*\(after 2 attempts\)/.test(e.message) && e.details['attempts'] === 2);
    // An error that is not a connection failure (a TLS error, a bug) is not retried.
    const tls = scripted([new TypeError('fetch failed', { cause: Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }) })]);
    await assert.rejects(withRetries(tls.fetch, { sleep: async () => undefined })('http://x/'), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_SERVICE');
    assert.equal(tls.calls.length, 1);
  });

  it('gives every attempt a timeout signal, and the caller\'s own abort stays the caller\'s', async () => {
    const { fetch, calls } = scripted([200]);
    await withRetries(fetch, { timeoutMs: 5_000 })('http://x/');
    assert.ok(calls[0]!.signal instanceof AbortSignal);
    const controller = new AbortController();
    const aborting = async (_url: string, init?: { signal?: AbortSignal }): Promise<HttpAnswer> => {
      controller.abort(new Error('caller gave up'));
      throw init?.signal?.reason;
    };
    await assert.rejects(withRetries(aborting)('http://x/', { signal: controller.signal }), /caller gave up/);
    // A request that never answers; its pending timer stands for the open socket that keeps a real process alive
    // (AbortSignal.timeout's own timer does not).
    const hanging = (_url: string, init?: { signal?: AbortSignal }) => new Promise<HttpAnswer>((_, reject) => {
      const socket = setTimeout(() => reject(new Error('the timeout did not fire')), 10_000);
      init?.signal?.addEventListener('abort', () => {
        clearTimeout(socket);
        reject(init.signal!.reason);
      });
    });
    await assert.rejects(withRetries(hanging, { timeoutMs: 50 })('http://x/'), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_TIMEOUT' && e.details['timeoutMs'] === 50);
  });
});

describe('settings', () => {
  it('timeout and attempts: options, then KEYLESS_HTTP_TIMEOUT (seconds) / KEYLESS_HTTP_ATTEMPTS, then the defaults', () => {
    assert.deepEqual(retrySettings({ env: {} }), { attempts: 4, timeoutMs: 60_000 });
    assert.deepEqual(retrySettings({ env: { KEYLESS_HTTP_TIMEOUT: '2.5', KEYLESS_HTTP_ATTEMPTS: '2' } }), { attempts: 2, timeoutMs: 2500 });
    assert.deepEqual(retrySettings({ env: { KEYLESS_HTTP_TIMEOUT: 'soon', KEYLESS_HTTP_ATTEMPTS: '0' } }), { attempts: 4, timeoutMs: 60_000 });
    assert.deepEqual(retrySettings({ env: { KEYLESS_HTTP_ATTEMPTS: '9' }, attempts: 1, timeoutMs: 10 }), { attempts: 1, timeoutMs: 10 });
  });

  it('Retry-After: delay-seconds or an HTTP-date; anything else is ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: now');
    assert.equal(parseRetryAfter('-1', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('proxy variables: upper- or lower-case, lower-case first, empty ones ignored', () => {
    assert.deepEqual(proxyEnv({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', NO_PROXY: 'x', HTTP_PROXY: ' ' }), { httpsProxy: 'http://b:2', noProxy: 'x' });
    assert.deepEqual(proxyEnv({}), {});
  });
});
