/**
 * cosign's storage formats, pure: the Simple Signing payload, the tag scheme, the legacy `.sig`/`.att` layers (both
 * ways, and verified again after the round trip) and the bundle referrer manifest. Malformed input from a registry
 * is refused with every problem named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ANNOTATIONS, appendLegacyLayer, attestationStatement, attestationTag, BUNDLE_ARTIFACT_TYPE, buildBundleReferrer, buildSimpleSigningPayload, checkSimpleSigningDigest,
  checkStatementSubject, COSIGN_SIGN_PREDICATE_TYPE, DSSE_ENVELOPE_MEDIA_TYPE, EMPTY_CONFIG_DESCRIPTOR, envelopeBytes, legacyLayerFromBundle, legacyLayerToBundleJson,
  parseBundleReferrer, parseCosignTag, parseImageStatement, parseManifest, parseSimpleSigningPayload, referrersTag, sbomTag, signatureStatement, signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../../../src/oci/cosign/index.js';
import { clone, coded, vector, verifyJson } from '../../helpers/vectors.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('Simple Signing payload: the exact bytes cosign writes, and back', () => {
  const bytes = buildSimpleSigningPayload({ dockerReference: 'registry.example/group/app', manifestDigest: DIGEST });
  assert.equal(dec(bytes), `{"critical":{"identity":{"docker-reference":"registry.example/group/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`);
  assert.deepEqual(parseSimpleSigningPayload(bytes), { dockerReference: 'registry.example/group/app', manifestDigest: DIGEST, optional: null });
  const annotated = buildSimpleSigningPayload({ dockerReference: 'r/a', manifestDigest: DIGEST, optional: { z: '1', a: '2' } });
  assert.match(dec(annotated), /"optional":\{"a":"2","z":"1"\}\}$/, 'map keys sorted, as Go writes them');
  assert.deepEqual(parseSimpleSigningPayload(annotated).optional, { a: '2', z: '1' });
  checkSimpleSigningDigest(parseSimpleSigningPayload(bytes), DIGEST);
  assert.throws(() => checkSimpleSigningDigest(parseSimpleSigningPayload(bytes), OTHER), coded('ERR_SUBJECT', /names image sha256:abab/));
});

test('Simple Signing payload: cosign spec spelling (Docker-manifest-digest) is read; malformed payloads name every problem', () => {
  const spec = enc(JSON.stringify({ critical: { identity: { 'docker-reference': 'r/a' }, image: { 'Docker-manifest-digest': DIGEST }, type: 'cosign container image signature' }, optional: { creator: 'atomic' } }));
  assert.equal(parseSimpleSigningPayload(spec).manifestDigest, DIGEST);
  assert.throws(() => parseSimpleSigningPayload(enc('not json')), coded('ERR_JSON', /not JSON/));
  assert.throws(() => parseSimpleSigningPayload(enc('[]')), coded('ERR_JSON', /not an object/));
  assert.throws(
    () => parseSimpleSigningPayload(enc(JSON.stringify({ critical: { identity: {}, image: { 'docker-manifest-digest': 'sha256:XYZ' }, type: 'atomic container signature' }, optional: 3 }))),
    coded('ERR_JSON', /critical\.type .*critical\.identity\.docker-reference is not a string.*docker-manifest-digest is not sha256.*optional is not an object/),
  );
  const twice = enc(`{"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":"${DIGEST}","Docker-Manifest-Digest":"${OTHER}"},"type":"cosign container image signature"}}`);
  assert.throws(() => parseSimpleSigningPayload(twice), coded('ERR_JSON', /given 2 times/));
  assert.throws(() => buildSimpleSigningPayload({ dockerReference: 'r/a', manifestDigest: 'latest' }), TypeError);
});

test('tag scheme: sha256-<hex>.sig/.att/.sbom and the referrers fallback tag', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(signatureTag(DIGEST), `sha256-${hex}.sig`);
  assert.equal(attestationTag(DIGEST), `sha256-${hex}.att`);
  assert.equal(sbomTag(DIGEST), `sha256-${hex}.sbom`);
  assert.equal(referrersTag(DIGEST), `sha256-${hex}`);
  assert.deepEqual(parseCosignTag(`sha256-${hex}.sig`), { digest: DIGEST, attachment: 'sig' });
  assert.deepEqual(parseCosignTag(`sha256-${hex}`), { digest: DIGEST, attachment: 'referrers' });
  assert.equal(parseCosignTag('latest'), undefined);
  assert.equal(parseCosignTag(`sha256-${hex}.foo`), undefined);
  assert.throws(() => signatureTag('sha256:abc'), TypeError);
});

test('legacy .sig layer from a Rekor v1 bundle, and back into a bundle that verifies with every check', () => {
  const v = vector('v1-message');
  const layer = legacyLayerFromBundle(v.bundle, v.artifact);
  assert.equal(layer.descriptor.mediaType, SIMPLE_SIGNING_MEDIA_TYPE);
  assert.equal(layer.descriptor.digest, sha(v.artifact));
  const a = layer.descriptor.annotations!;
  assert.equal(a[ANNOTATIONS.signature], v.bundle.messageSignature.signature);
  assert.match(a[ANNOTATIONS.certificate]!, /^-----BEGIN CERTIFICATE-----\n/);
  const rekor = JSON.parse(a[ANNOTATIONS.bundle]!);
  assert.deepEqual(Object.keys(rekor), ['SignedEntryTimestamp', 'Payload']);
  assert.deepEqual(Object.keys(rekor.Payload), ['body', 'integratedTime', 'logIndex', 'logID']);
  assert.match(rekor.Payload.logID, /^[0-9a-f]{64}$/);

  const json = legacyLayerToBundleJson(layer);
  assert.equal(json['mediaType'], 'application/vnd.dev.sigstore.bundle+json;version=0.1');
  verifyJson(json, v.trustedRoot, v.artifact);

  // Each annotation is load-bearing: a changed signature, certificate or SET fails verification.
  const flip = (name: string, f: (s: string) => string) => legacyLayerToBundleJson({ ...layer, descriptor: { ...layer.descriptor, annotations: { ...a, [name]: f(a[name]!) } } });
  assert.throws(() => verifyJson(flip(ANNOTATIONS.signature, (s) => `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`), v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY', /signature differs/));
  assert.throws(() => verifyJson(flip(ANNOTATIONS.bundle, (s) => s.replace(/"integratedTime":(\d+)/, (_m, n) => `"integratedTime":${Number(n) + 1}`)), v.trustedRoot, v.artifact), coded('ERR_TLOG_SET'));
  // Another payload under the same annotations: the signature is over the payload.
  assert.throws(() => verifyJson(legacyLayerToBundleJson({ ...layer, payload: enc('other payload') }), v.trustedRoot, Buffer.from('other payload')), coded('ERR_TLOG_BODY', /artifact digest differs/));
});

test('legacy .att layer: the DSSE envelope as the layer, predicateType annotation, and back', () => {
  const v = vector('v1-dsse');
  const envelope = envelopeBytes(v.bundle);
  const layer = legacyLayerFromBundle(v.bundle, envelope, { predicateType: 'https://slsa.dev/provenance/v1' });
  assert.equal(layer.descriptor.mediaType, DSSE_ENVELOPE_MEDIA_TYPE);
  assert.equal(layer.descriptor.annotations![ANNOTATIONS.signature], '', 'cosign leaves the signature annotation empty for attestations');
  assert.equal(layer.descriptor.annotations![ANNOTATIONS.predicateType], 'https://slsa.dev/provenance/v1');
  assert.deepEqual(Object.keys(JSON.parse(dec(envelope))), ['payloadType', 'payload', 'signatures']);
  verifyJson(legacyLayerToBundleJson(layer), v.trustedRoot, v.artifact);
});

test('legacy layers: refusals name what is missing', () => {
  const v = vector('v1-message');
  const layer = legacyLayerFromBundle(v.bundle, v.artifact);
  const without = (name: string) => ({ ...layer, descriptor: { ...layer.descriptor, annotations: Object.fromEntries(Object.entries(layer.descriptor.annotations!).filter(([k]) => k !== name)) } });
  assert.throws(() => legacyLayerToBundleJson(without(ANNOTATIONS.bundle)), coded('ERR_TLOG_THRESHOLD', /no dev\.sigstore\.cosign\/bundle annotation/));
  assert.throws(() => legacyLayerToBundleJson(without(ANNOTATIONS.certificate)), coded('ERR_BUNDLE_UNSUPPORTED', /signed with a key/));
  assert.throws(() => legacyLayerToBundleJson(without(ANNOTATIONS.signature)), coded('ERR_BUNDLE_INVALID'));
  const bad = { ...layer, descriptor: { ...layer.descriptor, annotations: { ...layer.descriptor.annotations!, [ANNOTATIONS.bundle]: '{"SignedEntryTimestamp":1}' } } };
  assert.throws(() => legacyLayerToBundleJson(bad), coded('ERR_BUNDLE_INVALID', /SignedEntryTimestamp is not a string/));
  assert.throws(() => legacyLayerToBundleJson({ ...layer, descriptor: { ...layer.descriptor, mediaType: 'application/octet-stream' } }), coded('ERR_BUNDLE_UNSUPPORTED'));
  // A Rekor v2 bundle has no SET: the legacy layout cannot carry it.
  const v2 = vector('v2-message');
  assert.throws(() => legacyLayerFromBundle(v2.bundle, v2.artifact), coded('ERR_BUNDLE_UNSUPPORTED', /Rekor v1 entry .*SET/));
});

test('legacy manifest: one layer per signature, config diff IDs, no duplicate layer', () => {
  const v = vector('v1-message');
  const layer = legacyLayerFromBundle(v.bundle, v.artifact);
  const first = appendLegacyLayer([], layer.descriptor);
  assert.equal(first.added, true);
  const m = parseManifest(first.manifest);
  assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(m.config.mediaType, 'application/vnd.oci.image.config.v1+json');
  assert.equal(m.config.digest, sha(first.config));
  assert.deepEqual(JSON.parse(dec(first.config)).rootfs.diff_ids, [layer.descriptor.digest]);
  assert.equal(appendLegacyLayer(m.layers, layer.descriptor).added, false);
  const other = { ...layer.descriptor, digest: OTHER };
  const second = appendLegacyLayer(m.layers, other);
  assert.equal(parseManifest(second.manifest).layers.length, 2);
});

test('bundle referrer manifest: cosign\'s shape, and the reader holds it to the subject', () => {
  const bundle = enc('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
  const built = buildBundleReferrer({ bundle, subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 123 }, content: 'dsse-envelope', predicateType: COSIGN_SIGN_PREDICATE_TYPE, created: '2025-01-01T00:00:00.000Z' });
  const m = JSON.parse(dec(built.manifest));
  assert.deepEqual(Object.keys(m), ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations']);
  assert.equal(m.artifactType, BUNDLE_ARTIFACT_TYPE);
  assert.deepEqual(m.config, EMPTY_CONFIG_DESCRIPTOR);
  assert.equal(m.config.digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  assert.deepEqual(m.layers, [{ mediaType: BUNDLE_ARTIFACT_TYPE, digest: sha(bundle), size: bundle.length, annotations: { 'org.opencontainers.image.title': `${sha(bundle).replace(':', '-')}.sigstore.json` } }]);
  assert.deepEqual(m.subject, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 123 });
  assert.deepEqual(m.annotations, { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE_TYPE, 'org.opencontainers.image.created': '2025-01-01T00:00:00.000Z' });
  assert.equal(built.manifestDescriptor.digest, sha(built.manifest));
  assert.equal(built.manifestDescriptor.artifactType, BUNDLE_ARTIFACT_TYPE);

  const parsed = parseBundleReferrer(built.manifest, DIGEST);
  assert.equal(parsed.bundleLayer.digest, sha(bundle));
  assert.equal(parsed.predicateType, COSIGN_SIGN_PREDICATE_TYPE);
  assert.throws(() => parseBundleReferrer(built.manifest, OTHER), coded('ERR_SUBJECT', /subject is sha256:abab/));
  const noSubject = enc(JSON.stringify({ ...m, subject: undefined }));
  assert.throws(() => parseBundleReferrer(noSubject, DIGEST), coded('ERR_SUBJECT', /no subject/));
  const otherType = enc(JSON.stringify({ ...m, artifactType: 'application/spdx+json' }));
  assert.throws(() => parseBundleReferrer(otherType, DIGEST), coded('ERR_BUNDLE_UNSUPPORTED'));
  const broken = enc(JSON.stringify({ ...m, schemaVersion: 1, layers: [{ digest: 'md5:x', size: -1 }] }));
  assert.throws(() => parseBundleReferrer(broken, DIGEST), coded('ERR_JSON', /schemaVersion is not 2.*layers\[0\]\.mediaType is missing.*layers\[0\]\.digest.*layers\[0\]\.size/));
  assert.throws(() => parseManifest(enc('{')), coded('ERR_JSON', /not JSON/));
});

test('in-toto statements about an image: cosign sign\'s and cosign attest\'s, and the subject check', () => {
  const s = parseImageStatement(signatureStatement(DIGEST, { env: 'prod' }));
  assert.equal(s.predicateType, COSIGN_SIGN_PREDICATE_TYPE);
  assert.deepEqual(s.subjects, [{ digest: { sha256: 'ab'.repeat(32) }, annotations: { env: 'prod' } }]);
  assert.deepEqual(s.predicate, {});
  checkStatementSubject(s, DIGEST);
  assert.throws(() => checkStatementSubject(s, OTHER), coded('ERR_SUBJECT'));
  const a = parseImageStatement(attestationStatement('registry.example/group/app', DIGEST, 'https://slsa.dev/provenance/v1', { x: 1 }));
  assert.deepEqual(a.subjects, [{ name: 'registry.example/group/app', digest: { sha256: 'ab'.repeat(32) } }]);
  assert.throws(() => parseImageStatement(enc('{"subject":[{}]}')), coded('ERR_JSON', /_type.*predicateType.*subject\[0\] has no digest/));
  const mutated = clone(JSON.parse(dec(signatureStatement(DIGEST))));
  mutated.subject = 'x';
  assert.throws(() => parseImageStatement(enc(JSON.stringify(mutated))), coded('ERR_JSON', /subject is not an array/));
});
