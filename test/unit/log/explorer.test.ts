// One search across logs and the explorer's home-page data: the Rekor v2 log answers the same index query as Rekor
// v1 (its keys are written with the entry), in-toto statement subjects are indexed so an artifact's digest finds its
// attestations, and ExplorerApi pages the newest entries of both logs and counts appends per hour.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pae } from '../../../src/core/dsse.js';
import { leafHash } from '../../../src/core/merkle.js';
import { ExplorerApi } from '../../../src/log/explorer.js';
import { statementSubjectKeys } from '../../../src/log/kinds/entry.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { RekorV1Api } from '../../../src/log/rekor-v1.js';
import { RekorV2Api } from '../../../src/log/rekor-v2.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import type { LogStore } from '../../../src/log/store/types.js';
import { entryKey, hashedRekordV1, hashedRekordV2, signedArtifact } from '../../helpers/entries.js';

const TYPE = 'application/vnd.in-toto+json';
const HOUR = 3600;
const T0 = 1_800_000_000; // a whole hour

function statement(digests: Record<string, string>[]): Buffer {
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: digests.map((digest, i) => ({ name: `a${i}`, digest })), predicateType: 'x', predicate: {} }));
}

describe('statementSubjectKeys', () => {
  it('indexes each subject\'s sha256/384/512 digest of an in-toto statement, and nothing of anything else', () => {
    const d256 = 'AB'.repeat(32);
    const d512 = 'cd'.repeat(64);
    assert.deepEqual(statementSubjectKeys(TYPE, statement([{ sha256: d256 }, { sha512: d512, gitCommit: 'ef'.repeat(20) }])), [`sha256:${d256.toLowerCase()}`, `sha512:${d512}`]);
    assert.deepEqual(statementSubjectKeys('text/plain', statement([{ sha256: d256 }])), []);
    assert.deepEqual(statementSubjectKeys(TYPE, Buffer.from('not json')), []);
    assert.deepEqual(statementSubjectKeys(TYPE, Buffer.from('{"subject": 1}')), []);
    assert.deepEqual(statementSubjectKeys(TYPE, statement([{ sha256: 'ab'.repeat(31) }, { sha256: 'zz'.repeat(32) }])), []);
    assert.deepEqual(statementSubjectKeys(TYPE, Buffer.from([0xff, 0xfe])), []);
  });
});

