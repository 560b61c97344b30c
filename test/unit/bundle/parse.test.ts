import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBundle, parseBundleText } from '../../../src/bundle/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { sigstoreJsBundles } from './sigstore-js-bundles.js';
import { v01Bundle, clone, type AnyJson } from './fixtures.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
type J = AnyJson;

/** Asserts a parse fails with `code` and, for ERR_BUNDLE_INVALID, exactly these problem paths. */
function rejects(json: unknown, code: string, paths?: string[]): KeylessError {
  try {
    parseBundle(json);
  } catch (err) {
    assert.ok(err instanceof KeylessError, String(err));
    assert.equal(err.code, code, err.message);
    if (paths) assert.deepEqual((err.details['problems'] as { path: string }[]).map((p) => p.path), paths, err.message);
    return err;
  }
  assert.fail('bundle was accepted');
}

test('parses a sigstore-js v0.2 message-signature bundle, decoding every field', async () => {
  const json = (await sigstoreJsBundles()).messageSignatureV02 as J;
  const b = parseBundle(json);
  assert.equal(b.version, '0.2');
  assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
  const vm = json['verificationMaterial'];
  assert.equal(b.verificationMaterial.content.kind, 'x509CertificateChain');
  if (b.verificationMaterial.content.kind === 'x509CertificateChain') {
    assert.equal(b64(b.verificationMaterial.content.certificates[0] as Uint8Array), vm.x509CertificateChain.certificates[0].rawBytes);
  }
  const [entry] = b.verificationMaterial.tlogEntries;
  const e = vm.tlogEntries[0];
  assert.ok(entry);
  assert.equal(entry.logIndex, Number(e.logIndex));
  assert.equal(b64(entry.logId), e.logId.keyId);
  assert.equal(entry.kind, 'hashedrekord');
  assert.equal(entry.kindVersion, '0.0.1');
  assert.equal(entry.integratedTime, Number(e.integratedTime));
  assert.equal(b64(entry.inclusionPromise ?? new Uint8Array()), e.inclusionPromise.signedEntryTimestamp);
  assert.equal(entry.inclusionProof?.treeSize, 1);
  assert.equal(entry.inclusionProof?.logIndex, 0);
  assert.equal(entry.inclusionProof?.checkpoint, e.inclusionProof.checkpoint.envelope);
  assert.equal(b64(entry.canonicalizedBody), e.canonicalizedBody);
  assert.equal(b.verificationMaterial.rfc3161Timestamps.length, 1);
  assert.equal(b.content.kind, 'messageSignature');
  if (b.content.kind === 'messageSignature') {
    assert.equal(b.content.messageDigest?.algorithm, 'SHA2_256');
    assert.equal(b64(b.content.messageDigest?.digest ?? new Uint8Array()), json['messageSignature'].messageDigest.digest);
    assert.equal(b64(b.content.signature), json['messageSignature'].signature);
  }
});

