// Witnessed checkpoints end to end, real processes and real HTTP: three `keyless witness serve`, one `keyless serve`
// that sends its Rekor v2 checkpoints to them with a 2-of-3 quorum, bundles that verify under --witness-policy (and
// still in @sigstore/verify, which ignores cosignatures), ERR_WITNESS when the policy wants a witness that did not
// cosign, a witness killed with -9 that keeps its state, a lost state file, an unreachable witness, and a log that
// forks.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createCosigner } from '../../src/core/cosignature.js';
import { parseSignedNote } from '../../src/core/note.js';
import { entryKey, type EntryKey } from '../helpers/entries.js';
import { startServe, tempDir, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const require = createRequire(import.meta.url);
const { MessageSignatureBundleBuilder, TSAWitness } = require('@sigstore/sign');
const { bundleToJSON, bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const BIN = join(ROOT, 'bin', 'keyless.js');
const HINT = 'test-key';

interface WitnessProc {
  readonly name: string;
  readonly dataDir: string;
  url: string;
  vkey: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

function spawnWitness(name: string, dataDir: string, config: string, extra: string[] = [], port = '0'): Promise<{ url: string; vkey: string; proc: ChildProcess; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, [BIN, 'witness', 'serve', '--config', config, '--name', `${name}.witness.test`, '--data-dir', dataDir, '--port', port, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`witness did not start:\n${out}\n${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const vkey = /witness vkey: (\S+)/.exec(out)?.[1];
      if (url !== undefined && vkey !== undefined) {
        clearTimeout(timer);
        resolve({ url, vkey, proc, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`witness exited with ${code}:\n${out}\n${err}`), { stderr: err, code }));
    });
  });
}

function sigstoreSigner(key: EntryKey) {
  return { sign: async (data: Buffer) => ({ signature: sign('sha256', data, key.privateKey), key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: HINT } }) };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A Rekor v2 bundle from our log (entry) and TSA, assembled by sigstore-js's builder. */
async function v2Bundle(served: Served, key: EntryKey, artifact: Buffer): Promise<Record<string, unknown>> {
  const json = bundleToJSON(await new MessageSignatureBundleBuilder({ signer: sigstoreSigner(key), witnesses: [new TSAWitness({ tsaBaseURL: served.url })] }).create({ data: artifact }));
  const verifier = { publicKey: { rawBytes: key.spkiDer.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
  const res = await postJson(`${served.url}/rekor-v2/api/v2/log/entries`, { hashedRekordRequestV002: { digest: json.messageSignature.messageDigest.digest, signature: { content: json.messageSignature.signature, verifier } } });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  json.verificationMaterial.tlogEntries = [res.json];
  return json;
}

function checkpointOf(bundle: Record<string, unknown>): string {
  return ((bundle as { verificationMaterial: { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] } }).verificationMaterial.tlogEntries[0]!.inclusionProof.checkpoint.envelope);
}

describe('witnessed checkpoints across processes', () => {
  const work = tempDir('keyless-witness-e2e-');
  const logDir = join(work, 'log');
  const key = entryKey();
  let logVkey = '';
  let logPort = '0';
  let served: Served;
  const witnesses: WitnessProc[] = [];
  const config = join(work, 'witness-config.txt');
  const outsider = createCosigner('w4.witness.test', generateKeyPairSync('ed25519').privateKey);

  const policy = (quorum: string, extra = '') => {
    const path = join(work, `policy-${createHash('sha256').update(quorum + extra).digest('hex').slice(0, 8)}.txt`);
    writeFileSync(path, `# the three witnesses the log asks\n${witnesses.map((w) => `witness ${w.name} ${w.vkey} ${w.url}`).join('\n')}\n${extra}${quorum}\n`);
    return path;
  };
  const witnessFlags = () => witnesses.flatMap((w) => ['--witness', `${w.name}=${w.url}+${w.vkey}`]);
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  before(async () => {
    // First start: the log makes its key; its vkey goes into the witnesses' config.
    const first = await startServe(['--only', 'log,tsa'], { dataDir: logDir });
    await first.stop();
    // The same port again: the log's origin (and key name) was fixed at first start, and sigstore-js matches the
    // checkpoint's key name against the trusted root's baseUrl.
    logPort = new URL(first.url).port;
    logVkey = readFileSync(join(logDir, 'rekor-v2.vkey'), 'utf8').trim();
    writeFileSync(config, `# the log keyless serve runs\nlog ${logVkey}\n`);
    for (const name of ['w1', 'w2', 'w3']) {
      const dataDir = join(work, name);
      witnesses.push({ name, dataDir, ...(await spawnWitness(name, dataDir, config)) });
    }
    served = await startServe(['--only', 'log,tsa', '--port', logPort, ...witnessFlags(), '--witness-quorum', '2', '--witness-timeout', '1500'], { dataDir: logDir });
    writeFileSync(join(work, 'key.pem'), key.publicKeyPem);
    writeFileSync(join(work, 'trusted_root.json'), JSON.stringify(served.trustedRoot()));
  });
  after(async () => {
    await served?.stop();
    for (const w of witnesses) {
      w.proc.kill('SIGKILL');
      await w.exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  const verifyBlob = (artifact: Buffer, bundle: Record<string, unknown>, policyPath?: string) => {
    const a = join(work, `artifact-${Math.random()}`);
    const b = `${a}.bundle`;
    writeFileSync(a, artifact);
    writeFileSync(b, JSON.stringify(bundle));
    return cli(['verify-blob', a, '--bundle', b, '--key', join(work, 'key.pem'), '--trusted-root', join(work, 'trusted_root.json'), ...(policyPath ? ['--witness-policy', policyPath] : [])]);
  };

  it('a 2-of-3 cosigned bundle verifies under --witness-policy, in keyless and in @sigstore/verify; a policy wanting an absent witness fails with ERR_WITNESS', async () => {
    const artifact = Buffer.from(`witnessed ${Math.random()}`);
    const bundle = await v2Bundle(served, key, artifact);
    const note = parseSignedNote(checkpointOf(bundle));
    assert.ok(note.signatures.length >= 3, `log signature and at least two cosignatures: ${note.signatures.map((s) => s.name).join(', ')}`);
    const ok = verifyBlob(artifact, bundle, policy('group two-of-three 2 w1 w2 w3\nquorum two-of-three'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Verified OK/);
    // Clients that ignore cosignatures: keyless without a policy, and sigstore-js.
    assert.equal(verifyBlob(artifact, bundle).status, 0);
    const trust = toTrustMaterial(TrustedRoot.fromJSON(served.trustedRoot()), { [HINT]: { rawBytes: key.spkiDer, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } });
    new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(bundle), artifact));
    // A policy that requires a witness the log never asked.
    const bad = verifyBlob(artifact, bundle, policy('group need-w4 all w1 w4\nquorum need-w4', `witness w4 ${outsider.vkey}\n`));
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /\[ERR_WITNESS\]/);
    // It names who did cosign (two or three of w1–w3, whoever answered before the quorum) and who did not (w4).
    assert.match(bad.stderr, /cosigned by w[123], w[123]/);
    assert.match(bad.stderr, /not by (w[123], )?w4/);
    // /checkpoint (tiles) serves a cosigned checkpoint too.
    const cp = await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text();
    assert.ok(parseSignedNote(cp).signatures.length >= 3);
  });

  it('log audit verifies the cosignatures and pushes the checkpoint to the witnesses as a monitor', async () => {
    const state = join(work, 'audit.json');
    const res = cli(['log', 'audit', '--url', `${served.url}/rekor-v2`, '--trusted-root', join(work, 'trusted_root.json'), '--state', state, '--witness-policy', policy('group all3 all w1 w2 w3\nquorum all3'), '--push', '--json']);
    assert.equal(res.status, 0, res.stderr + res.stdout);
    const out = JSON.parse(res.stdout) as { witnesses: { cosigned: { name: string }[]; pushed: { name: string; outcome: string }[] } };
    assert.deepEqual(out.witnesses.cosigned.map((c) => c.name).sort(), ['w1', 'w2', 'w3']);
    assert.ok(out.witnesses.pushed.every((p) => p.outcome === 'cosigned'), JSON.stringify(out.witnesses.pushed));
  });

  it('a witness killed with -9 while the log appends keeps every state it answered for, and refuses a rollback (409 with its size)', async () => {
    const older = checkpointOf(await v2Bundle(served, key, Buffer.from(`older ${Math.random()}`)));
    const olderLogOnly = `${parseSignedNote(older).text}\n${older.split('\n\n')[1]!.split('\n')[0]}\n`;
    const w = witnesses[0]!;
    const olderSize = Number(parseSignedNote(older).text.split('\n')[1]);
    const w1Size = async () => ((await (await fetch(`${served.url}/witness-status`)).json()) as { logs: Record<string, { witnesses: { name: string; cosignedSize?: number }[] }> }).logs['rekor-v2']!.witnesses.find((x) => x.name === 'w1')!.cosignedSize ?? 0;
    // First w1 cosigns something newer than `older`.
    for (let i = 0; (await w1Size()) <= olderSize; i++) {
      assert.ok(i < 50, 'w1 cosigns newer checkpoints');
      await v2Bundle(served, key, Buffer.from(`newer ${i} ${Math.random()}`));
    }
    // Appends in flight while w1 dies: they are acknowledged anyway (w2 and w3 make the quorum).
    const appends = Array.from({ length: 30 }, (_, i) => v2Bundle(served, key, Buffer.from(`during kill ${i} ${Math.random()}`)));
    await new Promise((r) => setTimeout(r, 40));
    w.proc.kill('SIGKILL');
    await w.exited;
    await Promise.all(appends);
    const status = (await (await fetch(`${served.url}/witness-status`)).json()) as { logs: Record<string, { witnesses: { name: string; cosignedSize?: number }[] }> };
    const answered = status.logs['rekor-v2']!.witnesses.find((x) => x.name === 'w1')!.cosignedSize!;
    const port = new URL(w.url).port;
    Object.assign(w, await spawnWitness(w.name, w.dataDir, config, [], port));
    const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${olderLogOnly}` });
    assert.equal(res.status, 409);
    assert.equal(res.headers.get('content-type'), 'text/x.tlog.size');
    const size = Number((await res.text()).trim());
    assert.ok(size >= answered, `the restarted witness remembers size ${size}, at least the ${answered} it last cosigned for the log`);
    const back = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: `old ${size}\n\n${olderLogOnly}` });
    assert.equal(back.status, 400, 'an older checkpoint is never cosigned: its size is below the old size');
    // The log notices on its next batch and catches w1 up with a consistency proof from the size w1 remembers.
    const after = await v2Bundle(served, key, Buffer.from(`after restart ${Math.random()}`));
    void after;
    for (let i = 0; i < 100; i++) {
      const st = (await (await fetch(`${served.url}/witness-status`)).json()) as typeof status;
      if ((st.logs['rekor-v2']!.witnesses.find((x) => x.name === 'w1')!.cosignedSize ?? 0) > size) break;
      if (i === 99) assert.fail('w1 did not catch up');
      await new Promise((r) => setTimeout(r, 20));
      if (i % 20 === 19) await v2Bundle(served, key, Buffer.from(`nudge ${Math.random()}`));
    }
  });

  it('an unreachable witness leaves appends working; the cosignature count drops in /metrics and /witness-status', async () => {
    const w = witnesses[2]!;
    w.proc.kill('SIGKILL');
    await w.exited;
    const artifact = Buffer.from(`w3 down ${Math.random()}`);
    const bundle = await v2Bundle(served, key, artifact);
    assert.equal(verifyBlob(artifact, bundle, policy('group two 2 w1 w2 w3\nquorum two')).status, 0, 'two of three still make the quorum');
    const status = (await (await fetch(`${served.url}/witness-status`)).json()) as { logs: Record<string, { quorumMet: boolean; published: { cosignatures: number; witnesses: string[] }; witnesses: { name: string; lastError?: string }[] }> };
    const s = status.logs['rekor-v2']!;
    assert.deepEqual(s.published.witnesses, ['w1', 'w2']);
    // With --witness-quorum 2 the quorum is still met: ready; the failing witness is named in its entry.
    assert.equal((status as unknown as { ready: boolean }).ready, true);
    assert.match(s.witnesses.find((x) => x.name === 'w3')!.lastError ?? '', /unreachable|no answer/);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    assert.match(metrics, /keyless_witness_cosignatures\{log="rekor-v2"\} 2/);
    assert.match(metrics, /keyless_witness_requests_total\{log="rekor-v2",witness="w3",outcome="failed"\} [1-9]/);
    // A policy needing all three now fails, naming w3.
    const all = verifyBlob(artifact, bundle, policy('group all3 all w1 w2 w3\nquorum all3'));
    assert.equal(all.status, 1);
    assert.match(all.stderr, /not by w3.*\[ERR_WITNESS\]/);
  });

  it('a witness whose state file was deleted refuses to start without --reset-state-unsafe', async () => {
    const w = witnesses[2]!; // down since the previous test
    rmSync(join(w.dataDir, 'witness', 'state.sqlite'));
    rmSync(join(w.dataDir, 'witness', 'state.sqlite-wal'), { force: true });
    await assert.rejects(spawnWitness(w.name, w.dataDir, config), (err: Error & { stderr?: string; code?: number }) => /ERR_WITNESS_STATE/.test(err.stderr ?? '') && err.code === 2);
    const port = new URL(w.url).port;
    Object.assign(w, await spawnWitness(w.name, w.dataDir, config, ['--reset-state-unsafe'], port));
  });

  it('runs inside keyless serve as --only witness, with the same routes and state rules', async () => {
    const dir = join(work, 'serve-witness');
    const inServe = await startServe(['--only', 'witness', '--witness-config', config, '--witness-name', 'w5.witness.test'], { dataDir: dir });
    try {
      const cp = await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text();
      const note = parseSignedNote(cp);
      const logOnly = `${note.text}\n${cp.split('\n\n')[1]!.split('\n')[0]}\n`;
      const res = await fetch(`${inServe.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${logOnly}` });
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(await res.text(), /^\u2014 w5\.witness\.test \S+\n$/);
      assert.equal((await fetch(`${inServe.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${logOnly}` })).status, 409);
      assert.equal(readFileSync(join(dir, 'witness.vkey'), 'utf8').split('+')[0], 'w5.witness.test');
    } finally {
      assert.equal(await inServe.stop(), 0);
    }
  });

  it('a forking log: a copy of the log, same key, diverges; the witnesses cosign one branch only and a 2-of-3 client rejects the other', async () => {
    await served.stop();
    const forkDir = join(work, 'fork');
    cpSync(logDir, forkDir, { recursive: true });
    served = await startServe(['--only', 'log,tsa', '--port', logPort, ...witnessFlags(), '--witness-quorum', '2', '--witness-timeout', '1500'], { dataDir: logDir });
    const fork = await startServe(['--only', 'log,tsa', ...witnessFlags(), '--witness-quorum', '2', '--witness-timeout', '1500'], { dataDir: forkDir });
    try {
      const a = Buffer.from(`branch A ${Math.random()}`);
      const bundleA = await v2Bundle(served, key, a);
      const b = Buffer.from(`branch B ${Math.random()}`);
      const bundleB = await v2Bundle(fork, key, b);
      const pathA = parseSignedNote(checkpointOf(bundleA));
      const pathB = parseSignedNote(checkpointOf(bundleB));
      assert.equal(pathA.text.split('\n')[1], pathB.text.split('\n')[1], 'same size');
      assert.notEqual(pathA.text, pathB.text, 'different roots: a fork');
      const two = policy('group two 2 w1 w2 w3\nquorum two');
      assert.equal(verifyBlob(a, bundleA, two).status, 0, 'branch A is witnessed');
      const rejected = verifyBlob(b, bundleB, two);
      assert.equal(rejected.status, 1, 'branch B cannot be shown to a 2-of-3 client');
      assert.match(rejected.stderr, /ERR_WITNESS/);
      // Without a policy both verify: only witnesses make the split view visible.
      assert.equal(verifyBlob(b, bundleB).status, 0);
      const status = (await (await fetch(`${fork.url}/witness-status`)).json()) as { logs: Record<string, { witnesses: { lastError?: string }[] }> };
      assert.ok(status.logs['rekor-v2']!.witnesses.every((w) => /422|larger than this log/.test(w.lastError ?? '')), JSON.stringify(status));
    } finally {
      await fork.stop();
    }
  });
});
