/**
 * The release's npm tarball installs as users install it: `npm install -g ./keyless-<version>.tgz` into a fresh
 * prefix, its dependencies served by a loopback Verdaccio (which proxies the npm registry npm is configured with),
 * and the installed `keyless` verifies a bundle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers/serve.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { ROOT } from '../helpers/vectors.js';

const GITLAB_SAN = 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main';
const v = (name: string) => join(ROOT, 'test', 'vectors', 'v1-message', name);
const work = tempDir('keyless-tarball-');
const prefix = join(work, 'prefix');
let registry: Verdaccio;

function installed(...args: string[]): { code: number | null; stderr: string } {
  // Only node on PATH: the installed bin script finds node through `#!/usr/bin/env node`, as on a user's machine.
  const r = spawnSync(join(prefix, 'bin', 'keyless'), args, { cwd: work, encoding: 'utf8', env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work } });
  return { code: r.status, stderr: r.stderr };
}

before(async () => {
  const upstream = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  registry = await startVerdaccio({ uplink: upstream });
  // --ignore-scripts: `prepare` would rebuild (the suite runs after `npm run build`).
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })) as { filename: string }[];
  const tarball = join(work, packed!.filename);
  // --ignore-scripts again: better-sqlite3's install script fetches a prebuilt binary from GitHub (or compiles
  // one), which only `serve` needs; the client commands tested here load no native module.
  execFileSync('npm', ['install', '-g', tarball, '--prefix', prefix, '--registry', registry.url, '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel', 'error'],
    { cwd: work, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, npm_config_userconfig: join(work, 'npmrc') } });
});
after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('npm install -g ./keyless-<version>.tgz', () => {
  test('puts keyless on the prefix\'s PATH, with its dependencies from the registry', () => {
    assert.ok(existsSync(join(prefix, 'bin', 'keyless')));
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', 'keyless', 'node_modules', 'jose', 'package.json')));
    // …and they came through the loopback registry, which keeps what it proxied.
    assert.ok(existsSync(join(registry.storage, 'jose', 'package.json')), 'jose was not fetched through Verdaccio');
  });

  test('the installed keyless verifies a bundle', () => {
    const r = installed('verify-blob', v('artifact'), '--bundle', v('bundle.json'), '--trusted-root', v('trusted_root.json'),
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'Verified OK\n');
  });

  test('and rejects a tampered artifact: exit 1, ERR_SIGNATURE', () => {
    const file = join(work, 'artifact');
    writeFileSync(file, 'not what was signed');
    const r = installed('verify-blob', file, '--bundle', v('bundle.json'), '--trusted-root', v('trusted_root.json'),
      '--certificate-identity', GITLAB_SAN, '--certificate-oidc-issuer', 'https://gitlab.com');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERR_SIGNATURE\]\n$/);
  });
});
