/**
 * The witness against c2sp.org/tlog-witness, over its HTTP routes in-process: each status the spec names has a
 * request that earns it (200, 400, 403, 404, 409 with text/x.tlog.size, 422), and the state survives a restart and
 * refuses to be silently lost.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { formatCheckpoint } from '../../../src/core/checkpoint.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosignerKeyFromVkey, verifyCosignature, noteVerifierFromVkey } from '../../../src/core/cosignature.js';
import { KeylessError } from '../../../src/core/errors.js';
import { parseSignedNote, signNote, verifySignedNote } from '../../../src/core/note.js';
import { createApp } from '../../../src/server/app.js';
import { openWitnessInstance, type WitnessInstance } from '../../../src/server/witness.js';
import { ToyLog } from './fixtures.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'keyless-witness-'));
  dirs.push(d);
  return d;
};

function start(dataDir: string, logs: ToyLog[], opts: { resetStateUnsafe?: boolean; now?: () => number } = {}) {
  const instance = openWitnessInstance({ dataDir, name: 'witness.test/w1', config: logs.map((l) => l.configLine()).join(''), ...opts });
  const app = createApp({ witness: instance.witness });
  const post = async (body: string) => {
    const res = await app.inject({ method: 'POST', url: '/add-checkpoint', payload: body, headers: { 'content-type': 'text/plain' } });
    return { status: res.statusCode, body: res.body, type: res.headers['content-type'] };
  };
  return { instance, app, post, close: async () => { await app.close(); instance.close(); } };
}

function assertCosigned(w: WitnessInstance, log: ToyLog, body: string, size = log.size): void {
  const note = parseSignedNote(log.checkpoint(size));
  const sig = parseSignedNote(`x\n\n${body}`).signatures;
  assert.equal(sig.length, 1);
  const ok = verifyCosignature(cosignerKeyFromVkey(w.witness.vkey), note.text, sig[0]!);
  assert.ok(ok && ok.timestamp > 0, 'a timestamped cosignature/v1 by the witness key over the checkpoint');
}

describe('add-checkpoint statuses', () => {
  test('200 cosigns; 409 carries the current size as text/x.tlog.size; consistent growth is cosigned again', async () => {
    const log = new ToyLog().append(5);
    const w = start(tempDir(), [log], { now: () => 1_700_000_000_000 });
    const first = await w.post(log.request(0));
    assert.equal(first.status, 200);
    assertCosigned(w.instance, log, first.body);
    const stale = await w.post(log.request(0));
    assert.equal(stale.status, 409);
    assert.equal(stale.type, 'text/x.tlog.size');
    assert.equal(stale.body, '5\n');
    log.append(7);
    const grown = await w.post(log.request(5));
    assert.equal(grown.status, 200);
    assertCosigned(w.instance, log, grown.body);
    // The same size again: equal roots, empty proof — cosigned again (a fresh timestamp).
    assert.equal((await w.post(log.request(12))).status, 200);
    // Content-Type does not matter: the body is text.
    const res = await w.app.inject({ method: 'POST', url: '/add-checkpoint', payload: log.request(12) });
    assert.equal(res.statusCode, 200);
    await w.close();
  });

  test('404 unknown origin; 403 bad or missing log signature', async () => {
    const log = new ToyLog().append(3);
    const w = start(tempDir(), [log]);
    const stranger = new ToyLog('example.com/other').append(3);
    assert.equal((await w.post(stranger.request(0))).status, 404);
    // Same origin, signed by a key the witness does not trust for it: no trusted signature.
    assert.equal((await w.post(log.request(0, 3, log.checkpoint(3, generateKeyPairSync('ed25519').privateKey)))).status, 403);
    // A signature line with the trusted name and key ID that does not verify.
    const cp = log.checkpoint(3);
    const forged = cp.replace(/ (\S+)\n$/, (_m, b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[10] = bytes[10]! ^ 1;
      return ` ${bytes.toString('base64')}\n`;
    });
    assert.equal((await w.post(log.request(0, 3, forged))).status, 403);
    assert.equal((await w.post(log.request(0))).status, 200, 'the genuine one is cosigned');
    await w.close();
  });

  test('400 malformed body or an old size above the checkpoint size', async () => {
    const log = new ToyLog().append(4);
    const w = start(tempDir(), [log]);
    assert.equal((await w.post('hello')).status, 400);
    assert.equal((await w.post(`old 01\n\n${log.checkpoint()}`)).status, 400);
    assert.equal((await w.post(`old 5\n\n${log.checkpoint()}`)).status, 400);
    assert.equal((await w.post(`old 0\n\nnot a checkpoint\n\n\u2014 x AAAAAAA=\n`)).status, 400);
    await w.close();
  });

  test('422: bad proof, a different root at the same size, a proof with old size 0, a size-0 checkpoint with a non-empty root', async () => {
    const log = new ToyLog().append(8);
    const w = start(tempDir(), [log]);
    assert.equal((await w.post(`old 0\n${Buffer.alloc(32).toString('base64')}\n\n${log.checkpoint()}`)).status, 422, 'old size 0 takes no proof');
    assert.equal((await w.post(log.request(0))).status, 200);
    const fork = log.fork();
    fork.leaves.pop();
    fork.append(1, 'other');
    assert.equal((await w.post(fork.request(8))).status, 422, 'same size, other root');
    const grown = log.fork().append(4);
    const badProof = grown.request(8).replace(/^old 8\n(\S+)\n/, `old 8\n${Buffer.alloc(32, 7).toString('base64')}\n`);
    assert.equal((await w.post(badProof)).status, 422, 'a consistency proof that does not verify');
    const forkGrown = fork.append(4);
    assert.equal((await w.post(forkGrown.request(8))).status, 422, 'a fork of the cosigned tree');
    const empty = new ToyLog('example.com/empty');
    const w2 = start(tempDir(), [empty]);
    const text = formatCheckpoint({ origin: empty.origin, size: 0, rootHash: new Uint8Array(32).fill(1), extensions: [] });
    const signed = signNote(text, [{ name: empty.origin, keyHint: noteVerifierFromVkey(empty.vkey).keyHint, sign: (m) => new Uint8Array(sign(null, m, empty.key)) }]);
    assert.equal((await w2.post(`old 0\n\n${signed}`)).status, 422);
    assert.equal((await w2.post(empty.request(0))).status, 200, 'the empty tree itself is cosigned');
    await w.close();
    await w2.close();
  });

  test('GET /<sha256(origin)>/checkpoint serves the latest cosigned checkpoint with the log signature and the cosignature', async () => {
    const log = new ToyLog().append(2);
    const w = start(tempDir(), [log]);
    const hash = createHash('sha256').update(log.origin).digest('hex');
    assert.equal((await w.app.inject({ method: 'GET', url: `/${hash}/checkpoint` })).statusCode, 404, 'nothing cosigned yet');
    await w.post(log.request(0));
    const res = await w.app.inject({ method: 'GET', url: `/${hash}/checkpoint` });
    assert.equal(res.statusCode, 200);
    const note = parseSignedNote(res.body);
    assert.deepEqual(verifySignedNote(note, [noteVerifierFromVkey(log.vkey)]).verifiedBy, [log.origin]);
    assert.ok(verifyCosignature(cosignerKeyFromVkey(w.instance.witness.vkey), note.text, note.signatures[1]!));
    await w.close();
  });
});

describe('witness state', () => {
  test('a restarted witness keeps its state: a rollback or a fork is refused after the restart', async () => {
    const dir = tempDir();
    const log = new ToyLog().append(10);
    let w = start(dir, [log]);
    assert.equal((await w.post(log.request(0))).status, 200);
    await w.close();
    w = start(dir, [log]);
    const rollback = await w.post(log.request(0, 6));
    assert.equal(rollback.status, 409);
    assert.equal(rollback.body, '10\n');
    assert.equal((await w.post(log.request(10, 6))).status, 400, 'old size above the checkpoint size');
    const fork = log.fork();
    fork.leaves.length = 6;
    fork.append(6, 'fork');
    assert.equal((await w.post(fork.request(10))).status, 422);
    await w.close();
  });

  test('a witness whose key exists but whose state file is gone refuses to start, unless --reset-state-unsafe', async () => {
    const dir = tempDir();
    const log = new ToyLog().append(3);
    const w = start(dir, [log]);
    await w.post(log.request(0));
    const vkey = w.instance.witness.vkey;
    await w.close();
    rmSync(join(dir, 'witness', 'state.sqlite'));
    rmSync(join(dir, 'witness', 'state.sqlite-wal'), { force: true });
    assert.throws(() => start(dir, [log]), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_WITNESS_STATE' && /reset-state-unsafe/.test(err.message));
    const reset = start(dir, [log], { resetStateUnsafe: true });
    assert.equal(reset.instance.witness.vkey, vkey, 'same key');
    assert.equal((await reset.post(log.request(0))).status, 200, 'state forgotten: it cosigns from scratch');
    await reset.close();
  });

  test('a state file made for another key is refused', async () => {
    const dir = tempDir();
    const log = new ToyLog().append(3);
    const w = start(dir, [log]);
    await w.close();
    rmSync(join(dir, 'keys', 'witness.pem'));
    // A new key is made; the state belongs to the old one.
    assert.throws(() => start(dir, [log]), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_WITNESS_STATE');
  });
});
