// `keyless serve` as an operator runs it: settings from a config file and the environment, TLS, Prometheus
// metrics, the trust files, and a graceful shutdown that lets in-flight writes finish.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSigningConfig, parseTrustedRoot } from '../../src/trust/index.js';
import { entryKey, hashedRekordV1 } from '../helpers/entries.js';
import { startServe, tempDir } from '../helpers/serve.js';

describe('keyless serve', () => {
  it('serves its trust files and Prometheus metrics that count what happened', async () => {
    const served = await startServe(['--dev-oidc-issuer']);
    try {
      const root = parseTrustedRoot(await (await fetch(`${served.url}/trusted_root.json`)).json());
      assert.deepEqual([root.tlogs.length, root.ctlogs.length, root.certificateAuthorities.length, root.timestampAuthorities.length], [2, 1, 1, 1]);
      const config = parseSigningConfig(JSON.parse(readFileSync(join(served.dataDir, 'signing_config.json'), 'utf8')));
      assert.deepEqual(config.rekorTlogUrls.map((s) => [s.url, s.majorApiVersion]), [[`${served.url}/rekor-v2`, 2], [served.url, 1]]);
      assert.equal(config.tsaUrls[0]!.url, `${served.url}/api/v1/timestamp`);
      assert.equal(config.oidcUrls[0]!.url, served.url);

      const key = entryKey();
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${served.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedRekordV1(key)) });
        assert.equal(res.status, 201);
      }
      await fetch(`${served.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      const metrics = await (await fetch(`${served.url}/metrics`)).text();
      assert.match(metrics, /keyless_http_requests_total\{method="POST",route="\/api\/v1\/log\/entries",status="201"\} 3/);
      assert.match(metrics, /keyless_http_requests_total\{method="POST",route="\/api\/v1\/log\/entries",status="400"\} 1/);
      assert.match(metrics, /keyless_log_entries_appended_total\{log="rekor-v1"\} 3/);
      assert.match(metrics, /keyless_log_tree_size\{log="rekor-v1"\} 3/);
      assert.match(metrics, /keyless_log_batch_seconds_bucket/);
    } finally {
      await served.stop();
    }
  });

  it('takes settings from a config file and the environment (flags win over both), and refuses unknown ones', async () => {
    const dataDir = tempDir('keyless-config-');
    const configPath = join(dataDir, 'keyless.json');
    writeFileSync(configPath, JSON.stringify({ only: 'tsa', 'body-limit': 2048 }));
    const served = await startServe(['--config', configPath], { dataDir, env: { KEYLESS_ONLY: 'log' } });
    try {
      // env (log) beats the file (tsa): the log answers, the TSA does not exist.
      assert.equal((await fetch(`${served.url}/api/v1/log`)).status, 200);
      assert.equal((await fetch(`${served.url}/api/v1/timestamp/certchain`)).status, 404);
      // the file's body limit applies
      const big = await fetch(`${served.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(4000) }) });
      assert.equal(big.status, 413);
    } finally {
      await served.stop();
    }
    writeFileSync(configPath, JSON.stringify({ prot: 3000 }));
    const bad = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'keyless.js'), 'serve', '--config', configPath], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown settings: prot/);
  });

  it('refuses the dev OIDC issuer on a non-loopback address', () => {
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'keyless.js'), 'serve', '--host', '0.0.0.0', '--dev-oidc-issuer', '--data-dir', tempDir()], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /local pipelines only/);
  });

  it('refuses a log batch window that is not 0 to 1000 ms, with a usage error', () => {
    for (const value of ['abc', '-1', '1001']) {
      const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'keyless.js'), 'serve', `--batch-wait-ms=${value}`, '--data-dir', tempDir()], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--batch-wait-ms must be a number of milliseconds from 0 to 1000/);
    }
  });

  it('serves HTTPS with a given certificate and key', async () => {
    const dir = tempDir('keyless-tls-');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const served = await startServe(['--only', 'log', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    try {
      assert.match(served.url, /^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${served.url}/healthz`, { ca: readFileSync(join(dir, 'cert.pem')) }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      assert.equal((JSON.parse(body) as { status: string }).status, 'ok');
      assert.equal(parseTrustedRoot(served.trustedRoot()).tlogs[0]!.baseUrl, served.url);
    } finally {
      await served.stop();
    }
  });

  it('a hang-up (SIGHUP, a closed terminal) takes the graceful path too', async () => {
    const served = await startServe(['--only', 'log']);
    const exited = new Promise<number | null>((resolve) => served.proc.once('exit', (code) => resolve(code)));
    served.proc.kill('SIGHUP');
    assert.equal(await exited, 0, 'exit code 0, not killed by the signal');
    assert.match(served.stderr(), /SIGHUP, shutting down/);
  });

  it('shuts down gracefully: requests being handled finish and are committed; later ones get a retryable 503', async () => {
    const served = await startServe(['--only', 'log']);
    const key = entryKey();
    const bodies = Array.from({ length: 40 }, () => JSON.stringify(hashedRekordV1(key)));
    const inFlight = bodies.map((body) => fetch(`${served.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    // The signal comes once the server is handling the load (the first answer is back), not after a fixed delay
    // that a loaded machine may not honour.
    await Promise.race(inFlight);
    const exit = served.stop();
    const results = await Promise.allSettled(inFlight.map(async (p) => (await p).status));
    assert.equal(await exit, 0);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value : 'refused'));
    for (const s of statuses) assert.ok(s === 201 || s === 503 || s === 'refused', `every write is acknowledged, or refused so that the client retries: ${s}`);
    const answered = statuses.filter((s) => s === 201);
    assert.ok(answered.length > 0, 'writes in progress when the signal came were finished');
    // Everything acknowledged is in the log after a restart.
    const again = await startServe(['--only', 'log'], { dataDir: served.dataDir });
    try {
      const size = ((await (await fetch(`${again.url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
      assert.ok(size >= answered.length, `tree size ${size} covers the ${answered.length} acknowledged writes`);
    } finally {
      await again.stop();
    }
  });
});
