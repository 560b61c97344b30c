// The registry client against a fake fetch: what it refuses from a registry (wrong digests, oversize bodies),
// how failures are coded, the bearer flow and its token cache (frozen clock), and where credentials may go.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isKeylessError } from '../../../src/core/errors.js';
import { createRegistryClient, MANIFEST_LIMIT } from '../../../src/oci/client.js';
import { MEDIA_TYPES } from '../../../src/oci/media-types.js';

type Handler = (req: Request) => Response | Promise<Response>;

function fakeFetch(handler: Handler) {
  const seen: Request[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    seen.push(req.clone());
    return handler(req);
  }) as typeof fetch;
  return { fetch: f, seen };
}

const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'x', digest: sha256('c'), size: 1 }, layers: [] }));
const OTHER = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'y', digest: sha256('d'), size: 1 }, layers: [] }));

function coded(code: string, check: (err: { message: string; details: Readonly<Record<string, unknown>> }) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(isKeylessError(err), String(err));
    assert.equal(err.code, code, err.message);
    check(err);
    return true;
  };
}

describe('integrity: the registry does not choose the bytes', () => {
  it('a manifest fetched by digest MUST hash to it', async () => {
    const { fetch } = fakeFetch(() => new Response(OTHER, { headers: { 'content-type': MEDIA_TYPES.ociManifest } }));
    const client = createRegistryClient({ registry: 'localhost:5000', fetch });
    await assert.rejects(client.getManifest('a/b', sha256(MANIFEST)), coded('ERR_SERVICE', (e) => {
      assert.equal(e.details.expected, sha256(MANIFEST));
      assert.equal(e.details.actual, sha256(OTHER));
      assert.match(e.message, /get manifest sha256:.* localhost:5000\/a\/b: the manifest it sent has digest/);
    }));
  });

  it('a manifest fetched by tag MUST hash to the Docker-Content-Digest announced', async () => {
    const { fetch } = fakeFetch(() => new Response(OTHER, { headers: { 'docker-content-digest': sha256(MANIFEST) } }));
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch }).getManifest('a/b', 'v1'), coded('ERR_SERVICE'));
  });

  it('without an announced digest, a tag resolves to the digest of the bytes, and the media type the bytes declare', async () => {
    const { fetch, seen } = fakeFetch(() => new Response(MANIFEST, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
    const got = await createRegistryClient({ registry: 'localhost:5000', fetch }).getManifest('a/b', 'v1');
    assert.deepEqual({ ...got, bytes: Buffer.from(got!.bytes) }, { digest: sha256(MANIFEST), mediaType: MEDIA_TYPES.ociManifest, bytes: MANIFEST });
    const accept = seen[0]!.headers.get('accept') ?? '';
    for (const t of [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList]) assert.ok(accept.includes(t), t);
  });

  it('a blob MUST hash to its digest: changed or truncated bytes are refused', async () => {
    const blob = Buffer.from('the real layer bytes');
    for (const served of [Buffer.from('the fake layer bytes'), blob.subarray(0, 10)]) {
      const { fetch } = fakeFetch(() => new Response(served));
      await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch }).getBlob('a/b', sha256(blob)), coded('ERR_SERVICE', (e) => assert.match(e.message, /refused/)));
    }
    const { fetch } = fakeFetch(() => new Response(blob));
    assert.deepEqual(Buffer.from(await createRegistryClient({ registry: 'localhost:5000', fetch }).getBlob('a/b', sha256(blob))), blob);
  });

  it('reads are bounded: manifests at 4 MiB, blobs at the caller\'s limit, declared or streamed', async () => {
    const big = new Uint8Array(MANIFEST_LIMIT + 1);
    const declared = fakeFetch(() => new Response(big));
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch: declared.fetch }).getManifest('a/b', 'v1'), coded('ERR_TOO_LARGE'));
    const streamed = fakeFetch(() => new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) })));
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch: streamed.fetch, maxBlobBytes: 100_000 }).getBlob('a/b', sha256('x')), coded('ERR_TOO_LARGE'));
  });

  it('a digest reference that does not match the manifest put is a programming error', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 201 }));
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch }).putManifest('a/b', sha256(OTHER), MANIFEST, MEDIA_TYPES.ociManifest), TypeError);
  });

  it('repository names and references are checked before any request', async () => {
    const { fetch, seen } = fakeFetch(() => new Response(null, { status: 500 }));
    const client = createRegistryClient({ registry: 'localhost:5000', fetch });
    await assert.rejects(client.getManifest('../etc', 'v1'), TypeError);
    await assert.rejects(client.getManifest('a/b', 'v1/../x'), TypeError);
    await assert.rejects(client.getBlob('a/b', 'sha256:abc'), TypeError);
    assert.equal(seen.length, 0);
  });
});

