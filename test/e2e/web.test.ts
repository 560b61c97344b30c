// The log explorer (web/) in a real headless Chromium against `keyless serve --dev-oidc-issuer`: entries signed here
// by `keyless sign-blob` and `attest-blob` (SLSA v1) through the instance's Rekor v1 log are found by every search key,
// decoded (GitLab identity, Fulcio extensions, provenance) and their proofs verified in the browser; tampered proofs,
// bad input and misses are shown as such. The page's modules are also run in Node against src/core.
// Screenshots of the main states go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Page, Route } from 'playwright-core';
import { consistencyProofPath, inclusionProofPath, leafHash, rootFromLeaves } from '../../src/core/merkle.js';
import { base64Decode, hexEncode, pemEncode } from '../../src/core/encoding.js';
import { parseDer } from '../../src/core/asn1.js';
import { encodeBoolean, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from '../../src/core/asn1-encode.js';
import { fulcioExtensions, parseCertificate } from '../../src/core/x509.js';
import { FULCIO_EXTENSIONS_BY_OID } from '../../src/core/oids.js';
import { browserUnavailable, explorerFor, launchBrowser, type Browser } from '../helpers/browser.js';
import { requireOrSkip } from '../helpers/requirements.js';
import { startServe, type Served } from '../helpers/serve.js';
import { entryKey, hashedRekordV2 } from '../helpers/entries.js';
import { ROOT, type Json } from '../helpers/vectors.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');
const DOCS_SHOTS = process.env['KEYLESS_DOCS_SCREENSHOTS'] === '1' ? join(ROOT, 'docs', 'screenshots') : undefined;
const DOC_NAMES = new Set(['home', 'entry-hashedrekord-v2', 'search-identity-all-logs', 'check-bundle']);
const COMMIT = '4f2b9c0d1e3a5b7c9d0e1f2a3b4c5d6e7f8a9b0c';
const web = async (name: string): Promise<Json> => import(pathToFileURL(join(ROOT, 'web', name)).href);

