/**
 * A client for the OCI distribution spec v1.1 (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md):
 * manifests, blobs (monolithic and chunked uploads), tags, and referrers with the spec's tag-schema fallback.
 *
 * The registry is not trusted with integrity: every manifest and blob read is hashed and MUST match the digest
 * asked for (or the one the registry announced for a tag); reads are bounded. Errors name the registry, the
 * repository, the operation and the HTTP status, with the registry's own `errors[]` in `details.registryErrors`.
 */
import { KeylessError } from '../core/errors.js';
import { utf8Decode, utf8Encode } from '../core/encoding.js';
import { defaultFetch, withRetries, type RetryOptions } from '../net/http.js';
import { createAuthenticator, readBounded, registryFailure, type Credentials, type Scope } from './auth.js';
import { MANIFEST_MEDIA_TYPES, MEDIA_TYPES, digestOf, isDigest, parseIndex, type Descriptor, type Index } from './media-types.js';
import { isRegistryHost, isRepository, isTag, registryApiHost } from './reference.js';

export interface RegistryClient {
  /** Tag or digest → the manifest's digest, media type and bytes (GET with an Accept of every manifest/index type). */
  getManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; bytes: Uint8Array } | undefined>;
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ digest: string; subjectAccepted: boolean }>;
  /** Verifies the digest of what it read; `maxBytes` defaults to the client's `maxBlobBytes`. */
  getBlob(repository: string, digest: string, opts?: { maxBytes?: number }): Promise<Uint8Array>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Monolithic (POST then PUT ?digest=), or chunked (PATCH with Content-Range) when `chunkSize` is set; skipped if it exists. */
  putBlob(repository: string, bytes: Uint8Array, opts?: { chunkSize?: number; mediaType?: string }): Promise<Descriptor>;
  /**
   * OCI 1.1 referrers of a digest: GET /v2/<name>/referrers/<digest>; when the registry lacks the API (404, or an
   * answer that is not an index), the fallback tag `<alg>-<hex>` (an OCI index) per the distribution spec.
   */
  referrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]>;
  /**
   * Adds a descriptor to the fallback referrers index (tag `<alg>-<hex>`), for registries without the referrers
   * API. The descriptor SHOULD carry the referrer's artifactType. Read-modify-write: two writers racing on one
   * subject can lose an entry, as with every client of the tag schema.
   */
  addReferrerToFallbackIndex(repository: string, subjectDigest: string, descriptor: Descriptor): Promise<void>;
  /** Every tag (following `Link: rel="next"` pages); [] when the repository does not exist. */
  listTags(repository: string): Promise<string[]>;
}

export interface RegistryClientOptions {
  /** host[:port]; `docker.io` is spoken to at index.docker.io. */
  readonly registry: string;
  /** Default: true only for localhost, 127.0.0.1 and ::1. */
  readonly plainHttp?: boolean;
  readonly credentials?: (registry: string) => Credentials | undefined;
  /** src/net's defaultFetch (the global fetch, or through HTTPS_PROXY/HTTP_PROXY) by default. */
  readonly fetch?: typeof fetch;
  /** Timeout per request and retries of 503/429 and connection failures (src/net's defaults: 60 s, 4 attempts). */
  readonly retry?: RetryOptions;
  readonly userAgent?: string;
  /** Largest blob `getBlob` reads unless told otherwise; default 64 MiB. */
  readonly maxBlobBytes?: number;
  /** Clock for the token cache (ms since the epoch). */
  readonly now?: () => number;
}

/** distribution-spec: registries SHOULD accept manifests of at least 4 MiB; we read no more. */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;
export const DEFAULT_BLOB_LIMIT = 64 * 1024 * 1024;
const TAG_PAGES_LIMIT = 1000;

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]';
}

/** distribution-spec "Unavailable Referrers API": the tag is the digest with ':' replaced by '-', at most 128 characters. */
export function referrersFallbackTag(digest: string): string {
  return digest.replace(':', '-').slice(0, 128);
}

function checkRepository(repository: string): void {
  if (typeof repository !== 'string' || !isRepository(repository)) throw new TypeError(`not a repository name: ${JSON.stringify(repository)}`);
}

function checkDigest(digest: string): void {
  if (!isDigest(digest)) throw new TypeError(`not a digest: ${JSON.stringify(digest)}`);
}

function checkReference(reference: string): void {
  if (typeof reference !== 'string' || !(isTag(reference) || isDigest(reference))) throw new TypeError(`not a tag or digest: ${JSON.stringify(reference)}`);
}

