/**
 * The real client: @sigstore/tuf (tuf-js underneath) against a loopback server that serves our repository with
 * registerTufRoutes. Loopback rather than in-process, because the client does its own HTTP.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initTUF } from '@sigstore/tuf';
import { buildTufRepository, generateTufKeys, hashedTargetPath, type TufRepository } from '../../../src/trust/tuf/index.js';
import { serveTuf, sha256, tamperedTargets, tempDir, V1_MESSAGE, writeRoot } from './helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = (): string => {
  const d = tempDir('keyless-tuf-');
  dirs.push(d);
  return d;
};

const trustedRoot = readFileSync(join(V1_MESSAGE, 'trusted_root.json'));
const keys = generateTufKeys();
const build = (now: number, content: Uint8Array = trustedRoot, version?: number): TufRepository =>
  buildTufRepository({ keys, targets: { 'trusted_root.json': content, 'signing_config.v0.2.json': Buffer.from('{}') }, now, ...(version === undefined ? {} : { version }) });

async function fetchTrustedRoot(mirrorURL: string, rootPath: string, cachePath: string): Promise<string> {
  const tuf = await initTUF({ mirrorURL, rootPath, cachePath, retry: false, timeout: 5000 });
  return tuf.getTarget('trusted_root.json');
}

test('@sigstore/tuf fetches trusted_root.json, byte for byte', async () => {
  const repo = build(Date.now());
  const server = await serveTuf(repo);
  try {
    const d = dir();
    assert.equal(await fetchTrustedRoot(server.url, writeRoot(repo, d), join(d, 'cache')), trustedRoot.toString('utf8'));
  } finally {
    await server.close();
  }
});

test('a repository rebuilt later with the same keys is accepted by a client that cached the first', async () => {
  const now = Date.now();
  const first = build(now - 3_600_000);
  const server = await serveTuf(first);
  try {
    const d = dir();
    const rootPath = writeRoot(first, d);
    const cache = join(d, 'cache');
    assert.equal(await fetchTrustedRoot(server.url, rootPath, cache), trustedRoot.toString('utf8'));
    const updated = Buffer.from(trustedRoot.toString('utf8').replace('https://rekor.keyless.test', 'https://rekor2.keyless.test'));
    const second = build(now, updated);
    assert.ok(second.version > first.version);
    server.set(second);
    // Same cache: the client holds first's timestamp, snapshot and targets, and must take second's.
    assert.equal(await fetchTrustedRoot(server.url, rootPath, cache), updated.toString('utf8'));
    // Rollback protection is what makes growing versions necessary: a rebuild with a lower version is refused.
    server.set(build(now, trustedRoot, second.version - 10));
    await assert.rejects(fetchTrustedRoot(server.url, rootPath, cache), /New timestamp version \d+ is less than current version/);
  } finally {
    await server.close();
  }
});

test('refused: a repository signed by other keys', async () => {
  const server = await serveTuf(buildTufRepository({ keys: generateTufKeys(), targets: { 'trusted_root.json': trustedRoot }, now: Date.now() }));
  try {
    const d = dir();
    await assert.rejects(fetchTrustedRoot(server.url, writeRoot(build(Date.now()), d), join(d, 'cache')), /timestamp was signed by 0\/1 keys/);
  } finally {
    await server.close();
  }
});

test('refused: targets metadata changed without the targets key, and a target file that does not match its hash', async () => {
  const repo = build(Date.now());
  const evil = Buffer.from(trustedRoot.toString('utf8').replace('https://rekor.keyless.test', 'https://evil.test'));
  const server = await serveTuf(tamperedTargets(repo, keys, evil));
  try {
    const d = dir();
    await assert.rejects(fetchTrustedRoot(server.url, writeRoot(repo, d), join(d, 'cache')), /targets was signed by 0\/1 keys/);
    const swapped = new Map(repo.files);
    swapped.set(hashedTargetPath('trusted_root.json', sha256(trustedRoot)), evil);
    server.set({ ...repo, files: swapped });
    const d2 = dir();
    await assert.rejects(fetchTrustedRoot(server.url, writeRoot(repo, d2), join(d2, 'cache')), /error downloading target/);
    // The control: the untampered repository on the same server and root passes.
    server.set(repo);
    assert.equal(await fetchTrustedRoot(server.url, writeRoot(repo, d2), join(d2, 'cache')), trustedRoot.toString('utf8'));
  } finally {
    await server.close();
  }
});
