import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTufRepository, generateTufKeys, tufKeyId, TUF_EPOCH_MS, type TufRepository } from '../../../src/trust/tuf/index.js';
import { checkRepository, parse, sha256, V1_MESSAGE, type Json } from './helpers.js';

const NOW = Date.parse('2026-03-04T05:06:07.890Z');
const keys = generateTufKeys();
const trustedRoot = readFileSync(join(V1_MESSAGE, 'trusted_root.json'));
const signingConfig = new TextEncoder().encode('{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json"}');
const targets = { 'trusted_root.json': new Uint8Array(trustedRoot), 'signing_config.v0.2.json': signingConfig };
const repo = buildTufRepository({ keys, targets, now: NOW });

const copy = (r: TufRepository, changes: Record<string, Uint8Array>): TufRepository => ({ ...r, files: new Map([...r.files, ...Object.entries(changes)]) });

test('every metadata file verifies with its role key, and hashes, lengths and versions chain up', () => {
  checkRepository(repo);
});

test('the checker catches a broken signature, a stale snapshot entry and a swapped target', () => {
  const timestamp = parse(repo.files.get('timestamp.json'));
  timestamp.signed.expires = '2099-01-01T00:00:00Z';
  assert.throws(() => checkRepository(copy(repo, { 'timestamp.json': Buffer.from(JSON.stringify(timestamp)) })), /timestamp: 0\/1/);
  const targetsFile = `${repo.version}.targets.json`;
  assert.throws(() => checkRepository(copy(repo, { [targetsFile]: Buffer.from(`${Buffer.from(repo.files.get(targetsFile)!).toString()} `) })), /targets does not match snapshot/);
  const hashed = `targets/${sha256(trustedRoot)}.trusted_root.json`;
  assert.throws(() => checkRepository(copy(repo, { [hashed]: Buffer.from('{}') })), /target trusted_root.json/);
});

test('root version 1 lists one Ed25519 key per role, threshold 1, and consistent snapshots', () => {
  const root = parse(repo.rootJson).signed;
  assert.equal(root._type, 'root');
  assert.equal(root.version, 1);
  assert.equal(root.spec_version, '1.0.31');
  assert.equal(root.consistent_snapshot, true);
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    assert.deepEqual(root.roles[role], { keyids: [tufKeyId(keys[role])], threshold: 1 }, role);
    assert.deepEqual(Object.keys(root.keys[tufKeyId(keys[role])]).sort(), ['keytype', 'keyval', 'scheme']);
  }
  assert.deepEqual(repo.files.get('1.root.json'), repo.rootJson);
  assert.deepEqual(repo.files.get('root.json'), repo.rootJson);
});

test('root version 1 is the same bytes for the same keys at any build time, and differs for other keys', () => {
  const later = buildTufRepository({ keys, targets: { 'trusted_root.json': new Uint8Array([1]) }, now: NOW + 400 * 86_400_000, expiresDays: { timestamp: 1 } });
  assert.deepEqual(later.rootJson, repo.rootJson);
  assert.notDeepEqual(buildTufRepository({ keys: generateTufKeys(), targets, now: NOW }).rootJson, repo.rootJson);
  // rootCreated and the root lifetime are part of root v1: changing them makes another root (documented MUST).
  assert.notDeepEqual(buildTufRepository({ keys, targets, now: NOW, rootCreated: NOW }).rootJson, repo.rootJson);
  assert.equal(parse(repo.rootJson).signed.expires, '2124-12-08T00:00:00Z');
});

test('targets, snapshot and timestamp share one version: whole seconds since the epoch, growing with time', () => {
  const expected = Math.floor((NOW - TUF_EPOCH_MS) / 1000);
  assert.equal(repo.version, expected);
  for (const name of [`${expected}.targets.json`, `${expected}.snapshot.json`, 'timestamp.json', 'targets.json', 'snapshot.json']) {
    assert.equal(parse(repo.files.get(name)).signed.version, expected, name);
  }
  assert.equal(buildTufRepository({ keys, targets, now: NOW + 1000 }).version, expected + 1);
  assert.equal(buildTufRepository({ keys, targets, now: NOW, version: 7 }).files.has('7.snapshot.json'), true);
  assert.throws(() => buildTufRepository({ keys, targets, now: NOW, version: 0 }), TypeError);
  assert.throws(() => buildTufRepository({ keys, targets, now: NOW, version: 1.5 }), TypeError);
});

test('expiry: whole seconds, YYYY-MM-DDTHH:MM:SSZ, per-role lifetimes', () => {
  const at = (name: string): string => parse(repo.files.get(name)).signed.expires;
  assert.equal(at('timestamp.json'), '2026-03-11T05:06:07Z');
  assert.equal(at(`${repo.version}.snapshot.json`), '2027-03-04T05:06:07Z');
  assert.equal(at(`${repo.version}.targets.json`), '2027-03-04T05:06:07Z');
  assert.equal(repo.expires, Date.parse('2026-03-11T05:06:07Z'));
  const short = buildTufRepository({ keys, targets, now: NOW, expiresDays: { timestamp: 1, targets: 30 } });
  assert.equal(parse(short.files.get('timestamp.json')).signed.expires, '2026-03-05T05:06:07Z');
  assert.equal(parse(short.files.get(`${short.version}.targets.json`)).signed.expires, '2026-04-03T05:06:07Z');
  assert.throws(() => buildTufRepository({ keys, targets, now: NOW, expiresDays: { timestamp: 0 } }), TypeError);
});

test('each target is listed with its length and sha256 only, and stored under its hash prefix', () => {
  const listed: Json = parse(repo.files.get(`${repo.version}.targets.json`)).signed.targets;
  assert.deepEqual(Object.keys(listed).sort(), ['signing_config.v0.2.json', 'trusted_root.json']);
  assert.deepEqual(listed['trusted_root.json'], { length: trustedRoot.byteLength, hashes: { sha256: sha256(trustedRoot) } });
  assert.deepEqual(repo.files.get(`targets/${sha256(trustedRoot)}.trusted_root.json`), new Uint8Array(trustedRoot));
  const nested = buildTufRepository({ keys, targets: { 'a/b/c.json': signingConfig }, now: NOW });
  assert.ok(nested.files.has(`targets/a/b/${sha256(signingConfig)}.c.json`));
  checkRepository(nested);
  for (const bad of ['', '/abs', 'a/../b', 'a//b', 'a\\b', '.']) {
    assert.throws(() => buildTufRepository({ keys, targets: { [bad]: signingConfig }, now: NOW }), TypeError, bad);
  }
});

test('the repository holds exactly the files a consistent-snapshot client needs, plus unversioned copies', () => {
  const v = repo.version;
  assert.deepEqual([...repo.files.keys()].sort(), [
    `${v}.snapshot.json`,
    `${v}.targets.json`,
    '1.root.json',
    'root.json',
    'snapshot.json',
    `targets/${sha256(signingConfig)}.signing_config.v0.2.json`,
    `targets/${sha256(trustedRoot)}.trusted_root.json`,
    'targets.json',
    'timestamp.json',
  ].sort());
});
