// Rekor v1's answer to POST /api/v1/log/entries, turned into the bundle's TransparencyLogEntry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { proposedRekorV1Entry, tlogEntryFromRekorV1 } from '../../../src/sign/rekor-v1.js';

const URL = 'https://log.example/api/v1/log/entries';
const body = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: {}, signature: {} } };
const bodyB64 = Buffer.from(JSON.stringify(body)).toString('base64');
const logID = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';
const uuid = `24296fb24b8ad77a${'ab'.repeat(32)}`;
const checkpoint = 'log.example - 2605736670972794746\n43\nAAAA\n\n— log.example sig\n';

function answer(overrides: Record<string, unknown> = {}, verification: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    [uuid]: {
      body: bodyB64,
      integratedTime: 1_772_600_767,
      logID,
      logIndex: 42,
      verification: {
        inclusionProof: { checkpoint, hashes: ['01'.repeat(32), '02'.repeat(32)], logIndex: 41, rootHash: '03'.repeat(32), treeSize: 43 },
        signedEntryTimestamp: Buffer.from('the SET').toString('base64'),
        ...verification,
      },
      ...overrides,
    },
  };
}

test('every field of the bundle entry comes from the answer; kind and version from the logged body', () => {
  const { entry, uuid: got } = tlogEntryFromRekorV1(answer(), URL);
  assert.equal(got, uuid);
  assert.equal(entry.logIndex, 42);
  assert.deepEqual(Buffer.from(entry.logId).toString('hex'), logID);
  assert.equal(entry.kind, 'hashedrekord');
  assert.equal(entry.kindVersion, '0.0.1');
  assert.equal(entry.integratedTime, 1_772_600_767);
  assert.equal(Buffer.from(entry.inclusionPromise!).toString(), 'the SET');
  assert.equal(entry.inclusionProof?.logIndex, 41, 'the proof keeps its own (shard) index');
  assert.equal(entry.inclusionProof?.treeSize, 43);
  assert.equal(Buffer.from(entry.inclusionProof!.rootHash).toString('hex'), '03'.repeat(32));
  assert.deepEqual(entry.inclusionProof!.hashes.map((h) => Buffer.from(h).toString('hex')), ['01'.repeat(32), '02'.repeat(32)]);
  assert.equal(entry.inclusionProof?.checkpoint, checkpoint);
  assert.deepEqual(JSON.parse(Buffer.from(entry.canonicalizedBody).toString()), body);
});

test('a dsse body gives kind dsse', () => {
  const dsse = Buffer.from(JSON.stringify({ apiVersion: '0.0.1', kind: 'dsse', spec: {} })).toString('base64');
  assert.equal(tlogEntryFromRekorV1(answer({ body: dsse }), URL).entry.kind, 'dsse');
});

test('an answer we cannot use is ERR_JSON naming the log and every problem', () => {
  const bad = (response: unknown, message: RegExp) =>
    assert.throws(() => tlogEntryFromRekorV1(response, URL), (err: unknown) =>
      err instanceof KeylessError && err.code === 'ERR_JSON' && err.message.includes(URL) && message.test(err.message));
  bad({}, /exactly one entry/);
  bad({ ...answer(), other: {} }, /exactly one entry/);
  bad(answer({ logIndex: -1 }), /logIndex must be a non-negative integer/);
  bad(answer({ logID: 'zz' }), /logID|hex/);
  bad(answer({ verification: undefined }), /no SET and no inclusion proof/);
  bad(answer({}, { inclusionProof: undefined }), /inclusionProof is missing/);
  bad(answer({}, { inclusionProof: { hashes: [], logIndex: 1, rootHash: '00', treeSize: 1 } }), /checkpoint must be a signed note/);
  bad(answer({ body: Buffer.from('[1]').toString('base64') }), /no kind and apiVersion/);
  bad(answer({ body: Buffer.from('not json').toString('base64') }), /body is not JSON/);
  bad(answer({ logIndex: 'x', integratedTime: null }), /logIndex.*; integratedTime/);
});

test('the proposed entries are hashedrekord for messages and dsse for envelopes, with the certificate as the key', () => {
  const cert = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
  const msg = proposedRekorV1Entry({ kind: 'message', digest: new Uint8Array(32).fill(7), signature: new Uint8Array([1, 2]) }, cert) as { kind: string; spec: { data: { hash: { value: string } }; signature: { publicKey: { content: string } } } };
  assert.equal(msg.kind, 'hashedrekord');
  assert.equal(msg.spec.data.hash.value, '07'.repeat(32));
  assert.match(Buffer.from(msg.spec.signature.publicKey.content, 'base64').toString(), /^-----BEGIN CERTIFICATE-----/);
  const env = proposedRekorV1Entry({ kind: 'dsse', payloadType: 'application/vnd.in-toto+json', payload: new Uint8Array([123, 125]), signature: new Uint8Array([1]) }, cert) as { kind: string; spec: { proposedContent: { envelope: string; verifiers: string[] } } };
  assert.equal(env.kind, 'dsse');
  assert.deepEqual(JSON.parse(env.spec.proposedContent.envelope), { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'AQ==', keyid: '' }] });
  assert.equal(env.spec.proposedContent.verifiers.length, 1);
});
