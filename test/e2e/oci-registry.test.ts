// The OCI client against a real registry (Debian's docker-registry, distribution 2.8.2) on loopback: push an image
// built here, resolve its tag, pull it back, upload in chunks, list referrers through the tag-schema fallback
// (2.8 has no referrers API); once without auth, once with htpasswd basic auth, once behind a bearer-token
// service (test/helpers/token-service.ts). Then what must fail: no or wrong credentials, missing manifests and
// blobs, and a blob the registry corrupted on disk.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKeylessError } from '../../src/core/errors.js';
import { utf8Encode } from '../../src/core/encoding.js';
import { credentialsFor } from '../../src/oci/auth.js';
import { createRegistryClient, referrersFallbackTag, type RegistryClient } from '../../src/oci/client.js';
import { EMPTY_JSON, EMPTY_JSON_DESCRIPTOR, MEDIA_TYPES, parseIndex, parseManifest, type Descriptor } from '../../src/oci/media-types.js';
import { parseReference } from '../../src/oci/reference.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import { startTokenService, type TokenService } from '../helpers/token-service.js';

const USER = 'ci-user';
const PASSWORD = 'correct horse battery staple';
const SIG_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SBOM_TYPE = 'application/spdx+json';

function clientFor(registry: Registry, creds?: { username: string; password: string }): RegistryClient {
  return createRegistryClient({
    registry: registry.host,
    credentials: credentialsFor({ ...(creds === undefined ? {} : { flags: creds }), env: {}, dockerConfigPath: join(registry.dir, 'no-docker-config.json') }),
  });
}

function json(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value));
}

