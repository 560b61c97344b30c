// The PUT document is npm's: npm/cli workspaces/libnpmpublish/lib/publish.js, buildMetadata (npm 9.5+, the release
// that added --provenance; read at commit 030956b2498d562a0ed5d7dfe927a9d133ae2ec8). Each expectation below quotes the
// line of buildMetadata it follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MANIFEST_PROVENANCE_FIELD, npmPublishDocument, SIGSTORE_BUNDLE_V03 } from '../../../src/provenance/index.js';

const tarball = new TextEncoder().encode('not really a tarball, buildMetadata never opens it');
const manifest = { name: '@acme/widget', version: '1.2.3', description: 'a widget', dist: { fileCount: 2 } };
const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [] } };
const bundleJson = JSON.stringify(bundle);
const doc = (extra: Partial<Parameters<typeof npmPublishDocument>[0]> = {}) =>
  npmPublishDocument({ manifest, tarball, registry: 'https://registry.example.com', bundleJson, predicateType: 'https://slsa.dev/provenance/v0.2', ...extra }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('root: _id, name, description, dist-tags, versions, access (buildMetadata `const root = {…}`)', () => {
  const d = doc();
  assert.deepEqual(Object.keys(d).sort(), ['_attachments', '_id', 'access', 'description', 'dist-tags', 'name', 'versions']);
  assert.equal(d['_id'], '@acme/widget');
  assert.equal(d['name'], '@acme/widget');
  assert.equal(d['description'], 'a widget');
  assert.equal(d['access'], 'public'); // opts default `access: 'public'`
  // `root['dist-tags'][tag] = manifest.version`, tag = defaultTag 'latest' unless given
  assert.deepEqual(d['dist-tags'], { latest: '1.2.3' });
  assert.deepEqual(doc({ tag: 'next' })['dist-tags'], { next: '1.2.3' });
  assert.deepEqual(Object.keys(d['versions']), ['1.2.3']);
});

test('the version: _id name@version; dist keeps its fields and gets integrity, shasum, tarball', () => {
  const v = doc()['versions']['1.2.3'];
  assert.equal(v._id, '@acme/widget@1.2.3'); // `manifest._id = \`${manifest.name}@${manifest.version}\``
  assert.equal(v.description, 'a widget');
  assert.equal(v.dist.fileCount, 2); // `manifest.dist = { ...manifest.dist }`
  assert.equal(v.dist.integrity, `sha512-${createHash('sha512').update(tarball).digest('base64')}`); // sha512, not sha1
  assert.equal(v.dist.shasum, createHash('sha1').update(tarball).digest('hex')); // `integrity.sha1[0].hexDigest()`
  // `new URL(tarballURI, registry).href.replace(/^https:\/\//, 'http://')`, tarballURI = name/-/name-version.tgz
  assert.equal(v.dist.tarball, 'http://registry.example.com/@acme/widget/-/@acme/widget-1.2.3.tgz');
  assert.equal(doc({ registry: 'http://127.0.0.1:4873/' })['versions']['1.2.3'].dist.tarball, 'http://127.0.0.1:4873/@acme/widget/-/@acme/widget-1.2.3.tgz');
});

test('_attachments: the tarball (octet-stream, base64) and `<name>-<version>.sigstore` (the bundle\'s mediaType, JSON text)', () => {
  const a = doc()['_attachments'];
  assert.deepEqual(Object.keys(a), ['@acme/widget-1.2.3.tgz', '@acme/widget-1.2.3.sigstore']);
  assert.deepEqual(a['@acme/widget-1.2.3.tgz'], { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length });
  // `content_type: provenanceBundle.mediaType, data: serializedBundle, length: serializedBundle.length`
  assert.deepEqual(a['@acme/widget-1.2.3.sigstore'], { content_type: SIGSTORE_BUNDLE_V03, data: bundleJson, length: bundleJson.length });
  const v02 = JSON.stringify({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' });
  assert.equal(doc({ bundleJson: v02 })['_attachments']['@acme/widget-1.2.3.sigstore'].content_type, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
});

test('without provenance: the tarball attachment only; manifest placement: the bundle in the version instead', () => {
  const { bundleJson: _b, ...plain } = { manifest, tarball, registry: 'https://registry.example.com', bundleJson };
  const p = npmPublishDocument(plain) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(Object.keys(p['_attachments']), ['@acme/widget-1.2.3.tgz']);
  assert.equal(p['versions']['1.2.3'][MANIFEST_PROVENANCE_FIELD], undefined);
  const m = doc({ placement: 'manifest' });
  assert.deepEqual(Object.keys(m['_attachments']), ['@acme/widget-1.2.3.tgz']);
  assert.deepEqual(m['versions']['1.2.3'][MANIFEST_PROVENANCE_FIELD], { predicateType: 'https://slsa.dev/provenance/v0.2', bundle });
});