test('parses sigstore-js v0.3 DSSE bundles with Rekor v1 and Rekor v2 entries', async () => {
  const { dsseV03, dsseRekorV2 } = await sigstoreJsBundles();
  const v1 = parseBundle(dsseV03);
  assert.equal(v1.version, '0.3');
  assert.equal(v1.verificationMaterial.content.kind, 'certificate');
  assert.deepEqual(v1.verificationMaterial.rfc3161Timestamps, []);
  assert.equal(v1.content.kind, 'dsseEnvelope');
  if (v1.content.kind === 'dsseEnvelope') {
    assert.equal(v1.content.envelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(Buffer.from(v1.content.envelope.payload).toString(), '{"_type":"https://in-toto.io/Statement/v1"}');
    assert.equal(v1.content.envelope.signatures.length, 1);
    assert.equal(v1.content.envelope.signatures[0]?.keyid, '');
  }
  const v2 = parseBundle(dsseRekorV2);
  assert.equal(v2.verificationMaterial.tlogEntries[0]?.kindVersion, '0.0.2');
  assert.equal(v2.verificationMaterial.tlogEntries[0]?.inclusionPromise, undefined);
  assert.equal(v2.verificationMaterial.rfc3161Timestamps.length, 1);
});

test('parses a v0.1 bundle (inclusion promise, no proof) and a Rekor v2 entry without integrated time', () => {
  const b = parseBundle(v01Bundle());
  assert.equal(b.version, '0.1');
  assert.equal(b.verificationMaterial.tlogEntries[0]?.inclusionProof, undefined);
  const v3 = clone(v01Bundle());
  v3.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  v3.verificationMaterial = { certificate: { rawBytes: 'AQID' }, tlogEntries: [{ ...v3.verificationMaterial.tlogEntries[0], integratedTime: undefined, logIndex: undefined, inclusionPromise: undefined, inclusionProof: { rootHash: 'AAAA', checkpoint: { envelope: 'x\n' } } }] };
  const entry = parseBundle(v3).verificationMaterial.tlogEntries[0];
  assert.equal(entry?.integratedTime, 0);
  assert.equal(entry?.logIndex, 0);
  assert.equal(entry?.inclusionProof?.treeSize, 0);
  assert.deepEqual(entry?.inclusionProof?.hashes, []);
});

test('accepts every media type spelling of v0.1 to v0.3', () => {
  const spellings: [string, string][] = [
    ['application/vnd.dev.sigstore.bundle+json;version=0.1', '0.1'],
    ['application/vnd.dev.sigstore.bundle.v0.1+json', '0.1'],
  ];
  for (const [mediaType, version] of spellings) assert.equal(parseBundle({ ...v01Bundle(), mediaType }).version, version);
  const withProof = clone(v01Bundle());
  withProof.verificationMaterial.tlogEntries[0].inclusionProof = { logIndex: '1', rootHash: 'AAAA', treeSize: '2', hashes: ['AAAA'], checkpoint: { envelope: 'x\n' } };
  for (const [mediaType, version] of [
    ['application/vnd.dev.sigstore.bundle+json;version=0.2', '0.2'],
    ['application/vnd.dev.sigstore.bundle.v0.2+json', '0.2'],
    ['application/vnd.dev.sigstore.bundle+json;version=0.3', '0.3'],
    ['application/vnd.dev.sigstore.bundle.v0.3+json', '0.3'],
  ]) {
    const json = { ...withProof, mediaType, verificationMaterial: { ...withProof.verificationMaterial, x509CertificateChain: undefined, certificate: { rawBytes: 'AQID' } } };
    assert.equal(parseBundle(json).version, version);
  }
});

test('non-objects and non-JSON text are ERR_JSON; unknown media types are ERR_BUNDLE_UNSUPPORTED', () => {
  for (const v of [null, [], 'x', 1, true, undefined]) rejects(v, 'ERR_JSON');
  assert.throws(() => parseBundleText('{"mediaType":'), (e) => e instanceof KeylessError && e.code === 'ERR_JSON');
  for (const mediaType of ['application/vnd.dev.sigstore.bundle.v0.4+json', 'application/vnd.dev.sigstore.bundle+json;version=0.4', 'application/json', 'toString', '__proto__']) {
    const err = rejects({ ...v01Bundle(), mediaType }, 'ERR_BUNDLE_UNSUPPORTED');
    assert.equal(err.details['mediaType'], mediaType);
  }
});

test('every missing REQUIRED field is reported, all at once', () => {
  const err = rejects({}, 'ERR_BUNDLE_INVALID', ['mediaType', 'verificationMaterial', 'content']);
  assert.match(err.message, /^bundle is invalid: mediaType: is required \(and 2 more\)$/);
  const json = clone(v01Bundle());
  const e = json.verificationMaterial.tlogEntries[0];
  delete e.logId.keyId;
  delete e.kindVersion.kind;
  e.kindVersion.version = '';
  delete e.canonicalizedBody;
  e.inclusionPromise = {};
  delete json.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
  json.messageSignature.signature = '';
  delete json.messageSignature.messageDigest.digest;
  rejects(json, 'ERR_BUNDLE_INVALID', [
    'verificationMaterial.x509CertificateChain.certificates[0].rawBytes',
    'verificationMaterial.tlogEntries[0].logId.keyId',
    'verificationMaterial.tlogEntries[0].kindVersion.kind',
    'verificationMaterial.tlogEntries[0].kindVersion.version',
    'verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp',
    'verificationMaterial.tlogEntries[0].canonicalizedBody',
    'messageSignature.messageDigest.digest',
    'messageSignature.signature',
  ]);
});

test('version rules: v0.1 needs promises, v0.2+ needs proofs with checkpoints, v0.3 refuses chains', () => {
  const noPromise = clone(v01Bundle());
  delete noPromise.verificationMaterial.tlogEntries[0].inclusionPromise;
  rejects(noPromise, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].inclusionPromise']);
  const v02: AnyJson = { ...clone(v01Bundle()), mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' };
  rejects(v02, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].inclusionProof']);
  v02.verificationMaterial.tlogEntries[0].inclusionProof = { rootHash: 'AAAA', checkpoint: { envelope: '' } };
  rejects(v02, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope']);
  v02.verificationMaterial.tlogEntries[0].inclusionProof = { rootHash: 'AAAA' };
  rejects(v02, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].inclusionProof.checkpoint']);
  v02.verificationMaterial.tlogEntries[0].inclusionProof = { checkpoint: { envelope: 'x\n' } };
  rejects(v02, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].inclusionProof.rootHash']);
  v02.verificationMaterial.tlogEntries[0].inclusionProof = { rootHash: 'AAAA', checkpoint: { envelope: 'x\n' } };
  parseBundle(v02);
  const v03 = { ...clone(v02), mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
  rejects(v03, 'ERR_BUNDLE_INVALID', ['verificationMaterial.x509CertificateChain']);
  // Bundles with no tlog entry at all (TSA-only) are structurally fine at every version.
  parseBundle({ ...v01Bundle(), verificationMaterial: { ...v01Bundle().verificationMaterial, tlogEntries: [] } });
});

test('oneof fields: none, several, or the wrong type', () => {
  const json = clone(v01Bundle());
  json.verificationMaterial.publicKey = { hint: 'k' };
  json.dsseEnvelope = { payload: 'AA==', payloadType: 't', signatures: [{ sig: 'AA==' }] };
  rejects(json, 'ERR_BUNDLE_INVALID', ['verificationMaterial.content', 'content']);
  const none = clone(v01Bundle());
  delete none.verificationMaterial.x509CertificateChain;
  delete none.messageSignature;
  rejects(none, 'ERR_BUNDLE_INVALID', ['verificationMaterial.content', 'content']);
  const wrongTypes = clone(v01Bundle());
  wrongTypes.verificationMaterial.x509CertificateChain = [];
  wrongTypes.verificationMaterial.tlogEntries = {};
  wrongTypes.messageSignature = 'sig';
  rejects(wrongTypes, 'ERR_BUNDLE_INVALID', ['verificationMaterial.x509CertificateChain', 'verificationMaterial.tlogEntries', 'messageSignature']);
  const emptyChain = clone(v01Bundle());
  emptyChain.verificationMaterial.x509CertificateChain.certificates = [];
  rejects(emptyChain, 'ERR_BUNDLE_INVALID', ['verificationMaterial.x509CertificateChain.certificates']);
  const pk = clone(v01Bundle());
  pk.verificationMaterial = { publicKey: { hint: 'my-key' }, tlogEntries: [] };
  const parsed = parseBundle(pk).verificationMaterial.content;
  assert.deepEqual(parsed, { kind: 'publicKey', hint: 'my-key' });
});

test('DSSE envelopes need a payload, a type and exactly one signature', () => {
  const base = { ...clone(v01Bundle()), messageSignature: undefined };
  rejects({ ...base, dsseEnvelope: {} }, 'ERR_BUNDLE_INVALID', ['dsseEnvelope.payload', 'dsseEnvelope.payloadType', 'dsseEnvelope.signatures']);
  const two = { payload: 'AA==', payloadType: 't', signatures: [{ sig: 'AA==' }, { sig: 'AQ==' }] };
  rejects({ ...base, dsseEnvelope: two }, 'ERR_BUNDLE_INVALID', ['dsseEnvelope.signatures']);
  rejects({ ...base, dsseEnvelope: { ...two, signatures: [{ keyid: 'k' }] } }, 'ERR_BUNDLE_INVALID', ['dsseEnvelope.signatures[0].sig']);
  rejects({ ...base, dsseEnvelope: { ...two, signatures: ['x'] } }, 'ERR_BUNDLE_INVALID', ['dsseEnvelope.signatures[0]']);
});

test('message digests must name a supported algorithm; enum numbers are accepted', () => {
  const withAlg = (algorithm: unknown) => {
    const j = clone(v01Bundle());
    j.messageSignature.messageDigest.algorithm = algorithm;
    return j;
  };
  const parsed = parseBundle(withAlg(3)).content;
  assert.equal(parsed.kind === 'messageSignature' && parsed.messageDigest?.algorithm, 'SHA2_512');
  rejects(withAlg('SHA3_256'), 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest.algorithm']);
  rejects(withAlg('HASH_ALGORITHM_UNSPECIFIED'), 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest.algorithm']);
  rejects(withAlg(99), 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest.algorithm']);
  rejects(withAlg('sha256'), 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest.algorithm']);
  rejects(withAlg(undefined), 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest.algorithm']);
  const noDigest = clone(v01Bundle());
  delete noDigest.messageSignature.messageDigest;
  rejects(noDigest, 'ERR_BUNDLE_INVALID', ['messageSignature.messageDigest']);
});

test('int64 fields: decimal strings or integers, never negative, fractional or unsafe', () => {
  const withIndex = (logIndex: unknown) => {
    const j = clone(v01Bundle());
    j.verificationMaterial.tlogEntries[0].logIndex = logIndex;
    return j;
  };
  assert.equal(parseBundle(withIndex('9007199254740991')).verificationMaterial.tlogEntries[0]?.logIndex, Number.MAX_SAFE_INTEGER);
  assert.equal(parseBundle(withIndex(42)).verificationMaterial.tlogEntries[0]?.logIndex, 42);
  for (const bad of ['-1', -1, '1.5', 1.5, '1e3', '0x10', ' 1', '', '9007199254740992', 2 ** 60, true, {}]) {
    rejects(withIndex(bad), 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].logIndex']);
  }
  const err = rejects(withIndex('-5'), 'ERR_BUNDLE_INVALID');
  assert.match(err.message, /negative/);
});

test('bytes fields must be base64 strings (standard or URL-safe, as protobuf JSON allows)', () => {
  const j = clone(v01Bundle());
  j.messageSignature.signature = '-_8';
  const parsed = parseBundle(j).content;
  assert.deepEqual(parsed.kind === 'messageSignature' && [...parsed.signature], [0xfb, 0xff]);
  j.messageSignature.signature = 'not base64!';
  j.verificationMaterial.tlogEntries[0].canonicalizedBody = 12;
  rejects(j, 'ERR_BUNDLE_INVALID', ['verificationMaterial.tlogEntries[0].canonicalizedBody', 'messageSignature.signature']);
});

test('proto field names (snake_case) are accepted like sigstore-go; a field given under both names is a problem', () => {
  const j = v01Bundle();
  const snake = JSON.parse(JSON.stringify(j).replace(/"([a-z]+[A-Z][A-Za-z0-9]*)":/g, (_, k: string) => `"${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`)) as J;
  assert.ok('verification_material' in snake);
  const parsed = parseBundle(snake);
  const camel = parseBundle(j);
  assert.deepEqual({ ...parsed, raw: undefined }, { ...camel, raw: undefined });
  rejects({ ...j, media_type: j['mediaType'] }, 'ERR_BUNDLE_INVALID', ['mediaType']);
});

test('null is the same as absent, and unknown fields are ignored', () => {
  const j = clone(v01Bundle());
  j.verificationMaterial.timestampVerificationData = null;
  j.somethingNew = { nested: [1, 2, 3] };
  j.verificationMaterial.tlogEntries[0].inclusionProof = null;
  const b = parseBundle(j);
  assert.deepEqual(b.verificationMaterial.rfc3161Timestamps, []);
  const noMedia = { ...j, mediaType: null };
  rejects(noMedia, 'ERR_BUNDLE_INVALID', ['mediaType']);
  rejects({ ...j, mediaType: 5 }, 'ERR_BUNDLE_INVALID', ['mediaType']);
  rejects({ ...j, mediaType: '' }, 'ERR_BUNDLE_INVALID', ['mediaType']);
});
