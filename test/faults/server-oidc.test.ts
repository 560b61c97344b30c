// The CA against misbehaving OIDC issuers and oversized identities, over real HTTP: a real `keyless serve`
// (CA only) trusting fake issuers that this test runs.
//  - an issuer whose discovery document is 400 MB (streamed, never allocated here): the server reads at most its
//    cap, its memory grows by less than 50 MB, and the token is refused with ERR_ISSUER_UNAVAILABLE;
//  - an issuer that drops every connection, and one whose port is closed: 503 with Retry-After and
//    ERR_ISSUER_UNAVAILABLE, and repeated tokens do not each cause a fetch;
//  - a token whose claims would make a SAN or extension over 4 KiB: 400 ERR_CLAIM_TOO_LARGE, while the same
//    issuer's normal token gets its certificate (so the refusals above are not the issuer set-up failing).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startServe, tempDir, type Served } from '../helpers/serve.js';
import { gitlabClaims, memoryOf, postJson, signingCertBody, startFakeIssuer, writeOidcConfig, type FakeIssuer } from './server-helpers.js';

const SUB = String(gitlabClaims('x').sub);
const HUGE = 400 * 1024 * 1024;

describe('CA: bounded OIDC fetches and claims', () => {
  const dir = tempDir('keyless-faults-oidc-');
  let good: FakeIssuer;
  let huge: FakeIssuer;
  let dropping: FakeIssuer;
  let closedUrl: string;
  let served: Served;

  before(async () => {
    good = await startFakeIssuer();
    huge = await startFakeIssuer({ kind: 'huge', bytes: HUGE });
    dropping = await startFakeIssuer({ kind: 'drop' });
    const closed = await startFakeIssuer();
    closedUrl = closed.url;
    await closed.close();
    const config = writeOidcConfig(dir, [good.url, huge.url, dropping.url, closedUrl]);
    served = await startServe(['--only', 'ca', '--oidc-config', config], { dataDir: `${dir}/data` });
  });
  after(async () => {
    await served?.stop();
    await Promise.all([good, huge, dropping].map((i) => i?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const signingCert = (token: string) => postJson(`${served.url}/api/v2/signingCert`, signingCertBody(token, SUB));

  it('a normal token of a configured issuer gets its certificate', { timeout: 30_000 }, async () => {
    const res = await signingCert(await good.token());
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  it('a 400 MB discovery document is cut off at the cap: RSS grows < 50 MB, the token is refused with a code', { timeout: 120_000 }, async () => {
    const pid = served.proc.pid!;
    const before = memoryOf(pid);
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(pid).rss);
    }, 20);
    let res;
    try {
      res = await signingCert(await huge.token());
    } finally {
      clearInterval(sampler);
    }
    const afterwards = memoryOf(pid);
    peakRss = Math.max(peakRss, afterwards.rss);
    const growth = Math.max(peakRss, afterwards.peak) - before.rss;
    console.log(`# huge OIDC: RSS ${(before.rss / 2 ** 20).toFixed(1)} MB before, peak ${(Math.max(peakRss, afterwards.peak) / 2 ** 20).toFixed(1)} MB (growth ${(growth / 2 ** 20).toFixed(1)} MB); issuer wrote ${(huge.bytesSent() / 2 ** 20).toFixed(1)} MB of ${HUGE / 2 ** 20} MB`);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body['error'], 'ERR_ISSUER_UNAVAILABLE');
    assert.match(String(res.body['message']), /discovery document .* more than the 524288 bytes allowed/);
    assert.ok(Number(res.retryAfter) >= 1, `Retry-After ${res.retryAfter}`);
    assert.ok(growth < 50 * 2 ** 20, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB`);
    assert.ok(huge.bytesSent() < 64 * 2 ** 20, `the server stopped reading: the issuer wrote only ${huge.bytesSent()} bytes`);
  });

  it('an issuer that drops connections: 503 ERR_ISSUER_UNAVAILABLE with Retry-After, and no fetch per token', { timeout: 60_000 }, async () => {
    const token = await dropping.token();
    const first = await signingCert(token);
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.equal(first.body['error'], 'ERR_ISSUER_UNAVAILABLE');
    assert.ok(Number(first.retryAfter) >= 1, `Retry-After ${first.retryAfter}`);
    const afterFirst = dropping.requests();
    assert.ok(afterFirst >= 1, 'the issuer was tried');
    for (let i = 0; i < 20; i++) {
      const again = await signingCert(token);
      assert.equal(again.status, 503);
      assert.equal(again.body['error'], 'ERR_ISSUER_UNAVAILABLE');
    }
    assert.equal(dropping.requests(), afterFirst, '20 more tokens within the backoff caused no new fetch');
  });

  it('an issuer whose port is closed: 503 ERR_ISSUER_UNAVAILABLE naming the issuer', { timeout: 60_000 }, async () => {
    const res = await signingCert(await good.token({ iss: closedUrl }));
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body['error'], 'ERR_ISSUER_UNAVAILABLE');
    assert.match(String(res.body['message']), new RegExp(`issuer ${closedUrl.replace(/[.]/g, '\\.')}: cannot fetch`));
    assert.ok(res.retryAfter !== null);
  });

  it('a 10 KB ci_config_ref_uri is refused with 400 ERR_CLAIM_TOO_LARGE, and nothing is issued', { timeout: 30_000 }, async () => {
    const long = `gitlab.example.com/my-group/my-project//${'a'.repeat(10_000)}.yml@refs/heads/main`;
    const res = await signingCert(await good.token({ ci_config_ref_uri: long }));
    assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 500));
    assert.equal(res.body['error'], 'ERR_CLAIM_TOO_LARGE');
    assert.match(String(res.body['message']), /SAN \(uri\) would be \d{5} bytes.*at most 4096 bytes/);
    assert.equal(res.retryAfter, null);
    const sth = (await (await fetch(`${served.url}/ct/v1/get-sth`)).json()) as { tree_size: number };
    assert.equal(sth.tree_size, 1, 'only the normal token\'s precertificate reached the CT log');
  });

  it('an oversized claim that becomes an extension only (ref) is refused the same way', { timeout: 30_000 }, async () => {
    const res = await signingCert(await good.token({ ref: 'r'.repeat(5000), ref_path: `refs/heads/${'r'.repeat(5000)}` }));
    assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 500));
    assert.equal(res.body['error'], 'ERR_CLAIM_TOO_LARGE');
  });
});

