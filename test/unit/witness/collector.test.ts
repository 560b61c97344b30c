/**
 * The log's side of witnessing, in-process: a TransparencyLog whose batches go to three witnesses (their HTTP
 * routes reached through app.inject), a 2-of-3 quorum, a witness that is down, and a log that forks — each witness
 * cosigns at most one branch, so a 2-of-3 client cannot be shown both.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCheckpoint } from '../../../src/core/checkpoint.js';
import { noteVerifierFromVkey, noteVkey } from '../../../src/core/cosignature.js';
import { KeylessError } from '../../../src/core/errors.js';
import { leafHash, verifyInclusion } from '../../../src/core/merkle.js';
import { parseSignedNote, verifySignedNote } from '../../../src/core/note.js';
import { parseWitnessPolicy } from '../../../src/core/tlog-policy.js';
import { TransparencyLog } from '../../../src/log/log.js';
import { createLogSigner } from '../../../src/log/signer.js';
import { createSqliteStore } from '../../../src/log/store/index.js';
import type { LogHead } from '../../../src/log/store/types.js';
import { createApp } from '../../../src/server/app.js';
import { openWitnessInstance } from '../../../src/server/witness.js';
import { verifyWitnessQuorum } from '../../../src/verify/witness.js';
import { CosignatureCollector } from '../../../src/witness/collector.js';
import type { WitnessEndpoint } from '../../../src/witness/client.js';
import { cosignerKeyFromVkey } from '../../../src/core/cosignature.js';

const ORIGIN = 'witness.test/rekor-v2';
const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'keyless-collector-'));
  dirs.push(d);
  return d;
};

/** A witness reachable at http://<name>/ through a fetch that calls its app in-process; `down` makes it unreachable. */
function witness(name: string, logKey: KeyObject) {
  const instance = openWitnessInstance({ dataDir: tempDir(), name: `${name}.test/witness`, config: `log ${noteVkey(ORIGIN, logKey)}\n` });
  const app = createApp({ witness: instance.witness });
  closers.push(async () => { await app.close(); instance.close(); });
  const state = { down: false, calls: 0 };
  const endpoint: WitnessEndpoint = { name, url: `http://${name}.test`, key: cosignerKeyFromVkey(instance.witness.vkey) };
  return { name, instance, app, state, endpoint, vkey: instance.witness.vkey };
}
type TestWitness = ReturnType<typeof witness>;

function routingFetch(witnesses: TestWitness[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const w = witnesses.find((x) => url.host === `${x.name}.test`);
    if (w === undefined || w.state.down) throw new TypeError('fetch failed: connection refused');
    w.state.calls++;
    const res = await w.app.inject({ method: (init?.method ?? 'GET') as 'POST', url: url.pathname, payload: String(init?.body ?? ''), headers: { 'content-type': 'text/plain' } });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? '') } });
  }) as typeof fetch;
}

async function witnessedLog(key: KeyObject, witnesses: TestWitness[], quorum: number) {
  const store = await createSqliteStore({ path: join(tempDir(), 'log.sqlite') });
  const ref: { log?: TransparencyLog } = {};
  const collector = new CosignatureCollector<LogHead>({
    witnesses: witnesses.map((w) => w.endpoint),
    quorum,
    timeoutMs: 1000,
    fetch: routingFetch(witnesses),
    consistencyProof: async (a, b) => (await ref.log!.consistencyProof(a, b)).proof,
  });
  const log = await new TransparencyLog({ id: 'rekor-v2', origin: ORIGIN, signer: createLogSigner(key, ORIGIN, 'c2sp'), store, publish: (h) => collector.publish(h) }).open();
  ref.log = log;
  closers.push(async () => { collector.close(); await log.close(); await store.close(); });
  return { log, collector };
}

const policyFor = (ws: TestWitness[], quorumLine: string) => parseWitnessPolicy(`${ws.map((w) => `witness ${w.name} ${w.vkey}`).join('\n')}\n${quorumLine}\n`);

function checkEntry(key: KeyObject, seq: { entry: { index: number; body: Uint8Array }; head: LogHead; inclusionProof: Uint8Array[] }): void {
  // The published checkpoint still verifies as a plain log checkpoint (clients that ignore cosignatures).
  const note = parseSignedNote(seq.head.checkpoint);
  assert.deepEqual(verifySignedNote(note, [noteVerifierFromVkey(noteVkey(ORIGIN, key))]).verifiedBy, [ORIGIN]);
  const cp = parseCheckpoint(note.text);
  assert.equal(cp.size, seq.head.size);
  verifyInclusion(seq.entry.index, cp.size, leafHash(seq.entry.body), seq.inclusionProof, cp.rootHash);
}

