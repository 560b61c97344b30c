// The container image of `keyless serve` (scripts/build-image.mjs, `npm run build:image`): built without Docker by
// buildah, pushed to a real docker-registry, then pulled from it into empty image storage and run by podman. The
// service it runs must answer /healthz and sign and verify: a round trip of this checkout's CLI against it, with
// the dev OIDC issuer, whose data directory (keys, SQLite store, trusted_root.json) is a volume.
// The first build downloads Node.js from the npm registry and compiles better-sqlite3 (about 2 minutes on 2 cores);
// both are cached in .cache/image, so later builds take seconds.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingTools, notInstalled, podmanHost, type PodmanHost } from '../helpers/podman.js';
import { requireOrSkip } from '../helpers/requirements.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import { freePort, tempDir } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const TOOLS = ['podman', 'buildah', 'runc'];
const missingTooling = missingTools(TOOLS);
const REPOSITORY = 'keyless/serve';
const UID = 65532;

/** Runs a command without blocking the event loop; resolves with its exit code and output. */
function exec(cmd: string, args: string[], env: Record<string, string> = {}, timeout = 300_000): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }));
  });
}
const keyless = (args: string[], env: Record<string, string> = {}) => exec(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], env, 60_000);

describe('the keyless serve container image, built with buildah, pushed, pulled and run with podman', { skip: requireOrSkip(TOOLS.join(', '), missingTooling.length === 0, notInstalled(missingTooling)) }, () => {
  let registry: Registry;
  let builder: PodmanHost;
  let runner: PodmanHost;
  let work: string;
  let digest: string;
  const container = `keyless-test-${process.pid}`;

  before(async () => {
    registry = await startRegistry();
    builder = podmanHost([registry.host]);
    runner = podmanHost([registry.host], { run: true });
    work = tempDir('keyless-image-');
  });
  after(async () => {
    spawnSync('podman', ['rm', '--force', container], { env: { ...process.env, ...runner?.env }, stdio: 'ignore' });
    builder?.remove();
    runner?.remove();
    rmSync(work, { recursive: true, force: true });
    await registry?.stop();
  });

  it('npm run build:image builds it and pushes it to the registry', async () => {
    const started = Date.now();
    const r = await exec(process.execPath, [join(ROOT, 'scripts', 'build-image.mjs'), '--tag', 'localhost/keyless:test', '--push', `${registry.host}/${REPOSITORY}:test`,
      '--digestfile', join(work, 'digest')], builder.env, 600_000);
    assert.equal(r.status, 0, r.stderr);
    digest = readFileSync(join(work, 'digest'), 'utf8').trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.stdout.trim(), digest);
    assert.ok(r.stderr.includes(`pushed ${registry.host}/${REPOSITORY}:test@${digest}`), r.stderr);
    console.log(`# image built and pushed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // What the registry stored is what the build reported, and the image says how it runs.
    const manifest = await fetch(`${registry.url}/v2/${REPOSITORY}/manifests/test`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(manifest.headers.get('docker-content-digest'), digest);
    const inspect = builder.podman(['image', 'inspect', '--format', '{{json .Config}}', 'localhost/keyless:test']);
    assert.equal(inspect.status, 0, inspect.stderr);
    const config = JSON.parse(inspect.stdout) as { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[] };
    assert.equal(config.User, `${UID}:${UID}`);
    assert.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '/app/bin/keyless.js']);
    assert.deepEqual(config.Cmd, ['serve']);
    assert.ok(config.Env.includes('KEYLESS_DATA_DIR=/data') && config.Env.includes('KEYLESS_HOST=0.0.0.0'), config.Env.join(' '));
  });

  it('pulled by digest into empty storage and run, it serves /healthz, signs and verifies', async (t) => {
    assert.ok(digest !== undefined, 'the build test ran first');
    const data = join(work, 'data');
    mkdirSync(data);
    chownSync(data, UID, UID);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Host networking: the dev OIDC issuer serves only on loopback, and this test's CLI is on the host.
    const run = await exec('podman', ['run', '--detach', '--name', container, '--network', 'host', '--volume', `${data}:/data`,
      `${registry.host}/${REPOSITORY}@${digest}`, 'serve', '--host', '127.0.0.1', '--port', String(port), '--dev-oidc-issuer'], runner.env);
    assert.equal(run.status, 0, run.stderr);
    t.after(() => spawnSync('podman', ['rm', '--force', container], { env: { ...process.env, ...runner.env }, stdio: 'ignore' }));

    let health: unknown;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) {
          health = await res.json();
          break;
        }
      } catch {
        // not listening yet
      }
    }
    const logs = () => spawnSync('podman', ['logs', container], { encoding: 'utf8', env: { ...process.env, ...runner.env } });
    assert.ok(health !== undefined, `no /healthz within 30 s:\n${logs().stdout}${logs().stderr}`);
    // nativeDigestVerify: the image carries keyless's addon, built against the Node inside it.
    assert.deepEqual(health, { status: 'ok', logs: { 'rekor-v1': 0, 'rekor-v2': 0, ct: 0 }, nativeDigestVerify: true });

    // The round trip: a token from the instance's dev issuer (its key is in the volume), sign, verify.
    const token = await keyless(['dev-token', '--data-dir', data, '--issuer', url, '--project', 'my-group/my-project', '--ref', 'main']);
    assert.equal(token.status, 0, token.stderr);
    const artifact = join(work, 'artifact.txt');
    writeFileSync(artifact, 'This is a build artifact\n');
    const signed = await keyless(['sign-blob', artifact, '--bundle', join(work, 'cosign.bundle'), '--instance', url, '--yes'], { SIGSTORE_ID_TOKEN: token.stdout.trim() });
    assert.equal(signed.status, 0, signed.stderr);
    const verified = await keyless(['verify-blob', artifact, '--bundle', join(work, 'cosign.bundle'), '--trusted-root', join(data, 'trusted_root.json'),
      '--certificate-identity', `https://127.0.0.1:${port}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`, '--certificate-oidc-issuer', url]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr + verified.stdout, /Verified OK/);

    // The entry is in the SQLite store inside the volume, written by the container's user.
    const after = (await (await fetch(`${url}/healthz`)).json()) as { logs: Record<string, number> };
    assert.equal(after.logs['rekor-v2'], 1);
    const stat = spawnSync('stat', ['-c', '%u', join(data, 'db')], { encoding: 'utf8' });
    assert.equal(stat.stdout.trim(), String(UID));
  });
});
