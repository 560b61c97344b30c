/**
 * An issuer's signing keys: OpenID Connect Discovery 1.0 (§4 `/.well-known/openid-configuration`, whose `issuer`
 * MUST equal the issuer URL it was fetched for), then the JWK Set at `jwks_uri`. Cached per issuer for a TTL; an
 * unknown `kid` triggers one early refetch, at most once per cooldown per issuer, so that key rotation is followed
 * but a stream of tokens with made-up `kid`s cannot make the CA hammer the issuer.
 *
 * MUST only be called with an issuer URL taken from the configuration (or matched by a meta-issuer pattern),
 * never with a raw `iss`: that is what keeps a token from choosing which URL the CA fetches.
 *
 * An issuer is someone else's server, so every fetch is bounded: a timeout for the whole exchange, and the body
 * is read as a stream and abandoned (the connection aborted) once it passes MAX_RESPONSE_BYTES — never buffered
 * whole first. A failed fetch is remembered: until its backoff (5 s, doubling to 5 minutes while it keeps
 * failing) has passed, tokens of that issuer fail at once with the same error (ERR_ISSUER_UNAVAILABLE, which the
 * HTTP layer answers 503 with Retry-After), so a stream of tokens cannot make the CA hammer an issuer that is down.
 */
import { KeylessError } from '../core/errors.js';

export interface JwkSet {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

export interface IssuerKeysOptions {
  readonly fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** How long a fetched key set is used before it is fetched again; 10 minutes by default. */
  readonly ttlMs?: number;
  /** Least time between two refetches caused by an unknown `kid`; 60 seconds by default. */
  readonly refetchCooldownMs?: number;
  /** Per request; 10 seconds by default. */
  readonly timeoutMs?: number;
  /** Backoff after the first failed fetch of an issuer, doubled while it keeps failing; 5 seconds by default. */
  readonly failureBackoffMs?: number;
  /** The longest backoff; 5 minutes by default. */
  readonly maxFailureBackoffMs?: number;
}

export interface IssuerKeys {
  /** The cached key set, fetched if absent or stale. */
  get(issuerUrl: string, jwksUrl?: string): Promise<JwkSet>;
  /**
   * The key set after one refetch, if the cooldown allows one; otherwise the cached set.
   * `refetched` says which, so the caller can tell the user.
   */
  refetch(issuerUrl: string, jwksUrl?: string): Promise<{ keys: JwkSet; refetched: boolean }>;
}

/** Discovery documents and key sets are a few KiB; this bounds what a hostile issuer can make us buffer. */
export const MAX_RESPONSE_BYTES = 512 * 1024;

interface Entry {
  keys?: JwkSet;
  fetchedAt: number;
  lastRefetchAt: number;
  /** The fetch in progress, shared by every token that needs it. */
  inflight?: Promise<JwkSet>;
  /** The last fetch failed: its error is given again until `retryAt`. */
  failure?: { readonly error: KeylessError; readonly retryAt: number; readonly backoffMs: number };
}

export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const ttl = options.ttlMs ?? 10 * 60_000;
  const cooldown = options.refetchCooldownMs ?? 60_000;
  const timeout = options.timeoutMs ?? 10_000;
  const firstBackoff = options.failureBackoffMs ?? 5_000;
  const maxBackoff = options.maxFailureBackoffMs ?? 5 * 60_000;
  const cache = new Map<string, Entry>();

  const entryFor = (k: string): Entry => {
    let entry = cache.get(k);
    if (entry === undefined) {
      entry = { fetchedAt: Number.NEGATIVE_INFINITY, lastRefetchAt: Number.NEGATIVE_INFINITY };
      cache.set(k, entry);
    }
    return entry;
  };

  /** The remembered failure, with the seconds left before the next try. */
  const backingOff = (entry: Entry, now: number): KeylessError | undefined => {
    const failure = entry.failure;
    if (failure === undefined || now >= failure.retryAt) return undefined;
    const { error } = failure;
    return new KeylessError(error.code, error.message, { ...error.details, retryAfterSeconds: Math.ceil((failure.retryAt - now) / 1000) }, { cause: error.cause });
  };

  const load = (entry: Entry, issuerUrl: string, jwksUrl: string | undefined): Promise<JwkSet> => {
    if (entry.inflight !== undefined) return entry.inflight;
    const startedAt = options.now();
    const inflight = fetchKeys(options.fetch, issuerUrl, jwksUrl, timeout).then(
      (keys) => {
        entry.keys = keys;
        entry.fetchedAt = startedAt;
        delete entry.failure;
        delete entry.inflight;
        return keys;
      },
      (err: unknown) => {
        const backoffMs = entry.failure === undefined ? firstBackoff : Math.min(maxBackoff, entry.failure.backoffMs * 2);
        const error = err instanceof KeylessError ? err : issuerError(issuerUrl, String(err), err, 'unreachable');
        entry.failure = { error, retryAt: options.now() + backoffMs, backoffMs };
        delete entry.inflight;
        throw backingOff(entry, options.now()) ?? error;
      },
    );
    entry.inflight = inflight;
    return inflight;
  };