/** The registry's own copy of a blob (filesystem driver layout). */
function blobPath(registry: Registry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

async function rejectsWith(promise: Promise<unknown>, code: string, status: number | undefined, pattern: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isKeylessError(err), `a KeylessError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (status !== undefined) assert.equal(err.details.status, status, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** Everything a signer and a verifier need from a registry, in one pass. */
function exercise(getRegistry: () => Registry, getClient: () => RegistryClient, repository: string) {
  let image: Descriptor;
  let layer: Uint8Array;

  it('pushes an image built in code (config + layer + OCI manifest, tag v1) and resolves the tag', async () => {
    const client = getClient();
    const config = await client.putBlob(repository, json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), { mediaType: MEDIA_TYPES.ociConfig });
    layer = randomBytes(3000);
    const layerDescriptor = await client.putBlob(repository, layer, { mediaType: MEDIA_TYPES.ociLayer });
    const manifest = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers: [layerDescriptor] });
    const put = await client.putManifest(repository, 'v1', manifest, MEDIA_TYPES.ociManifest);
    image = { mediaType: MEDIA_TYPES.ociManifest, digest: put.digest, size: manifest.length };
    assert.equal(put.subjectAccepted, false);

    const resolved = await client.getManifest(repository, 'v1');
    assert.ok(resolved);
    assert.equal(resolved.digest, put.digest);
    assert.equal(resolved.mediaType, MEDIA_TYPES.ociManifest);
    assert.deepEqual(Buffer.from(resolved.bytes), Buffer.from(manifest));
    const ref = parseReference(`${getRegistry().host}/${repository}:v1`);
    assert.equal(ref.repository, repository);
  });

  it('pulls it back by digest, and every blob it names', async () => {
    const client = getClient();
    const byDigest = await client.getManifest(repository, image.digest);
    assert.ok(byDigest);
    const manifest = parseManifest(byDigest.bytes);
    assert.deepEqual(Buffer.from(await client.getBlob(repository, manifest.layers[0]!.digest)), Buffer.from(layer));
    assert.equal(JSON.parse(Buffer.from(await client.getBlob(repository, manifest.config.digest)).toString()).os, 'linux');
    assert.equal(await client.hasBlob(repository, manifest.config.digest), true);
    assert.equal(await client.hasBlob(repository, `sha256:${'0'.repeat(64)}`), false);
  });

  it('uploads in chunks (PATCH with Content-Range), and skips a blob that exists', async () => {
    const client = getClient();
    const big = randomBytes(100_000);
    const d = await client.putBlob(repository, big, { chunkSize: 16 * 1024 });
    assert.equal(d.size, big.length);
    assert.deepEqual(Buffer.from(await client.getBlob(repository, d.digest)), big);
    assert.deepEqual(await client.putBlob(repository, big, { chunkSize: 1 }), d, 'exists: no upload (a 1-byte chunking would take 100k requests)');
  });

  it('lists referrers through the fallback tag index, filtered by artifactType; a manifest with a subject is accepted', async () => {
    const client = getClient();
    assert.deepEqual(await client.referrers(repository, image.digest), []);
    await client.putBlob(repository, EMPTY_JSON, { mediaType: MEDIA_TYPES.ociEmptyConfig });
    const made: Descriptor[] = [];
    for (const artifactType of [SIG_TYPE, SBOM_TYPE]) {
      const payload = await client.putBlob(repository, json({ artifactType }), { mediaType: artifactType });
      const bytes = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, artifactType, config: EMPTY_JSON_DESCRIPTOR, layers: [payload], subject: image });
      const put = await client.putManifest(repository, `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes, MEDIA_TYPES.ociManifest);
      assert.equal(put.subjectAccepted, false, 'distribution 2.8 does not process subjects');
      const descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: put.digest, size: bytes.length, artifactType };
      await client.addReferrerToFallbackIndex(repository, image.digest, descriptor);
      made.push(descriptor);
    }
    // Adding the same referrer twice keeps one entry.
    await client.addReferrerToFallbackIndex(repository, image.digest, made[0]!);
    const all = await client.referrers(repository, image.digest);
    assert.deepEqual(new Set(all.map((d) => d.digest)), new Set(made.map((d) => d.digest)));
    assert.equal(all.length, 2);
    assert.deepEqual(await client.referrers(repository, image.digest, SIG_TYPE), [made[0]]);
    assert.deepEqual(await client.referrers(repository, image.digest, 'application/x-none'), []);
    const fallback = await client.getManifest(repository, referrersFallbackTag(image.digest));
    assert.equal(fallback?.mediaType, MEDIA_TYPES.ociIndex);
    assert.equal(parseIndex(fallback!.bytes).manifests.length, 2);
    const tags = await client.listTags(repository);
    assert.ok(tags.includes('v1') && tags.includes(referrersFallbackTag(image.digest)), tags.join(','));
  });

  it('a missing manifest is undefined; a missing blob is ERR_NOT_FOUND with the status and the registry error', async () => {
    const client = getClient();
    assert.equal(await client.getManifest(repository, 'no-such-tag'), undefined);
    assert.equal(await client.getManifest(repository, `sha256:${'1'.repeat(64)}`), undefined);
    await rejectsWith(client.getBlob(repository, `sha256:${'2'.repeat(64)}`), 'ERR_NOT_FOUND', 404, new RegExp(`get blob .* ${getRegistry().host}/${repository}: HTTP 404`));
    assert.deepEqual(await client.listTags('never/pushed'), []);
  });
}

describe('OCI registry without auth', () => {
  let registry: Registry;
  before(async () => {
    registry = await startRegistry();
  });
  after(() => registry.stop());
  exercise(() => registry, () => clientFor(registry), 'keyless/app');

  it('refuses a blob whose bytes the registry changed on disk, and one it truncated', async () => {
    const client = clientFor(registry);
    const bytes = randomBytes(4096);
    const d = await client.putBlob('keyless/corrupt', bytes);
    const flipped = Buffer.from(bytes);
    flipped[100] = (flipped[100] ?? 0) ^ 0xff;
    writeFileSync(blobPath(registry, d.digest), flipped);
    await rejectsWith(client.getBlob('keyless/corrupt', d.digest), 'ERR_SERVICE', undefined, /has digest sha256:[0-9a-f]{64}, not sha256:.*refused/);

    const other = await client.putBlob('keyless/corrupt', randomBytes(4096));
    writeFileSync(blobPath(registry, other.digest), bytes.subarray(0, 1000));
    await assert.rejects(client.getBlob('keyless/corrupt', other.digest), (err: unknown) => {
      assert.ok(isKeylessError(err) && err.code === 'ERR_SERVICE', String(err));
      return true;
    });
  });

  it('a blob over the caller\'s limit is not read', async () => {
    const client = clientFor(registry);
    const d = await client.putBlob('keyless/limits', randomBytes(10_000));
    await rejectsWith(client.getBlob('keyless/limits', d.digest, { maxBytes: 1000 }), 'ERR_TOO_LARGE', undefined, /over the limit/);
  });
});

