// Fault: a lost or truncated SQLite WAL. Each round writes under load, kills the server with -9, then truncates
// the WAL at a random point, deletes it, or leaves it alone. The server must then either start with every
// acknowledged entry, or refuse with ERR_STORE_ROLLBACK and both checkpoints as evidence (or with ERR_STORE_CORRUPT
// when the pages left do not fit together); after a refusal the "backup" (the undamaged files) is restored and it
// must start. Across all rounds `keyless log audit` (the real CLI, keeping its state file) never sees two
// inconsistent checkpoints. Rounds: KEYLESS_WAL_ROUNDS (default 20).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { base64Decode, hexEncode } from '../../src/core/encoding.js';
import { leafHash } from '../../src/core/merkle.js';
import { assertV2EntriesPresent, entryKey, hashedRekordV2, type EntryKey } from '../helpers/entries.js';
import { freePort, startServe, tempDir, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const ROUNDS = Number(process.env.KEYLESS_WAL_ROUNDS ?? 20);
const WRITERS = 8;

interface Ack {
  readonly index: number;
  readonly leafHash: string;
}

function keyless(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes for `ms`, then kills the server mid-load; resolves once every writer has stopped. */
async function loadThenKill(served: Served, key: EntryKey, acks: Ack[], ms: number): Promise<void> {
  const { url } = served;
  let stop = false;
  const writer = async (): Promise<void> => {
    while (!stop) {
      let json: { logIndex: string; canonicalizedBody: string };
      try {
        const res = await fetch(`${url}/rekor-v2/api/v2/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedRekordV2(key)) });
        if (res.status !== 201) return;
        json = (await res.json()) as typeof json;
      } catch {
        return; // killed mid-request or mid-response: not acknowledged
      }
      acks.push({ index: Number(json.logIndex), leafHash: hexEncode(leafHash(base64Decode(json.canonicalizedBody))) });
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  await new Promise((r) => setTimeout(r, ms));
  await served.kill();
  stop = true;
  await Promise.all(writers);
}

describe('fault: a lost or truncated WAL', () => {
  const dir = tempDir('keyless-wal-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`never serves a rolled-back log: ${ROUNDS} rounds of kill -9 and WAL damage`, { timeout: 600_000 }, async () => {
    const dataDir = join(dir, 'data');
    const db = join(dataDir, 'db', 'log.sqlite');
    const wal = `${db}-wal`;
    const backup = join(dir, 'backup');
    mkdirSync(backup);
    const auditState = join(dir, 'audit.json');
    const key = entryKey();
    const acks: Ack[] = [];
    const outcomes = { started: 0, refused: 0, corrupt: 0, damaged: 0 };
    // One port for every round: the audit state names the log's URL.
    const port = ['--port', String(await freePort())];
    let current: Served | undefined;
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        let served: Served;
        try {
          served = await startServe(['--only', 'log', ...port], { dataDir });
          outcomes.started++;
        } catch (err) {
          // Refused: it must say why, with its evidence, and nothing else. A WAL lost after a checkpoint had copied
          // part of it into the main file leaves pages that do not fit together: SQLite's integrity check at open
          // refuses those (ERR_STORE_CORRUPT, README "The log never forks"); otherwise the tree went back.
          const message = (err as Error).message;
          if (/\[ERR_STORE_CORRUPT\]/.test(message)) {
            assert.match(message, /fails SQLite's integrity check/, message);
            outcomes.corrupt++;
          } else {
            assert.match(message, /\[ERR_STORE_ROLLBACK\]/, message);
            assert.match(message, /the last checkpoint this log published[^\n]*:\n[^\n]+\n\d+\n/, message);
            outcomes.refused++;
          }
          // Restore the backup: the files as they were before the damage.
          for (const name of ['log.sqlite', 'log.sqlite-wal']) {
            if (existsSync(join(backup, name))) copyFileSync(join(backup, name), join(dataDir, 'db', name));
            else rmSync(join(dataDir, 'db', name), { force: true });
          }
          served = await startServe(['--only', 'log', ...port], { dataDir });
        }
        current = served;
        await assertV2EntriesPresent(served.url, acks);
        const audit = keyless(['log', 'audit', '--url', `${served.url}/rekor-v2`, '--trusted-root', join(dataDir, 'trusted_root.json'), '--state', auditState]);
        assert.equal(audit.status, 0, `log audit after round ${round}: ${audit.stdout}${audit.stderr}`);
        if (round === ROUNDS) {
          current = undefined;
          await served.stop();
          break;
        }

        await loadThenKill(served, key, acks, 150 + Math.floor(Math.random() * 400));
        current = undefined;

        // The backup, then the damage.
        rmSync(join(backup, 'log.sqlite-wal'), { force: true });
        copyFileSync(db, join(backup, 'log.sqlite'));
        if (existsSync(wal)) copyFileSync(wal, join(backup, 'log.sqlite-wal'));
        if (existsSync(wal) && statSync(wal).size > 0) {
          if (round % 3 === 0) {
            unlinkSync(wal);
            outcomes.damaged++;
          } else if (round % 3 === 1) {
            truncateSync(wal, Math.floor(Math.random() * statSync(wal).size));
            outcomes.damaged++;
          }
        }
      }
    } finally {
      await current?.kill();
    }
    console.log(`# WAL loss: ${ROUNDS} rounds, ${outcomes.damaged} WALs damaged, ${outcomes.refused} refusals with ERR_STORE_ROLLBACK and ${outcomes.corrupt} with ERR_STORE_CORRUPT, ${acks.length} acknowledged entries all present`);
    assert.ok(outcomes.refused >= 1, 'at least one damaged WAL lost acknowledged entries, and the server refused it');
    assert.ok(acks.length > ROUNDS * 10, `the load acknowledged ${acks.length} entries`);
  });
});