  return {
    async get(issuerUrl, jwksUrl) {
      const entry = entryFor(key(issuerUrl, jwksUrl));
      const now = options.now();
      if (entry.keys !== undefined && now - entry.fetchedAt < ttl) return entry.keys;
      const failing = backingOff(entry, now);
      if (failing !== undefined) throw failing;
      return load(entry, issuerUrl, jwksUrl);
    },
    async refetch(issuerUrl, jwksUrl) {
      const entry = entryFor(key(issuerUrl, jwksUrl));
      const now = options.now();
      if (now - entry.lastRefetchAt < cooldown) return { keys: await this.get(issuerUrl, jwksUrl), refetched: false };
      const failing = backingOff(entry, now);
      if (failing !== undefined) throw failing;
      entry.lastRefetchAt = now;
      return { keys: await load(entry, issuerUrl, jwksUrl), refetched: true };
    },
  };
}

function key(issuerUrl: string, jwksUrl: string | undefined): string {
  return `${issuerUrl}\n${jwksUrl ?? ''}`;
}

async function fetchKeys(fetchImpl: typeof fetch, issuerUrl: string, jwksUrl: string | undefined, timeoutMs: number): Promise<JwkSet> {
  let uri = jwksUrl;
  if (uri === undefined) {
    // OIDC Discovery §4: the configuration is at the issuer URL with /.well-known/openid-configuration appended.
    const discoveryUrl = `${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const discovery = await fetchJson(fetchImpl, discoveryUrl, 'discovery document', issuerUrl, timeoutMs);
    // OIDC Discovery §4.3: the issuer value returned MUST be identical to the Issuer URL that was used.
    if (discovery.issuer !== issuerUrl) {
      throw issuerError(issuerUrl, `the discovery document at ${discoveryUrl} names issuer ${JSON.stringify(discovery.issuer)}, expected ${JSON.stringify(issuerUrl)}`);
    }
    if (typeof discovery.jwks_uri !== 'string' || !/^https?:\/\//.test(discovery.jwks_uri)) {
      throw issuerError(issuerUrl, `the discovery document at ${discoveryUrl} has no http(s) jwks_uri`);
    }
    uri = discovery.jwks_uri;
  }
  const jwks = await fetchJson(fetchImpl, uri, 'key set', issuerUrl, timeoutMs);
  if (!Array.isArray(jwks.keys) || !jwks.keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
    throw issuerError(issuerUrl, `the key set at ${uri} has no "keys" array of JWKs`);
  }
  return { keys: jwks.keys as Record<string, unknown>[] };
}

async function fetchJson(fetchImpl: typeof fetch, url: string, what: string, issuerUrl: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const abort = new AbortController();
  // One deadline for the whole exchange, body included: a trickling issuer is cut off like a silent one.
  const timer = setTimeout(() => abort.abort(new Error(`no complete answer in ${timeoutMs / 1000} s`)), timeoutMs);
  let text: string;
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: abort.signal });
    } catch (cause) {
      throw issuerError(issuerUrl, `cannot fetch its ${what} at ${url}: ${reasonOf(cause, abort.signal)}`, cause, 'unreachable');
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw issuerError(issuerUrl, `its ${what} at ${url} answered HTTP ${response.status}`, undefined, 'http-status');
    }
    text = await readCapped(response, abort, `its ${what} at ${url}`, issuerUrl);
  } finally {
    clearTimeout(timer);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw issuerError(issuerUrl, `its ${what} at ${url} is not JSON`, cause);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw issuerError(issuerUrl, `its ${what} at ${url} is not a JSON object`);
  return body as Record<string, unknown>;
}

/**
 * The body as text, read chunk by chunk: beyond MAX_RESPONSE_BYTES (or a Content-Length that says so) the
 * exchange is aborted, so an issuer's 400 MB answer costs us at most one chunk past the cap.
 */
async function readCapped(response: Response, abort: AbortController, what: string, issuerUrl: string): Promise<string> {
  const tooLarge = (seen: string): KeylessError => {
    abort.abort(new Error('response too large'));
    return issuerError(issuerUrl, `${what} is ${seen}, more than the ${MAX_RESPONSE_BYTES} bytes allowed`, undefined, 'response-too-large');
  };
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) throw tooLarge(`${declared} bytes (Content-Length)`);
  const body = response.body;
  if (body === null) return '';
  const reader = body.getReader();
  // The deadline also ends a read that the fetch implementation would leave hanging (not every one ties its body
  // stream to the signal).
  const aborted = new Promise<never>((_, reject) => {
    if (abort.signal.aborted) reject(abort.signal.reason);
    abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      total += value.byteLength;
      if (total > MAX_RESPONSE_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`over ${total} bytes and counting`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof KeylessError) throw cause;
    void reader.cancel().catch(() => undefined);
    throw issuerError(issuerUrl, `${what} could not be read: ${reasonOf(cause, abort.signal)}`, cause, 'unreachable');
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function reasonOf(cause: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message;
  return (cause as Error)?.message ?? String(cause);
}

/**
 * An issuer we get no usable answer from — unreachable, timing out, an HTTP error, an oversized answer — failed us,
 * not the caller: ERR_ISSUER_UNAVAILABLE, which the HTTP layer answers 503 with Retry-After (the backoff left).
 * An answer we could read but must reject (another issuer's name, no keys, not JSON) stays ERR_TOKEN, as before.
 * Both are remembered for the backoff. `how` is one of unreachable, http-status, response-too-large, invalid.
 */
function issuerError(issuerUrl: string, reason: string, cause?: unknown, how = 'invalid'): KeylessError {
  return new KeylessError(how === 'invalid' ? 'ERR_TOKEN' : 'ERR_ISSUER_UNAVAILABLE', `cannot get the signing keys of issuer ${issuerUrl}: ${reason}`, { reason: 'issuer-keys', failure: how, issuer: issuerUrl }, { cause });
}
