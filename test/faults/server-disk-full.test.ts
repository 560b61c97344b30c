// Disk full under a real `keyless serve`: its data directory on a small tmpfs that the test fills up.
// Writes answer 503 with Retry-After and ERR_STORE_UNAVAILABLE (never 500), /readyz says not ready while /healthz
// stays alive, every entry acknowledged before is intact, the error log stays small, and once space is freed the
// same process takes writes again — at the next index, nothing skipped.
// Needs root (mount -t tmpfs). Skipped with a message elsewhere, except under CI=true, where it fails instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { requireInTest } from '../helpers/requirements.js';
import { startServe } from '../helpers/serve.js';
import { checkAcked, readyz, waitFor, writeEntry, type Acked, type Answer } from './server-helpers.js';

function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}); this test needs root or CAP_SYS_ADMIN`;
  }
}

/** Writes a file until the file system says ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as { code?: string }).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('disk full', () => {
  it('writes answer 503 with Retry-After, /readyz is false, earlier entries stay, and writes resume once space is freed', { timeout: 180_000 }, async (t) => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'keyless-faults-tmpfs-'));
    const refused = process.getuid?.() === 0 ? mountTmpfs(mountPoint, '24m') : 'not running as root; this test mounts a tmpfs';
    if (refused !== undefined) rmSync(mountPoint, { recursive: true, force: true });
    if (!requireInTest(t, 'a tmpfs mount (as root)', refused === undefined, refused)) return;
    const dataDir = join(mountPoint, 'data');
    mkdirSync(dataDir);
    const served = await startServe(['--only', 'log'], { dataDir });
    let logOut = ''; // fastify's (pino) log lines go to stdout
    served.proc.stdout!.on('data', (d: Buffer) => (logOut += d.toString()));
    try {
      const acked: Acked[] = [];
      for (let i = 0; i < 20; i++) {
        const { acked: a, answer } = await writeEntry(served.url);
        assert.ok(a, `write ${i} before the disk is full: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
        acked.push(a);
      }
      assert.equal((await readyz(served.url)).status, 200);

      const filler = fill(mountPoint);
      // SQLite reuses its WAL's space, so the first writes may still fit; write until the store refuses.
      const refusals: Answer[] = [];
      const deadline = Date.now() + 60_000;
      let written = 0;
      while (refusals.length < 30 && Date.now() < deadline) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => writeEntry(served.url)));
        for (const { acked: a, answer } of batch) {
          written++;
          if (a) acked.push(a);
          else refusals.push(answer);
        }
      }
      console.log(`# disk full: ${written} writes tried, ${refusals.length} refused, ${acked.length} acknowledged in all; first refusal: ${String(refusals[0]?.body["message"])}`);
      assert.ok(refusals.length > 0, 'the store never refused a write on a full disk');
      for (const r of refusals) {
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.equal(r.body['error'], 'ERR_STORE_UNAVAILABLE');
        assert.ok(Number(r.retryAfter) >= 1, `Retry-After: ${r.retryAfter}`);
      }

      const notReady = await readyz(served.url);
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body.ready, false);
      assert.equal(notReady.body.checks['store']?.ok, false);
      assert.equal(notReady.body.checks['store']?.code, 'ERR_STORE_UNAVAILABLE');
      assert.equal(notReady.body.checks['keys']?.ok, true);
      assert.equal((await fetch(`${served.url}/healthz`)).status, 200, 'liveness does not depend on the disk');
      assert.deepEqual(await checkAcked(served.url, acked), [], 'earlier entries are intact while the disk is full');

      // The log of the failures stays small: no stacks, identical errors once per interval.
      const logged = `${logOut}\n${served.stderr()}`.split('\n').filter((l) => l.includes('ERR_STORE_UNAVAILABLE'));
      console.log(`# error log: ${logged.length} line(s) for ${refusals.length} refused writes: ${logged[0] ?? ""}`);
      assert.ok(logged.length >= 1 && logged.length <= 10, `${logged.length} error lines for ${refusals.length} failures`);
      assert.doesNotMatch(`${logOut}\n${served.stderr()}`, /"stack"|\n\s+at /);

      // Recovery without a restart.
      rmSync(filler);
      const ms = await waitFor('/readyz after freeing space', async () => (await readyz(served.url)).status === 200, 30_000);
      console.log(`# ready again ${ms} ms after the space was freed`);
      const { acked: next, answer } = await writeEntry(served.url);
      assert.ok(next, `write after recovery: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      assert.equal(next.index, acked.length, 'the next entry takes the next index: no failed write used one up');
      acked.push(next);
      assert.deepEqual(await checkAcked(served.url, acked), []);
      assert.equal(served.proc.exitCode, null, 'the same process, never restarted');
    } finally {
      await served.stop();
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
      } finally {
        rmSync(mountPoint, { recursive: true, force: true });
      }
    }
  });
});
