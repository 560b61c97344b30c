/**
 * An issuer's signing keys: OpenID Connect Discovery 1.0 (§4 `/.well-known/openid-configuration`, whose `issuer`
 * MUST equal the issuer URL it was fetched for), then the JWK Set at `jwks_uri`. Cached per issuer for a TTL; an
 * unknown `kid` triggers one early refetch, at most once per cooldown per issuer, so that key rotation is followed
 * but a stream of tokens with made-up `kid`s cannot make the CA hammer the issuer.
 *
 * MUST only be called with an issuer URL taken from the configuration (or matched by a meta-issuer pattern),
 * never with a raw `iss`: that is what keeps a token from choosing which URL the CA fetches.
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
const MAX_RESPONSE_BYTES = 512 * 1024;

interface Entry {
  keys: Promise<JwkSet>;
  fetchedAt: number;
  lastRefetchAt: number;
}

export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const ttl = options.ttlMs ?? 10 * 60_000;
  const cooldown = options.refetchCooldownMs ?? 60_000;
  const timeout = options.timeoutMs ?? 10_000;
  const cache = new Map<string, Entry>();

  const load = (issuerUrl: string, jwksUrl: string | undefined): Promise<JwkSet> => {
    const promise = fetchKeys(options.fetch, issuerUrl, jwksUrl, timeout);
    // A failed fetch is not cached: the next token tries again.
    promise.catch(() => {
      if (cache.get(key(issuerUrl, jwksUrl))?.keys === promise) cache.delete(key(issuerUrl, jwksUrl));
    });
    return promise;
  };

  return {
    get(issuerUrl, jwksUrl) {
      const k = key(issuerUrl, jwksUrl);
      const now = options.now();
      const entry = cache.get(k);
      if (entry !== undefined && now - entry.fetchedAt < ttl) return entry.keys;
      const fresh: Entry = { keys: load(issuerUrl, jwksUrl), fetchedAt: now, lastRefetchAt: entry?.lastRefetchAt ?? Number.NEGATIVE_INFINITY };
      cache.set(k, fresh);
      return fresh.keys;
    },
    async refetch(issuerUrl, jwksUrl) {
      const k = key(issuerUrl, jwksUrl);
      const now = options.now();
      const entry = cache.get(k);
      if (entry !== undefined && now - entry.lastRefetchAt < cooldown) return { keys: await entry.keys, refetched: false };
      const fresh: Entry = { keys: load(issuerUrl, jwksUrl), fetchedAt: now, lastRefetchAt: now };
      cache.set(k, fresh);
      return { keys: await fresh.keys, refetched: true };
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
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw issuerError(issuerUrl, `cannot fetch its ${what} at ${url}: ${(cause as Error)?.message ?? String(cause)}`, cause);
  }
  if (!response.ok) throw issuerError(issuerUrl, `its ${what} at ${url} answered HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) throw issuerError(issuerUrl, `its ${what} at ${url} is ${text.length} bytes, more than ${MAX_RESPONSE_BYTES}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw issuerError(issuerUrl, `its ${what} at ${url} is not JSON`, cause);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw issuerError(issuerUrl, `its ${what} at ${url} is not a JSON object`);
  return body as Record<string, unknown>;
}

function issuerError(issuerUrl: string, reason: string, cause?: unknown): KeylessError {
  return new KeylessError('ERR_TOKEN', `cannot get the signing keys of issuer ${issuerUrl}: ${reason}`, { reason: 'issuer-keys', issuer: issuerUrl }, { cause });
}
