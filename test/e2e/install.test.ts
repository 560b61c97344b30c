/**
 * Installing keyless the way cosign installs: one file. Builds the one-file CLI (npm run build:cli), the single
 * executable (npm run build:sea; its Node.js comes from the npm registry, cached in .cache/) and a release
 * (npm run release), then uses each copied alone into an empty directory, against a real `keyless serve` over HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactTemplatePipeline, artifactTemplateProject, runPipeline } from '../helpers/gitlab-ci.js';
import { startProxy, type Proxy } from '../helpers/net-faults.js';
import { sha256Hex, startReleaseServer } from '../helpers/release-server.js';
import { startServe, tempDir, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

interface Ran { code: number | null; stdout: string; stderr: string }

let served: Served;
let token: string;
let identity: string;
const work = tempDir('keyless-install-');
/** Every directory made here, removed at the end: the executable is 120 MiB and is copied several times. */
const made: string[] = [work];
const fresh = (prefix: string): string => {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
};
const cacheDir = join(work, 'compile-cache');

/** Runs a file with only the environment given (no PATH to node unless given), in `cwd`. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { HOME: work, KEYLESS_COMPILE_CACHE: cacheDir, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As run, without blocking this process: for a command that talks to a server running in this process. */
function runAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { HOME: work, KEYLESS_COMPILE_CACHE: cacheDir, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh directory holding only `file`, copied in. */
function alone(file: string): { dir: string; path: string } {
  const dir = fresh('keyless-alone-');
  const path = join(dir, file.split('/').pop()!);
  copyFileSync(file, path);
  return { dir, path };
}

const verifyFlags = (artifact: string, bundle: string) => ['verify-blob', artifact, '--bundle', bundle, '--trusted-root', join(served.dataDir, 'trusted_root.json'),
  '--certificate-identity', identity, '--certificate-oidc-issuer', served.url];

before(async () => {
  // Built here, not by `npm run build`, so that the suite tests what the scripts make today.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT, stdio: 'ignore' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  served = await startServe(['--dev-oidc-issuer']);
  token = execFileSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'dev-token', '--data-dir', served.dataDir, '--issuer', served.url,
    '--project', 'my-group/keyless', '--ref', 'main'], { encoding: 'utf8' }).trim();
  identity = `https://${new URL(served.url).host}/my-group/keyless//.gitlab-ci.yml@refs/heads/main`;
});
after(async () => {
  await served?.stop();
  for (const dir of [...made, served?.dataDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the one-file CLI, alone in a directory with no node_modules', () => {
  test('signs with sign-blob and verifies with verify-blob against keyless serve', () => {
    const { dir, path } = alone(join(ROOT, 'dist', 'keyless.cjs'));
    assert.deepEqual(readdirSync(dir), ['keyless.cjs']);
    writeFileSync(join(dir, 'artifact.txt'), 'one-file build artifact\n');
    const env = { PATH: process.env.PATH, SIGSTORE_ID_TOKEN: token };
    const signed = run(process.execPath, [path, 'sign-blob', 'artifact.txt', '--bundle', 'artifact.sigstore.json', '--instance', served.url, '--yes'], dir, env);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = run(process.execPath, [path, ...verifyFlags('artifact.txt', 'artifact.sigstore.json')], dir, env);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stderr, 'Verified OK\n');
  });

  test('serve, witness and log fsck say to install the npm package: exit 2, ERR_NEEDS_PACKAGE', () => {
    const { dir, path } = alone(join(ROOT, 'dist', 'keyless.cjs'));
    for (const args of [['serve'], ['witness', 'serve'], ['log', 'fsck']]) {
      const r = run(process.execPath, [path, ...args], dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /install the npm package .*\[ERR_NEEDS_PACKAGE\]\n$/);
    }
  });

  test('the compile cache is used, and a damaged cache file is ignored and rewritten', () => {
    const { dir, path } = alone(join(ROOT, 'dist', 'keyless.cjs'));
    const own = join(work, 'cache-check');
    const help = () => run(process.execPath, [path, 'inspect', '--help'], dir, { KEYLESS_COMPILE_CACHE: own });
    assert.equal(help().code, 0);
    const [file] = readdirSync(own).filter((f) => f.endsWith('-inspect.v8'));
    assert.ok(file !== undefined, `no cache file for inspect in ${readdirSync(own).join(', ')}`);
    const good = readFileSync(join(own, file));
    writeFileSync(join(own, file), Buffer.alloc(good.length, 0x41));
    const again = help();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^Usage: keyless inspect/);
    assert.notDeepEqual(readFileSync(join(own, file)), Buffer.alloc(good.length, 0x41));
  });

  test('a cache directory that others can write is not used (a cache file is code)', () => {
    const { dir, path } = alone(join(ROOT, 'dist', 'keyless.cjs'));
    const open = join(work, 'cache-open');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    const r = run(process.execPath, [path, 'inspect', '--help'], dir, { KEYLESS_COMPILE_CACHE: open });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(open), []);
    chmodSync(open, 0o700);
    assert.equal(run(process.execPath, [path, 'inspect', '--help'], dir, { KEYLESS_COMPILE_CACHE: open }).code, 0);
    assert.equal(readdirSync(open).length, 1);
  });
});

