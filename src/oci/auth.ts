/**
 * Registry authentication: where credentials come from, the `WWW-Authenticate` challenge (RFC 7235), and the
 * Docker token flow (distribution's docs/spec/auth/token.md) with a per-scope token cache. Also the bounded body
 * reads and the coded errors that the token exchange and the registry client share.
 *
 * Secrets (passwords, identity tokens, bearer tokens) MUST NOT appear in messages or `details`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { KeylessError, type ErrorCode } from '../core/errors.js';
import { base64Decode, utf8Decode } from '../core/encoding.js';

/** A username and password, or (from `docker login` with an OAuth2 registry) an identity token. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** A refresh token for the OAuth2 flow of token.md; sent instead of basic credentials when present. */
  readonly identityToken?: string;
}

/** registry host[:port] → credentials; `missing` says why there are none, when there is something to say. */
export interface CredentialLookup {
  (registry: string): Credentials | undefined;
  readonly missing?: (registry: string) => string | undefined;
}

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `https://index.docker.io/v1/`, `registry.example:5000`, `http://host/` → the host[:port] to compare. */
export function normalizeRegistryHost(value: string): string {
  let host = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return HUB_ALIASES.has(host) ? 'index.docker.io' : host;
}

interface DockerConfigEntry {
  credentials?: Credentials;
  helper?: string;
}

function readDockerConfig(path: string): { entries: Map<string, DockerConfigEntry>; credsStore?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map() };
    throw new KeylessError('ERR_REQUEST', `cannot read the docker config ${path}`, { path }, { cause: err });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `the docker config ${path} is not JSON`, { path }, { cause });
  }
  const entries = new Map<string, DockerConfigEntry>();
  if (typeof config !== 'object' || config === null) return { entries };
  const c = config as { auths?: unknown; credHelpers?: unknown; credsStore?: unknown };
  if (typeof c.credHelpers === 'object' && c.credHelpers !== null) {
    for (const [key, helper] of Object.entries(c.credHelpers)) {
      if (typeof helper === 'string') entries.set(normalizeRegistryHost(key), { helper });
    }
  }
  if (typeof c.auths === 'object' && c.auths !== null) {
    for (const [key, value] of Object.entries(c.auths)) {
      const credentials = dockerAuthEntry(value, path, key);
      const host = normalizeRegistryHost(key);
      if (credentials !== undefined) entries.set(host, { ...entries.get(host), credentials });
    }
  }
  return { entries, ...(typeof c.credsStore === 'string' ? { credsStore: c.credsStore } : {}) };
}

/** One `auths` entry: `auth` (base64 of user:password), or `username`/`password`, and maybe `identitytoken`. */
function dockerAuthEntry(value: unknown, path: string, key: string): Credentials | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  let username = typeof v.username === 'string' ? v.username : '';
  let password = typeof v.password === 'string' ? v.password : '';
  if (typeof v.auth === 'string' && v.auth !== '') {
    const decoded = utf8Decode(base64Decode(v.auth, `auths["${key}"].auth in ${path}`), `auths["${key}"].auth in ${path}`);
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new KeylessError('ERR_ENCODING', `auths["${key}"].auth in ${path} is not base64 of user:password`, { path, registry: key });
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = typeof v.identitytoken === 'string' && v.identitytoken !== '' ? v.identitytoken : undefined;
  if (identityToken !== undefined) return { username, password, identityToken };
  return username === '' && password === '' ? undefined : { username, password };
}

/**
 * The credentials to use for a registry, first match wins:
 * 1. `--registry-username`/`--registry-password` (for whichever registry the command talks to);
 * 2. GitLab CI's `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD`, for the host in `CI_REGISTRY` only;
 * 3. `auths` of `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), read once, on first use.
 * Credential helpers (`credsStore`, `credHelpers`) are not supported: keyless does not run them, and says so.
 */
