// keyless's image commands end to end: a real registry (distribution 2.8, no referrers API, so the fallback index
// is used), `keyless serve --dev-oidc-issuer`, and `keyless sign|verify|attest|verify-attestation|tree` as child
// processes. Tampering in the registry (a new image under the tag, an altered signature in either layout, the
// wrong identity) fails with a message that says why; registry 401/404 errors are plain.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryClient } from '../../src/oci/index.js';
import { pushImage, testClient, type PushedImage } from '../helpers/oci-image.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

interface Run { status: number | null; stdout: string; stderr: string }

function keyless(args: string[], env: Record<string, string> = {}): Run {
  const clean: NodeJS.ProcessEnv = { ...process.env, KEYLESS_DEBUG: '', HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' };
  for (const name of ['SIGSTORE_ID_TOKEN', 'COSIGN_YES', 'KEYLESS_YES', 'KEYLESS_INSTANCE', 'CI_REGISTRY', 'CI_REGISTRY_USER', 'CI_REGISTRY_PASSWORD']) delete clean[name];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', env: { ...clean, ...env }, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('keyless sign/verify/attest/verify-attestation/tree against a real registry and keyless serve', () => {
  let served: Served;
  let registry: Registry;
  let client: RegistryClient;
  let token: string;
  let identity: string;
  let image: PushedImage;
  let predicate: string;
  const signFlags = () => ['--identity-token', token, '--instance', served.url, '--yes'];
  const identityFlags = () => ['--instance', served.url, '--certificate-identity', identity, '--certificate-oidc-issuer', served.url];

  before(async () => {
    [served, registry] = await Promise.all([startServe(['--dev-oidc-issuer']), startRegistry()]);
    const minted = keyless(['dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main']);
    assert.equal(minted.status, 0, minted.stderr);
    token = minted.stdout.trim();
    identity = `https://${new URL(served.url).host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`;
    client = testClient(registry.host);
    image = await pushImage(client, registry.host, 'my-group/app', 'v1');
    predicate = join(served.dataDir, 'predicate.json');
    writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build/v1' }, runDetails: { builder: { id: 'https://gitlab.com/runner' } } }));
  });
  after(async () => {
    await registry?.stop();
    assert.equal(await served?.stop(), 0);
  });

  it('sign by tag: warns, resolves the digest, attaches a bundle referrer through the fallback index', async () => {
    const r = keyless(['sign', image.byTag, ...signFlags()]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /WARNING: Image reference .* uses a tag, not a digest/);
    assert.ok(r.stderr.includes(`Resolved ${image.byTag} to ${image.byDigest}`), r.stderr);
    assert.match(r.stderr, /as referrer sha256:[0-9a-f]{64} \(the registry has no referrers API: listed in the fallback index sha256-/);
    const index = await client.getManifest(image.repository, image.digest.replace(':', '-'));
    const listed = JSON.parse(dec(index!.bytes));
    assert.equal(listed.manifests.length, 1);
    assert.equal(listed.manifests[0].artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(listed.manifests[0].annotations['dev.sigstore.bundle.predicateType'], 'https://sigstore.dev/cosign/sign/v1');
    const manifest = JSON.parse(dec((await client.getManifest(image.repository, listed.manifests[0].digest))!.bytes));
    assert.equal(manifest.subject.digest, image.digest);
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');
  });

  it('sign by digest in the legacy format (cosign\'s --new-bundle-format=false): a layer of the sha256-<hex>.sig tag', async () => {
    const r = keyless(['sign', image.byDigest, ...signFlags(), '--new-bundle-format=false']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /WARNING/);
    const sig = await client.getManifest(image.repository, `${image.digest.replace(':', '-')}.sig`);
    const manifest = JSON.parse(dec(sig!.bytes));
    assert.equal(manifest.layers.length, 1);
    const layer = manifest.layers[0];
    assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    for (const k of ['dev.cosignproject.cosign/signature', 'dev.sigstore.cosign/certificate', 'dev.sigstore.cosign/bundle']) assert.ok(layer.annotations[k], k);
    const payload = JSON.parse(dec(await client.getBlob(image.repository, layer.digest)));
    assert.deepEqual(payload.critical, { identity: { 'docker-reference': `${registry.host}/${image.repository}` }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' });
  });

  it('verify finds and verifies both layouts and prints the payloads as cosign does', () => {
    const r = keyless(['verify', image.byTag, ...identityFlags()]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /The following checks were performed/);
    const payloads = JSON.parse(r.stdout);
    assert.equal(payloads.length, 2);
    for (const p of payloads) {
      assert.equal(p.critical.image['docker-manifest-digest'], image.digest);
      assert.equal(p.optional.Subject, identity);
      assert.equal(p.optional.Issuer, served.url);
    }
    const json = keyless(['verify', image.byDigest, ...identityFlags(), '--output', 'json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l).layout).sort(), ['legacy', 'referrer']);
  });

  it('verify with the wrong identity fails, listing why each signature failed', () => {
    const r = keyless(['verify', image.byDigest, '--instance', served.url, '--certificate-identity', identity.replace('main', 'dev'), '--certificate-oidc-issuer', served.url]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /none of the 2 signatures found for .* verified/);
    assert.match(r.stderr, /referrer sha256:[0-9a-f]{64}: \(ERR_IDENTITY\) none of the expected identities matched/);
    assert.match(r.stderr, /tag sha256-[0-9a-f]{64}\.sig layer 0: \(ERR_IDENTITY\)/);
    assert.match(r.stderr, /\[ERR_IDENTITY\]\n$/, 'one shared code: the error is ERR_IDENTITY');
  });

  it('attest (bundle and legacy) and verify-attestation: subject digest and predicate type are checked', () => {
    const a = keyless(['attest', image.byDigest, '--predicate', predicate, '--type', 'slsaprovenance1', ...signFlags()]);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stderr, /Attached attestation \(https:\/\/slsa\.dev\/provenance\/v1\)/);
    const legacy = keyless(['attest', image.byDigest, '--predicate', predicate, '--type', 'slsaprovenance1', ...signFlags(), '--signature-format', 'legacy']);
    assert.equal(legacy.status, 0, legacy.stderr);
    const v = keyless(['verify-attestation', image.byDigest, '--type', 'slsaprovenance1', ...identityFlags()]);
    assert.equal(v.status, 0, v.stderr);
    const envelopes = v.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(envelopes.length, 2);
    for (const e of envelopes) {
      const statement = JSON.parse(Buffer.from(e.payload, 'base64').toString());
      assert.deepEqual(statement.subject, [{ name: `${registry.host}/${image.repository}`, digest: { sha256: image.digest.slice(7) } }]);
      assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1');
    }
    const wrongType = keyless(['verify-attestation', image.byDigest, '--type', 'spdxjson', ...identityFlags()]);
    assert.equal(wrongType.status, 1);
    assert.match(wrongType.stderr, /predicate type is "https:\/\/slsa\.dev\/provenance\/v1", not https:\/\/spdx\.dev\/Document/);
    // verify (signatures) does not count attestations, nor verify-attestation signatures.
    const sigs = keyless(['verify', image.byDigest, ...identityFlags()]);
    assert.equal(JSON.parse(sigs.stdout).length, 2);
  });

  it('tree lists signatures and attestations in both layouts', () => {
    const r = keyless(['tree', image.byTag]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Signatures for an image tag: .*\.sig\n {3}└── 🍒 sha256:/);
    assert.match(r.stdout, /Attestations for an image tag: .*\.att\n {3}└── 🍒 sha256:[0-9a-f]{64} \(https:\/\/slsa\.dev\/provenance\/v1\)/);
    assert.match(r.stdout, /Signatures as OCI referrers of sha256:/);
    assert.match(r.stdout, /Attestations as OCI referrers of sha256:[\s\S]*https:\/\/slsa\.dev\/provenance\/v1/);
    const json = JSON.parse(keyless(['tree', image.byDigest, '--output', 'json']).stdout);
    assert.equal(json.attached.length, 4);
  });

  it('a different image pushed under the tag has no valid signature', async () => {
    const replaced = await pushImage(client, registry.host, image.repository, 'v1');
    assert.notEqual(replaced.digest, image.digest);
    const r = keyless(['verify', image.byTag, ...identityFlags()]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`no signatures found for ${registry.host}/${image.repository}@${replaced.digest}`));
    // The old image, by digest, still verifies.
    assert.equal(keyless(['verify', image.byDigest, ...identityFlags()]).status, 0);
  });

  it('signatures altered in the registry fail with a reason per signature', async () => {
    const altered = await pushImage(client, registry.host, image.repository, 'altered');
    assert.equal(keyless(['sign', altered.byDigest, ...signFlags()]).status, 0);
    assert.equal(keyless(['sign', altered.byDigest, ...signFlags(), '--signature-format', 'legacy']).status, 0);
    assert.equal(keyless(['verify', altered.byDigest, ...identityFlags()]).status, 0);

    // Legacy: another signature in the .sig layer's annotation.
    const tag = `${altered.digest.replace(':', '-')}.sig`;
    const sig = JSON.parse(dec((await client.getManifest(altered.repository, tag))!.bytes));
    const original = sig.layers[0].annotations['dev.cosignproject.cosign/signature'];
    const other = JSON.parse(dec((await client.getManifest(image.repository, `${image.digest.replace(':', '-')}.sig`))!.bytes));
    sig.layers[0].annotations['dev.cosignproject.cosign/signature'] = other.layers[0].annotations['dev.cosignproject.cosign/signature'];
    assert.notEqual(sig.layers[0].annotations['dev.cosignproject.cosign/signature'], original);
    await client.putManifest(altered.repository, tag, enc(JSON.stringify(sig)), 'application/vnd.oci.image.manifest.v1+json');

    // Referrer: the bundle's DSSE signature replaced, a new blob and manifest, the index pointing at them.
    const indexTag = altered.digest.replace(':', '-');
    const index = JSON.parse(dec((await client.getManifest(altered.repository, indexTag))!.bytes));
    const entry = index.manifests[0];
    const manifest = JSON.parse(dec((await client.getManifest(altered.repository, entry.digest))!.bytes));
    const bundle = JSON.parse(dec(await client.getBlob(altered.repository, manifest.layers[0].digest)));
    const s = bundle.dsseEnvelope.signatures[0].sig as string;
    bundle.dsseEnvelope.signatures[0].sig = `${s.slice(0, 20)}${s[20] === 'A' ? 'B' : 'A'}${s.slice(21)}`;
    const bundleBytes = enc(JSON.stringify(bundle));
    await client.putBlob(altered.repository, bundleBytes);
    manifest.layers[0] = { ...manifest.layers[0], digest: sha(bundleBytes), size: bundleBytes.length };
    const manifestBytes = enc(JSON.stringify(manifest));
    await client.putManifest(altered.repository, sha(manifestBytes), manifestBytes, 'application/vnd.oci.image.manifest.v1+json');
    index.manifests = [{ ...entry, digest: sha(manifestBytes), size: manifestBytes.length }];
    await client.putManifest(altered.repository, indexTag, enc(JSON.stringify(index)), 'application/vnd.oci.image.index.v1+json');

    const r = keyless(['verify', altered.byDigest, ...identityFlags()]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /none of the 2 signatures found/);
    // The first check that sees the swapped signature is the TSA's (its imprint is over the original signature).
    assert.match(r.stderr, /referrer sha256:[0-9a-f]{64}: \((ERR_TIMESTAMP|ERR_SIGNATURE|ERR_TLOG_BODY)\)/);
    assert.match(r.stderr, /\.sig layer 0: \((ERR_TIMESTAMP|ERR_SIGNATURE|ERR_TLOG_BODY|ERR_TLOG_SET)\)/);
  });

  it('registry errors are plain: unknown image (404), and a registry that wants credentials (401)', async () => {
    const missing = keyless(['verify', `${registry.host}/my-group/app:nope`, ...identityFlags()]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /image .*my-group\/app:nope not found/);
    const locked = await startRegistry({ kind: 'htpasswd', username: 'ci', password: 'secret' });
    try {
      const pushed = await pushImage(testClient(locked.host, { username: 'ci', password: 'secret' }), locked.host, 'group/app', 'v1');
      const denied = keyless(['verify', pushed.byTag, ...identityFlags()]);
      assert.equal(denied.status, 2, denied.stderr);
      assert.match(denied.stderr, /401/);
      const wrong = keyless(['verify', pushed.byTag, ...identityFlags(), '--registry-username', 'ci', '--registry-password', 'wrong']);
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /401/);
      // GitLab CI's variables; the image has no signature yet.
      const ci = keyless(['verify', pushed.byTag, ...identityFlags()], { CI_REGISTRY: locked.host, CI_REGISTRY_USER: 'ci', CI_REGISTRY_PASSWORD: 'secret' });
      assert.equal(ci.status, 1, ci.stderr);
      assert.match(ci.stderr, /no signatures found/);
      const signed = keyless(['sign', pushed.byDigest, ...signFlags(), '--registry-username', 'ci', '--registry-password', 'secret']);
      assert.equal(signed.status, 0, signed.stderr);
      assert.equal(keyless(['verify', pushed.byDigest, ...identityFlags(), '--registry-username', 'ci', '--registry-password', 'secret']).status, 0);
    } finally {
      await locked.stop();
    }
  });

  it('a registry that fails mid-write (5xx on the manifest, an upload cut off) leaves no signature behind, and says so', async () => {
    const pushed = await pushImage(client, registry.host, 'my-group/flaky', 'v1');
    for (const failure of ['manifest-500', 'upload-cut'] as const) {
      const proxy = await faultyProxy(registry.url, failure);
      try {
        const viaProxy = pushed.byDigest.replace(registry.host, proxy.host);
        // Not spawnSync: the proxy runs in this process and must keep answering while keyless runs.
        const r = await keylessAsync(['sign', viaProxy, ...signFlags()]);
        assert.equal(r.status, 2, `${failure}: ${r.stderr}`);
        assert.match(r.stderr, failure === 'manifest-500' ? /HTTP 500/ : /unreachable.*not written: .*referrer manifest/, failure);
        assert.match(r.stderr, /\[ERR_SERVICE\]/);
      } finally {
        await proxy.close();
      }
      // Read straight from the registry: nothing refers to the image, no signature tag exists.
      assert.deepEqual(await client.referrers(pushed.repository, pushed.digest), [], `${failure}: no referrer was left`);
      const tree = keyless(['tree', pushed.byDigest, '--output', 'json']);
      assert.equal(tree.status, 0, tree.stderr);
      assert.doesNotMatch(tree.stdout, /sigstore\.bundle|\.sig"/, `${failure}: tree shows nothing attached`);
    }
  });
});

async function keylessAsync(args: string[]): Promise<Run> {
  const { spawn } = await import('node:child_process');
  const clean: NodeJS.ProcessEnv = { ...process.env, KEYLESS_DEBUG: '', HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' };
  for (const name of ['SIGSTORE_ID_TOKEN', 'COSIGN_YES', 'KEYLESS_YES', 'KEYLESS_INSTANCE', 'CI_REGISTRY', 'CI_REGISTRY_USER', 'CI_REGISTRY_PASSWORD']) delete clean[name];
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { status, stdout, stderr };
}

/** An HTTP proxy in front of the registry that fails one way: a 500 on manifest PUTs, or a blob upload whose connection is cut. */
async function faultyProxy(target: string, failure: 'manifest-500' | 'upload-cut'): Promise<{ host: string; close(): Promise<void> }> {
  const { createServer, request } = await import('node:http');
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const isManifestPut = req.method === 'PUT' && /\/manifests\//.test(req.url ?? '');
    const isUpload = (req.method === 'PATCH' || req.method === 'PUT') && /\/blobs\/uploads\//.test(req.url ?? '');
    if (failure === 'manifest-500' && isManifestPut) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"storage backend unavailable"}]}');
      return;
    }
    if (failure === 'upload-cut' && isUpload) {
      req.socket.destroy();
      return;
    }
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { host: `127.0.0.1:${port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