describe('OCI registry with htpasswd basic auth', () => {
  let registry: Registry;
  before(async () => {
    registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  });
  after(() => registry.stop());
  exercise(() => registry, () => clientFor(registry, { username: USER, password: PASSWORD }), 'keyless/basic');

  it('without credentials: 401, and the error says where credentials come from', async () => {
    await rejectsWith(clientFor(registry).getManifest('keyless/basic', 'v1'), 'ERR_REQUEST', 401, /get manifest v1 127\.0\.0\.1:\d+\/keyless\/basic: HTTP 401 \(UNAUTHORIZED: .*no credentials for/);
  });

  it('with a wrong password: 401 naming registry, repository and operation, and no secret', async () => {
    const wrong = clientFor(registry, { username: USER, password: 'wrong-password' });
    await assert.rejects(wrong.putBlob('keyless/basic', randomBytes(10)), (err: unknown) => {
      assert.ok(isKeylessError(err));
      assert.equal(err.code, 'ERR_REQUEST');
      assert.equal(err.details.status, 401);
      assert.equal(err.details.repository, 'keyless/basic');
      assert.equal(err.details.registry, registry.host);
      assert.match(err.message, /check blob .* HTTP 401\b.*the registry refused the credentials/);
      assert.doesNotMatch(err.message + JSON.stringify(err.details), /wrong-password/);
      return true;
    });
  });
});

for (const keyIdentification of ['x5c', 'kid'] as const) {
  describe(`OCI registry behind a bearer-token service (JWT key named by ${keyIdentification})`, () => {
    let tokens: TokenService;
    let registry: Registry;
    before(async () => {
      tokens = await startTokenService({ users: { [USER]: PASSWORD }, keyIdentification });
      registry = await startRegistry({ kind: 'raw', yaml: tokens.registryAuthYaml });
    });
    after(async () => {
      await registry.stop();
      await tokens.stop();
    });
    const repository = `keyless/token-${keyIdentification}`;
    if (keyIdentification === 'x5c') {
      exercise(() => registry, () => clientFor(registry, { username: USER, password: PASSWORD }), repository);
    } else {
      it('pushes and pulls a blob', async () => {
        const client = clientFor(registry, { username: USER, password: PASSWORD });
        const bytes = randomBytes(500);
        const d = await client.putBlob(repository, bytes);
        assert.deepEqual(Buffer.from(await client.getBlob(repository, d.digest)), bytes);
      });
    }

    it('asks for pull, then pull,push, and reuses cached tokens', async () => {
      const before = tokens.requests.length;
      const client = clientFor(registry, { username: USER, password: PASSWORD });
      const d = await client.putBlob(`${repository}-cache`, randomBytes(100));
      await client.getBlob(`${repository}-cache`, d.digest);
      await client.hasBlob(`${repository}-cache`, d.digest);
      const made = tokens.requests.slice(before);
      assert.deepEqual(
        made.map((r) => [r.user, r.scopes.join(' ')]),
        [
          [USER, `repository:${repository}-cache:pull`],
          [USER, `repository:${repository}-cache:pull,push`],
        ],
      );
    });

    it('without credentials: the anonymous token grants nothing, and the 401 says so', async () => {
      await rejectsWith(clientFor(registry).getManifest(repository, 'v1'), 'ERR_REQUEST', 401, /get manifest v1 .*HTTP 401 .*no credentials for/);
    });

    it('with a wrong password: the token service\'s 401, named', async () => {
      await rejectsWith(
        clientFor(registry, { username: USER, password: 'nope' }).getManifest(repository, 'v1'),
        'ERR_REQUEST',
        401,
        /get manifest v1 \(token for repository:keyless\/token-.*:pull from http:\/\/127\.0\.0\.1:\d+\/token\) .*HTTP 401 \(UNAUTHORIZED: invalid username or password\)/,
      );
    });
  });
}