export function credentialsFor(opts: {
  flags?: { username?: string | undefined; password?: string | undefined };
  env?: Record<string, string | undefined>;
  dockerConfigPath?: string;
} = {}): CredentialLookup {
  const env = opts.env ?? process.env;
  const { username, password } = opts.flags ?? {};
  if ((username === undefined) !== (password === undefined)) {
    throw new KeylessError('ERR_USAGE', '--registry-username and --registry-password must be given together');
  }
  const flagged = username !== undefined && password !== undefined ? { username, password } : undefined;
  const ciHost = env.CI_REGISTRY ? normalizeRegistryHost(env.CI_REGISTRY) : undefined;
  const ci = env.CI_REGISTRY_USER && env.CI_REGISTRY_PASSWORD ? { username: env.CI_REGISTRY_USER, password: env.CI_REGISTRY_PASSWORD } : undefined;
  const configPath = opts.dockerConfigPath ?? join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
  let config: ReturnType<typeof readDockerConfig> | undefined;
  const docker = () => (config ??= readDockerConfig(configPath));

  const lookup = (registry: string): Credentials | undefined => {
    if (flagged !== undefined) return flagged;
    const host = normalizeRegistryHost(registry);
    if (ci !== undefined && ciHost === host) return ci;
    return docker().entries.get(host)?.credentials;
  };
  const missing = (registry: string): string | undefined => {
    if (lookup(registry) !== undefined) return undefined;
    const { entries, credsStore } = docker();
    const helper = entries.get(normalizeRegistryHost(registry))?.helper ?? credsStore;
    if (helper !== undefined) {
      return `${configPath} names the credential helper docker-credential-${helper}, which keyless does not run (credential helpers are not supported): pass --registry-username/--registry-password, or put the credentials in "auths"`;
    }
    return `no credentials for ${registry}: pass --registry-username/--registry-password, set CI_REGISTRY/CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, or add it to "auths" in ${configPath}`;
  };
  return Object.assign(lookup, { missing });
}

export interface Challenge {
  /** Lowercased: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameter names lowercased; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_RE = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/**
 * RFC 7235 §4.1: `WWW-Authenticate = 1#challenge`, `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
 * A name followed by `=` is a parameter of the current challenge; any other name starts the next challenge.
 * Malformed parts are skipped: the header comes from the network, and the caller decides what it can use.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skipSpace = () => {
    while (header[i] === ' ' || header[i] === '\t') i++;
  };
  const token = () => {
    TOKEN_RE.lastIndex = i;
    const m = TOKEN_RE.exec(header);
    if (m === null) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < header.length) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === '') {
      i++; // not a token character: skip it
      continue;
    }
    skipSpace();
    const current = out[out.length - 1];
    if (header[i] === '=' && current !== undefined) {
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
        i++;
      } else {
        // RFC 7235 wants a token here; some servers send an unquoted URL, so read up to the next comma or space.
        const end = header.slice(i).search(/[,\s]/);
        value = end < 0 ? header.slice(i) : header.slice(i, i + end);
        i += value.length;
      }
      current.params[name.toLowerCase()] = value;
    } else {
      // A token68 credential (`Negotiate abc==`) parses as an empty-valued parameter: no registry scheme uses one.
      out.push({ scheme: name.toLowerCase(), params: {} });
    }
  }
  return out;
}

/** What a request needs: pull, or pull and push, on one repository (token.md "Requesting a Token"). */
export interface Scope {
  readonly repository: string;
  readonly push: boolean;
}

export function scopeString(scope: Scope): string {
  return `repository:${scope.repository}:${scope.push ? 'pull,push' : 'pull'}`;
}

export interface AuthenticatorOptions {
  /** The API host[:port] the credentials are looked up for. */
  readonly registry: string;
  readonly credentials?: ((registry: string) => Credentials | undefined) | undefined;
  readonly fetch: typeof fetch;
  readonly userAgent: string;
  /** An http:// token realm is refused (it would carry credentials in clear) unless this is set: loopback registries. */
  readonly allowHttpRealm: boolean;
  readonly now: () => number;
}

/** The auth state of one registry: the scheme it asked for, and bearer tokens cached per scope until they expire. */
export interface Authenticator {
  /** The Authorization header for a request in `scope`; fetches a bearer token when none is cached. */
  authorization(scope: Scope, operation: string): Promise<string | undefined>;
  /**
   * Learns from a 401's WWW-Authenticate. Returns why a retry cannot help, or undefined when one may (callers
   * retry once at most).
   */
  challenged(header: string | null, scope: Scope, sentAuthorization: boolean): string | undefined;
  /** Why a request without credentials was refused, for error messages. */
  missingCredentials(): string | undefined;
  /** Why a request with credentials was refused after a retry, for error messages. */
  refused(scope: Scope): string;
}

type Scheme = { kind: 'anonymous' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service: string | undefined };

const TOKEN_RESPONSE_LIMIT = 1024 * 1024;
/** token.md: "If omitted, this should be assumed to be 60 seconds." */
const DEFAULT_TOKEN_SECONDS = 60;

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  let scheme: Scheme = { kind: 'anonymous' };
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  const credentials = () => opts.credentials?.(opts.registry);
  const missingCredentials = () => {
    if (credentials() !== undefined) return undefined;
    const lookup = opts.credentials as CredentialLookup | undefined;
    return lookup?.missing?.(opts.registry) ?? `no credentials for ${opts.registry}`;
  };