describe('the single executable, alone, with no node on PATH', () => {
  test('signs and verifies against keyless serve', () => {
    const { dir, path } = alone(join(ROOT, 'dist', 'keyless-linux-x64'));
    const bin = join(work, 'empty-bin');
    mkdirSync(bin, { recursive: true });
    const env = { PATH: bin, SIGSTORE_ID_TOKEN: token };
    // The premise: nothing on this PATH can run JavaScript.
    assert.equal(spawnSync('node', ['--version'], { env }).error?.message.includes('ENOENT'), true);
    writeFileSync(join(dir, 'artifact.txt'), 'single executable artifact\n');
    const signed = run(path, ['sign-blob', 'artifact.txt', '--bundle', 'artifact.sigstore.json', '--instance', served.url, '--yes'], dir, env);
    assert.equal(signed.code, 0, signed.stderr);
    const own = join(work, 'sea-cache');
    const verified = run(path, verifyFlags('artifact.txt', 'artifact.sigstore.json'), dir, { ...env, KEYLESS_COMPILE_CACHE: own });
    assert.equal(verified.code, 0, verified.stderr);
    // It carries verify-blob's compile cache, made at build time by the node inside: V8 accepted it, or the loader
    // would have written one here.
    assert.deepEqual(readdirSync(own), []);
    writeFileSync(join(dir, 'artifact.txt'), 'not what was signed\n');
    const tampered = run(path, verifyFlags('artifact.txt', 'artifact.sigstore.json'), dir, env);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /\[ERR_SIGNATURE\]\n$/);
  });
});

describe('npm run build:sea', () => {
  test('refuses a Node.js tarball whose integrity is not the expected one', () => {
    const out = join(work, 'never-built');
    const wrong = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--integrity', wrong, '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has integrity sha512-\S+, not the expected sha512-AQEB\S+: refusing to embed it/);
    assert.equal(existsSync(out), false);
  });
});

describe('behind an HTTP proxy (undici, stored gzipped in the one file, loaded on first use)', () => {
  let proxy: Proxy;
  before(async () => {
    proxy = await startProxy();
  });
  after(async () => {
    await proxy?.close();
  });

  for (const [what, file] of [['one-file CLI', 'keyless.cjs'], ['single executable', 'keyless-linux-x64']] as const) {
    test(`the ${what} signs through HTTP_PROXY`, async () => {
      const { dir, path } = alone(join(ROOT, 'dist', file));
      writeFileSync(join(dir, 'artifact.txt'), `${what} behind a proxy\n`);
      const before = proxy.seen.length;
      const cmd = file === 'keyless.cjs' ? [process.execPath, path] : [path];
      // The proxy runs in this process: the command must not block it.
      const signed = await runAsync(cmd[0]!, [...cmd.slice(1), 'sign-blob', 'artifact.txt', '--bundle', 'artifact.sigstore.json', '--instance', served.url, '--yes'], dir,
        { SIGSTORE_ID_TOKEN: token, HTTP_PROXY: proxy.url });
      assert.equal(signed.code, 0, signed.stderr);
      assert.ok(proxy.seen.slice(before).includes(new URL(served.url).host), `the proxy saw ${proxy.seen.slice(before).join(', ')}`);
    });
  }
});