describe('failures are coded and name the registry, repository, operation and status', () => {
  const errors = { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] };
  for (const [status, code] of [[403, 'ERR_REQUEST'], [404, 'ERR_NOT_FOUND'], [400, 'ERR_REQUEST'], [500, 'ERR_SERVICE'], [503, 'ERR_SERVICE']] as const) {
    it(`HTTP ${status} → ${code}`, async () => {
      const { fetch } = fakeFetch(() => Response.json(errors, { status }));
      await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch, retry: { sleep: async () => undefined } }).getBlob('a/b', sha256('x')), coded(code, (e) => {
        assert.deepEqual(e.details, { registry: 'localhost:5000', repository: 'a/b', operation: `get blob ${sha256('x')}`, status, registryErrors: errors.errors });
        assert.match(e.message, new RegExp(`localhost:5000/a/b: HTTP ${status} \\(DENIED: requested access`));
      }));
    });
  }
  it('an unreachable registry is ERR_SERVICE', async () => {
    const fetch: typeof globalThis.fetch = async () => {
      throw new TypeError('fetch failed');
    };
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch }).listTags('a/b'), coded('ERR_SERVICE', (e) => assert.match(e.message, /unreachable/)));
  });
});

describe('bearer tokens', () => {
  const challenge = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"';
  function tokenRegistry(expiresIn: number) {
    let issued = 0;
    const fake = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === 'auth.example') {
        issued++;
        return Response.json({ access_token: `tok-${issued}`, expires_in: expiresIn });
      }
      if (req.headers.get('authorization') !== `Bearer tok-${issued}`) return new Response(null, { status: 401, headers: { 'www-authenticate': challenge } });
      return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } });
    });
    return fake;
  }

  it('follows the challenge with basic credentials, and caches the token per scope until expires_in', async () => {
    let now = 1_000_000;
    const fake = tokenRegistry(300);
    const client = createRegistryClient({ registry: 'registry.example', fetch: fake.fetch, now: () => now, credentials: () => ({ username: 'u', password: 'p' }) });
    await client.listTags('a/b');
    const tokenReq = fake.seen.find((r) => r.url.startsWith('https://auth.example/'))!;
    const url = new URL(tokenReq.url);
    assert.equal(url.searchParams.get('service'), 'registry.example');
    assert.deepEqual(url.searchParams.getAll('scope'), ['repository:a/b:pull']);
    assert.equal(tokenReq.headers.get('authorization'), `Basic ${Buffer.from('u:p').toString('base64')}`);
    assert.equal(fake.seen[0]!.url, 'https://registry.example/v2/a/b/tags/list', 'not a loopback host: https');

    const before = fake.seen.length;
    await client.listTags('a/b');
    assert.equal(fake.seen.length, before + 1, 'cached: one request, no token fetch');
    now += 301_000;
    await client.listTags('a/b');
    assert.equal(fake.seen.filter((r) => r.url.startsWith('https://auth.example/')).length, 2, 'expired: a new token');
  });

  it('refuses an http:// realm for a registry spoken to over https', async () => {
    const { fetch, seen } = fakeFetch(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.example/token",service="s"' } }));
    const client = createRegistryClient({ registry: 'registry.example', fetch, credentials: () => ({ username: 'u', password: 'p' }) });
    await assert.rejects(client.getManifest('a/b', 'v1'), coded('ERR_REQUEST', (e) => assert.match(e.message, /not https: refused/)));
    assert.ok(seen.every((r) => r.headers.get('authorization') === null), 'no credentials sent anywhere');
  });

  it('basic: a wrong password is a 401 after one retry, and the password appears nowhere', async () => {
    const { fetch, seen } = fakeFetch(() => Response.json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));
    const client = createRegistryClient({ registry: 'localhost:5000', fetch, credentials: () => ({ username: 'u', password: 's3cret' }) });
    await assert.rejects(client.getManifest('a/b', 'v1'), coded('ERR_REQUEST', (e) => {
      assert.equal(e.details.status, 401);
      assert.match(e.message, /refused the credentials/);
      assert.doesNotMatch(e.message + JSON.stringify(e.details), /s3cret/);
    }));
    assert.equal(seen.length, 2);
  });

  it('credentials never follow an upload Location to another origin', async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (req.headers.get('authorization') === null && url.host === 'localhost:5000') return new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
      if (req.method === 'HEAD') return new Response(null, { status: 404 });
      if (req.method === 'POST') return new Response(null, { status: 202, headers: { location: 'http://storage.example/upload/1?sig=x' } });
      return new Response(null, { status: 201 });
    });
    const client = createRegistryClient({ registry: 'localhost:5000', fetch, credentials: () => ({ username: 'u', password: 'p' }) });
    await client.putBlob('a/b', Buffer.from('blob'));
    const put = seen.find((r) => r.method === 'PUT')!;
    assert.equal(new URL(put.url).host, 'storage.example');
    assert.equal(new URL(put.url).searchParams.get('digest'), sha256('blob'));
    assert.equal(put.headers.get('authorization'), null);
  });
});

