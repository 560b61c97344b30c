import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { parseBundle, parseBundleText, serializeBundle, serializeBundleText, type Bundle } from '../../../src/bundle/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { sigstoreJsBundles } from './sigstore-js-bundles.js';
import { clone, v01Bundle, type AnyJson } from './fixtures.js';

/** sigstore-js's own reading of a bundle, written back by sigstore-js, with an empty timestampVerificationData dropped. */
function throughSigstoreJs(json: unknown): AnyJson {
  const out = clone(bundleToJSON(bundleFromJSON(json))) as AnyJson;
  const tvd = out['verificationMaterial']?.timestampVerificationData;
  if (tvd !== undefined && Object.keys(tvd).length === 0) delete out['verificationMaterial'].timestampVerificationData;
  return out;
}

const withoutRaw = (b: Bundle): Bundle => {
  const { raw: _raw, ...rest } = b;
  return rest;
};

test('bundles we read are written back exactly as read, as objects and as text', async () => {
  const all = [...Object.values(await sigstoreJsBundles()), v01Bundle()];
  for (const json of all) {
    assert.deepEqual(serializeBundle(parseBundle(json)), json);
    const text = JSON.stringify(json, null, 2);
    assert.equal(serializeBundleText(parseBundleText(text)), text);
    // Without the original text, the text form is the original JSON, compact.
    assert.equal(serializeBundleText(parseBundle(json)), JSON.stringify(json));
  }
});

test('bundles built in memory serialize to protobuf JSON that sigstore-js reads the same way', async () => {
  for (const json of Object.values(await sigstoreJsBundles())) {
    const fresh = serializeBundle(withoutRaw(parseBundle(json)));
    assert.deepEqual(throughSigstoreJs(fresh), throughSigstoreJs(json));
    assert.deepEqual(withoutRaw(parseBundle(fresh)), withoutRaw(parseBundle(json)));
  }
  // Defaults are omitted as protobuf prints them: index 0, no integrated time, no timestamps, empty key ID.
  const b = withoutRaw(parseBundle(v01Bundle()));
  const entry = b.verificationMaterial.tlogEntries[0];
  assert.ok(entry);
  entry.logIndex = 0;
  entry.integratedTime = 0;
  const out = serializeBundle(b) as AnyJson;
  assert.deepEqual(Object.keys(out['verificationMaterial']), ['x509CertificateChain', 'tlogEntries']);
  assert.deepEqual(Object.keys(out['verificationMaterial'].tlogEntries[0]), ['logId', 'kindVersion', 'inclusionPromise', 'canonicalizedBody']);
  assert.equal(typeof parseBundle(out).verificationMaterial.tlogEntries[0]?.logIndex, 'number');
});

test('a changed bundle is serialized from the model, not from what was read', () => {
  const b = parseBundle(v01Bundle());
  const entry = b.verificationMaterial.tlogEntries[0];
  assert.ok(entry);
  entry.logIndex = 7;
  assert.equal((serializeBundle(b) as AnyJson)['verificationMaterial'].tlogEntries[0].logIndex, '7');
  // A copy made with a spread keeps `raw`, but its changes still win.
  const b2 = parseBundle(v01Bundle());
  const copy: Bundle = { ...b2, mediaType: 'application/vnd.dev.sigstore.bundle.v0.1+json' };
  assert.equal((serializeBundle(copy) as AnyJson)['mediaType'], 'application/vnd.dev.sigstore.bundle.v0.1+json');
  assert.notEqual(serializeBundleText(copy), JSON.stringify(v01Bundle()));
  // An unchanged copy is still the original.
  assert.deepEqual(serializeBundle({ ...b2 }), v01Bundle());
});

test('changing the input object after parsing does not change what is remembered', () => {
  const json = v01Bundle();
  const b = parseBundle(json);
  json['extra'] = 1;
  json['verificationMaterial'].tlogEntries[0].logIndex = '1';
  assert.deepEqual(serializeBundle(b), v01Bundle());
  assert.ok(Object.isFrozen(b.raw));
  // The serialized object is the caller's to change.
  const out = serializeBundle(b);
  out['mediaType'] = 'x';
  assert.deepEqual(serializeBundle(b), v01Bundle());
});

test('input that is not a tree of JSON values is ERR_JSON', () => {
  const cyclic = v01Bundle();
  cyclic['self'] = cyclic;
  assert.throws(() => parseBundle(cyclic), (e) => e instanceof KeylessError && e.code === 'ERR_JSON');
  assert.throws(() => parseBundle({ ...v01Bundle(), when: new Date() }), (e) => e instanceof KeylessError && e.code === 'ERR_JSON');
  // Deep nesting in unknown fields does not blow the stack.
  let deep: unknown = 1;
  for (let i = 0; i < 100000; i++) deep = [deep];
  assert.deepEqual(serializeBundle(parseBundle({ ...v01Bundle(), deep })).mediaType, v01Bundle()['mediaType']);
});
