// PostgreSQL restarts under a write load, against a real `keyless serve --store postgres`. The cluster is the
// test's own (initdb in a temp dir, a free port, fsync on), never a shared one: stopping it disturbs nobody else.
// Twice — a fast shutdown, then an immediate one (no checkpoint, like a crash) — the server answers every write
// it cannot commit 503 ERR_STORE_UNAVAILABLE with Retry-After (never 500), /readyz says not ready, and once the
// database is back the same process takes writes again. At the end every acknowledged entry is readable at its
// index: nothing acknowledged was lost, and no index was given twice.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { entryKey } from '../helpers/entries.js';
import { requireInTest } from '../helpers/requirements.js';
import { startServe } from '../helpers/serve.js';
import { checkAcked, readyz, waitFor, writeEntry, type Acked, type Answer } from './server-helpers.js';

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

class PrivateCluster {
  readonly dir: string;
  readonly data: string;
  readonly port: number;
  readonly #bin: string;
  readonly #asPostgres: string[];

  constructor(bin: string, port: number) {
    this.#bin = bin;
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'keyless-faults-pg-'));
    this.data = join(this.dir, 'data');
    // As root, PostgreSQL must run as its own user.
    const root = process.getuid?.() === 0;
    this.#asPostgres = root ? ['runuser', '-u', 'postgres', '--'] : [];
    if (root) {
      const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
      const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
      chownSync(this.dir, Number(ids), Number(gid));
    }
    this.#run('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=on -c synchronous_commit=on -c max_connections=50`;
    this.#run('pg_ctl', ['-D', this.data, '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start']);
  }

  stop(mode: 'fast' | 'immediate'): void {
    this.#run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  destroy(): void {
    if (existsSync(join(this.data, 'postmaster.pid'))) spawnSync(this.#asPostgres[0] ?? join(this.#bin, 'pg_ctl'), [...this.#asPostgres.slice(1), ...(this.#asPostgres.length > 0 ? [join(this.#bin, 'pg_ctl')] : []), '-D', this.data, '-m', 'immediate', '-w', 'stop'], { stdio: 'pipe' });
    rmSync(this.dir, { recursive: true, force: true });
  }

  #run(tool: string, args: string[]): void {
    const [cmd, ...pre] = [...this.#asPostgres, join(this.#bin, tool)];
    const res = spawnSync(cmd!, [...pre, ...args], { encoding: 'utf8', timeout: 90_000, cwd: this.dir });
    if (res.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${res.status}): ${res.stderr}${res.stdout}`);
  }
}

describe('PostgreSQL restart under load', () => {
  it('503s while the database is down, recovery after, nothing acknowledged lost', { timeout: 300_000 }, async (t) => {
    const bin = postgresBin();
    if (!requireInTest(t, 'PostgreSQL server binaries', bin !== undefined, 'none in /usr/lib/postgresql/*/bin (apt-get install postgresql)') || bin === undefined) return;
    const cluster = new PrivateCluster(bin, await freePort());
    try {
      cluster.start();
      const served = await startServe(['--only', 'log', '--store', 'postgres', '--postgres-url', cluster.url, '--postgres-schema', 'faults']);
      try {
        const acked: Acked[] = [];
        const refusals: Answer[] = [];
        const failures: string[] = [];
        let stop = false;
        const key = entryKey();
        const writer = async (): Promise<void> => {
          while (!stop) {
            try {
              const { acked: a, answer } = await writeEntry(served.url, key);
              if (a) acked.push(a);
              else refusals.push(answer);
            } catch (err) {
              failures.push(String(err));
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        };
        const writers = Array.from({ length: 8 }, () => writer());
        const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const log: string[] = [];

        for (const mode of ['fast', 'immediate'] as const) {
          const ackedBefore = acked.length;
          await sleep(1000);
          const refusedBefore = refusals.length;
          cluster.stop(mode);
          await sleep(1500);
          const down = await readyz(served.url);
          assert.equal(down.status, 503, JSON.stringify(down.body));
          assert.equal(down.body.checks['store']?.ok, false);
          assert.equal(down.body.checks['store']?.code, 'ERR_STORE_UNAVAILABLE');
          assert.equal((await fetch(`${served.url}/healthz`)).status, 200, 'liveness does not depend on the database');
          const refusedDuring = refusals.length - refusedBefore;
          cluster.start();
          const ms = await waitFor('/readyz after the restart', async () => (await readyz(served.url)).status === 200, 60_000);
          const ackedAtRestart = acked.length;
          await sleep(1000);
          log.push(`${mode} stop: ${ackedAtRestart - ackedBefore} acked before it, ${refusedDuring} refused while down, ready ${ms} ms after the restart, ${acked.length - ackedAtRestart} acked after`);
          assert.ok(refusedDuring > 0, `${mode}: no write was refused while the database was down`);
          assert.ok(acked.length > ackedAtRestart, `${mode}: no write succeeded after the restart`);
        }
        stop = true;
        await Promise.all(writers);
        for (const line of log) console.log(`# ${line}`);
        console.log(`# in all: ${acked.length} acknowledged, ${refusals.length} refused`);

        assert.deepEqual(failures, [], 'every request got an answer');
        const bad = refusals.filter((r) => r.status !== 503 || r.body['error'] !== 'ERR_STORE_UNAVAILABLE' || !(Number(r.retryAfter) >= 1));
        assert.deepEqual(bad.slice(0, 5).map((r) => ({ status: r.status, error: r.body['error'], message: r.body['message'], retryAfter: r.retryAfter })), [], 'every refusal is 503 ERR_STORE_UNAVAILABLE with Retry-After');
        const indexes = acked.map((a) => a.index);
        assert.equal(new Set(indexes).size, indexes.length, 'no index was acknowledged twice');
        assert.deepEqual(await checkAcked(served.url, acked), [], 'every acknowledged entry is readable at its index');
        // A commit whose answer was lost with the connection may be in the tree unacknowledged; never the reverse.
        const info = (await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number };
        console.log(`# tree size ${info.treeSize}: ${info.treeSize - acked.length} committed without an acknowledgement`);
        assert.ok(info.treeSize >= acked.length, `tree size ${info.treeSize} < ${acked.length} acknowledged`);
      } finally {
        await served.stop();
      }
    } finally {
      cluster.destroy();
    }
  });
});