  async function fetchToken(realm: string, service: string | undefined, scope: Scope, operation: string) {
    const scopeText = scopeString(scope);
    const ctx = { registry: opts.registry, repository: scope.repository, operation };
    let url: URL;
    try {
      url = new URL(realm);
    } catch (cause) {
      throw new KeylessError('ERR_SERVICE', `${opts.registry} names a token realm that is not a URL`, ctx, { cause });
    }
    const where = `${url.origin}${url.pathname}`;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.allowHttpRealm)) {
      throw new KeylessError('ERR_REQUEST', `${opts.registry} sends for tokens to ${where}, which is not https: refused`, { ...ctx, realm: where });
    }
    const c = credentials();
    const headers: Record<string, string> = { 'user-agent': opts.userAgent, accept: 'application/json' };
    let init: RequestInit;
    if (c?.identityToken !== undefined) {
      // token.md "OAuth2 token": an identity token from `docker login` is a refresh token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, scope: scopeText, client_id: 'keyless' });
      if (service !== undefined) form.set('service', service);
      init = { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      url.searchParams.append('scope', scopeText);
      if (c !== undefined) headers.authorization = basicAuthorization(c);
      init = { headers };
    }
    let res: Response;
    try {
      res = await opts.fetch(url, init);
    } catch (cause) {
      throw new KeylessError('ERR_SERVICE', `${operation} ${opts.registry}/${scope.repository}: token service ${where} is unreachable`, { ...ctx, realm: where }, { cause });
    }
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403 ? (missingCredentials() ?? 'the token service refused the credentials') : undefined;
      const failure = await registryFailure(res, { ...ctx, operation: `${operation} (token for ${scopeText} from ${where})` }, hint);
      throw failure;
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(utf8Decode(await readBounded(res, TOKEN_RESPONSE_LIMIT, 'token response', ctx))) as typeof body;
    } catch (cause) {
      if (cause instanceof KeylessError && cause.code === 'ERR_TOO_LARGE') throw cause;
      throw new KeylessError('ERR_SERVICE', `token service ${where} answered with something that is not JSON`, { ...ctx, realm: where }, { cause });
    }
    const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new KeylessError('ERR_SERVICE', `token service ${where} answered without a token`, { ...ctx, realm: where });
    }
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew a little early, so a token does not expire between the cache lookup and the registry's check.
    return { token, expiresAt: opts.now() + Math.max(seconds - 10, seconds / 2) * 1000 };
  }

  return {
    async authorization(scope, operation) {
      if (scheme.kind === 'anonymous') return undefined;
      if (scheme.kind === 'basic') {
        const c = credentials();
        return c === undefined ? undefined : basicAuthorization(c);
      }
      // A pull,push token also serves a pull.
      const keys = scope.push ? [scopeString(scope)] : [scopeString(scope), scopeString({ ...scope, push: true })];
      for (const key of keys) {
        const cached = tokens.get(key);
        if (cached !== undefined && cached.expiresAt > opts.now()) return `Bearer ${cached.token}`;
      }
      const fresh = await fetchToken(scheme.realm, scheme.service, scope, operation);
      tokens.set(scopeString(scope), fresh);
      return `Bearer ${fresh.token}`;
    },
    challenged(header, scope, sentAuthorization) {
      const challenges = parseWwwAuthenticate(header ?? '');
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      if (bearer !== undefined) {
        // A cached token may have been revoked or expired early: drop it, and let the caller retry once.
        scheme = { kind: 'bearer', realm: bearer.params.realm as string, service: bearer.params.service };
        tokens.delete(scopeString(scope));
        return undefined;
      }
      if (challenges.some((c) => c.scheme === 'basic')) {
        const missing = missingCredentials();
        if (missing !== undefined) return missing;
        if (sentAuthorization && scheme.kind === 'basic') return 'the registry refused the credentials';
        scheme = { kind: 'basic' };
        return undefined;
      }
      const schemes = challenges.map((c) => c.scheme).join(', ');
      return `the registry asks for an authentication scheme keyless does not support (${schemes || 'none named'})`;
    },
    missingCredentials,
    refused(scope) {
      return scheme.kind === 'bearer' ? `the token from ${scheme.realm} does not grant ${scopeString(scope)}` : 'the registry refused the credentials';
    },
  };
}