/** The media type a manifest declares in its own (digested) bytes, else the one the registry sent. */
function manifestMediaType(bytes: Uint8Array, contentType: string | null): string {
  try {
    const parsed = JSON.parse(utf8Decode(bytes)) as { mediaType?: unknown };
    if (typeof parsed.mediaType === 'string' && parsed.mediaType !== '') return parsed.mediaType;
  } catch {
    // not JSON: the caller's parser will say so; the header is all we have
  }
  return (contentType ?? '').split(';')[0]?.trim() ?? '';
}

/** `Link: </v2/x/tags/list?last=a&n=100>; rel="next"` → the URL. */
function nextLink(link: string | null): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m !== null && /\brel="?next"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export function createRegistryClient(opts: RegistryClientOptions): RegistryClient {
  if (!isRegistryHost(opts.registry)) throw new TypeError(`not a registry host: ${JSON.stringify(opts.registry)}`);
  const registry = registryApiHost(opts.registry);
  const plainHttp = opts.plainHttp ?? isLoopback(registry);
  const base = new URL(`${plainHttp ? 'http' : 'https'}://${registry}`);
  // Every registry request is safe to repeat after pushback (503/429: not taken). After a connection failure all are
  // too — GET/HEAD read, PUT of a manifest or a blob by digest is content-addressed, a repeated POST only opens
  // another upload session — except a chunk's PATCH, which a registry may have appended before the connection broke.
  const transport = opts.fetch ?? defaultFetch();
  const doFetch = withRetries(transport, opts.retry);
  const pushbackOnly = withRetries(transport, { ...opts.retry, retryNetworkErrors: false });
  const userAgent = opts.userAgent ?? 'keyless';
  const maxBlobBytes = opts.maxBlobBytes ?? DEFAULT_BLOB_LIMIT;
  const auth = createAuthenticator({
    registry,
    credentials: opts.credentials,
    fetch: doFetch,
    userAgent,
    allowHttpRealm: plainHttp,
    now: opts.now ?? Date.now,
  });

  /** One request, authenticated as the registry asks: on a 401, learn the scheme and retry once. */
  async function send(operation: string, scope: Scope, method: string, target: string | URL, init: { headers?: Record<string, string>; body?: Uint8Array } = {}): Promise<Response> {
    const url = new URL(target, base);
    const ctx = { registry, repository: scope.repository, operation };
    for (let attempt = 0; ; attempt++) {
      // Credentials and tokens go to the registry's own origin only, never to a host an upload Location names.
      const authorization = url.origin === base.origin ? await auth.authorization(scope, operation) : undefined;
      const headers: Record<string, string> = { 'user-agent': userAgent, ...init.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      let res: Response;
      try {
        res = await (method === 'PATCH' ? pushbackOnly : doFetch)(url, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
      } catch (cause) {
        const code = cause instanceof KeylessError && cause.code === 'ERR_TIMEOUT' ? 'ERR_TIMEOUT' : 'ERR_SERVICE';
        const reason = cause instanceof KeylessError && typeof cause.details['reason'] === 'string' ? `: ${cause.details['reason']}` : '';
        throw new KeylessError(code, `${operation} ${registry}/${scope.repository}: ${registry} is unreachable${reason}`, ctx, { cause });
      }
      if (res.status !== 401 || url.origin !== base.origin) return res;
      const refusal =
        attempt === 0
          ? auth.challenged(res.headers.get('www-authenticate'), scope, authorization !== undefined)
          : (auth.missingCredentials() ?? auth.refused(scope));
      if (refusal !== undefined) throw await registryFailure(res, ctx, refusal);
      await res.body?.cancel();
    }
  }

  async function expect(res: Response, statuses: readonly number[], ctx: { repository: string; operation: string }): Promise<void> {
    if (!statuses.includes(res.status)) throw await registryFailure(res, { registry, ...ctx });
  }

  function mismatch(ctx: { repository: string; operation: string }, what: string, expected: string, actual: string): KeylessError {
    return new KeylessError('ERR_SERVICE', `${ctx.operation} ${registry}/${ctx.repository}: ${what} has digest ${actual}, not ${expected}; refused`, {
      registry,
      ...ctx,
      expected,
      actual,
    });
  }

  const client: RegistryClient = {
    async getManifest(repository, reference) {
      checkRepository(repository);
      checkReference(reference);
      const ctx = { repository, operation: `get manifest ${reference}` };
      const res = await send(ctx.operation, { repository, push: false }, 'GET', `/v2/${repository}/manifests/${reference}`, {
        headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      await expect(res, [200], ctx);
      const bytes = await readBounded(res, MANIFEST_LIMIT, 'the manifest', { registry, ...ctx });
      // By digest, the bytes MUST hash to it. By tag, the registry's Docker-Content-Digest is a claim to check.
      const announced = res.headers.get('docker-content-digest');
      const expected = isDigest(reference) ? reference : announced !== null && isDigest(announced) ? announced : undefined;
      const digest = digestOf(bytes, expected);
      if (expected !== undefined && digest !== expected) throw mismatch(ctx, 'the manifest it sent', expected, digest);
      return { digest, mediaType: manifestMediaType(bytes, res.headers.get('content-type')), bytes };
    },

    async putManifest(repository, reference, bytes, mediaType) {
      checkRepository(repository);
      checkReference(reference);
      if (bytes.length > MANIFEST_LIMIT) throw new TypeError(`a manifest of ${bytes.length} bytes is over the ${MANIFEST_LIMIT}-byte limit`);
      const digest = digestOf(bytes, isDigest(reference) ? reference : undefined);
      if (isDigest(reference) && reference !== digest) throw new TypeError(`the manifest's digest is ${digest}, not ${reference}`);
      const ctx = { repository, operation: `put manifest ${reference}` };
      const res = await send(ctx.operation, { repository, push: true }, 'PUT', `/v2/${repository}/manifests/${reference}`, {
        headers: { 'content-type': mediaType },
        body: bytes,
      });
      await expect(res, [200, 201], ctx);
      await res.body?.cancel();
      const announced = res.headers.get('docker-content-digest');
      if (announced !== null && isDigest(announced) && digestOf(bytes, announced) !== announced) throw mismatch(ctx, 'the manifest it stored', announced, digestOf(bytes, announced));
      return { digest, subjectAccepted: res.headers.has('oci-subject') };
    },

    async getBlob(repository, digest, o = {}) {
      checkRepository(repository);
      checkDigest(digest);
      const ctx = { repository, operation: `get blob ${digest}` };
      const res = await send(ctx.operation, { repository, push: false }, 'GET', `/v2/${repository}/blobs/${digest}`);
      await expect(res, [200], ctx);
      const bytes = await readBounded(res, o.maxBytes ?? maxBlobBytes, 'the blob', { registry, ...ctx });
      const actual = digestOf(bytes, digest);
      if (actual !== digest) throw mismatch(ctx, `the blob it sent (${bytes.length} bytes)`, digest, actual);
      return bytes;
    },

    async hasBlob(repository, digest) {
      checkRepository(repository);
      checkDigest(digest);
      const ctx = { repository, operation: `check blob ${digest}` };
      const res = await send(ctx.operation, { repository, push: false }, 'HEAD', `/v2/${repository}/blobs/${digest}`);
      await res.body?.cancel();
      if (res.status === 404) return false;
      await expect(res, [200], ctx);
      return true;
    },

    async putBlob(repository, bytes, o = {}) {
      checkRepository(repository);
      const digest = digestOf(bytes);
      const descriptor: Descriptor = { mediaType: o.mediaType ?? MEDIA_TYPES.octetStream, digest, size: bytes.length };
      if (await client.hasBlob(repository, digest)) return descriptor;
      const { chunkSize } = o;
      if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)) throw new TypeError('chunkSize must be a positive integer');
      const scope = { repository, push: true };
      const ctx = { repository, operation: `upload blob ${digest}` };
      const started = await send(ctx.operation, scope, 'POST', `/v2/${repository}/blobs/uploads/`);
      await expect(started, [202], ctx);
      await started.body?.cancel();
      let location = uploadLocation(started, ctx);
      let body: Uint8Array | undefined = bytes;
      if (chunkSize !== undefined) {
        // spec "Pushing a blob in chunks": each PATCH names its range; the next Location continues the session.
        for (let offset = 0; offset < bytes.length; offset += chunkSize) {
          const chunk = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
          const res = await send(ctx.operation, scope, 'PATCH', location, {
            headers: { 'content-type': MEDIA_TYPES.octetStream, 'content-range': `${offset}-${offset + chunk.length - 1}` },
            body: chunk,
          });
          await expect(res, [202], ctx);
          await res.body?.cancel();
          location = uploadLocation(res, ctx);
        }
        body = undefined;
      }
      location.searchParams.set('digest', digest);
      const done = await send(ctx.operation, scope, 'PUT', location, {
        headers: { 'content-type': MEDIA_TYPES.octetStream },
        body: body ?? new Uint8Array(0),
      });
      await expect(done, [201], ctx);
      await done.body?.cancel();
      const announced = done.headers.get('docker-content-digest');
      if (announced !== null && announced !== digest) throw mismatch(ctx, 'the blob it stored', digest, announced);
      return descriptor;
    },

    async referrers(repository, digest, artifactType) {
      checkRepository(repository);
      checkDigest(digest);
      const ctx = { repository, operation: `list referrers of ${digest}` };
      const path = `/v2/${repository}/referrers/${digest}${artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`}`;
      const res = await send(ctx.operation, { repository, push: false }, 'GET', path, { headers: { accept: MEDIA_TYPES.ociIndex } });
      let index: Index | undefined;
      if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith(MEDIA_TYPES.ociIndex)) {
        index = parseIndex(await readBounded(res, MANIFEST_LIMIT, 'the referrers index', { registry, ...ctx }));
      } else if (res.status === 404 || res.status === 200) {
        await res.body?.cancel();
        const fallback = await client.getManifest(repository, referrersFallbackTag(digest));
        if (fallback === undefined) return [];
        index = parseIndex(fallback.bytes);
      } else {
        throw await registryFailure(res, { registry, ...ctx });
      }
      // A registry that filtered says so in OCI-Filters-Applied; filtering again is harmless, and needed otherwise.
      return artifactType === undefined ? index.manifests : index.manifests.filter((d) => d.artifactType === artifactType);
    },

    async addReferrerToFallbackIndex(repository, subjectDigest, descriptor) {
      checkRepository(repository);
      checkDigest(subjectDigest);
      checkDigest(descriptor.digest);
      const tag = referrersFallbackTag(subjectDigest);
      const current = await client.getManifest(repository, tag);
      // An existing tag that is not an index is not ours to overwrite: parseIndex refuses it.
      const index = current === undefined ? undefined : parseIndex(current.bytes);
      const manifests = (index?.manifests ?? []).filter((d) => d.digest !== descriptor.digest);
      manifests.push(descriptor);
      const next = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests,
        ...(index?.annotations === undefined ? {} : { annotations: index.annotations }),
      };
      await client.putManifest(repository, tag, utf8Encode(JSON.stringify(next)), MEDIA_TYPES.ociIndex);
    },

    async listTags(repository) {
      checkRepository(repository);
      const ctx = { repository, operation: 'list tags' };
      const tags: string[] = [];
      let target: string | undefined = `/v2/${repository}/tags/list`;
      for (let page = 0; target !== undefined; page++) {
        if (page >= TAG_PAGES_LIMIT) throw new KeylessError('ERR_SERVICE', `list tags ${registry}/${repository}: more than ${TAG_PAGES_LIMIT} pages`, { registry, ...ctx });
        const res = await send(ctx.operation, { repository, push: false }, 'GET', target);
        if (res.status === 404) {
          await res.body?.cancel();
          return tags;
        }
        await expect(res, [200], ctx);
        const text = utf8Decode(await readBounded(res, MANIFEST_LIMIT, 'the tag list', { registry, ...ctx }));
        let body: { tags?: unknown };
        try {
          body = JSON.parse(text) as typeof body;
        } catch (cause) {
          throw new KeylessError('ERR_JSON', `list tags ${registry}/${repository}: the answer is not JSON`, { registry, ...ctx }, { cause });
        }
        if (body.tags !== null && body.tags !== undefined && !(Array.isArray(body.tags) && body.tags.every((t) => typeof t === 'string'))) {
          throw new KeylessError('ERR_JSON', `list tags ${registry}/${repository}: the answer's tags are not a list of strings`, { registry, ...ctx });
        }
        tags.push(...((body.tags as string[] | null | undefined) ?? []));
        target = nextLink(res.headers.get('link'));
      }
      return tags;
    },
  };

  function uploadLocation(res: Response, ctx: { repository: string; operation: string }): URL {
    const location = res.headers.get('location');
    if (location === null) throw new KeylessError('ERR_SERVICE', `${ctx.operation} ${registry}/${ctx.repository}: no Location for the upload session`, { registry, ...ctx, status: res.status });
    return new URL(location, base);
  }

  return client;
}
