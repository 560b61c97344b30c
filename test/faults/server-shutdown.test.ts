// Stalled clients against a real `keyless serve`: a half-sent body or half-sent headers are cut off by the
// timeouts, and SIGTERM under a 200-socket slow-client load ends within --shutdown-grace, releasing the store so
// that a new `serve` on the same data directory starts at once, with every acknowledged entry.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startServe, tempDir } from '../helpers/serve.js';
import { checkAcked, writeEntry, type Acked } from './server-helpers.js';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Opens a connection, sends `text`, and then nothing more. */
async function stalled(url: string, text: string): Promise<{ socket: Socket; closed: Promise<{ at: number; data: string }> }> {
  const socket = connect(hostPort(url));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<{ at: number; data: string }>((resolve) => socket.once('close', () => resolve({ at: Date.now(), data })));
  socket.write(text);
  return { socket, closed };
}

const HALF_BODY = (host: string) => `POST /api/v1/log/entries HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`;

describe('stalled clients', () => {
  it('a half-sent body is answered 408 and cut off after --request-timeout', { timeout: 60_000 }, async () => {
    const served = await startServe(['--only', 'log', '--request-timeout', '1', '--headers-timeout', '1']);
    try {
      const started = Date.now();
      const { closed } = await stalled(served.url, HALF_BODY(new URL(served.url).host));
      const { at, data } = await closed;
      const ms = at - started;
      console.log(`# half-sent body cut off after ${ms} ms (request timeout 1 s)`);
      assert.match(data, /^HTTP\/1\.1 408 /);
      assert.ok(ms >= 900 && ms < 5000, `closed after ${ms} ms`);
    } finally {
      await served.stop();
      rmSync(served.dataDir, { recursive: true, force: true });
    }
  });

  it('half-sent headers are cut off after --headers-timeout', { timeout: 60_000 }, async () => {
    const served = await startServe(['--only', 'log', '--headers-timeout', '1']);
    try {
      const started = Date.now();
      const { closed } = await stalled(served.url, `POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\n`);
      const { at, data } = await closed;
      const ms = at - started;
      console.log(`# half-sent headers cut off after ${ms} ms (headers timeout 1 s)`);
      assert.match(data, /^HTTP\/1\.1 408 /);
      assert.ok(ms >= 900 && ms < 5000, `closed after ${ms} ms`);
    } finally {
      await served.stop();
      rmSync(served.dataDir, { recursive: true, force: true });
    }
  });

  it('SIGTERM with 200 stalled bodies exits within --shutdown-grace, and a new serve starts on the data dir at once', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('keyless-faults-shutdown-');
    const GRACE_S = 3;
    try {
      // A request timeout far beyond the grace: what ends the stalled requests here is the bounded shutdown.
      const served = await startServe(['--only', 'log', '--shutdown-grace', String(GRACE_S), '--request-timeout', '120'], { dataDir });
      const acked: Acked[] = [];
      for (let i = 0; i < 10; i++) {
        const { acked: a, answer } = await writeEntry(served.url);
        assert.ok(a !== undefined, `write ${i}: HTTP ${answer.status}`);
        acked.push(a);
      }
      const host = new URL(served.url).host;
      const slow = await Promise.all(Array.from({ length: 200 }, () => stalled(served.url, HALF_BODY(host))));
      // Let the server read every request's headers, so each is a request in flight, not a queued connection.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const exited = new Promise<number | null>((resolve) => served.proc.once('exit', (code) => resolve(code)));
      const started = Date.now();
      served.proc.kill('SIGTERM');
      const code = await exited;
      const ms = Date.now() - started;
      console.log(`# shutdown with 200 stalled bodies: ${ms} ms (grace ${GRACE_S} s), exit ${code}`);
      assert.equal(code, 0, served.stderr());
      assert.ok(ms < (GRACE_S + 3) * 1000, `exited after ${ms} ms`);
      assert.ok(ms >= GRACE_S * 1000 - 200, `exited after ${ms} ms: the requests in flight were given their grace`);
      assert.match(served.stderr(), /closed (\d+) connection\(s\) still open after the shutdown grace of 3 s/);
      const forced = Number(/closed (\d+) connection/.exec(served.stderr())![1]);
      assert.ok(forced >= 200, `${forced} connections forced closed`);
      const ends = await Promise.all(slow.map((s) => s.closed));
      assert.ok(ends.every((e) => !/^HTTP\/1\.1 2/.test(e.data)), 'no stalled request was acknowledged');

      // The store was released: a replacement starts right away, with everything acknowledged before.
      const restartStarted = Date.now();
      const again = await startServe(['--only', 'log'], { dataDir });
      console.log(`# replacement serve listening ${Date.now() - restartStarted} ms after the old one exited`);
      try {
        assert.deepEqual(await checkAcked(again.url, acked), []);
        const { acked: next } = await writeEntry(again.url);
        assert.equal(next?.index, 10);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
