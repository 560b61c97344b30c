import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseTrustedRoot, serializeTrustedRoot } from '../../../src/trust/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { noteKeyHash, noteKeyHint } from '../../../src/core/note.js';
import { clone, publicTrustedRoot, type AnyJson } from './fixtures.js';

function rejects(json: unknown, code: string, paths?: string[]): KeylessError {
  try {
    parseTrustedRoot(json);
  } catch (err) {
    assert.ok(err instanceof KeylessError, String(err));
    assert.equal(err.code, code, err.message);
    if (paths) assert.deepEqual((err.details['problems'] as { path: string }[]).map((p) => p.path), paths, err.message);
    return err;
  }
  assert.fail('trusted root was accepted');
}

test('parses the public-good trusted root from @sigstore/tuf', () => {
  const json = publicTrustedRoot();
  const root = parseTrustedRoot(json);
  assert.equal(root.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
  assert.equal(root.tlogs.length, json['tlogs'].length);
  assert.equal(root.certificateAuthorities.length, json['certificateAuthorities'].length);
  assert.equal(root.ctlogs.length, json['ctlogs'].length);
  assert.equal(root.timestampAuthorities.length, json['timestampAuthorities'].length);
  for (const log of [...root.tlogs, ...root.ctlogs]) {
    assert.equal(log.hashAlgorithm, 'SHA2_256');
    if (log.publicKey.keyDetails === 'PKIX_ED25519') {
      // Rekor v2 (rekor-tiles): the log ID is the untruncated C2SP note key hash of origin and key.
      const origin = new URL(log.baseUrl).host;
      const key = { type: 'ed25519' as const, spki: log.publicKey.rawBytes };
      assert.deepEqual(Buffer.from(log.logId), Buffer.from(noteKeyHash(origin, key)));
      assert.deepEqual(Buffer.from(log.logId.subarray(0, 4)), Buffer.from(noteKeyHint(origin, key)));
    } else {
      // RFC 6962 §3.2: the log ID is the SHA-256 of the log's DER public key.
      assert.deepEqual(Buffer.from(log.logId), createHash('sha256').update(log.publicKey.rawBytes).digest());
    }
  }
  assert.ok(root.tlogs.some((l) => l.publicKey.keyDetails === 'PKIX_ED25519'));
  const rekor = root.tlogs.find((l) => l.baseUrl === 'https://rekor.sigstore.dev');
  assert.equal(rekor?.publicKey.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
  assert.equal(rekor?.publicKey.validFor.start, Date.parse('2021-01-12T11:53:27Z'));
  assert.equal(rekor?.publicKey.validFor.end, undefined);
  const oldCa = root.certificateAuthorities[0];
  assert.deepEqual(oldCa?.subject, { organization: 'sigstore.dev', commonName: 'sigstore' });
  assert.equal(oldCa?.uri, 'https://fulcio.sigstore.dev');
  assert.equal(oldCa?.validFor.end, Date.parse('2022-12-31T23:59:59.999Z'));
  assert.equal(root.certificateAuthorities[1]?.certChain.length, 2);
});

test('the public-good trusted root round-trips through serializeTrustedRoot', () => {
  const json = publicTrustedRoot();
  assert.deepEqual(serializeTrustedRoot(parseTrustedRoot(json)), json);
  assert.equal(JSON.stringify(serializeTrustedRoot(parseTrustedRoot(json))), JSON.stringify(json));
});

test('v0.2 roots: checkpointKeyId and operator are read and written', () => {
  const json = clone(publicTrustedRoot());
  json.mediaType = 'application/vnd.dev.sigstore.trustedroot.v0.2+json';
  json.tlogs[0].checkpointKeyId = { keyId: 'wNI9ag==' };
  json.tlogs[0].operator = 'sigstore.dev';
  json.certificateAuthorities[0].operator = 'sigstore.dev';
  const root = parseTrustedRoot(json);
  assert.deepEqual([...(root.tlogs[0]?.checkpointKeyId ?? [])], [0xc0, 0xd2, 0x3d, 0x6a]);
  assert.equal(root.tlogs[0]?.operator, 'sigstore.dev');
  assert.equal(root.certificateAuthorities[0]?.operator, 'sigstore.dev');
  assert.deepEqual(serializeTrustedRoot(root), json);
  parseTrustedRoot({ ...json, mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.1+json' });
});

test('non-objects are ERR_JSON and unknown media types ERR_TRUST_INVALID', () => {
  for (const v of [null, [], 'root', 3]) rejects(v, 'ERR_JSON');
  const err = rejects({ ...publicTrustedRoot(), mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.9+json' }, 'ERR_TRUST_INVALID');
  assert.equal(err.details['mediaType'], 'application/vnd.dev.sigstore.trustedroot.v0.9+json');
});

test('every problem in a trusted root is collected into one ERR_TRUST_INVALID', () => {
  const json: AnyJson = clone(publicTrustedRoot());
  delete json.tlogs[0].baseUrl;
  json.tlogs[0].hashAlgorithm = 'HASH_ALGORITHM_UNSPECIFIED';
  json.tlogs[0].publicKey.rawBytes = '%%%';
  delete json.tlogs[0].publicKey.keyDetails;
  delete json.tlogs[1].publicKey.validFor.start;
  json.tlogs[1].logId = {};
  json.certificateAuthorities[0].certChain.certificates = [];
  json.certificateAuthorities[1].validFor.end = '2000-01-01T00:00:00Z';
  json.ctlogs[0].publicKey.validFor.start = 'yesterday';
  json.timestampAuthorities[0].certChain = undefined;
  const err = rejects(json, 'ERR_TRUST_INVALID', [
    'tlogs[0].baseUrl',
    'tlogs[0].hashAlgorithm',
    'tlogs[0].publicKey.rawBytes',
    'tlogs[0].publicKey.keyDetails',
    'tlogs[1].publicKey.validFor.start',
    'tlogs[1].logId.keyId',
    'certificateAuthorities[0].certChain.certificates',
    'certificateAuthorities[1].validFor.end',
    'ctlogs[0].publicKey.validFor.start',
    'timestampAuthorities[0].certChain',
  ]);
  assert.match(err.message, /^trusted root is invalid: tlogs\[0\]\.baseUrl: is required \(and 9 more\)$/);
  rejects({}, 'ERR_TRUST_INVALID', ['mediaType']);
  rejects({ ...publicTrustedRoot(), tlogs: {} }, 'ERR_TRUST_INVALID', ['tlogs']);
  rejects({ ...publicTrustedRoot(), tlogs: [1] }, 'ERR_TRUST_INVALID', ['tlogs[0]']);
});

test('enums by number and unknown key types are kept for the verifier to judge', () => {
  const json = clone(publicTrustedRoot());
  json.tlogs[0].hashAlgorithm = 1;
  json.tlogs[0].publicKey.keyDetails = 5;
  json.tlogs[1].publicKey.keyDetails = 'SOME_FUTURE_KEY';
  const root = parseTrustedRoot(json);
  assert.equal(root.tlogs[0]?.hashAlgorithm, 'SHA2_256');
  assert.equal(root.tlogs[0]?.publicKey.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
  assert.equal(root.tlogs[1]?.publicKey.keyDetails, 'SOME_FUTURE_KEY');
  json.tlogs[0].publicKey.keyDetails = 999;
  json.tlogs[1].publicKey.keyDetails = 'lower_case';
  rejects(json, 'ERR_TRUST_INVALID', ['tlogs[0].publicKey.keyDetails', 'tlogs[1].publicKey.keyDetails']);
});

test('timestamps follow google.protobuf.Timestamp JSON: RFC 3339, up to 9 fraction digits, offsets accepted', () => {
  const at = (start: string) => {
    const json = clone(publicTrustedRoot());
    json.tlogs[0].publicKey.validFor = { start };
    return json;
  };
  const startOf = (s: string) => parseTrustedRoot(at(s)).tlogs[0]?.publicKey.validFor.start;
  assert.equal(startOf('2024-02-29T12:00:00Z'), Date.UTC(2024, 1, 29, 12));
  assert.equal(startOf('2024-02-29T12:00:00.123456789Z'), Date.UTC(2024, 1, 29, 12, 0, 0, 123));
  assert.equal(startOf('2024-02-29T14:30:00+02:30'), Date.UTC(2024, 1, 29, 12));
  assert.equal(startOf('0001-01-01T00:00:00Z'), -62135596800000);
  for (const bad of ['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00:00.1234567890Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00+24:00']) {
    rejects(at(bad), 'ERR_TRUST_INVALID', ['tlogs[0].publicKey.validFor.start']);
  }
});

test('fuzz: mutated trusted roots never throw anything but a KeylessError', () => {
  const base = publicTrustedRoot();
  const values: unknown[] = [null, -1, '', 'x', [], {}, true, '2024-01-01T00:00:00Z', 'AAAA', 7];
  let seed = 99;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    const json = clone(base);
    let node: AnyJson = json;
    for (let d = rand(6); d > 0; d--) {
      const kids = Object.values(node).filter((v) => typeof v === 'object' && v !== null) as AnyJson[];
      if (kids.length === 0) break;
      node = kids[rand(kids.length)] as AnyJson;
    }
    const keys = Object.keys(node);
    const key = keys[rand(keys.length)];
    if (key === undefined) continue;
    if (rand(2) === 0) delete node[key];
    else node[key] = values[rand(values.length)];
    try {
      const root = parseTrustedRoot(json);
      parseTrustedRoot(serializeTrustedRoot(root));
    } catch (err) {
      assert.ok(err instanceof KeylessError && (err.code === 'ERR_TRUST_INVALID' || err.code === 'ERR_JSON'), String(err));
    }
  }
});
