// `npm run bench:log`: durable appends per second over HTTP on loopback, many concurrent clients, with p50/p99
// latency to an acknowledged entry; for SQLite and for PostgreSQL with one and two frontends.
// Published anchors (same-run peers are not available for a log): Tessera on POSIX ≈ 1,400 entries/s per core;
// rekor-tiles batches every 250 ms and checkpoints every 10 s.
// Env: BENCH_SECONDS (default 8), BENCH_CLIENTS (default 64), BENCH_API (v1|v2, default v2), BENCH_STORES
// (comma list of sqlite,postgres,postgres-2; default all), KEYLESS_TEST_POSTGRES_URL, BENCH_WITNESSES (0 skips the
// witnessed runs of log-witness.ts).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { post, quantile } from './http-load.js';
import { entryKey, hashedRekordV1, hashedRekordV2, signedArtifact } from '../test/helpers/entries.js';
import { startServe, tempDir, type Served } from '../test/helpers/serve.js';
import { witnessBench } from './log-witness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const API = process.env.BENCH_API === 'v1' ? 'v1' : 'v2';
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres,postgres-2').split(',');
const PG = process.env.KEYLESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';


async function run(name: string, frontends: Served[]): Promise<void> {
  const key = entryKey();
  // Pre-signed bodies, so the clients' own signing does not compete with the server for the two cores.
  const bodies = Array.from({ length: Number(process.env.BENCH_POOL ?? 30000) }, () => Buffer.from(JSON.stringify((API === 'v1' ? hashedRekordV1 : hashedRekordV2)(key, signedArtifact(key, randomBytes(32))))));
  let next = 0;
  const path = API === 'v1' ? '/api/v1/log/entries' : '/rekor-v2/api/v2/log/entries';
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const agents = frontends.map(() => new Agent({ keepAlive: true, maxSockets: CLIENTS }));
  const client = async (i: number): Promise<void> => {
    const f = i % frontends.length;
    const url = new URL(path, frontends[f]!.url);
    while (performance.now() < deadline) {
      // Past the pre-signed pool the client signs on the fly (costing client CPU; the run prints how often).
      const body = next < bodies.length ? bodies[next++]! : Buffer.from(JSON.stringify((API === 'v1' ? hashedRekordV1 : hashedRekordV2)(key)));
      const t0 = performance.now();
      const status = await post(agents[f]!, url, body);
      if (status === 201) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  const elapsed = (performance.now() - t0) / 1000;
  agents.forEach((a) => a.destroy());
  latencies.sort((a, b) => a - b);
  const q = (p: number) => quantile(latencies, p);
  console.log(
    `${name.padEnd(22)} ${String(Math.round(latencies.length / elapsed)).padStart(6)} entries/s  p50 ${q(0.5).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  (${latencies.length} acknowledged, ${errors} errors, ${CLIENTS} clients, ${elapsed.toFixed(1)} s)`,
  );
}

console.log(`bench:log — Rekor ${API} hashedrekord over HTTP/1.1 keep-alive on loopback, ${CLIENTS} clients, ${SECONDS} s each`);
console.log('anchors: Tessera POSIX ≈ 1,400 entries/s per core; rekor-tiles batches every 250 ms, checkpoints every 10 s');
for (const store of STORES) {
  const dataDir = tempDir('keyless-bench-');
  const schema = `bench_${Date.now()}`;
  const pgArgs = ['--store', 'postgres', '--postgres-url', PG, '--postgres-schema', schema];
  const frontends: Served[] = [];
  try {
    if (store === 'sqlite') frontends.push(await startServe(['--only', 'log'], { dataDir }));
    else {
      frontends.push(await startServe(['--only', 'log', ...pgArgs], { dataDir }));
      if (store === 'postgres-2') frontends.push(await startServe(['--only', 'log', ...pgArgs], { dataDir }));
    }
    await run(store === 'postgres-2' ? 'postgres, 2 frontends' : store === 'postgres' ? 'postgres, 1 frontend' : 'sqlite (embedded)', frontends);
  } finally {
    for (const f of frontends) await f.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (store !== 'sqlite') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}
// Acknowledgement latency and throughput with and without a 2-of-3 witness quorum (Rekor v2 only; BENCH_WITNESSES=0 skips).
if (API === 'v2' && process.env.BENCH_WITNESSES !== '0') await witnessBench(run);
