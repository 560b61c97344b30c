/**
 * End to end with the sigstore-js CLI (`@sigstore/cli` 0.8.1: sigstore 3 → @sigstore/tuf 3 → tuf-js 3): it
 * fetches trusted_root.json from our repository and verifies a bundle of the mock instance with it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTufRepository, generateTufKeys, type TufRepository } from '../../../src/trust/tuf/index.js';
import { ROOT } from '../../helpers/vectors.js';
import { serveTuf, tamperedTargets, tempDir, V1_MESSAGE, writeRoot } from './helpers.js';

const run = promisify(execFile);
const expected = JSON.parse(readFileSync(join(V1_MESSAGE, 'expected.json'), 'utf8')) as { identity: string; issuer: string };
const trustedRoot = readFileSync(join(V1_MESSAGE, 'trusted_root.json'));
const keys = generateTufKeys();
const repo = buildTufRepository({ keys, targets: { 'trusted_root.json': trustedRoot }, now: Date.now() });

let server: Awaited<ReturnType<typeof serveTuf>>;
const dirs: string[] = [];
before(async () => (server = await serveTuf(repo)));
after(async () => {
  await server.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** `sigstore verify` with a fresh TUF cache; resolves to its exit code and output. */
async function sigstoreVerify(serving: TufRepository, pinned: TufRepository = repo): Promise<{ code: number; output: string }> {
  server.set(serving);
  const dir = tempDir('keyless-tuf-cli-');
  dirs.push(dir);
  const args = [
    'verify', join(V1_MESSAGE, 'bundle.json'),
    '--blob-file', join(V1_MESSAGE, 'artifact'),
    '--certificate-identity-uri', expected.identity,
    '--certificate-issuer', expected.issuer,
    '--tuf-mirror-url', server.url,
    '--tuf-root-path', writeRoot(pinned, dir),
    '--tuf-cache-path', join(dir, 'cache'),
  ];
  try {
    const { stdout, stderr } = await run(join(ROOT, 'node_modules', '.bin', 'sigstore'), args, { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('sigstore verify --tuf-mirror-url accepts the bundle with the trusted root our repository publishes', async () => {
  const { code, output } = await sigstoreVerify(repo);
  assert.equal(code, 0, output);
});

test('sigstore verify fails when the repository is signed by other keys than the pinned root', async () => {
  const other = buildTufRepository({ keys: generateTufKeys(), targets: { 'trusted_root.json': trustedRoot }, now: Date.now() });
  const { code, output } = await sigstoreVerify(other);
  assert.notEqual(code, 0, output);
  assert.match(output, /timestamp was signed by 0\/1 keys/);
});

test('sigstore verify fails when targets metadata was changed without the targets key', async () => {
  const { code, output } = await sigstoreVerify(tamperedTargets(repo, keys, Buffer.from('{"mediaType":"evil"}')));
  assert.notEqual(code, 0, output);
  assert.match(output, /targets was signed by 0\/1 keys/);
});

test('the verdict rests on the published trusted root: a valid repository publishing a root without the log fails', async () => {
  const withoutLogs = { ...JSON.parse(trustedRoot.toString('utf8')), tlogs: [] };
  const other = buildTufRepository({ keys, targets: { 'trusted_root.json': Buffer.from(JSON.stringify(withoutLogs)) }, now: Date.now() });
  const { code, output } = await sigstoreVerify(other);
  assert.notEqual(code, 0, output);
  // Past TUF: the CLI took this root, and without the log's key the entry's promise cannot verify.
  assert.match(output, /inclusion promise could not be verified/);
});
