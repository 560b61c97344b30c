// RekorV1Api returns a dsse or intoto entry's statement as `attestation.data`, as Rekor does from its attestation
// storage, in the create response and on every read path; a hashedrekord entry has none, and nothing else changes.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { pae } from '../../../src/core/dsse.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { RekorV1Api, type RekorV1Entry } from '../../../src/log/rekor-v1.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import type { LogStore } from '../../../src/log/store/types.js';
import { entryKey, hashedRekordV1 } from '../../helpers/entries.js';

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');
const TYPE = 'application/vnd.in-toto+json';
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const logKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function statement(tag: string): Buffer {
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: tag, digest: { sha256: '00'.repeat(32) } }] }));
}

function dsseSig(payload: Buffer): string {
  return b64(sign('sha256', pae(TYPE, payload), key.privateKey));
}

function dsseEntry(payload: Buffer): unknown {
  const envelope = { payload: b64(payload), payloadType: TYPE, signatures: [{ sig: dsseSig(payload), keyid: '' }] };
  return { apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [b64(pem)] } } };
}

function intotoEntry(payload: Buffer): unknown {
  const envelope = { payloadType: TYPE, payload: b64(b64(payload)), signatures: [{ sig: b64(dsseSig(payload)), publicKey: b64(pem) }] };
  const hash = createHash('sha256').update(JSON.stringify(envelope)).digest('hex');
  return { apiVersion: '0.0.2', kind: 'intoto', spec: { content: { envelope, hash: { algorithm: 'sha256', value: hash } } } };
}

const only = (r: Record<string, RekorV1Entry>): RekorV1Entry => {
  const values = Object.values(r);
  assert.equal(values.length, 1);
  return values[0]!;
};

describe('Rekor v1 API: attestations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-rekor-v1-'));
  let store: LogStore;
  let log: TransparencyLog;
  let api: RekorV1Api;
  before(async () => {
    store = await createSqliteStore({ path: join(dir, 'log.sqlite') });
    const signer = createLogSigner(logKey.privateKey, 'rekor-v1.test', 'rekor-v1');
    log = await new TransparencyLog({ id: 'v1', origin: 'rekor-v1.test - 7', signer, store }).open();
    api = new RekorV1Api(log, '7');
  });
  after(async () => {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [kind, entry] of [['dsse', dsseEntry], ['intoto', intotoEntry]] as const) {
    it(`returns the ${kind} statement as attestation.data when created and when read`, async () => {
      const payload = statement(`${kind} ${Math.random()}`);
      const created = await api.createEntry(entry(payload));
      const fresh = only(created.response);
      assert.deepEqual(fresh.attestation, { data: b64(payload) });
      assert.deepEqual(Object.keys(fresh), ['attestation', 'body', 'integratedTime', 'logID', 'logIndex', 'verification'], "Rekor's field order");
      const reads = [
        only(await api.entryByIndex(fresh.logIndex)),
        only(await api.entryByUuid(created.uuid)),
        ...(await api.retrieve({ entryUUIDs: [created.uuid], logIndexes: [fresh.logIndex] })).map(only),
      ];
      assert.equal(reads.length, 4);
      for (const read of reads) {
        assert.deepEqual(read.attestation, { data: b64(payload) });
        assert.equal(read.body, fresh.body);
        // The SET covers the four fields Rekor signs, not the attestation (which is checked against payloadHash).
        const signed = canonicalize({ body: read.body, integratedTime: read.integratedTime, logID: read.logID, logIndex: read.logIndex });
        assert.ok(verify('sha256', Buffer.from(signed), logKey.publicKey, Buffer.from(read.verification.signedEntryTimestamp, 'base64')));
      }
      const stored = JSON.parse(Buffer.from(fresh.body, 'base64').toString());
      const payloadHash = kind === 'dsse' ? stored.spec.payloadHash.value : stored.spec.content.payloadHash.value;
      assert.equal(createHash('sha256').update(Buffer.from(fresh.attestation!.data, 'base64')).digest('hex'), payloadHash);
    });
  }

  it('returns no attestation for a hashedrekord entry', async () => {
    const created = await api.createEntry(hashedRekordV1(entryKey()));
    const fresh = only(created.response);
    assert.equal('attestation' in fresh, false);
    assert.equal('attestation' in only(await api.entryByIndex(fresh.logIndex)), false);
    assert.deepEqual(Object.keys(fresh), ['body', 'integratedTime', 'logID', 'logIndex', 'verification']);
  });
});