describe('npm run release', () => {
  let out: string;
  before(() => {
    out = join(work, 'release');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'release.mjs'), '--no-build', '--out', out, '--instance', served.url],
      { cwd: ROOT, env: { ...process.env, SIGSTORE_ID_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] });
  });

  test('holds the executable, the one-file CLI, the npm tarball, SHA256SUMS, and a verifying bundle for each', () => {
    const files = ['keyless-linux-x64', 'keyless.cjs', 'keyless-0.1.0.tgz', 'SHA256SUMS'];
    assert.deepEqual(readdirSync(out).sort(), [...files, ...files.map((f) => `${f}.sigstore.json`)].sort());
    const sums = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' });
    assert.equal(sums, 'keyless-linux-x64: OK\nkeyless.cjs: OK\nkeyless-0.1.0.tgz: OK\n');
    for (const f of files) {
      const r = run(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...verifyFlags(f, `${f}.sigstore.json`)], out, { PATH: process.env.PATH });
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    }
  });

  test('a tampered executable fails sha256sum -c (exit 1) and verify-blob (exit 1, ERR_SIGNATURE)', () => {
    const dir = fresh('keyless-tampered-');
    for (const f of readdirSync(out)) copyFileSync(join(out, f), join(dir, f));
    const exe = readFileSync(join(dir, 'keyless-linux-x64'));
    const at = exe.length >> 1;
    exe.writeUInt8(exe.readUInt8(at) ^ 0x01, at);
    writeFileSync(join(dir, 'keyless-linux-x64'), exe);
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    assert.equal(sums.status, 1);
    assert.match(sums.stdout, /^keyless-linux-x64: FAILED$/m);
    const r = run(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...verifyFlags('keyless-linux-x64', 'keyless-linux-x64.sigstore.json')], dir, { PATH: process.env.PATH });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERR_SIGNATURE\]\n$/);
    assert.ok(existsSync(join(dir, 'keyless-linux-x64.sigstore.json')));
  });

  test('the GitLab artifact template downloads keyless-linux-x64 of this release (not a stand-in) from a package registry, checks its pinned SHA-256, signs and verifies with it', async () => {
    const release = await startReleaseServer();
    const prefix = '/api/v4/projects/tools%2Fkeyless/packages/generic/keyless/0.1.0';
    const exe = readFileSync(join(out, 'keyless-linux-x64'));
    release.put(`${prefix}/keyless-linux-x64`, exe);
    // The pin is what SHA256SUMS of the release says, as a user copies it into KEYLESS_SHA256.
    const pin = /^([0-9a-f]{64}) {2}keyless-linux-x64$/m.exec(readFileSync(join(out, 'SHA256SUMS'), 'utf8'))![1]!;
    assert.equal(pin, sha256Hex(exe));
    const project = artifactTemplateProject(artifactTemplatePipeline());
    made.push(project.dir);
    try {
      const r = await runPipeline(project, {
        variables: {
          SIGSTORE_ID_TOKEN: token,
          KEYLESS_INSTANCE: served.url,
          KEYLESS_TRUSTED_ROOT: join(served.dataDir, 'trusted_root.json'),
          KEYLESS_CERTIFICATE_IDENTITY: identity,
          KEYLESS_CERTIFICATE_OIDC_ISSUER: served.url,
          CI_API_V4_URL: `${release.url}/api/v4`,
          CI_JOB_TOKEN: 'job-token-not-a-secret',
          KEYLESS_PROJECT: 'tools%2Fkeyless',
          KEYLESS_SHA256: pin,
        },
      });
      const explain = `gitlab-ci-local exited ${r.status}:\n${r.output}`;
      assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain);
      assert.equal(r.jobs.get('verify_artifact'), 'PASS', explain);
      assert.match(r.jobOutput('verify_artifact'), /Verified OK/, explain);
      assert.equal(release.requests.filter((q) => q.path === `${prefix}/keyless-linux-x64`).length, 2, 'each job downloaded the executable');
    } finally {
      await release.stop();
    }
  });
});