describe('collecting cosignatures', () => {
  test('three witnesses, 2-of-3: entries are acknowledged with a cosigned checkpoint; a policy needing the third fails with ERR_WITNESS', async () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const ws = ['a', 'b', 'c'].map((n) => witness(n, key));
    const { log, collector } = await witnessedLog(key, ws, 2);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => log.submit({ body: Buffer.from(`entry ${i}`), searchKeys: [] })));
    for (const r of results) checkEntry(key, r);
    const last = results.at(-1)!;
    const verdict = verifyWitnessQuorum(last.head.checkpoint, policyFor(ws, 'group q 2 a b c\nquorum q'));
    assert.ok(verdict.cosigned.length >= 2);
    // Batching is by checkpoint: far fewer witness requests than entries.
    assert.ok(ws.every((w) => w.state.calls <= 8), `requests per witness: ${ws.map((w) => w.state.calls).join(', ')}`);
    // The third witness is not waited for (quorum 2) but keeps up: it cosigns the later checkpoints too.
    const more = await log.submit({ body: Buffer.from('one more'), searchKeys: [] });
    assert.ok(verifyWitnessQuorum(more.head.checkpoint, policyFor(ws, 'group q 2 a b c\nquorum q')).cosigned.length >= 2);
    for (let i = 0; i < 50 && collector.status().witnesses.some((w) => w.cosignedSize !== more.head.size); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(collector.status().witnesses.map((w) => w.cosignedSize), [more.head.size, more.head.size, more.head.size]);
    assert.equal(collector.status().quorumMet, true);
    // /checkpoint serves the published, cosigned head.
    assert.equal((await log.publishedHead()).checkpoint, more.head.checkpoint);
  });

  test('an unreachable witness leaves appends working; the count drops and the status says who failed', async () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const ws = ['a', 'b', 'c'].map((n) => witness(n, key));
    ws[2]!.state.down = true;
    const { log, collector } = await witnessedLog(key, ws, 3);
    const r = await log.submit({ body: Buffer.from('while c is down'), searchKeys: [] });
    checkEntry(key, r);
    const policy = policyFor(ws, 'group q 2 a b c\nquorum q');
    assert.deepEqual(verifyWitnessQuorum(r.head.checkpoint, policy).missing, ['c']);
    const status = collector.status();
    assert.equal(status.published?.cosignatures, 2);
    assert.equal(status.quorumMet, false, 'quorum 3 not met');
    assert.match(status.witnesses[2]!.lastError ?? '', /unreachable/);
    assert.throws(() => verifyWitnessQuorum(r.head.checkpoint, policyFor(ws, 'group q all a b c\nquorum q')), (err: unknown) =>
      err instanceof KeylessError && err.code === 'ERR_WITNESS' && (err.details['missing'] as string[]).join() === 'c' && (err.details['cosigned'] as string[]).join() === 'a,b');
    // All witnesses down: still appended, published with no cosignature.
    ws.forEach((w) => (w.state.down = true));
    const alone = await log.submit({ body: Buffer.from('nobody listens'), searchKeys: [] });
    checkEntry(key, alone);
    assert.equal(parseSignedNote(alone.head.checkpoint).signatures.length, 1);
    // c comes back: it learns the size it last cosigned from a 409 and catches up with a consistency proof.
    ws.forEach((w) => (w.state.down = false));
    const back = await log.submit({ body: Buffer.from('c is back'), searchKeys: [] });
    assert.equal(verifyWitnessQuorum(back.head.checkpoint, policyFor(ws, 'group q all a b c\nquorum q')).cosigned.length, 3);
  });

  test('a forking log: two stores with one key push both branches; each witness cosigns at most one, and a 2-of-3 client accepts only one', async () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const ws = ['a', 'b', 'c'].map((n) => witness(n, key));
    // Branch 1 reaches a and b first; branch 2 reaches c first.
    const one = await witnessedLog(key, ws.slice(0, 2), 2);
    const two = await witnessedLog(key, [ws[2]!], 1);
    const r1 = await one.log.submit({ body: Buffer.from('branch one'), searchKeys: [] });
    const r2 = await two.log.submit({ body: Buffer.from('branch two'), searchKeys: [] });
    assert.notDeepEqual(r1.head.rootHash, r2.head.rootHash, 'same size, different trees');
    // Now each branch is pushed to all three witnesses.
    const push = async (head: LogHead, log: TransparencyLog) => {
      const c = new CosignatureCollector<LogHead>({ witnesses: ws.map((w) => w.endpoint), quorum: 3, timeoutMs: 1000, fetch: routingFetch(ws), consistencyProof: async (x, y) => (await log.consistencyProof(x, y)).proof });
      return c.publish(head);
    };
    const p1 = await push(r1.head, one.log);
    const p2 = await push(r2.head, two.log);
    const policy = policyFor(ws, 'group q 2 a b c\nquorum q');
    const v1 = verifyWitnessQuorum(p1.checkpoint, policy);
    assert.deepEqual(v1.cosigned.map((c) => c.name), ['a', 'b']);
    assert.throws(() => verifyWitnessQuorum(p2.checkpoint, policy), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_WITNESS' && (err.details['cosigned'] as string[]).join() === 'c');
    // Each witness's state holds one branch only.
    for (const w of ws) assert.equal(w.instance.witness.latest()[0]?.size, 1);
    // Growing branch 2 does not win anyone over: a and b refuse its proof (422), c refuses branch 1's growth.
    const g2 = await two.log.submit({ body: Buffer.from('branch two grows'), searchKeys: [] });
    const pg2 = await push(g2.head, two.log);
    assert.deepEqual(verifyWitnessQuorum(pg2.checkpoint, parseWitnessPolicy(`${ws.map((w) => `witness ${w.name} ${w.vkey}`).join('\n')}\nquorum none\n`)).cosigned.map((c) => c.name), ['c']);
  });
});
