import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../../src/server/app.js';
import { registerTufRoutes } from '../../../src/server/routes/tuf.js';
import { buildTufRepository, generateTufKeys, refreshingTufRepository } from '../../../src/trust/tuf/index.js';
import { parse, sha256 } from './helpers.js';

const NOW = Date.parse('2026-03-04T05:06:07Z');
const content = new TextEncoder().encode('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}');
const keys = generateTufKeys();
const repo = buildTufRepository({ keys, targets: { 'trusted_root.json': content }, now: NOW });

async function appWith(prefix?: string) {
  const app = createApp({});
  if (prefix === undefined) registerTufRoutes(app, repo);
  else registerTufRoutes(app, repo, prefix);
  await app.ready();
  return app;
}

test('metadata is JSON that must be revalidated; hashed targets are immutable', async () => {
  const app = await appWith();
  for (const name of ['timestamp.json', '1.root.json', 'root.json', `${repo.version}.snapshot.json`, `${repo.version}.targets.json`]) {
    const res = await app.inject({ method: 'GET', url: `/tuf/${name}` });
    assert.equal(res.statusCode, 200, name);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', name);
    assert.equal(res.headers['cache-control'], 'no-cache', name);
    assert.deepEqual(new Uint8Array(res.rawPayload), repo.files.get(name), name);
  }
  const target = await app.inject({ method: 'GET', url: `/tuf/targets/${sha256(content)}.trusted_root.json` });
  assert.equal(target.statusCode, 200);
  assert.equal(target.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.deepEqual(new Uint8Array(target.rawPayload), content);
  const head = await app.inject({ method: 'HEAD', url: '/tuf/timestamp.json' });
  assert.equal(head.statusCode, 200);
});

test('a file the repository does not hold is a 404 (tuf-js reads that as "no newer root")', async () => {
  const app = await appWith();
  for (const url of ['/tuf/2.root.json', '/tuf/targets/trusted_root.json', '/tuf/', '/tuf/../trusted_root.json']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
  }
});

test('serves under another prefix', async () => {
  const app = await appWith('/trust/tuf');
  assert.equal((await app.inject({ method: 'GET', url: '/trust/tuf/timestamp.json' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/tuf/timestamp.json' })).statusCode, 404);
});

test('a refreshing source re-signs after half the timestamp lifetime and keeps the previous build servable', async () => {
  let now = NOW;
  const source = refreshingTufRepository({ keys, targets: { 'trusted_root.json': content } }, () => now);
  const first = source();
  now += 3 * 86_400_000;
  assert.equal(source(), first, 'not rebuilt before half the lifetime');
  now += 0.5 * 86_400_000 + 1000;
  const second = source();
  assert.ok(second.version > first.version);
  assert.ok(second.expires > first.expires);
  assert.equal(parse(second.files.get('timestamp.json')).signed.version, second.version);
  assert.deepEqual(second.files.get(`${first.version}.snapshot.json`), first.files.get(`${first.version}.snapshot.json`));
  assert.deepEqual(second.rootJson, first.rootJson);
  const app = createApp({});
  registerTufRoutes(app, source);
  assert.equal((await app.inject({ method: 'GET', url: `/tuf/${second.version}.targets.json` })).statusCode, 200);
  // With a fixed `version`, a rebuild still publishes a higher one: clients refuse an equal or lower version.
  now = NOW;
  const fixed = refreshingTufRepository({ keys, targets: { 'trusted_root.json': content }, version: 5 }, () => now);
  assert.equal(fixed().version, 5);
  now += 4 * 86_400_000;
  assert.equal(fixed().version, 6);
});
