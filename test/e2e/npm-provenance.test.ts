// npm provenance end to end: keyless serve (dev issuer) signs, Verdaccio stores, `keyless npm audit` checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, type Served } from '../helpers/serve.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { ROOT } from '../helpers/vectors.js';
import { escapedName, npmIntegrity, npmPublishDocument, readTarballManifest } from '../../src/provenance/index.js';

interface Run { status: number | null; stdout: string; stderr: string }
function keyless(args: string[], env: Record<string, string> = {}): Run {
  const base: NodeJS.ProcessEnv = { ...process.env, KEYLESS_DEBUG: '' };
  for (const n of ['SIGSTORE_ID_TOKEN', 'COSIGN_YES', 'KEYLESS_INSTANCE', 'NPM_TOKEN']) delete base[n];
  for (const n of Object.keys(base)) if (n.startsWith('CI_') || n === 'GITLAB_CI') delete base[n];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', env: { ...base, ...env }, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pack(dir: string, name: string, version: string, extra = ''): string {
  const pkg = join(dir, `${name.replace(/[@/]/g, '_')}-${version}`);
  mkdirSync(join(pkg, 'package'), { recursive: true });
  writeFileSync(join(pkg, 'package', 'package.json'), JSON.stringify({ name, version, description: 'e2e' }));
  writeFileSync(join(pkg, 'package', 'index.js'), `module.exports = 1;${extra}\n`);
  const out = `${pkg}.tgz`;
  const r = spawnSync('tar', ['-czf', out, '-C', pkg, 'package']);
  assert.equal(r.status, 0);
  return out;
}

