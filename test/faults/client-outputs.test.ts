// The client never publishes what it cannot deliver, against a real `keyless serve`: an output that cannot be
// written, or a token file that is not there, fails before any network call — the transparency logs do not grow.
// And the whole of sign-blob copes with a corporate proxy and a front that refuses and drops the log's answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, tempDir, type Served } from '../helpers/serve.js';
import { startFront, startProxy, type Front, type Proxy } from '../helpers/net-faults.js';
import { ROOT } from '../helpers/vectors.js';

interface Run { status: number | null; stdout: string; stderr: string }

/** The CLI as a CI job runs it: no terminal, none of the signer's variables unless given. Async: the test's own
 * proxy and front run in this process and must keep answering while the CLI runs. */
function keyless(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env, KEYLESS_DEBUG: '' };
  for (const name of ['SIGSTORE_ID_TOKEN', 'COSIGN_YES', 'KEYLESS_YES', 'KEYLESS_INSTANCE', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One coded line on stderr. */
function assertCoded(r: Run, code: string, message: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^Error: .*\\[${code}\\]\\n$`), r.stderr);
  assert.match(r.stderr, message);
}

describe('a signing command that cannot deliver publishes nothing', { timeout: 120_000 }, () => {
  let served: Served;
  let front: Front;
  let proxy: Proxy;
  let url: string;
  let token: string;
  let dir: string;
  let artifact: string;
  let predicate: string;
  let v1Config: string;
  /** Refusals and dropped answers the front will inject into the next log POSTs, in order. */
  const trouble: ('refuse' | 'reset')[] = [];

  /** The size of each log: Rekor v1 (GET /api/v1/log) and Rekor v2 (its checkpoint's second line). */
  const sizes = async (): Promise<{ v1: number; v2: number }> => {
    const v1 = (await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number };
    const checkpoint = await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text();
    return { v1: v1.treeSize, v2: Number(checkpoint.split('\n')[1]) };
  };

  before(async () => {
    front = await startFront((method, path) => {
      if (method === 'POST' && /\/log\/entries$/.test(path)) {
        const next = trouble.shift();
        if (next === 'refuse') return { refuse: 503, retryAfter: '1' };
        if (next === 'reset') return 'forward-then-reset';
      }
      return 'pass';
    });
    proxy = await startProxy();
    dir = tempDir('keyless-faults-client-');
    // Clients know the instance by the front's URL, as they would know a load balancer's.
    served = await startServe(['--dev-oidc-issuer', '--public-url', front.url], { dataDir: join(dir, 'data') });
    front.upstream = served.url;
    url = front.url;
    const minted = await keyless(['dev-token', '--data-dir', served.dataDir, '--issuer', url, '--project', 'my-group/my-project', '--ref', 'main']);
    assert.equal(minted.status, 0, minted.stderr);
    token = minted.stdout.trim();
    artifact = join(dir, 'artifact.txt');
    writeFileSync(artifact, 'to be signed\n');
    predicate = join(dir, 'predicate.json');
    writeFileSync(predicate, '{"builder":"test"}');
    const config = JSON.parse(readFileSync(join(served.dataDir, 'signing_config.json'), 'utf8'));
    config.rekorTlogUrls = config.rekorTlogUrls.filter((s: { majorApiVersion: number }) => s.majorApiVersion === 1);
    v1Config = join(dir, 'signing_config.v1.json');
    writeFileSync(v1Config, JSON.stringify(config));
  });
  after(async () => {
    await front.close();
    await proxy.close();
    assert.equal(await served.stop(), 0);
  });

  it('sign-blob --bundle /no/such/dir/x.bundle: ERR_OUTPUT, no certificate asked for, no log entry', async () => {
    const start = await sizes();
    const requests = front.log.length;
    const r = await keyless(['sign-blob', artifact, '--bundle', '/no/such/dir/x.bundle', '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(r, 'ERR_OUTPUT', /cannot write the bundle to \/no\/such\/dir\/x\.bundle: the directory \/no\/such\/dir does not exist; nothing was signed or published/);
    assert.deepEqual(await sizes(), start);
    assert.deepEqual(front.log.slice(requests), [], 'not one request: no trust files, no CA, no log');
  });

  it('attest-blob with a bad --bundle, and sign-blob with a good --bundle but a bad --output-certificate: nothing published, nothing left behind', async () => {
    const start = await sizes();
    const requests = front.log.length;
    const a = await keyless(['attest-blob', artifact, '--predicate', predicate, '--bundle', '/no/such/dir/x.bundle', '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(a, 'ERR_OUTPUT', /cannot write the bundle to \/no\/such\/dir\/x\.bundle/);
    const out = join(dir, 'outputs');
    mkdirSync(out);
    const good = join(out, 'good.bundle');
    const s = await keyless(['sign-blob', artifact, '--bundle', good, '--output-certificate', join(out, 'missing', 'cert.pem'), '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(s, 'ERR_OUTPUT', /cannot write the certificate to .*cert\.pem: the directory .*missing does not exist/);
    assert.deepEqual(readdirSync(out), [], 'the good output\'s temporary file was removed, and no bundle written');
    // A directory given as the bundle path is refused the same way.
    const d = await keyless(['sign-blob', artifact, '--bundle', out, '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(d, 'ERR_OUTPUT', /it is a directory/);
    // The image commands claim theirs before asking the registry anything (this registry does not exist: had they
    // gone out first, the error would be ERR_SERVICE).
    const image = `127.0.0.1:9/acme/app@sha256:${'ab'.repeat(32)}`;
    const si = await keyless(['sign', image, '--output-certificate', '/no/such/dir/cert.pem', '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(si, 'ERR_OUTPUT', /cannot write the certificate to \/no\/such\/dir\/cert\.pem/);
    const at = await keyless(['attest', image, '--predicate', predicate, '--bundle', '/no/such/dir/x.bundle', '--identity-token', token, '--instance', url, '--yes']);
    assertCoded(at, 'ERR_OUTPUT', /cannot write the bundle to \/no\/such\/dir\/x\.bundle/);
    // The conformance entry point too.
    const c = await keyless(['sign-bundle', '--identity-token', token, '--bundle', '/no/such/dir/x.bundle', '--trusted-root', join(served.dataDir, 'trusted_root.json'), '--signing-config', v1Config, artifact]);
    assertCoded(c, 'ERR_OUTPUT', /cannot write the bundle/);
    assert.deepEqual(await sizes(), start);
    assert.deepEqual(front.log.slice(requests), []);
  });

  it('--identity-token naming a missing file: ERR_TOKEN saying so (not "not a JWT"), nothing published', async () => {
    const start = await sizes();
    const r = await keyless(['sign-blob', artifact, '--bundle', join(dir, 'never.bundle'), '--identity-token', join(dir, 'no-such-token'), '--instance', url, '--yes']);
    assertCoded(r, 'ERR_TOKEN', /cannot read the identity token file .*no-such-token: no such file/);
    assert.doesNotMatch(r.stderr, /not a JWT/);
    assert.equal(existsSync(join(dir, 'never.bundle')), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    assert.deepEqual(await sizes(), start);
  });

  it('sign-blob through HTTP_PROXY, past a log that refuses (503) and then drops its answer: one entry per log, the bundle verifies', async () => {
    const start = await sizes();
    const seen = proxy.seen.length;
    const logged = front.log.length;
    const proxyEnv = { HTTP_PROXY: proxy.url, NO_PROXY: 'example.com' };
    // Rekor v2 (the instance's signing config): refused once, then accepted with its answer lost.
    trouble.push('refuse', 'reset');
    const v2 = join(dir, 'v2.bundle');
    const r2 = await keyless(['sign-blob', artifact, '--bundle', v2, '--identity-token', token, '--instance', url, '--yes'], proxyEnv);
    assert.equal(r2.status, 0, r2.stderr);
    // Rekor v1: the same; the retry gets 409 and the client reads the entry from its Location.
    trouble.push('refuse', 'reset');
    const v1 = join(dir, 'v1.bundle');
    const r1 = await keyless(['sign-blob', artifact, '--bundle', v1, '--identity-token', token, '--signing-config', v1Config, '--trusted-root', join(served.dataDir, 'trusted_root.json'), '--yes'], proxyEnv);
    assert.equal(r1.status, 0, r1.stderr);
    assert.deepEqual(trouble, [], 'every fault was injected');
    const posts = front.log.slice(logged).filter((l) => l.method === 'POST' && /\/log\/entries$/.test(l.path)).map((l) => l.plan);
    assert.deepEqual(posts, ['refuse 503', 'forward-then-reset', 'pass', 'refuse 503', 'forward-then-reset', 'pass']);
    assert.ok(front.log.slice(logged).some((l) => l.method === 'GET' && /^\/api\/v1\/log\/entries\/[0-9a-f]+$/.test(l.path)), 'the v1 client followed the 409 to the entry');
    // Exactly one new entry in each log, though each was sent three times.
    assert.deepEqual(await sizes(), { v1: start.v1 + 1, v2: start.v2 + 1 });
    // Everything went through the proxy.
    const host = new URL(url).host;
    assert.ok(proxy.seen.slice(seen).filter((h) => h === host).length >= 2, `proxy saw ${JSON.stringify(proxy.seen.slice(seen))}`);
    for (const bundle of [v2, v1]) {
      const v = await keyless(['verify-blob', artifact, '--bundle', bundle, '--trusted-root', join(served.dataDir, 'trusted_root.json'),
        '--certificate-identity', `https://${host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`, '--certificate-oidc-issuer', url]);
      assert.equal(v.status, 0, v.stderr);
    }
  });

  it('NO_PROXY naming the instance: the proxy sees nothing', async () => {
    const seen = proxy.seen.length;
    const r = await keyless(['sign-blob', artifact, '--bundle', join(dir, 'direct.bundle'), '--identity-token', token, '--instance', url, '--yes'],
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: `localhost,${new URL(url).hostname}` });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(proxy.seen.slice(seen), []);
  });
});
