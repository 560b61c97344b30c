/**
 * How keyless's clients (the signer's CA, log, TSA and trust-file requests, and the OCI registry client) go out on
 * the network, so that a CI job survives a busy or distant service instead of failing on the first 503.
 *
 * Life of a request made through `withRetries(fetch)`:
 *  1. Each attempt gets its own timeout (AbortSignal.timeout, default 60 s, env KEYLESS_HTTP_TIMEOUT in seconds),
 *     combined with the caller's own signal. A service that never answers is ERR_TIMEOUT; it is not retried, since
 *     a service that is that slow would only make the job wait `attempts` times as long.
 *  2. An answer of 503 or 429 means the service did not take the request (pushback): it is retried, after the wait
 *     its Retry-After asks for (seconds or an HTTP date, capped at 30 s), else after a jittered exponential backoff.
 *  3. A connection refused, reset or closed before an answer is retried the same way, unless the caller says the
 *     request is not safe to repeat (`retryNetworkErrors: false`).
 *  4. After `attempts` tries (default 4, env KEYLESS_HTTP_ATTEMPTS) the last answer is returned as it is (the
 *     caller maps its status to a coded error) or, with no answer at all, ERR_SERVICE naming the last reason.
 * MUST: only requests whose repetition is harmless go through here. For each client that is argued where it calls
 * this: a new certificate or timestamp is harmless; a log entry is de-duplicated by the log (src/log/log.ts); OCI
 * blobs and manifests are content-addressed.
 *
 * Proxies: Node 20's global fetch ignores HTTPS_PROXY/HTTP_PROXY/NO_PROXY. When any of them (or the lower-case
 * spellings) is set, `defaultFetch` is undici's fetch with an EnvHttpProxyAgent built from those variables.
 */
import { KeylessError } from '../core/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What the retry loop needs of an answer; both the WHATWG Response and the signer's FetchLike answers fit. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
}

/** What the retry loop needs of a request; the rest of `init` is passed through untouched. */
export interface HttpInit {
  readonly signal?: AbortSignal | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any fetch-shaped function: the global one, undici's, or a test's fake
type AnyFetch = (url: any, init?: any) => Promise<HttpAnswer>;

export interface RetryOptions {
  /** Tries in all, the first included (default 4, or env KEYLESS_HTTP_ATTEMPTS). */
  readonly attempts?: number;
  /** Per attempt, milliseconds (default 60 000, or env KEYLESS_HTTP_TIMEOUT in seconds). */
  readonly timeoutMs?: number;
  /** The first backoff; each retry doubles it, up to `maxDelayMs` (defaults 500 ms and 8 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** The longest Retry-After honoured (default 30 s): a longer one is waited for this long. */
  readonly maxRetryAfterMs?: number;
  /** False when the request must not be repeated after a connection failure (it may have been processed). */
  readonly retryNetworkErrors?: boolean;
  /** Where KEYLESS_HTTP_TIMEOUT/KEYLESS_HTTP_ATTEMPTS are read (default process.env). */
  readonly env?: Env;
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Told before each wait: what went wrong, which attempt comes next, and how long until then. */
  readonly onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  readonly url: string;
  /** The 1-based number of the attempt about to be made. */
  readonly attempt: number;
  readonly attempts: number;
  readonly delayMs: number;
  /** "HTTP 503", "HTTP 429" or the connection error's code. */
  readonly reason: string;
}

export const DEFAULT_ATTEMPTS = 4;
export const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 8_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/** Statuses that say "not now": the request was not taken and may be sent again. */
const PUSHBACK = new Set([429, 503]);

/** Connection failures before an answer, as Node and undici name them. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function positiveNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The timeout and attempts in force: options first, then the environment, then the defaults. */
export function retrySettings(opts: RetryOptions = {}): { attempts: number; timeoutMs: number } {
  const env = opts.env ?? process.env;
  const envAttempts = positiveNumber(env['KEYLESS_HTTP_ATTEMPTS']);
  const envTimeout = positiveNumber(env['KEYLESS_HTTP_TIMEOUT']);
  return {
    attempts: Math.max(1, Math.floor(opts.attempts ?? envAttempts ?? DEFAULT_ATTEMPTS)),
    timeoutMs: opts.timeoutMs ?? (envTimeout !== undefined ? envTimeout * 1000 : DEFAULT_TIMEOUT_MS),
  };
}

/** RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date. Milliseconds to wait, or undefined if unusable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form names its month; without one, Date.parse would take "-1" for the year -1.
  if (!/\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The code of a connection failure: undici puts it in `cause` (often a level deeper for "fetch failed"). */
export function networkErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** True for the abort of a per-attempt timeout (AbortSignal.timeout rejects with a TimeoutError). */
export function isTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { name?: unknown }).name === 'TimeoutError') return true;
  }
  return false;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  const inner = cause instanceof Error ? cause.message : undefined;
  return inner ?? (err instanceof Error ? err.message : String(err));
}

