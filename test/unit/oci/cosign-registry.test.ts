/**
 * Attaching and discovering against an in-memory registry (no referrers API, like distribution 2.8): the write
 * order, what a failure says was and was not written, and that discovery finds both layouts and refuses content
 * that is not what its descriptor names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { KeylessError } from '../../../src/core/errors.js';
import {
  attachBundleReferrer, attachLegacyLayer, discover, legacyLayerFromBundle, parseManifest, signatureTag, COSIGN_SIGN_PREDICATE_TYPE,
  type CosignRegistry, type OciDescriptor,
} from '../../../src/oci/cosign/index.js';
import { coded, vector, verifyJson } from '../../helpers/vectors.js';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const IMAGE = `sha256:${'12'.repeat(32)}`;
const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: IMAGE, size: 100 };

function memoryRegistry(opts: { failOn?: string } = {}) {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, Uint8Array>();
  const fallback = new Map<string, OciDescriptor[]>();
  const log: string[] = [];
  const fail = (op: string) => {
    log.push(op);
    if (opts.failOn !== undefined && op.startsWith(opts.failOn)) throw new KeylessError('ERR_SERVICE', `registry refused ${op}: HTTP 500`);
  };
  const registry: CosignRegistry = {
    getManifest: async (_repo, ref) => {
      const bytes = manifests.get(ref);
      return bytes === undefined ? undefined : { digest: sha(bytes), mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes };
    },
    putManifest: async (_repo, ref, bytes) => {
      fail(`manifest ${ref}`);
      manifests.set(ref, bytes);
      manifests.set(sha(bytes), bytes);
      return { digest: sha(bytes), subjectAccepted: false };
    },
    getBlob: async (_repo, digest) => {
      const b = blobs.get(digest);
      if (b === undefined) throw new KeylessError('ERR_NOT_FOUND', `no blob ${digest}`);
      return b;
    },
    putBlob: async (_repo, bytes) => {
      fail(`blob ${sha(bytes)}`);
      blobs.set(sha(bytes), bytes);
      return undefined;
    },
    referrers: async (_repo, digest) => fallback.get(digest) ?? [],
    addReferrerToFallbackIndex: async (_repo, subject, d) => {
      fail(`index ${subject}`);
      fallback.set(subject, [...(fallback.get(subject) ?? []), d]);
    },
    listTags: async () => [...manifests.keys()].filter((k) => !k.startsWith('sha256:')),
  };
  return { registry, blobs, manifests, fallback, log };
}

test('a referrer is written blobs first, then the manifest, then the fallback index; discovery finds it', async () => {
  const r = memoryRegistry();
  const bundle = new TextEncoder().encode('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
  const written = await attachBundleReferrer(r.registry, 'app', { subject: SUBJECT, bundle, content: 'dsse-envelope', predicateType: COSIGN_SIGN_PREDICATE_TYPE, created: '2025-01-01T00:00:00Z' });
  assert.equal(written.fallbackIndex, true);
  assert.deepEqual(r.log.map((l) => l.split(' ')[0]), ['blob', 'blob', 'manifest', 'index']);
  const listed = r.fallback.get(IMAGE)!;
  assert.equal(listed[0]?.digest, written.manifestDigest);
  assert.equal(listed[0]?.annotations?.['dev.sigstore.bundle.predicateType'], COSIGN_SIGN_PREDICATE_TYPE);
  const found = await discover(r.registry, 'app', IMAGE, 'signatures');
  assert.equal(found.length, 1);
  assert.deepEqual(found[0]?.bundle, { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
  assert.deepEqual(await discover(r.registry, 'app', IMAGE, 'attestations'), [], 'a signature is not an attestation');
  assert.deepEqual(await discover(r.registry, 'app', `sha256:${'34'.repeat(32)}`, 'signatures'), []);
});

test('a failed write says what was written and what was not', async () => {
  const bundle = new TextEncoder().encode('{}x');
  const args = { subject: SUBJECT, bundle, content: 'dsse-envelope' as const, created: 'now' };
  await assert.rejects(attachBundleReferrer(memoryRegistry({ failOn: 'manifest' }).registry, 'app', args),
    coded('ERR_SERVICE', /referrer manifest sha256:[0-9a-f]+ failed \(registry refused .*\); written: empty config blob, bundle blob sha256:[0-9a-f]+; not written: referrer manifest .*fallback index/));
  await assert.rejects(attachBundleReferrer(memoryRegistry({ failOn: 'index' }).registry, 'app', args),
    coded('ERR_SERVICE', /fallback index sha256-1212.* failed .*written: empty config blob, bundle blob .*, referrer manifest sha256:[0-9a-f]+; not written: fallback index/));
  await assert.rejects(attachBundleReferrer(memoryRegistry({ failOn: 'blob' }).registry, 'app', args), coded('ERR_SERVICE', /nothing was written/));
});

test('legacy .sig: appended to what the tag holds, found again as a verifiable bundle; tampering is caught', async () => {
  const v = vector('v1-message');
  const r = memoryRegistry();
  const layer = legacyLayerFromBundle(v.bundle, v.artifact);
  const first = await attachLegacyLayer(r.registry, 'app', IMAGE, 'sig', layer);
  assert.deepEqual({ added: first.added, layers: first.layers, tag: first.tag }, { added: true, layers: 1, tag: signatureTag(IMAGE) });
  assert.deepEqual(r.log.map((l) => l.split(' ')[0]), ['blob', 'blob', 'manifest'], 'payload and config before the manifest');
  assert.equal((await attachLegacyLayer(r.registry, 'app', IMAGE, 'sig', layer)).added, false);

  const [found] = await discover(r.registry, 'app', IMAGE, 'signatures');
  assert.equal(found?.layout, 'legacy');
  assert.deepEqual(found?.payload, v.artifact);
  verifyJson(found?.bundle, v.trustedRoot, Buffer.from(found!.payload!));

  // The registry swaps the payload blob: its digest no longer matches the layer.
  r.blobs.set(layer.descriptor.digest, new TextEncoder().encode('swapped'));
  const [swapped] = await discover(r.registry, 'app', IMAGE, 'signatures');
  assert.match(swapped?.problem?.message ?? '', /not the content its descriptor names/);

  // An unreadable .sig manifest is reported, and never overwritten by a signer.
  r.manifests.set(signatureTag(IMAGE), new TextEncoder().encode('{"schemaVersion":2}'));
  const [broken] = await discover(r.registry, 'app', IMAGE, 'signatures');
  assert.match(broken?.problem?.message ?? '', /config is not a descriptor object/);
  await assert.rejects(attachLegacyLayer(r.registry, 'app', IMAGE, 'sig', layer), coded('ERR_JSON', /nothing was written/));
  assert.throws(() => parseManifest(r.manifests.get(signatureTag(IMAGE))!), coded('ERR_JSON'));
});

test('a referrer whose manifest names another subject, or whose bundle blob was changed, is reported, not used', async () => {
  const r = memoryRegistry();
  const bundle = new TextEncoder().encode('{"a":1}');
  const written = await attachBundleReferrer(r.registry, 'app', { subject: SUBJECT, bundle, content: 'message-signature', created: 'now' });
  r.blobs.set(sha(bundle), new TextEncoder().encode('{"a":2}'));
  const [changed] = await discover(r.registry, 'app', IMAGE, 'signatures');
  assert.match(changed?.problem?.message ?? '', /bundle from the registry is not the content/);
  // The same manifest listed in another image's index: its subject is not that image.
  const other = `sha256:${'56'.repeat(32)}`;
  r.fallback.set(other, r.fallback.get(IMAGE)!);
  const [misfiled] = await discover(r.registry, 'app', other, 'signatures');
  assert.equal(misfiled?.problem?.code, 'ERR_SUBJECT');
  assert.match(misfiled?.source ?? '', new RegExp(written.manifestDigest));
});