describe('the log search index and ExplorerApi', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-explorer-'));
  let store: LogStore;
  let v1: TransparencyLog;
  let v2: TransparencyLog;
  let api1: RekorV1Api;
  let api2: RekorV2Api;
  let explorer: ExplorerApi;
  let clock = T0 * 1000;
  const key = entryKey();
  before(async () => {
    store = await createSqliteStore({ path: join(dir, 'log.sqlite') });
    const now = () => clock;
    v1 = await new TransparencyLog({ id: 'v1', origin: 'rekor-v1.test - 7', signer: createLogSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'rekor-v1.test', 'rekor-v1'), store, now }).open();
    v2 = await new TransparencyLog({ id: 'v2', origin: 'rekor-v2.test', signer: createLogSigner(generateKeyPairSync('ed25519').privateKey, 'rekor-v2.test', 'c2sp'), store, now }).open();
    api1 = new RekorV1Api(v1, '7');
    api2 = new RekorV2Api(v2);
    explorer = new ExplorerApi([{ name: 'v2', label: 'Rekor v2', log: v2 }, { name: 'v1', label: 'Rekor v1', log: v1 }]);
  });
  after(async () => {
    await v1.close();
    await v2.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Rekor v2 log finds its entries by artifact digest and by key, and refuses a malformed query with ERR_REQUEST', async () => {
    const s = signedArtifact(key);
    const created = await api2.createEntry(hashedRekordV2(key, s));
    assert.deepEqual(await api2.searchIndex({ hash: `sha256:${s.digest.toString('hex')}` }), [created.logIndex]);
    const byKey = await api2.searchIndex({ publicKey: { format: 'x509', content: Buffer.from(key.publicKeyPem).toString('base64') } });
    assert.ok(byKey.includes(created.logIndex));
    assert.deepEqual(await api2.searchIndex({ hash: `sha256:${'00'.repeat(32)}` }), []);
    const leaf = Buffer.from(leafHash(Buffer.from(created.canonicalizedBody, 'base64'))).toString('hex');
    assert.deepEqual(await api2.searchIndex({ leafHash: leaf.toUpperCase() }), [created.logIndex]);
    assert.deepEqual(await api2.searchIndex({ leafHash: '00'.repeat(32) }), []);
    await assert.rejects(api2.searchIndex({ leafHash: 'ab' }), { code: 'ERR_REQUEST' });
    await assert.rejects(api2.searchIndex({}), { code: 'ERR_REQUEST' });
    await assert.rejects(api2.searchIndex({ hash: 'sha256:xyz' }), { code: 'ERR_REQUEST' });
    await assert.rejects(api2.searchIndex([]), { code: 'ERR_REQUEST' });
    // The v1 log does not hold it: the indexes are per log.
    assert.deepEqual(await api1.searchIndex({ hash: `sha256:${s.digest.toString('hex')}` }), []);
  });

  it('an artifact\'s digest finds the DSSE attestations whose statement names it as a subject, in both logs', async () => {
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const artifact = randomBytes(32).toString('hex');
    const payload = statement([{ sha256: artifact }]);
    const sig = sign('sha256', pae(TYPE, payload), signer.privateKey);
    const pem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const envelope = { payload: payload.toString('base64'), payloadType: TYPE, signatures: [{ sig: sig.toString('base64'), keyid: '' }] };
    const { uuid } = await api1.createEntry({ apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [Buffer.from(pem).toString('base64')] } } });
    assert.deepEqual(await api1.searchIndex({ hash: `sha256:${artifact}` }), [uuid]);
    const created = await api2.createEntry({
      dsseRequestV002: {
        envelope: { payload: payload.toString('base64'), payloadType: TYPE, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
        verifiers: [{ publicKey: { rawBytes: signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }],
      },
    });
    assert.deepEqual(await api2.searchIndex({ hash: `sha256:${artifact}` }), [created.logIndex]);
  });

  it('ExplorerApi.logs: each log\'s published size, root, checkpoint and newest time', async () => {
    const { logs } = await explorer.logs();
    assert.deepEqual(logs.map((l) => l.name), ['v2', 'v1']);
    for (const l of logs) {
      const head = await (l.name === 'v2' ? v2 : v1).publishedHead();
      assert.equal(l.size, head.size);
      assert.equal(l.checkpoint, head.checkpoint);
      assert.equal(l.rootHash, Buffer.from(head.rootHash).toString('hex'));
      assert.equal(l.newestIntegratedTime, T0);
    }
  });

  it('ExplorerApi.recent pages through every entry of both logs exactly once, newest first', async () => {
    // Entries an hour apart, alternating logs, so that time and not the log decides the order.
    for (let i = 1; i <= 7; i++) {
      clock = (T0 + i * HOUR) * 1000;
      if (i % 2 === 0) await api1.createEntry(hashedRekordV1(key));
      else await api2.createEntry(hashedRekordV2(key));
    }
    const sizes = { v1: (await v1.head()).size, v2: (await v2.head()).size };
    const seen: { log: string; logIndex: number; integratedTime: number }[] = [];
    let before: string | undefined;
    for (let page = 0; page < 20; page++) {
      const { entries, next } = await explorer.recent('3', before);
      assert.ok(entries.length <= 3);
      seen.push(...entries);
      if (next === null) break;
      before = next;
    }
    assert.equal(seen.length, sizes.v1 + sizes.v2);
    assert.equal(new Set(seen.map((e) => `${e.log}:${e.logIndex}`)).size, seen.length);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.integratedTime >= seen[i]!.integratedTime, 'newest first');
    assert.deepEqual(seen.slice(0, 3).map((e) => [e.log, e.integratedTime]), [['v2', T0 + 7 * HOUR], ['v1', T0 + 6 * HOUR], ['v2', T0 + 5 * HOUR]]);
    assert.equal((await explorer.recent(undefined, undefined)).entries[0]!.kind, 'hashedrekord');
  });

  it('ExplorerApi.recent refuses a malformed page request with ERR_REQUEST', async () => {
    for (const [limit, before] of [['0', undefined], ['101', undefined], ['x', undefined], [undefined, 'v3:1'], [undefined, 'v1:1,v1:2'], [undefined, 'v1:-1'], [undefined, 'nonsense']] as const) {
      await assert.rejects(explorer.recent(limit, before), { code: 'ERR_REQUEST' }, `${limit} ${before}`);
    }
  });

  it('ExplorerApi.activity counts each log\'s appends per hour over the last 24 hours', async () => {
    const activity = await explorer.activity(T0 + 7 * HOUR + 10);
    assert.equal(activity.bucketSeconds, HOUR);
    assert.equal(activity.end, T0 + 8 * HOUR);
    const v2Counts = activity.logs.find((l) => l.name === 'v2')!.counts;
    const v1Counts = activity.logs.find((l) => l.name === 'v1')!.counts;
    assert.equal(v2Counts.length, 24);
    // The last bucket is [T0+7h, T0+8h): one v2 entry; the one before it: one v1 entry.
    assert.equal(v2Counts[23], 1);
    assert.equal(v1Counts[22], 1);
    assert.equal(v1Counts[23], 0);
    // Everything logged at T0 (16 hours before the last bucket starts) falls in bucket 23 - 7 = 16.
    assert.equal(v2Counts[16], 2);
    assert.ok(activity.logs.every((l) => l.complete));
    // A day later nothing is in the window.
    const later = await explorer.activity(T0 + 40 * HOUR);
    assert.ok(later.logs.every((l) => l.counts.every((c) => c === 0) && l.complete));
  });
});