async function discard(answer: HttpAnswer): Promise<void> {
  try {
    await (answer as { body?: { cancel?: () => Promise<void> } | null }).body?.cancel?.();
  } catch {
    // the body is not wanted; a failure to drop it changes nothing
  }
}

/**
 * `fetchFn` with a timeout per attempt and bounded retries of pushback and connection failures (see the top of
 * this file). The answer is the same object `fetchFn` gave; its body can still be read under the same timeout.
 */
export function withRetries<F extends AnyFetch>(fetchFn: F, opts: RetryOptions = {}): F {
  const { attempts, timeoutMs } = retrySettings(opts);
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const baseDelay = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelay = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxRetryAfter = opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const backoff = (retry: number): number => {
    const ceiling = Math.min(maxDelay, baseDelay * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  const wrapped = async (url: unknown, init?: HttpInit): Promise<HttpAnswer> => {
    const where = String(url);
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      let delay: number;
      let reason: string;
      try {
        const answer = await fetchFn(url, { ...init, signal });
        if (!PUSHBACK.has(answer.status) || attempt >= attempts) return answer;
        await discard(answer);
        const asked = parseRetryAfter(answer.headers.get('retry-after'), now());
        delay = asked !== undefined ? Math.min(asked, maxRetryAfter) : backoff(attempt);
        reason = `HTTP ${answer.status}`;
      } catch (err) {
        if (init?.signal?.aborted === true && !timeout.aborted) throw err;
        if (timeout.aborted || isTimeout(err)) {
          const reason = `no answer within ${timeoutMs / 1000} s (set KEYLESS_HTTP_TIMEOUT, in seconds, to wait longer)`;
          throw new KeylessError('ERR_TIMEOUT', `${where}: ${reason}`, { url: where, timeoutMs, attempts: attempt, reason }, { cause: err });
        }
        const code = networkErrorCode(err);
        const retryable = opts.retryNetworkErrors !== false && code !== undefined && RETRYABLE_CODES.has(code);
        if (!retryable || attempt >= attempts) {
          const reason = `${describe(err)}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`;
          throw new KeylessError('ERR_SERVICE', `cannot reach ${where}: ${reason}`, { url: where, attempts: attempt, reason, ...(code !== undefined ? { errorCode: code } : {}) }, { cause: err });
        }
        delay = backoff(attempt);
        reason = code;
      }
      opts.onRetry?.({ url: where, attempt: attempt + 1, attempts, delayMs: delay, reason });
      await sleep(delay);
    }
  };
  return wrapped as F;
}

/** The proxy variables in force, upper- or lower-case (lower-case wins, as in curl and undici). */
export function proxyEnv(env: Env = process.env): { httpProxy?: string; httpsProxy?: string; noProxy?: string } {
  const pick = (name: string): string | undefined => {
    const v = env[name.toLowerCase()] ?? env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const httpProxy = pick('HTTP_PROXY');
  const httpsProxy = pick('HTTPS_PROXY');
  const noProxy = pick('NO_PROXY');
  return { ...(httpProxy !== undefined ? { httpProxy } : {}), ...(httpsProxy !== undefined ? { httpsProxy } : {}), ...(noProxy !== undefined ? { noProxy } : {}) };
}

let proxied: { key: string; fetch: typeof fetch } | undefined;

/**
 * The fetch keyless's clients use unless given one: the global fetch, or — when HTTP(S)_PROXY is set — undici's
 * fetch through an EnvHttpProxyAgent (loaded only then, so a command without a proxy does not pay for it).
 */
export function defaultFetch(env: Env = process.env): typeof fetch {
  const vars = proxyEnv(env);
  if (vars.httpProxy === undefined && vars.httpsProxy === undefined) return globalThis.fetch;
  const key = JSON.stringify(vars);
  if (proxied?.key === key) return proxied.fetch;
  let pending: Promise<(url: unknown, init?: unknown) => Promise<Response>> | undefined;
  const load = async () => {
    const undici = await import('undici');
    // EnvHttpProxyAgent announces itself as experimental on stderr; in a CI log that reads like a fault, so the
    // one warning is not printed. Its options are given explicitly so `env` (not only process.env) decides.
    const emit = process.emitWarning;
    process.emitWarning = (() => undefined) as typeof process.emitWarning;
    let agent: InstanceType<typeof undici.EnvHttpProxyAgent>;
    try {
      agent = new undici.EnvHttpProxyAgent({ httpProxy: vars.httpProxy ?? '', httpsProxy: vars.httpsProxy ?? '', noProxy: vars.noProxy ?? '' });
    } finally {
      process.emitWarning = emit;
    }
    return (url: unknown, init?: unknown) => undici.fetch(url as string, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  };
  const viaProxy = (async (url: unknown, init?: unknown) => {
    pending ??= load();
    return (await pending)(url, init);
  }) as typeof fetch;
  proxied = { key, fetch: viaProxy };
  return viaProxy;
}