function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

// ---- HTTP plumbing shared with client.ts ----------------------------------------------------------------------

export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

/** Reads at most `limit` bytes of a body; ERR_TOO_LARGE (and the stream cancelled) beyond that. */
export async function readBounded(res: Response, limit: number, what: string, details: Record<string, unknown>): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new KeylessError('ERR_TOO_LARGE', `${what} is ${declared} bytes, over the limit of ${limit}`, { ...details, limit, size: declared });
  }
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new KeylessError('ERR_TOO_LARGE', `${what} is over the limit of ${limit} bytes`, { ...details, limit });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** distribution spec "Error Codes": `{"errors":[{"code","message","detail"}]}`; anything else yields []. */
export async function readRegistryErrors(res: Response): Promise<RegistryErrorEntry[]> {
  try {
    const body = JSON.parse(utf8Decode(await readBounded(res, 64 * 1024, 'error body', {}))) as { errors?: unknown };
    if (!Array.isArray(body.errors)) return [];
    return body.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ code: typeof e.code === 'string' ? e.code : '', message: typeof e.message === 'string' ? e.message.slice(0, 500) : '' }));
  } catch {
    return [];
  }
}

/** 404 → ERR_NOT_FOUND, 5xx → ERR_SERVICE, any other status → ERR_REQUEST. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'ERR_NOT_FOUND';
  if (status >= 500) return 'ERR_SERVICE';
  return 'ERR_REQUEST';
}

/** The error for a response a caller cannot fix by retrying: names registry, repository, operation and status. */
export async function registryFailure(
  res: Response,
  ctx: { registry: string; repository: string; operation: string },
  hint?: string,
): Promise<KeylessError> {
  const registryErrors = await readRegistryErrors(res);
  const said = registryErrors.map((e) => `${e.code}: ${e.message}`).join('; ');
  const message = `${ctx.operation} ${ctx.registry}/${ctx.repository}: HTTP ${res.status}${said ? ` (${said})` : ''}${hint ? `; ${hint}` : ''}`;
  return new KeylessError(codeForStatus(res.status), message, { ...ctx, status: res.status, registryErrors });
}
