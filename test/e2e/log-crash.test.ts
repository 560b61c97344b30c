// Crash test: `kill -9` the server during a concurrent write load, restart it, repeat. Every acknowledged entry
// must still be there with the same index, and every checkpoint a client saw before the crash must be provably
// extended (consistency proof) by the checkpoint after it. Rounds: KEYLESS_CRASH_ROUNDS (default 20).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { base64Decode, hexEncode } from '../../src/core/encoding.js';
import { publicKeyFromSpki } from '../../src/core/keys.js';
import { leafHash } from '../../src/core/merkle.js';
import { auditLog, type LogApi, type MonitorState } from '../../src/log/monitor.js';
import { parseTrustedRoot } from '../../src/trust/index.js';
import { assertV2EntriesPresent, entryKey, hashedRekordV1, hashedRekordV2 } from '../helpers/entries.js';
import { startServe, tempDir, type Served } from '../helpers/serve.js';

const ROUNDS = Number(process.env.KEYLESS_CRASH_ROUNDS ?? 20);
const WRITERS_PER_API = 12;

interface Ack {
  readonly index: number;
  readonly leafHash: string;
  readonly checkpoint: string;
}

function stateOf(url: string, checkpoint: string): MonitorState {
  const [origin, size, root] = checkpoint.split('\n');
  return { url, origin: origin!, size: Number(size), rootHash: hexEncode(base64Decode(root!)), checkpoint };
}

describe('log durability under kill -9', () => {
  const dataDir = tempDir('keyless-crash-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`keeps every acknowledged entry and one consistent tree across ${ROUNDS} crashes`, { timeout: 600_000 }, async () => {
    const key = entryKey();
    const acks: Record<'v1' | 'v2', Ack[]> = { v1: [], v2: [] };
    let keys: ReturnType<typeof publicKeyFromSpki>[] = [];
    let totalAcked = 0;

    for (let round = 0; round <= ROUNDS; round++) {
      const served: Served = await startServe(['--only', 'log'], { dataDir });
      keys = parseTrustedRoot(served.trustedRoot()).tlogs.map((t) => publicKeyFromSpki(t.publicKey.rawBytes));
      // 1. What was acknowledged before the last crash is still there, at the same index.
      await checkAcks(served.url, acks, round === ROUNDS);
      // 2. Every checkpoint seen before the crash is extended by the current one.
      for (const [api, list] of [['rekor-v1', acks.v1], ['tiles', acks.v2]] as const) {
        const seen = [...new Set(list.map((a) => a.checkpoint))].slice(-25);
        for (const checkpoint of seen) {
          const url = api === 'tiles' ? `${served.url}/rekor-v2` : served.url;
          await auditLog({ url, api: api as LogApi, keys, previous: stateOf(url, checkpoint) });
        }
      }
      if (round === ROUNDS) {
        await served.stop();
        break;
      }
      // 3. Load, then kill -9 at a random moment while writes are in flight.
      const stopAt = Date.now() + 150 + Math.floor(Math.random() * 500);
      let stop = false;
      const writer = async (api: 'v1' | 'v2'): Promise<void> => {
        while (!stop) {
          const body = api === 'v1' ? hashedRekordV1(key) : hashedRekordV2(key);
          let res: Response;
          try {
            res = await fetch(`${served.url}${api === 'v2' ? '/rekor-v2' : ''}/api/${api}/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          } catch {
            return; // the server died mid-request: not acknowledged
          }
          if (res.status !== 201) {
            if (stop) return;
            throw new Error(`unexpected ${res.status}: ${await res.text()}`);
          }
          let json: Record<string, unknown>;
          try {
            json = (await res.json()) as Record<string, unknown>;
          } catch {
            return; // the response was cut off by the kill: not acknowledged either
          }
          if (api === 'v1') {
            const entry = Object.values(json)[0] as { body: string; logIndex: number; verification: { inclusionProof: { checkpoint: string } } };
            acks.v1.push({ index: entry.logIndex, leafHash: hexEncode(leafHash(base64Decode(entry.body))), checkpoint: entry.verification.inclusionProof.checkpoint });
          } else {
            const tle = json as { logIndex: string; canonicalizedBody: string; inclusionProof: { checkpoint: { envelope: string } } };
            acks.v2.push({ index: Number(tle.logIndex), leafHash: hexEncode(leafHash(base64Decode(tle.canonicalizedBody))), checkpoint: tle.inclusionProof.checkpoint.envelope });
          }
          totalAcked++;
        }
      };
      const writers = [...Array.from({ length: WRITERS_PER_API }, () => writer('v1')), ...Array.from({ length: WRITERS_PER_API }, () => writer('v2'))];
      await new Promise((r) => setTimeout(r, Math.max(0, stopAt - Date.now())));
      stop = true;
      await served.kill();
      await Promise.all(writers);
    }
    assert.ok(totalAcked > ROUNDS * 10, `the load acknowledged ${totalAcked} entries over ${ROUNDS} rounds`);
    console.log(`# crash test: ${ROUNDS} kill -9 rounds, ${acks.v1.length} v1 + ${acks.v2.length} v2 acknowledged entries, all present`);
  });
});

/** Checks the acks not yet checked (all of them when `all`), then marks them checked. */
const checked = { v1: 0, v2: 0 };
async function checkAcks(url: string, acks: Record<'v1' | 'v2', Ack[]>, all: boolean): Promise<void> {
  const v1 = all ? acks.v1 : acks.v1.slice(checked.v1);
  for (let i = 0; i < v1.length; i += 32) {
    await Promise.all(v1.slice(i, i + 32).map(async (ack) => {
      const res = await fetch(`${url}/api/v1/log/entries?logIndex=${ack.index}`);
      assert.equal(res.status, 200, `acknowledged v1 entry ${ack.index} is missing`);
      const entry = Object.values((await res.json()) as Record<string, { body: string }>)[0]!;
      assert.equal(hexEncode(leafHash(base64Decode(entry.body))), ack.leafHash, `v1 entry ${ack.index} changed`);
    }));
  }
  // v2 entries are read the way tile clients read them: entry bundles.
  await assertV2EntriesPresent(url, all ? acks.v2 : acks.v2.slice(checked.v2));
  checked.v1 = acks.v1.length;
  checked.v2 = acks.v2.length;
}