describe('keyless npm publish-provenance and npm audit against Verdaccio', () => {
  let served: Served;
  let registry: Verdaccio;
  let ciEnv: Record<string, string>;
  let repo: string;
  before(async () => {
    served = await startServe(['--dev-oidc-issuer']);
    registry = await startVerdaccio();
    ciEnv = {
      GITLAB_CI: 'true', CI: 'true', CI_PROJECT_PATH: 'my-group/my-project', CI_COMMIT_SHA: 'c'.repeat(40), CI_COMMIT_REF_NAME: 'main',
      CI_PIPELINE_SOURCE: 'push', CI_JOB_ID: '101', CI_PIPELINE_ID: '55', CI_JOB_NAME: 'publish', CI_RUNNER_ID: '9',
      CI_SERVER_URL: served.url, CI_CONFIG_PATH: '.gitlab-ci.yml', NPM_TOKEN: registry.token,
    };
    repo = `${new URL(served.url).origin}/my-group/my-project`;
    ciEnv['CI_PROJECT_URL'] = repo;
    ciEnv['CI_JOB_URL'] = `${repo}/-/jobs/101`;
    const t = keyless(['dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main',
      '--sha', 'c'.repeat(40), '--job-id', '101', '--pipeline-id', '55', '--pipeline-source', 'push']);
    assert.equal(t.status, 0, t.stderr);
    ciEnv['SIGSTORE_ID_TOKEN'] = t.stdout.trim();
  });
  after(async () => {
    await registry.stop();
    await served.stop();
  });

  const publish = (tgz: string, extra: Record<string, string> = {}) =>
    keyless(['npm', 'publish-provenance', tgz, '--registry', registry.url, '--instance', served.url, '--yes'], { ...ciEnv, ...extra });
  const audit = (spec: string, ...flags: string[]) => keyless(['npm', 'audit', spec, '--registry', registry.url, '--instance', served.url, ...flags]);

  it('publishes with provenance and audits it', () => {
    const p = publish(pack(served.dataDir, '@acme/widget', '1.0.0'));
    assert.equal(p.status, 0, p.stderr);
    const a = audit('@acme/widget@1.0.0', '--expect-repository', repo, '--json');
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const result = JSON.parse(a.stdout);
    assert.equal(result.verified, true);
    assert.deepEqual(result.checks.map((c: { check: string }) => c.check), ['packument', 'tarball', 'provenance', 'subject', 'signature']);
  });

  it('a spoofed CI variable is refused before signing, nothing published', () => {
    const p = publish(pack(served.dataDir, '@acme/spoof', '1.0.0'), { CI_PROJECT_PATH: 'victim/project' });
    assert.equal(p.status, 1, p.stderr);
    assert.match(p.stderr, /CI_PROJECT_PATH="victim\/project" but the token's project_path="my-group\/my-project".*\[ERR_IDENTITY\]/);
    assert.equal(audit('@acme/spoof@1.0.0').status, 1);
  });

  /**
   * The status of the registry's packument for `name`: 404 means nothing of it was ever published. A fresh
   * connection each time (agent: false): fetch would reuse a keep-alive socket that Verdaccio closes after 5 s idle,
   * and the publish between two lookups can take longer than that on a loaded machine.
   */
  const packumentStatus = (name: string) => new Promise<number>((resolve, reject) => {
    httpGet(`${registry.url}/${escapedName(name)}`, { agent: false, headers: { authorization: `Bearer ${registry.token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

  it("CI_SERVER_URL or CI_PROJECT_URL other than the certificate's is refused with ERR_IDENTITY, nothing published", async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['@acme/spoof-server', { CI_SERVER_URL: 'https://gitlab.com' }, /CI_SERVER_URL="https:\/\/gitlab\.com" but the token's issuer gives the server "http:\/\/127\.0\.0\.1:\d+"/],
      ['@acme/spoof-project', { CI_PROJECT_URL: 'https://gitlab.com/my-group/my-project' }, /CI_PROJECT_URL="https:\/\/gitlab\.com\/my-group\/my-project" but the certificate's Source Repository URI/],
      ['@acme/spoof-slash', { CI_PROJECT_URL: `${repo}/` }, /CI_PROJECT_URL=".*\/my-project\/" but the certificate's Source Repository URI \(from the token's iss and project_path\) is "http:\/\/127\.0\.0\.1:\d+\/my-group\/my-project"/],
    ];
    for (const [name, spoof, message] of cases) {
      const p = publish(pack(served.dataDir, name, '1.0.0'), spoof);
      assert.equal(p.status, 1, p.stderr);
      assert.match(p.stderr, message);
      assert.match(p.stderr, /\[ERR_IDENTITY\]\s*$/);
      assert.doesNotMatch(p.stderr, /Published|tlog entry|Certificate identity/, `${name}: nothing may be signed or published`);
      assert.equal(await packumentStatus(name), 404, `${name} must not be in the registry`);
    }
    // The same job with the variables GitLab sets publishes: the refusals above are the variables', not the setup's.
    assert.equal(publish(pack(served.dataDir, '@acme/unspoofed', '1.0.0')).status, 0);
    assert.equal(await packumentStatus('@acme/unspoofed'), 200);
  });

  it('a wrong expected repository fails', () => {
    const a = audit('@acme/widget@1.0.0', '--expect-repository', 'https://gitlab.com/evil/fork');
    assert.equal(a.status, 1, a.stdout);
    assert.match(a.stdout, /FAIL\s+subject\s+provenance says the package was built from .*my-group\/my-project, expected https:\/\/gitlab.com\/evil\/fork/);
  });

  // A consumer project: its lockfile installs a package with provenance and one published without.
  let consumerProject: Promise<{ lockfile: string; policy: (rules: object) => string }> | undefined;
  const consumer = () => (consumerProject ??= makeConsumer());
  const makeConsumer = async (): Promise<{ lockfile: string; policy: (rules: object) => string }> => {
    const withProv = pack(served.dataDir, '@acme/gadget', '1.0.0');
    const p = publish(withProv);
    assert.equal(p.status, 0, p.stderr);
    const plain = readFileSync(pack(served.dataDir, 'plain-pkg', '1.0.0'));
    const put = () => fetch(`${registry.url}/${escapedName('plain-pkg')}`, {
      method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${registry.token}` },
      body: JSON.stringify(npmPublishDocument({ manifest: readTarballManifest(plain), tarball: plain, registry: registry.url })),
    });
    // fetch keeps the socket of the helper's earlier request alive; Verdaccio closes idle sockets after 5 s, and the
    // publish above can take longer on a loaded machine. A PUT is not retried by fetch itself, so retry it once
    // when the reused socket turns out closed.
    const r = await put().catch((err: unknown) => {
      if ((err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET') return put();
      throw err;
    });
    assert.ok(r.ok, `plain publish: ${r.status} ${await r.text()}`);
    const dir = join(served.dataDir, 'consumer');
    mkdirSync(dir, { recursive: true });
    const lockfile = join(dir, 'package-lock.json');
    writeFileSync(lockfile, JSON.stringify({
      name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'consumer', version: '1.0.0', dependencies: { '@acme/gadget': '^1.0.0', 'plain-pkg': '^1.0.0' } },
        'node_modules/@acme/gadget': { version: '1.0.0', resolved: `${registry.url}/@acme/gadget/-/gadget-1.0.0.tgz`, integrity: npmIntegrity(readFileSync(withProv)) },
        'node_modules/plain-pkg': { version: '1.0.0', resolved: `${registry.url}/plain-pkg/-/plain-pkg-1.0.0.tgz`, integrity: npmIntegrity(plain) },
        'node_modules/local-thing': { resolved: '../local-thing', link: true },
      },
    }));
    let n = 0;
    return { lockfile, policy: (rules) => {
      const f = join(dir, `policy-${n++}.json`);
      writeFileSync(f, JSON.stringify({ packages: rules }));
      return f;
    } };
  };

  it('audits a consumer lockfile: one row per package, no provenance reported, failing only when required', async () => {
    const { lockfile, policy } = await consumer();
    const a = keyless(['npm', 'audit', '--lockfile', lockfile, '--registry', registry.url, '--instance', served.url, '--json']);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const result = JSON.parse(a.stdout);
    assert.deepEqual(result.packages.map((p: { package: string; result: string }) => [p.package, p.result]), [['@acme/gadget', 'verified'], ['plain-pkg', 'no provenance']]);
    assert.deepEqual(result.packages[0].checks.map((c: { check: string }) => c.check), ['packument', 'tarball', 'lockfile', 'provenance', 'subject', 'signature']);
    assert.deepEqual(result.skipped, [{ path: 'node_modules/local-thing', reason: 'a link to a local folder' }]);

    const table = keyless(['npm', 'audit', '--lockfile', lockfile, '--registry', registry.url, '--instance', served.url]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^PACKAGE\s+VERSION\s+CHECKS\s+RESULT\n@acme\/gadget\s+1\.0\.0\s+packument,tarball,lockfile,provenance,subject,signature\s+verified\nplain-pkg\s+1\.0\.0\s+packument,tarball,lockfile,!provenance\s+no provenance\n$/);

    const strict = keyless(['npm', 'audit', '--lockfile', lockfile, '--registry', registry.url, '--instance', served.url, '--require-provenance']);
    assert.equal(strict.status, 1, strict.stdout);
    assert.match(strict.stdout, /plain-pkg\s+1\.0\.0\s+\S+\s+FAIL provenance: plain-pkg@1\.0\.0 has no provenance/);

    const optional = keyless(['npm', 'audit', '--lockfile', lockfile, '--registry', registry.url, '--instance', served.url, '--require-provenance',
      '--policy', policy({ 'plain-pkg': { provenance: 'optional' }, '@acme/*': { repository: repo, issuer: served.url } })]);
    assert.equal(optional.status, 0, optional.stdout + optional.stderr);
  });

  it('a policy naming another repository for the scope fails the package', async () => {
    const { lockfile, policy } = await consumer();
    const a = keyless(['npm', 'audit', '--lockfile', lockfile, '--registry', registry.url, '--instance', served.url, '--json',
      '--policy', policy({ '@acme/*': { repository: 'https://gitlab.com/evil/fork' } })]);
    assert.equal(a.status, 1, a.stdout + a.stderr);
    const gadget = JSON.parse(a.stdout).packages[0];
    assert.equal(gadget.result, 'failed');
    assert.match(gadget.checks.at(-1).detail, /built from .*my-group\/my-project, expected https:\/\/gitlab.com\/evil\/fork \[ERR_IDENTITY\]/);
    const one = keyless(['npm', 'audit', '@acme/gadget@1.0.0', '--registry', registry.url, '--instance', served.url,
      '--policy', policy({ '@acme/gadget': { repository: 'https://gitlab.com/evil/fork' } })]);
    assert.equal(one.status, 1, one.stdout);
  });

  it('a tampered tarball and a swapped bundle fail', () => {
    assert.equal(publish(pack(served.dataDir, '@acme/other', '2.0.0')).status, 0);
    const file = join(registry.storage, '@acme', 'widget', 'package.json');
    const original = readFileSync(file, 'utf8');
    const other = JSON.parse(readFileSync(join(registry.storage, '@acme', 'other', 'package.json'), 'utf8'));
    const doc = JSON.parse(original);
    doc.versions['1.0.0']._keylessProvenance = other.versions['2.0.0']._keylessProvenance;
    writeFileSync(file, JSON.stringify(doc));
    const swapped = audit('@acme/widget@1.0.0');
    assert.equal(swapped.status, 1, swapped.stdout);
    assert.match(swapped.stdout, /FAIL\s+subject\s+provenance does not describe @acme\/widget@1.0.0: subject name "pkg:npm\/%40acme\/other@2.0.0"/);
    writeFileSync(file, original);

    const tgz = join(registry.storage, '@acme', 'widget', 'widget-1.0.0.tgz');
    writeFileSync(tgz, readFileSync(pack(served.dataDir, '@acme/widget', '1.0.0', ' /* evil */')));
    const tampered = audit('@acme/widget@1.0.0');
    assert.equal(tampered.status, 1, tampered.stdout);
    assert.match(tampered.stdout, /FAIL\s+tarball\s+the tarball's sha512-.* is not dist.integrity/);
  });
});