describe('referrers', () => {
  const subject = sha256('subject');
  const index = (manifests: unknown[]) => JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });
  const a = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256('a'), size: 1, artifactType: 'type/a' };
  const b = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256('b'), size: 1, artifactType: 'type/b' };

  it('uses the referrers API when the registry has it, and filters by artifactType', async () => {
    const { fetch, seen } = fakeFetch(() => new Response(index([a, b]), { headers: { 'content-type': MEDIA_TYPES.ociIndex } }));
    assert.deepEqual(await createRegistryClient({ registry: 'localhost:5000', fetch }).referrers('a/b', subject, 'type/b'), [b]);
    assert.equal(seen.length, 1);
    assert.equal(new URL(seen[0]!.url).pathname, `/v2/a/b/referrers/${subject}`);
  });

  it('falls back to the sha256-<hex> tag when the API is missing', async () => {
    const fallbackIndex = index([a]);
    const { fetch, seen } = fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === `/v2/a/b/manifests/${subject.replace(':', '-')}`) return new Response(fallbackIndex, { headers: { 'content-type': MEDIA_TYPES.ociIndex } });
      return new Response('404 page not found', { status: 404 });
    });
    assert.deepEqual(await createRegistryClient({ registry: 'localhost:5000', fetch }).referrers('a/b', subject), [a]);
    assert.equal(seen.length, 2);
  });

  it('will not overwrite a fallback tag that is not an index', async () => {
    const { fetch } = fakeFetch((req) => (req.method === 'GET' ? new Response(MANIFEST) : new Response(null, { status: 201 })));
    await assert.rejects(createRegistryClient({ registry: 'localhost:5000', fetch }).addReferrerToFallbackIndex('a/b', subject, a), coded('ERR_JSON'));
  });
});