function keyless(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', input: '', env: { ...process.env, SIGSTORE_ID_TOKEN: '', KEYLESS_INSTANCE: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

describe('the explorer\'s modules in Node, against src/core', () => {
  it('the page\'s bundle of src/core (web/dist/core.js) verifies every inclusion and consistency proof of src/core, and refuses each tampered one', async () => {
    const m = await web('dist/core.js');
    for (let size = 1; size <= 17; size++) {
      const leaves = Array.from({ length: size }, () => leafHash(randomBytes(8)));
      const root = rootFromLeaves(leaves);
      const hashOf = (r: { start: number; end: number }) => rootFromLeaves(leaves.slice(r.start, r.end));
      for (let i = 0; i < size; i++) {
        const proof = inclusionProofPath(i, size).map(hashOf);
        assert.deepEqual(Buffer.from(m.rootFromInclusionProof(i, size, leaves[i], proof)), Buffer.from(root));
        for (let j = 0; j < proof.length; j++) {
          const bad = proof.map((p, k) => (k === j ? Uint8Array.from(p, (b, n) => (n === 0 ? b ^ 1 : b)) : p));
          assert.notDeepEqual(Buffer.from(m.rootFromInclusionProof(i, size, leaves[i], bad)), Buffer.from(root));
        }
        assert.throws(() => m.rootFromInclusionProof(i, size, leaves[i], [...proof, root]), { code: 'ERR_TLOG_INCLUSION' });
      }
      for (let first = 1; first <= size; first++) {
        const root1 = rootFromLeaves(leaves.slice(0, first));
        const proof = consistencyProofPath(first, size).map(hashOf);
        m.verifyConsistency(first, size, proof, root1, root);
        for (let j = 0; j < proof.length; j++) {
          const bad = proof.map((p, k) => (k === j ? randomBytes(32) : p));
          assert.throws(() => m.verifyConsistency(first, size, bad, root1, root), { code: 'ERR_TLOG_CONSISTENCY' });
        }
        if (first < size) assert.throws(() => m.verifyConsistency(first, size, proof.slice(1), root1, root), { code: 'ERR_TLOG_CONSISTENCY' });
      }
    }
  });

  it('web/query.js tells the search keys apart and explains what it refuses', async () => {
    const { classify } = await web('query.js');
    const hex64 = 'ab'.repeat(32);
    assert.deepEqual(classify('42'), { type: 'logIndex', value: 42 });
    assert.equal(classify(`0123456789abcdef${hex64}`).type, 'uuid');
    assert.deepEqual(classify(`SHA256:${hex64.toUpperCase()}`), { type: 'hash', value: `sha256:${hex64}` });
    assert.equal(classify(hex64).type, 'hex64');
    assert.equal(classify(hex64, 'hash').value, `sha256:${hex64}`);
    assert.equal(classify('https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main').type, 'subject');
    assert.deepEqual(classify('g/sub/p', 'auto', 'h:1'), { type: 'project', value: 'g/sub/p', path: 'g/sub/p', hosts: ['gitlab.com', 'h:1'] });
    assert.deepEqual(classify('https://gitlab.example.com/g/p').hosts, ['gitlab.example.com']);
    assert.deepEqual(classify('127.0.0.1:3000/g/sub/p'), { type: 'project', value: '127.0.0.1:3000/g/sub/p', path: 'g/sub/p', hosts: ['127.0.0.1:3000'] });
    assert.equal(classify('dev@example.com').type, 'email');
    for (const bad of ['', '  ', 'abc12', '-1', '1.5', 'not a thing!', `${hex64}00`]) assert.ok(classify(bad).error, bad);
    assert.ok(classify('12', 'uuid').error);
  });
});

const noBrowser = browserUnavailable();
describe('the log explorer in Chromium against keyless serve', { skip: requireOrSkip('Chromium', noBrowser === undefined, noBrowser) }, () => {
  let served: Served;
  let explorer: { url: string; close(): Promise<void> };
  let browser: Browser;
  let host: string;
  let identity: string;
  const signed: { index: number; uuid: string; leaf: string; digest: string; bundle: string; cert: Uint8Array } = { index: 0, uuid: '', leaf: '', digest: '', bundle: '', cert: new Uint8Array() };
  const attested = { index: 0, bundle: '' };
  const v2 = { index: 0, digest: '' };
  let sign: (file: string, bundle: string) => number;
  let token = '';

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (DOCS_SHOTS !== undefined) mkdirSync(DOCS_SHOTS, { recursive: true });
    served = await startServe(['--dev-oidc-issuer']);
    const dir = served.dataDir;
    host = new URL(served.url).host;
    identity = `https://${host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`;
    token = keyless(['dev-token', '--data-dir', dir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main', '--sha', COMMIT, '--job-id', '4242']).stdout.trim();
    // Only the Rekor v1 log: its API is the page's backend.
    const config = JSON.parse(readFileSync(join(dir, 'signing_config.json'), 'utf8'));
    config.rekorTlogUrls = config.rekorTlogUrls.filter((s: { majorApiVersion: number }) => s.majorApiVersion === 1);
    writeFileSync(join(dir, 'signing_config.v1.json'), JSON.stringify(config));
    const common = ['--identity-token', token, '--signing-config', join(dir, 'signing_config.v1.json'), '--trusted-root', join(dir, 'trusted_root.json'), '--yes'];
    const indexOf = ({ stderr }: { stderr: string }) => Number(/tlog entry created with index: (\d+)/.exec(stderr)?.[1]);
    sign = (file, bundle) => indexOf(keyless(['sign-blob', file, '--bundle', bundle, ...common]));

    const artifact = join(dir, 'artifact.txt');
    writeFileSync(artifact, `built by my-group/my-project at ${new Date().toISOString()}\n`);
    signed.digest = createHash('sha256').update(readFileSync(artifact)).digest('hex');
    signed.bundle = join(dir, 'artifact.sigstore.json');
    signed.index = sign(artifact, signed.bundle);
    const bundle = JSON.parse(readFileSync(signed.bundle, 'utf8'));
    signed.leaf = hexEncode(leafHash(base64Decode(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody)));
    signed.cert = base64Decode(bundle.verificationMaterial.certificate.rawBytes);
    signed.uuid = Object.keys((await (await fetch(`${served.url}/api/v1/log/entries?logIndex=${signed.index}`)).json()) as object)[0]!;

    const predicate = join(dir, 'provenance.json');
    writeFileSync(predicate, JSON.stringify({
      buildDefinition: {
        buildType: 'https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.0.0/PROVENANCE.md',
        externalParameters: { source: `https://${host}/my-group/my-project`, entryPoint: 'build-job', variables: { CI_PIPELINE_SOURCE: 'push' } },
        internalParameters: { executor: 'docker' },
        resolvedDependencies: [{ uri: `git+https://${host}/my-group/my-project@refs/heads/main`, digest: { gitCommit: COMMIT } }],
      },
      runDetails: { builder: { id: `https://${host}/my-group/my-project/-/runners/12` }, metadata: { invocationId: `https://${host}/my-group/my-project/-/jobs/4242` } },
    }));
    attested.bundle = join(dir, 'artifact.intoto.sigstore.json');
    attested.index = indexOf(keyless(['attest-blob', artifact, '--predicate', predicate, '--type', 'slsaprovenance1', '--bundle', attested.bundle, ...common]));

    // The instance's own signing config: Rekor v2 (the default), two entries so that each proof has a hash.
    const v2Common = ['--identity-token', token, '--signing-config', join(dir, 'signing_config.json'), '--trusted-root', join(dir, 'trusted_root.json'), '--yes'];
    const v2Artifact = join(dir, 'artifact-v2.txt');
    writeFileSync(v2Artifact, `v2 build of my-group/my-project at ${new Date().toISOString()}\n`);
    v2.digest = createHash('sha256').update(readFileSync(v2Artifact)).digest('hex');
    v2.index = indexOf(keyless(['sign-blob', v2Artifact, '--bundle', join(dir, 'artifact-v2.sigstore.json'), ...v2Common]));
    const v2Other = join(dir, 'artifact-v2b.txt');
    writeFileSync(v2Other, 'another v2 artifact\n');
    const second = JSON.parse(readFileSync(join(dir, 'artifact-v2.sigstore.json'), 'utf8'));
    assert.equal(second.verificationMaterial.tlogEntries[0].kindVersion.version, '0.0.2', 'the default signing config logs in Rekor v2');
    indexOf(keyless(['sign-blob', v2Other, '--bundle', join(dir, 'artifact-v2b.sigstore.json'), ...v2Common]));

    explorer = await explorerFor(served.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await explorer?.close();
    assert.equal(await served.stop(), 0);
  });

  const open = async (query = ''): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    await page.goto(`${explorer.url}/${query}`);
    return page;
  };
  const searchFor = async (page: Page, text: string) => {
    await page.getByLabel('Log index, entry UUID, hash or identity').fill(text);
    await page.getByRole('button', { name: 'Search' }).click();
    // The submit handler marks the results busy at once; the answer is in when the mark is gone.
    await page.locator('#results:not([aria-busy]) #result-title').first().waitFor();
  };
  const checks = async (page: Page) => {
    await page.locator('[data-check="latest"]').waitFor();
    return {
      inclusion: await page.locator('[data-check="inclusion"]').getAttribute('data-result'),
      latest: await page.locator('[data-check="latest"]').getAttribute('data-result'),
      text: await page.locator('.checks').innerText(),
      signature: await page.locator('[data-check="signature"]').getAttribute('data-result'),
      set: await page.locator('[data-check="set"]').count() === 0 ? undefined : await page.locator('[data-check="set"]').getAttribute('data-result'),
    };
  };
  const params = async (page: Page) => new URLSearchParams(await page.evaluate(() => location.search));
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    // `npm run docs:screenshots` refreshes the README's pictures from the same states.
    if (DOCS_SHOTS !== undefined && DOC_NAMES.has(name)) await page.screenshot({ path: join(DOCS_SHOTS, `${name}.png`), fullPage: true });
  };

  it('?logIndex=N (the link sign-blob prints): the entry, its GitLab identity and Fulcio extensions, the proof verified', async () => {
    const page = await open(`?logIndex=${signed.index}`);
    await page.locator('article.entry').waitFor();
    assert.equal(await page.locator('#result-title').innerText(), `Entry ${signed.index}`);
    const text = await page.locator('article.entry').innerText();
    assert.match(text, /hashedrekord 0\.0\.1/);
    assert.ok(text.includes(signed.uuid) && text.includes(`sha256:${signed.digest}`));
    assert.match(text, /Integrated time \(UTC\)\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z/);
    assert.equal(await page.locator('[data-field="project"]').innerText(), 'my-group/my-project');
    assert.equal(await page.locator('[data-field="ref"]').innerText(), 'refs/heads/main');
    assert.equal(await page.locator('[data-field="commit"] a').getAttribute('href'), `http://${host}/my-group/my-project/-/commit/${COMMIT}`);
    assert.ok(text.includes(identity), 'the SAN');
    // Every Fulcio extension of the certificate, by its name in Fulcio's table, with the value src/core reads.
    const cert = parseCertificate(signed.cert);
    const expected = fulcioExtensions(cert);
    const oids = cert.extensions.map((e) => e.oid).filter((oid) => FULCIO_EXTENSIONS_BY_OID.has(oid));
    assert.ok(oids.length >= 12, `${oids.length} Fulcio extensions`);
    for (const oid of oids) {
      const ext = FULCIO_EXTENSIONS_BY_OID.get(oid)!;
      const row = page.locator(`.fulcio dd[data-oid="${oid}"]`);
      assert.equal(await row.innerText(), expected[ext.name], ext.label);
      assert.equal(await page.locator(`.fulcio dt[data-oid="${oid}"]`).innerText(), `${ext.label} (${oid})`);
    }
    assert.equal(await page.getByRole('link', { name: `http://${host}/my-group/my-project/-/jobs/4242` }).first().getAttribute('href'), `http://${host}/my-group/my-project/-/jobs/4242`);
    const result = await checks(page);
    assert.deepEqual([result.inclusion, result.signature, result.latest], ['verified', 'verified', 'verified'], result.text);
    assert.match(result.text, /Checkpoint signature: verified — signed by \S+ \(key ID [0-9a-f]{8}, PKIX_(ECDSA_P256_SHA_256|ED25519)\)/);
    await page.getByText('Raw entry (JSON)').click();
    assert.ok((await page.locator('details.raw pre').first().innerText()).includes('"inclusionProof"'));
    await shot(page, 'entry-hashedrekord');
    await page.close();
  });

  it('searches by entry UUID, leaf hash, artifact digest, SAN URI and GitLab project, with deep links and history', async () => {
    const page = await open();
    await searchFor(page, signed.uuid);
    assert.equal(await page.locator('#result-title').innerText(), `Entry ${signed.index}`);
    assert.equal((await params(page)).get('uuid'), signed.uuid);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'result-title', 'focus moves to the result');

    await searchFor(page, signed.leaf);
    assert.equal(await page.locator('article.entry h2').innerText(), `Entry ${signed.index}`);
    assert.match(await page.locator('[data-state="ambiguous"]').innerText(), /As a leaf hash it names Rekor v1 entry \d+\. As an artifact SHA-256 it matches no entry/);

    await searchFor(page, `sha256:${signed.digest}`);
    assert.equal((await params(page)).get('hash'), `sha256:${signed.digest}`);
    assert.match(await page.locator('#result-title').innerText(), /^Entries for artifact sha256:[0-9a-f]{64} \(\d+\)$/);
    await page.getByRole('link', { name: `Rekor v1 entry ${signed.index}`, exact: true }).click();
    await page.locator('article.entry').waitFor();
    assert.equal((await params(page)).get('logIndex'), String(signed.index));
    await shot(page, 'search-artifact-then-entry');

    for (const [text, param] of [[identity, 'identity'], [`${host}/my-group/my-project`, 'identity']] as const) {
      await searchFor(page, text);
      assert.equal((await params(page)).get(param), text);
      const rows = await page.locator('tbody tr[data-log="v1"] td:nth-child(2)').allInnerTexts();
      assert.ok(rows.includes(String(signed.index)) && rows.includes(String(attested.index)), `${text}: ${rows}`);
      assert.ok((await page.locator('tbody').innerText()).includes(identity));
    }
    await shot(page, 'search-project');
    await page.goBack();
    await page.locator('tbody').waitFor();
    assert.equal(await page.getByLabel('Log index, entry UUID, hash or identity').inputValue(), identity, 'history restores the search');
    await page.close();
  });

  const provenanceRows = () => [
    'https://slsa.dev/provenance/v1',
    `https://${host}/my-group/my-project/-/runners/12`,
    'https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.0.0/PROVENANCE.md',
    `git+https://${host}/my-group/my-project@refs/heads/main`,
    COMMIT,
    `https://${host}/my-group/my-project/-/jobs/4242`,
    'External parameter entryPoint',
    `artifact.txt sha256:${signed.digest}`,
  ];

  it('a DSSE entry: the SLSA v1 provenance the log keeps with it, checked against the payload hash, without opening the bundle', async () => {
    const page = await open(`?logIndex=${attested.index}`);
    await page.locator('article.entry').waitFor();
    const text = await page.locator('article.entry').innerText();
    assert.match(text, /dsse 0\.0\.1/);
    assert.match(text, /holds only the hashes of the signed statement.*the log returned the statement itself/);
    assert.equal(await page.locator('[data-field="project"]').innerText(), 'my-group/my-project');
    const logged = page.locator('[data-source="log"]');
    await logged.locator('[data-result="verified"]').waitFor();
    const provenance = await logged.locator('.provenance').innerText();
    assert.match(provenance, /Builder ID/);
    assert.match(provenance, /Build type/);
    for (const expected of provenanceRows()) assert.ok(provenance.includes(expected), `${expected} in\n${provenance}`);
    assert.equal(await logged.locator('.provenance a', { hasText: '/-/jobs/4242' }).getAttribute('href'), `https://${host}/my-group/my-project/-/jobs/4242`);
    assert.equal(await page.locator('[data-source="file"] [data-result]').count(), 0, 'no bundle was opened');
    assert.deepEqual(Object.values(await checks(page)).slice(0, 2), ['verified', 'verified']);
    await shot(page, 'entry-dsse-logged-provenance');
    await page.close();
  });

  it('a statement the log returns that does not match the payload hash is not shown', async () => {
    const page = await browser.context.newPage();
    await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
      const json = await (await route.fetch()).json();
      const entry = Object.values(json)[0] as Json;
      entry.attestation = { data: Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [] })).toString('base64') };
      await route.fulfill({ json });
    });
    await page.goto(`${explorer.url}/?logIndex=${attested.index}`);
    const logged = page.locator('[data-source="log"]');
    await logged.locator('[data-result="failed"]').waitFor();
    assert.match(await logged.innerText(), /does not match the logged payload hash/);
    assert.equal(await page.locator('.provenance').count(), 0);
    await page.close();
  });

  it('a DSSE entry the log keeps no statement for: the provenance of the bundle checked against its payload hash', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    // As an entry logged before the log kept attestations, or with a statement over the size limit.
    await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
      const json = await (await route.fetch()).json();
      delete (Object.values(json)[0] as Json).attestation;
      await route.fulfill({ json });
    });
    await page.goto(`${explorer.url}/?logIndex=${attested.index}`);
    await page.locator('article.entry').waitFor();
    const text = await page.locator('article.entry').innerText();
    assert.match(text, /holds only the hashes of the signed statement, not the statement itself/);
    assert.equal(await page.locator('[data-source="log"] [data-result]').count(), 0);
    const fromFile = page.locator('[data-source="file"]');
    await page.getByLabel('Bundle or DSSE envelope (JSON)').setInputFiles(signed.bundle);
    assert.match(await fromFile.locator('[data-result]').innerText(), /not a Sigstore bundle or DSSE envelope/);
    await page.getByLabel('Bundle or DSSE envelope (JSON)').setInputFiles(attested.bundle);
    await fromFile.locator('[data-result="verified"]').waitFor();
    const provenance = await fromFile.locator('.provenance').innerText();
    for (const expected of provenanceRows()) assert.ok(provenance.includes(expected), `${expected} in\n${provenance}`);
    assert.equal(await fromFile.locator('.provenance a', { hasText: '/-/jobs/4242' }).getAttribute('href'), `https://${host}/my-group/my-project/-/jobs/4242`);
    await shot(page, 'entry-dsse-provenance');
    // Another statement is refused, however well-formed.
    const other = JSON.parse(readFileSync(attested.bundle, 'utf8'));
    other.dsseEnvelope.payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [] })).toString('base64');
    const otherFile = join(served.dataDir, 'other.sigstore.json');
    writeFileSync(otherFile, JSON.stringify(other));
    await page.getByLabel('Bundle or DSSE envelope (JSON)').setInputFiles(otherFile);
    await fromFile.locator('[data-result="failed"]').waitFor();
    assert.match(await fromFile.innerText(), /NOT this entry's statement/);
    await page.close();
  });

  it('a tampered inclusion proof is NOT verified, with the reason', async () => {
    const page = await browser.context.newPage();
    await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
      const json = await (await route.fetch()).json();
      const entry = Object.values(json)[0] as Json;
      const h = entry.verification.inclusionProof.hashes[0] as string;
      entry.verification.inclusionProof.hashes[0] = (h[0] === '0' ? '1' : '0') + h.slice(1);
      await route.fulfill({ json });
    });
    await page.goto(`${explorer.url}/?logIndex=${signed.index}`);
    const result = await checks(page);
    assert.deepEqual([result.inclusion, result.latest], ['failed', 'failed'], result.text);
    assert.match(result.text, /In the tree its proof names: NOT verified — the inclusion proof leads to root [0-9a-f]{64}, not to the stated root/);
    await shot(page, 'tampered-inclusion-proof');
    await page.close();
  });

  it('a certificate with a second, forged SAN (which src/core refuses) is not shown as naming anyone', async () => {
    // The real leaf with one more extension: a second SAN naming another project (issue 15).
    const forgedSan = `https://${host}/attacker/project//.gitlab-ci.yml@refs/heads/main`;
    const [tbs, ...rest] = parseDer(signed.cert).children();
    const fields = tbs!.children().map((f) => {
      if (f.tag !== 0xa3) return f.bytes;
      const exts = f.children()[0]!.children().map((e) => e.bytes);
      const san = encodeSequence(encodeOid('2.5.29.17'), encodeBoolean(true), encodeOctetString(encodeSequence(encodeTlv(0x86, new TextEncoder().encode(forgedSan)))));
      return encodeTlv(0xa3, encodeSequence(...exts, san));
    });
    const forged = encodeSequence(encodeSequence(...fields), ...rest.map((n) => n.bytes));
    const page = await browser.context.newPage();
    await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
      const json = await (await route.fetch()).json();
      const entry = Object.values(json)[0] as Json;
      const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8'));
      body.spec.signature.publicKey.content = Buffer.from(pemEncode(forged, 'CERTIFICATE')).toString('base64');
      entry.body = Buffer.from(JSON.stringify(body)).toString('base64');
      await route.fulfill({ json });
    });
    await page.goto(`${explorer.url}/?logIndex=${signed.index}`);
    await page.locator('article.entry').waitFor();
    const text = await page.locator('article.entry').innerText();
    assert.ok(!text.includes(forgedSan) && !text.includes(identity), text);
    assert.match(text, /the certificate cannot be read: .*duplicate extension 2\.5\.29\.17/);
    await page.close();
  });

  it('the signed entry timestamp is verified; a tampered one, or a changed integrated time, is NOT verified', async () => {
    const good = await open(`?logIndex=${signed.index}`);
    const ok = await checks(good);
    assert.equal(ok.set, 'verified', ok.text);
    assert.match(ok.text, /Signed entry timestamp: verified — signed by the log at http\S+ \(PKIX_ECDSA_P256_SHA_256\): integrated at \d{4}-/);
    await good.close();
    for (const [what, change] of [
      ['a flipped signature byte', (e: Json) => {
        const sig = Buffer.from(e.verification.signedEntryTimestamp, 'base64');
        sig[sig.length - 1]! ^= 1;
        e.verification.signedEntryTimestamp = sig.toString('base64');
      }],
      ['another integrated time', (e: Json) => void (e.integratedTime -= 3600)],
    ] as const) {
      const page = await browser.context.newPage();
      await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
        const json = await (await route.fetch()).json();
        change(Object.values(json)[0] as Json);
        await route.fulfill({ json });
      });
      await page.goto(`${explorer.url}/?logIndex=${signed.index}`);
      const result = await checks(page);
      assert.deepEqual([result.inclusion, result.signature, result.set], ['verified', 'verified', 'failed'], `${what}: ${result.text}`);
      assert.match(result.text, /Signed entry timestamp: NOT verified — the signed entry timestamp does not verify with the key of http\S+ in the trusted root/);
      await page.close();
    }
  });

  for (const log of ['v1', 'v2'] as const) {
    it(`a tampered checkpoint signature (Rekor ${log}, ${log === 'v1' ? 'ECDSA P-256' : 'Ed25519'}) is NOT verified, with the reason`, async () => {
      const page = await browser.context.newPage();
      // The last signature byte of the entry's checkpoint, flipped; the note and its key ID stay intact.
      const tamper = (note: string) => {
        const [text, sigs] = [note.slice(0, note.lastIndexOf('\n\n') + 2), note.slice(note.lastIndexOf('\n\n') + 2)];
        const [dash, name, b64] = sigs.trimEnd().split('\n')[0]!.split(' ');
        const bytes = Buffer.from(b64!, 'base64');
        bytes[bytes.length - 1]! ^= 1;
        return `${text}${dash} ${name} ${bytes.toString('base64')}\n`;
      };
      await page.route(log === 'v1' ? '**/api/v1/log/entries?logIndex=*' : '**/rekor-v2/api/v2/log/entries/*', async (route: Route) => {
        const json = await (await route.fetch()).json();
        if (log === 'v1') {
          const entry = Object.values(json)[0] as Json;
          entry.verification.inclusionProof.checkpoint = tamper(entry.verification.inclusionProof.checkpoint);
        } else json.inclusionProof.checkpoint.envelope = tamper(json.inclusionProof.checkpoint.envelope);
        await route.fulfill({ json });
      });
      await page.goto(`${explorer.url}/?${log === 'v2' ? 'log=v2&' : ''}logIndex=${log === 'v2' ? v2.index : signed.index}`);
      const result = await checks(page);
      assert.deepEqual([result.inclusion, result.signature], ['verified', 'failed'], result.text);
      assert.match(result.text, /Checkpoint signature: NOT verified — the signature by \S+ \(key ID [0-9a-f]{8}\) does not verify with the key of http\S+ in the trusted root/);
      await shot(page, `tampered-checkpoint-signature-${log}`);
      await page.close();
    });
  }

  it('?log=v2&logIndex=N (the link sign-blob prints for Rekor v2): the entry, its GitLab identity, the proof verified', async () => {
    const page = await open(`?log=v2&logIndex=${v2.index}`);
    await page.locator('article.entry[data-log="v2"]').waitFor();
    assert.equal(await page.locator('#result-title').innerText(), `Entry ${v2.index}`);
    const text = await page.locator('article.entry').innerText();
    assert.match(text, /hashedrekord 0\.0\.2/);
    assert.ok(text.includes(`sha256:${v2.digest}`), 'the artifact digest');
    assert.match(text, /no log time — Rekor v2 entries are timed by the TSA/);
    assert.ok(text.includes(identity), 'the SAN');
    assert.equal(await page.locator('[data-field="project"]').innerText(), 'my-group/my-project');
    assert.equal(await page.locator('#log').inputValue(), 'v2');
    const result = await checks(page);
    assert.deepEqual([result.inclusion, result.signature, result.latest], ['verified', 'verified', 'verified'], result.text);
    assert.match(result.text, /Checkpoint signature: verified — signed by \S+ \(key ID [0-9a-f]{8}, PKIX_(ECDSA_P256_SHA_256|ED25519)\)/);
    await shot(page, 'entry-hashedrekord-v2');
    // The selector: the same index in the v1 log is another entry (or none); back to v2 by the form.
    await page.locator('#log').selectOption('v1');
    await searchFor(page, String(v2.index));
    assert.equal((await params(page)).get('log'), null);
    await page.locator('#log').selectOption('v2');
    await searchFor(page, String(v2.index));
    assert.equal((await params(page)).get('log'), 'v2');
    await page.locator('article.entry[data-log="v2"]').waitFor();
    // The v2 log is searched like the v1 log (keyless keeps its index); narrowed to v1, the digest finds nothing.
    await searchFor(page, `sha256:${v2.digest}`);
    assert.equal((await params(page)).get('log'), 'v2');
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-log'), r.getAttribute('data-index')])), [['v2', String(v2.index)]]);
    await page.locator('#log').selectOption('v1');
    await searchFor(page, `sha256:${v2.digest}`);
    assert.match(await page.locator('[data-state="not-found"]').innerText(), /No entry of the Rekor v1 log logs an artifact/);
    await page.close();
    const missing = await open(`?log=v2&logIndex=99999`);
    await missing.locator('[data-state="not-found"]').waitFor();
    await missing.close();
  });

  it('a tampered Rekor v2 inclusion proof is NOT verified, with the reason', async () => {
    const page = await browser.context.newPage();
    await page.route('**/rekor-v2/api/v2/log/entries/*', async (route: Route) => {
      const entry = (await (await route.fetch()).json()) as Json;
      const h = Buffer.from(entry.inclusionProof.hashes[0] as string, 'base64');
      h[0] = h[0]! ^ 1;
      entry.inclusionProof.hashes[0] = h.toString('base64');
      await route.fulfill({ json: entry });
    });
    await page.goto(`${explorer.url}/?log=v2&logIndex=${v2.index}`);
    const result = await checks(page);
    assert.deepEqual([result.inclusion, result.latest], ['failed', 'failed'], result.text);
    assert.match(result.text, /In the tree its proof names: NOT verified — the inclusion proof leads to root [0-9a-f]{64}, not to the stated root/);
    await page.close();
  });

  it('a proof older than the latest checkpoint is checked by a consistency proof; a tampered one is NOT verified', async () => {
    const page = await browser.context.newPage();
    let older: Json;
    await page.route('**/api/v1/log/entries?logIndex=*', async (route: Route) => {
      older ??= await (await route.fetch()).json();
      // The log grows between the entry's proof and the page's look at the latest checkpoint.
      sign(join(served.dataDir, 'artifact.txt'), join(served.dataDir, `again-${Date.now()}.sigstore.json`));
      await route.fulfill({ json: older });
    });
    await page.goto(`${explorer.url}/?logIndex=${signed.index}`);
    const result = await checks(page);
    assert.deepEqual([result.inclusion, result.signature, result.latest], ['verified', 'verified', 'verified'], result.text);
    assert.match(result.text, /Checkpoint signature: verified — signed by \S+ \(key ID [0-9a-f]{8}, PKIX_(ECDSA_P256_SHA_256|ED25519)\)/);
    assert.match(result.text, /the tree of size (\d+) is consistent with the latest checkpoint \(size (?!\1\b)\d+/);

    await page.route('**/api/v1/log/proof?*', async (route: Route) => {
      const json = await (await route.fetch()).json();
      json.hashes[json.hashes.length - 1] = 'ff'.repeat(32);
      await route.fulfill({ json });
    });
    await page.reload();
    const tampered = await checks(page);
    assert.deepEqual([tampered.inclusion, tampered.latest], ['verified', 'failed'], tampered.text);
    assert.match(tampered.text, /Against the latest checkpoint: NOT verified — consistency proof does not lead to the (first|second) root hash/);
    await shot(page, 'tampered-consistency-proof');
    await page.close();
  });

  it('bad input and misses say so, and the form is usable by keyboard', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to results');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Transparency log explorer', 'the title links home');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'q');
    await page.keyboard.type('hello world!');
    await page.keyboard.press('Enter');
    await page.locator('[data-state="bad-input"]').waitFor();
    assert.match(await page.locator('[data-state="bad-input"]').innerText(), /not a log index, entry UUID, sha256 digest, e-mail address, URI or GitLab project path/);
    assert.equal(await page.locator('#q').getAttribute('aria-invalid'), 'true');
    await shot(page, 'bad-input');
    for (const [text, expected] of [
      ['1234abcd', /has 8 hex digits: an entry UUID has 80/],
      [`sha256:${'ab'.repeat(31)}`, /not an artifact SHA-256/],
    ] as const) {
      await searchFor(page, text);
      assert.match(await page.locator('[data-state="bad-input"]').innerText(), expected);
    }
    for (const [text, expected] of [
      ['999999', /No entry of the Rekor v2 or the Rekor v1 log has log index 999999/],
      ["cd".repeat(32), /No entry of the Rekor v2 or the Rekor v1 log has leaf hash (cd){32}, and none logs an artifact with SHA-256/],
      [`sha256:${'cd'.repeat(32)}`, /No entry of the Rekor v2 or the Rekor v1 log logs an artifact, payload, envelope or attested subject with digest/],
      ['nobody@example.com', /No certificate in the Rekor v2 or the Rekor v1 log names nobody@example\.com/],
      ['other-group/other-project', /No entry was signed by a pipeline of other-group\/other-project/],
    ] as const) {
      await searchFor(page, text);
      assert.match(await page.locator('[data-state="not-found"]').innerText(), expected, text);
    }
    await shot(page, 'not-found');
    await page.goto(`${explorer.url}/?logIndex=abc`);
    assert.match(await page.locator('[data-state="bad-input"]').innerText(), /“abc” is not a log index/);
    assert.ok(await page.evaluate(() => [...document.querySelectorAll('input, select')].every((el) => (el as HTMLInputElement).labels!.length > 0)));
    assert.deepEqual(await page.evaluate(() => ['header', 'main', 'footer'].map((t) => document.querySelectorAll(t).length)), [1, 1, 1]);
    await page.close();
  });

  it('reads at 360 px wide: nothing wider than the screen', async () => {
    const page = await open(`?logIndex=${signed.index}`);
    await page.setViewportSize({ width: 360, height: 800 });
    await checks(page);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), `scroll width ${await page.evaluate(() => document.documentElement.scrollWidth)}`);
    await shot(page, 'entry-360px');
    await page.close();
  });

  it('the README flow: sign-blob --instance prints a link that opens the v2 entry; the home page counts it; its digest and identity find it, labelled Rekor v2', async () => {
    const artifact = join(served.dataDir, 'readme-artifact.txt');
    writeFileSync(artifact, 'This is a build artifact\n');
    const digest = createHash('sha256').update(readFileSync(artifact)).digest('hex');
    const { stderr } = keyless(['sign-blob', artifact, '--bundle', join(served.dataDir, 'cosign.bundle'), '--instance', served.url, '--identity-token', token, '--yes']);
    const link = /(http\S+\?log=v2&logIndex=(\d+))/.exec(stderr);
    assert.ok(link, `sign-blob prints the entry's link: ${stderr}`);
    const index = link[2]!;
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    await page.goto(link[1]!);
    await page.locator('article.entry[data-log="v2"]').waitFor();
    assert.equal(await page.locator('#result-title').innerText(), `Entry ${index}`);
    assert.ok((await page.locator('article.entry').innerText()).includes(`sha256:${digest}`));

    await page.getByRole('link', { name: 'Transparency log explorer' }).click();
    const card = page.locator('.log-card[data-log="v2"]');
    await card.locator('[data-check="checkpoint"]').waitFor();
    assert.ok(Number(await card.getAttribute('data-size')) > Number(index), 'the home page counts the entry');
    await page.locator('.recent tbody tr').first().waitFor();
    assert.equal(await page.locator(`.recent tbody tr[data-log="v2"][data-index="${index}"]`).count(), 1, 'the newest entries list it');

    await searchFor(page, `sha256:${digest}`);
    const row = page.locator(`tbody tr[data-log="v2"][data-index="${index}"]`);
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /^Rekor v2\s/);
    await searchFor(page, identity);
    assert.equal(await page.locator(`tbody tr[data-log="v2"][data-index="${index}"]`).count(), 1, 'the identity search finds the v2 entry');
    assert.ok(await page.locator('tbody tr[data-log="v1"]').count() > 0, 'and the v1 entries of the same identity');
    assert.match(await page.locator('.list .note').first().innerText(), /In Rekor v2: \d+, Rekor v1: \d+\./);
    await shot(page, 'search-identity-all-logs');
    // Any log's index by the box: each log's entry at that index.
    await searchFor(page, '0');
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-log'))), ['v2', 'v1']);
    assert.equal((await params(page)).get('q'), '0');
    await page.close();
  });

  it('the home page: each log\'s signed size and root, appends per hour, and every entry of both logs, newest first, page by page', async () => {
    // More entries than one page holds.
    const key = entryKey();
    for (let i = 0; i < 22; i++) {
      const r = await fetch(`${served.url}/rekor-v2/api/v2/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedRekordV2(key)) });
      assert.equal(r.status, 201);
    }
    const v2Size = Number((await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text()).split('\n')[1]);
    const v1Size = ((await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
    const page = await open();
    for (const [log, size] of [['v2', v2Size], ['v1', v1Size]] as const) {
      const card = page.locator(`.log-card[data-log="${log}"]`);
      await card.locator('[data-check="checkpoint"]').waitFor();
      assert.equal(await card.locator('[data-check="checkpoint"]').getAttribute('data-result'), 'verified', await card.innerText());
      assert.equal(Number(await card.getAttribute('data-size')), size);
    }
    await page.locator('[data-field="activity-summary"]').waitFor();
    const summary = await page.locator('[data-field="activity-summary"]').innerText();
    assert.match(summary, new RegExp(`Rekor v2: ${v2Size}, Rekor v1: ${v1Size}\\.`));
    assert.equal(await page.locator('svg.chart[role="img"]').getAttribute('aria-label'), summary);
    assert.ok(await page.locator('svg.chart rect.bar-v2').count() >= 1);

    await page.locator('.recent tbody tr').first().waitFor();
    const first = page.locator('.recent tbody tr').first();
    assert.deepEqual([await first.getAttribute('data-log'), await first.getAttribute('data-index')], ['v2', String(v2Size - 1)], 'newest first');
    assert.equal(await page.locator('.recent tbody tr').count(), 20);
    await shot(page, 'home');
    while (await page.getByRole('button', { name: 'Older entries' }).count() > 0) {
      const before = await page.locator('.recent tbody tr').count();
      await page.getByRole('button', { name: 'Older entries' }).click();
      await page.waitForFunction((n) => document.querySelectorAll('.recent tbody tr').length > n || document.querySelector('.recent [role="status"]')?.textContent === 'That is every entry.', before);
    }
    const rows = await page.locator('.recent tbody tr').evaluateAll((trs) => trs.map((r) => `${r.getAttribute('data-log')}:${r.getAttribute('data-index')}`));
    assert.equal(rows.length, v1Size + v2Size, 'every entry of both logs');
    assert.equal(new Set(rows).size, rows.length, 'each once');
    assert.equal(await page.locator('.recent [role="status"]').innerText(), 'That is every entry.');
    await page.close();
  });

  it('a home-page checkpoint with a tampered signature, or whose size disagrees with the signed one, is NOT verified', async () => {
    const page = await browser.context.newPage();
    await page.route('**/api/explorer/logs', async (route: Route) => {
      const json = (await (await route.fetch()).json()) as { logs: { name: string; checkpoint: string; size: number }[] };
      const v2Log = json.logs.find((l) => l.name === 'v2')!;
      const [body, sigs] = v2Log.checkpoint.split('\n\n');
      const [dash, name, b64] = sigs!.trimEnd().split('\n')[0]!.split(' ');
      const sig = Buffer.from(b64!, 'base64');
      sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
      v2Log.checkpoint = `${body}\n\n${dash} ${name} ${sig.toString('base64')}\n`;
      json.logs.find((l) => l.name === 'v1')!.size += 1;
      await route.fulfill({ json });
    });
    await page.goto(`${explorer.url}/`);
    for (const [log, reason] of [['v2', /does not verify with the key/], ['v1', /does not state the size and root the instance reports/]] as const) {
      const check = page.locator(`.log-card[data-log="${log}"] [data-check="checkpoint"]`);
      await check.waitFor();
      assert.equal(await check.getAttribute('data-result'), 'failed', `${log}: ${await check.innerText()}`);
      assert.match(await check.innerText(), /Checkpoint signature: NOT verified/);
      assert.match(await check.innerText(), reason);
    }
    await page.close();
  });

  it('Check a bundle: a dropped keyless bundle and its artifact verify in the page; a tampered bundle or the wrong artifact fail with the CLI\'s error code', async () => {
    const dir = served.dataDir;
    const bundleText = readFileSync(join(dir, 'artifact-v2.sigstore.json'), 'utf8');
    const artifactText = readFileSync(join(dir, 'artifact-v2.txt'), 'utf8');
    const page = await open();
    await page.locator('#check-form').waitFor();
    // A real drop: the page tells the bundle (JSON with a mediaType) from the artifact.
    const dropped = await page.evaluateHandle(([b, a]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([a!], 'artifact-v2.txt', { type: 'text/plain' }));
      dt.items.add(new File([b!], 'artifact-v2.sigstore.json', { type: 'application/json' }));
      return dt;
    }, [bundleText, artifactText]);
    await page.dispatchEvent('#check-form', 'drop', { dataTransfer: dropped });
    await page.waitForFunction(() => (document.querySelector('#check-bundle') as unknown as { files: { length: number } }).files.length === 1 && (document.querySelector('#check-artifact') as unknown as { files: { length: number } }).files.length === 1);
    await page.getByLabel('Expected certificate identity (optional)').fill(identity);
    await page.getByLabel('Expected OIDC issuer (optional)').fill(served.url);
    await page.getByRole('button', { name: 'Check the bundle' }).click();
    await page.locator('[data-state="bundle-verified"]').waitFor();
    const shown = await page.locator('[data-state="bundle-verified"]').innerText();
    for (const name of ['signature', 'certificate', 'identity', 'sct', 'tlog', 'time']) {
      assert.ok(await page.locator(`[data-state="bundle-verified"] [data-check="${name}"]`).count() >= 1, `${name}: ${shown}`);
    }
    assert.match(await page.locator('[data-check="identity"]').innerText(), /^matches what you expect: https:\/\/.*my-group\/my-project\/\/\.gitlab-ci\.yml@refs\/heads\/main/);
    assert.match(await page.locator('[data-check="signature"]').innerText(), new RegExp(`over the artifact you gave \\(sha256:${v2.digest}\\)`));
    await shot(page, 'check-bundle');

    const cliCode = (bundle: string, artifact: string): string => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'verify-blob', artifact, '--bundle', bundle, '--trusted-root', join(dir, 'trusted_root.json'), '--certificate-identity', identity, '--certificate-oidc-issuer', served.url], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      return /\[(ERR_[A-Z0-9_]+)\]\s*$/.exec(r.stderr)![1]!;
    };
    const tampered = JSON.parse(bundleText);
    const sig = Buffer.from(tampered.messageSignature.signature, 'base64');
    sig[sig.length - 4] = sig[sig.length - 4]! ^ 1;
    tampered.messageSignature.signature = sig.toString('base64');
    writeFileSync(join(dir, 'tampered.sigstore.json'), JSON.stringify(tampered));
    writeFileSync(join(dir, 'wrong-artifact.txt'), 'not the artifact that was signed\n');
    for (const [bundle, artifact] of [['tampered.sigstore.json', 'artifact-v2.txt'], ['artifact-v2.sigstore.json', 'wrong-artifact.txt']] as const) {
      await page.locator('#check-bundle').setInputFiles(join(dir, bundle));
      await page.locator('#check-artifact').setInputFiles(join(dir, artifact));
      await page.getByRole('button', { name: 'Check the bundle' }).click();
      const failed = page.locator(`[data-state="bundle-failed"] h4:text-is("${bundle}: NOT verified")`);
      await failed.waitFor();
      assert.equal(await page.locator('[data-state="bundle-failed"]').getAttribute('data-code'), cliCode(join(dir, bundle), join(dir, artifact)), `${bundle} with ${artifact}`);
    }
    await page.locator('#check-bundle').setInputFiles({ name: 'not-a-bundle.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await page.getByRole('button', { name: 'Check the bundle' }).click();
    await page.locator('[data-state="bundle-failed"] h4:text-is("not-a-bundle.json: NOT verified")').waitFor();
    assert.match(await page.locator('[data-state="bundle-failed"]').getAttribute('data-code') ?? '', /^ERR_BUNDLE/);
    await page.close();
  });

  it('no serious or critical accessibility violations (axe-core) on the home page, an entry, a search result and bad input', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    for (const [query, ready] of [
      ['', '.recent tbody tr'],
      [`?logIndex=${signed.index}`, '[data-check="latest"]'],
      [`?log=v2&logIndex=${v2.index}`, '[data-check="latest"]'],
      [`?hash=sha256:${signed.digest}`, 'tbody tr'],
      ['?logIndex=abc', '[data-state="bad-input"]'],
      ['?q=999999', '[data-state="not-found"]'],
    ] as const) {
      const page = await open(query);
      await page.locator(ready).first().waitFor();
      // Evaluated through the DevTools protocol, which the page's CSP does not govern (the page itself loads no
      // script but its own).
      await page.evaluate(axe);
      const violations = await page.evaluate(async () => {
        const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
      });
      assert.deepEqual(violations, [], `${query || 'home'}: ${violations.join('\n')}`);
      await page.close();
    }
  });

  it('serves the page with a strict Content-Security-Policy and no other origin', async () => {
    const page = await browser.context.newPage();
    const origins = new Set<string>();
    page.on('request', (request) => void origins.add(new URL(request.url()).origin));
    const response = await page.goto(`${explorer.url}/?logIndex=${signed.index}`);
    await checks(page);
    assert.match(response!.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
    assert.deepEqual([...origins], [explorer.url]);
    await page.close();
    // The bundle of src/core is served from the build (web/dist), the old hand-written readers are gone, and no
    // request path reaches the file system.
    const bundle = await fetch(`${explorer.url}/explorer/dist/core.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.deepEqual(await bundle.text(), readFileSync(join(ROOT, 'web', 'dist', 'core.js'), 'utf8'));
    for (const gone of ['x509.js', 'der.js', 'merkle.js', 'dist%2F..%2F..%2Fpackage.json', 'dist/', 'src/core-entry.ts']) {
      assert.equal((await fetch(`${explorer.url}/explorer/${gone}`)).status, 404, gone);
    }
  });
});

// The DOM types come from the browser; these tests only use them inside page.evaluate.
declare const location: { search: string };
declare const document: {
  activeElement: { id: string; textContent: string | null } | null;
  documentElement: { scrollWidth: number };
  querySelectorAll(s: string): ArrayLike<unknown> & Iterable<unknown>;
  querySelector(s: string): { textContent: string | null } | null;
};
declare class DataTransfer { items: { add(file: File): void } }
declare class File { constructor(parts: string[], name: string, options: { type: string }) }
interface HTMLInputElement { labels: ArrayLike<unknown> | null }
