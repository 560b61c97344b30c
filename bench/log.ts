// `npm run bench:log`: durable appends per second over HTTP on loopback, many concurrent clients, with p50/p99
// latency to an acknowledged entry; for SQLite and for PostgreSQL with one and two frontends. The server runs in its
// own process (keyless serve); this process is the load generator. Over the measured window it reads the server's
// CPU time from /proc (and that of the PostgreSQL backends serving it), and prints µs of server CPU per acknowledged
// entry as a multiple of the crypto floor measured in the same run (bench/floor.ts). After the stores it measures the
// transport floor (bench/transport-peer.ts: a bare node:http server answering the same bodies with the same reply) and
// splits each store's cost into crypto floor, transport floor and keyless's own work.
// Published anchors (same-run peers are not available for a log): Tessera on POSIX ≈ 1,400 entries/s per core;
// rekor-tiles batches every 250 ms and checkpoints every 10 s.
// Env: BENCH_SECONDS (default 8), BENCH_WARMUP (seconds of unmeasured load before each window, default 3), BENCH_CLIENTS (default 64), BENCH_RATE (offered entries/s in all, paced across
// the clients; default unpaced: as fast as the server answers), BENCH_API (v1|v2, default v2), BENCH_STORES
// (comma list of sqlite,postgres,postgres-2, each optionally with :js for the native addon off; default the three), BENCH_KEYS (distinct signing keys in the pre-signed
// pool; default one per entry, as keyless signers use ephemeral keys), BENCH_POOL (pre-signed entries, default
// 60000), BENCH_SERVE_ARGS (extra `keyless serve` flags), BENCH_NODE_ARGS (node flags for the server), KEYLESS_TEST_POSTGRES_URL, BENCH_WITNESSES (0 skips the
// witnessed runs of log-witness.ts).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { drive, drivePaced, metricSample, post, quantile, scrapeMetrics, WARMUP_SECONDS } from './http-load.js';
import { CpuWindow, postgresBackends, total, writeBytes } from './cpu.js';
import { calibrate, calibrationLine, costLine, entryFloor, floor } from './floor.js';
import { entryKey, hashedRekordV1, hashedRekordV2, signedArtifact, type EntryKey } from '../test/helpers/entries.js';
import { startServe, tempDir, type Served } from '../test/helpers/serve.js';
import { witnessBench } from './log-witness.js';
import { splitLine, transportFloor, transportLine } from './transport-peer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const API = process.env.BENCH_API === 'v1' ? 'v1' : 'v2';
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres,postgres-2').split(',');
const PG = process.env.KEYLESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_PORT = Number(new URL(PG).port || 5432);
const POOL = Number(process.env.BENCH_POOL ?? 60000);
// CPU per entry depends on how busy the server is (a lightly loaded event loop pays its fixed costs per request),
// so comparing two builds is fairest at one offered rate.
const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
const KEYS = Number(process.env.BENCH_KEYS ?? POOL);
const SERVE_ARGS = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter((a) => a !== '');
// Node flags for the server process, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile it under the benchmark's load.
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const LOG_ID = API === 'v1' ? 'rekor-v1' : 'rekor-v2';

interface Outcome {
  readonly acknowledged: number;
  readonly seconds: number;
  /** Server CPU seconds per frontend, and of the PostgreSQL backends serving each. */
  readonly frontendCpu: (number | undefined)[];
  readonly backendCpu: (number | undefined)[];
  readonly batches: number;
  readonly answered: number;
  readonly writeBytes: number | undefined;
  readonly clientCpu: number;
  /** PostgreSQL backends serving each frontend at the end, and the bytes they caused to be written meanwhile. */
  readonly connections: number[];
  readonly backendWriteBytes: number | undefined;
  /** Entries each frontend acknowledged. */
  readonly perFrontend: number[];
  /** CPU seconds per second each frontend used while idle, just before the load. */
  readonly idle: (number | undefined)[];
}

function bodiesFor(): Buffer[] {
  const keys: EntryKey[] = Array.from({ length: Math.max(1, Math.min(KEYS, POOL)) }, () => entryKey());
  return Array.from({ length: POOL }, (_, i) => {
    const key = keys[i % keys.length]!;
    return Buffer.from(JSON.stringify((API === 'v1' ? hashedRekordV1 : hashedRekordV2)(key, signedArtifact(key, randomBytes(32)))));
  });
}

async function batchStats(frontends: readonly Served[]): Promise<{ batches: number; answered: number }> {
  let batches = 0;
  let answered = 0;
  for (const f of frontends) {
    const text = await scrapeMetrics(f.url);
    batches += metricSample(text, 'keyless_log_batch_size_count', `log="${LOG_ID}"`) ?? 0;
    answered += metricSample(text, 'keyless_log_batch_size_sum', `log="${LOG_ID}"`) ?? 0;
  }
  return { batches, answered };
}

async function run(frontends: Served[], bodies: Buffer[], postgres: boolean): Promise<Outcome & { latencies: number[]; errors: number; signedOnTheFly: number; used: number }> {
  const key = entryKey();
  let next = 0;
  let signedOnTheFly = 0;
  const path = API === 'v1' ? '/api/v1/log/entries' : '/rekor-v2/api/v2/log/entries';
  const latencies: number[] = [];
  let errors = 0;
  const agents = frontends.map(() => new Agent({ keepAlive: true, maxSockets: CLIENTS }));
  // Past the pre-signed pool the client signs on the fly (costing client CPU; the run prints how often).
  const nextBody = (): Buffer => {
    const body = bodies[next++];
    if (body !== undefined) return body;
    signedOnTheFly++;
    return Buffer.from(JSON.stringify((API === 'v1' ? hashedRekordV1 : hashedRekordV2)(key)));
  };
  const urls = frontends.map((f) => new URL(path, f.url));
  await drive(CLIENTS, WARMUP_SECONDS, (i) => post(agents[i % frontends.length]!, urls[i % frontends.length]!, nextBody()));
  const warmedUp = signedOnTheFly;
  const pids = frontends.map((f) => f.proc.pid!);
  const backendsOf = (pid: number) => (postgres ? postgresBackends(pid, PG_PORT) : []);
  const frontendWindows = pids.map((pid) => new CpuWindow(() => [pid]));
  const backendWindows = pids.map((pid) => new CpuWindow(() => backendsOf(pid)));
  // The idle baseline: what each frontend burns per second with no load (timers, pool keep-alives, GC), so that a
  // lightly loaded frontend's cost per entry can be read with and without it.
  const IDLE_SECONDS = 2;
  frontendWindows.forEach((w) => w.start());
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idle = frontendWindows.map((w) => {
    const t = total(w.stop());
    return t === undefined ? undefined : t / IDLE_SECONDS;
  });
  const perFrontend = frontends.map(() => 0);
  const before = await batchStats(frontends);
  const written0 = pids.map(writeBytes);
  const backendWritten0 = new Map(pids.flatMap(backendsOf).map((b) => [b, writeBytes(b)] as const));
  const client0 = process.cpuUsage();
  [...frontendWindows, ...backendWindows].forEach((w) => w.start());
  const t0 = performance.now();
  await drivePaced(CLIENTS, SECONDS, RATE, async (i) => {
    const f = i % frontends.length;
    const body = nextBody();
    const start = performance.now();
    const status = await post(agents[f]!, urls[f]!, body);
    if (status === 201) {
      latencies.push(performance.now() - start);
      perFrontend[f]!++;
    } else errors++;
  });
  const seconds = (performance.now() - t0) / 1000;
  const frontendCpu = frontendWindows.map((w) => total(w.stop()));
  const backendCpu = postgres ? backendWindows.map((w) => total(w.stop())) : [];
  const clientUsage = process.cpuUsage(client0);
  const written = pids.map(writeBytes);
  const backendsAtEnd = pids.map(backendsOf);
  // A backend first seen at the end was opened during the window: all it wrote counts.
  const backendWrites = backendsAtEnd.flat().map((b) => {
    const end = writeBytes(b);
    return end === undefined ? undefined : end - (backendWritten0.get(b) ?? 0);
  });
  const after = await batchStats(frontends);
  agents.forEach((a) => a.destroy());
  latencies.sort((a, b) => a - b);
  const w = written.every((x, i) => x !== undefined && written0[i] !== undefined) ? written.reduce((s, x, i) => s! + x! - written0[i]!, 0) : undefined;
  return {
    latencies,
    errors,
    signedOnTheFly: signedOnTheFly - warmedUp,
    used: Math.min(next, bodies.length),
    acknowledged: latencies.length,
    seconds,
    frontendCpu,
    backendCpu,
    batches: after.batches - before.batches,
    answered: after.answered - before.answered,
    writeBytes: w,
    clientCpu: (clientUsage.user + clientUsage.system) / 1e6,
    perFrontend,
    idle,
    connections: backendsAtEnd.map((b) => b.length),
    backendWriteBytes: postgres && backendWrites.every((x) => x !== undefined) ? backendWrites.reduce((a, b) => a! + b!, 0) : undefined,
  };
}

const us = (cpu: number | undefined, n: number): number | undefined => (cpu === undefined || n === 0 ? undefined : (cpu * 1e6) / n);
const fmt = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(0));

console.log(`bench:log — Rekor ${API} hashedrekord over HTTP/1.1 keep-alive on loopback, ${CLIENTS} clients${RATE === undefined ? '' : ` paced to ${RATE} entries/s`}, ${SECONDS} s each after ${WARMUP_SECONDS} s of warm-up, ${Math.min(KEYS, POOL)} distinct signing keys in a pool of ${POOL} pre-signed entries`);
console.log('anchors: Tessera POSIX ≈ 1,400 entries/s per core; rekor-tiles batches every 250 ms, checkpoints every 10 s');
const cal = calibrate();
console.log(calibrationLine(cal));
const bodies = bodiesFor();
let offset = 0;
/** Per store: its rate, frontend CPU per entry and crypto floor, for the split against the transport floor. */
const splits: { name: string; rate: number; keylessUs: number | undefined; cryptoUs: number }[] = [];
let sampleReply: string | undefined;
for (const entry of STORES) {
  // `<store>:js` runs the same store with the native addon off (KEYLESS_NATIVE=0), to compare the two in one run.
  const [store, variant] = entry.split(':') as [string, string | undefined];
  const env = variant === 'js' ? { KEYLESS_NATIVE: '0' } : {};
  const dataDir = tempDir('keyless-bench-');
  const schema = `bench_${Date.now()}`;
  const pgArgs = ['--store', 'postgres', '--postgres-url', PG, '--postgres-schema', schema];
  const frontends: Served[] = [];
  const postgres = store !== 'sqlite';
  try {
    if (!postgres) frontends.push(await startServe(['--only', 'log', ...SERVE_ARGS], { dataDir, nodeArgs: NODE_ARGS, env }));
    else {
      frontends.push(await startServe(['--only', 'log', ...pgArgs, ...SERVE_ARGS], { dataDir, nodeArgs: NODE_ARGS, env }));
      if (store === 'postgres-2') frontends.push(await startServe(['--only', 'log', ...pgArgs, ...SERVE_ARGS], { dataDir, nodeArgs: NODE_ARGS, env }));
    }
    const name = (store === 'postgres-2' ? 'postgres, 2 frontends' : store === 'postgres' ? 'postgres, 1 frontend' : 'sqlite (embedded)') + (variant === 'js' ? ', JS digest verify' : '');
    // Each store gets entries no earlier store has seen (a repeat would be a cheap de-duplicated answer).
    const r = await run(frontends, bodies.slice(offset), postgres);
    offset = Math.min(bodies.length, offset + r.used);
    const q = (p: number) => quantile(r.latencies, p);
    const n = r.acknowledged;
    const batch = r.batches > 0 ? r.answered / r.batches : 1;
    console.log(
      `${name.padEnd(22)} ${String(Math.round(n / r.seconds)).padStart(6)} entries/s  p50 ${q(0.5).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  (${n} acknowledged, ${r.errors} errors, ${CLIENTS} clients, ${r.seconds.toFixed(1)} s${r.signedOnTheFly > 0 ? `, ${r.signedOnTheFly} signed on the fly by the client` : ''})`,
    );
    const frontendTotal = r.frontendCpu.every((c) => c !== undefined) ? r.frontendCpu.reduce((a, b) => a! + b!, 0) : undefined;
    const backendTotal = postgres && r.backendCpu.every((c) => c !== undefined) ? r.backendCpu.reduce((a, b) => a! + b!, 0) : undefined;
    const perFrontendUs = r.frontendCpu.map((c, i) => us(c, r.perFrontend[i] ?? 0));
    const aboveIdleUs = r.frontendCpu.map((c, i) => {
      const idle = r.idle[i];
      return c === undefined || idle === undefined ? undefined : us(Math.max(0, c - idle * r.seconds), r.perFrontend[i] ?? 0);
    });
    console.log(
      `  cpu: ${frontends.length > 1 ? 'per frontend' : 'frontend'} ${perFrontendUs.map(fmt).join(' / ')} µs per entry it acknowledged` +
        ` (${r.frontendCpu.map((c) => (c === undefined ? 'n/a' : `${((c / r.seconds) * 100).toFixed(0)}%`)).join(' / ')} of a core;` +
        ` idle baseline ${r.idle.map((x) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`)).join(' / ')}, above it ${aboveIdleUs.map(fmt).join(' / ')} µs/entry)` +
        (postgres ? `; PostgreSQL backends ${fmt(us(backendTotal, n))} µs/entry (${backendTotal === undefined ? 'n/a' : `${((backendTotal / r.seconds) * 100).toFixed(0)}%`})` : '') +
        `; load generator ${fmt(us(r.clientCpu, n))} µs/entry (${((r.clientCpu / r.seconds) * 100).toFixed(0)}%)`,
    );
    console.log(
      `  batches: ${r.batches} durable commits (${(r.batches / r.seconds).toFixed(0)}/s), ${batch.toFixed(1)} entries per batch` +
        (postgres
          ? `; ${r.connections.join(' / ')} PostgreSQL connections; backends wrote ${r.backendWriteBytes === undefined ? 'n/a' : ((r.backendWriteBytes / Math.max(1, n)) / 1024).toFixed(2)} KiB/entry to storage (WAL writer and checkpointer not counted)`
          : r.writeBytes === undefined ? '' : `; frontend writes ${((r.writeBytes / Math.max(1, n)) / 1024).toFixed(2)} KiB/entry to storage (WAL and checkpoints)`),
    );
    const cryptoFloor = floor(entryFloor(cal, API, batch));
    console.log(`  ${costLine('server', 'entry', us(frontendTotal, n), cryptoFloor)}`);
    splits.push({ name, rate: n / r.seconds, keylessUs: us(frontendTotal, n), cryptoUs: cryptoFloor.totalUs });
    // The reply to one more entry, for the transport peer to answer with.
    sampleReply ??= await (await fetch(new URL(API === 'v1' ? '/api/v1/log/entries' : '/rekor-v2/api/v2/log/entries', frontends[0]!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify((API === 'v1' ? hashedRekordV1 : hashedRekordV2)(entryKey())),
    })).text();
    if (postgres && backendTotal !== undefined && frontendTotal !== undefined) {
      console.log(`  ${costLine('server + PostgreSQL backend', 'entry', us(frontendTotal + backendTotal, n), cryptoFloor)}`);
    }
  } finally {
    for (const f of frontends) await f.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (postgres) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}
// The transport floor (transport-peer.ts), paced to the first store's rate, and each store's cost split by it.
if (sampleReply !== undefined && splits[0] !== undefined) {
  const t = await transportFloor({ bodies: bodies.slice(0, 20_000), reply: sampleReply, status: 201, clients: CLIENTS, seconds: SECONDS, rate: splits[0].rate });
  console.log(transportLine(t));
  for (const s of splits) console.log(`  ${s.name}: ${splitLine(t, 'entry', s.keylessUs, s.cryptoUs) ?? 'split: n/a'}`);
}
// Acknowledgement latency and throughput with and without a 2-of-3 witness quorum (Rekor v2 only; BENCH_WITNESSES=0 skips).
if (API === 'v2' && process.env.BENCH_WITNESSES !== '0') {
  await witnessBench(async (name, frontends) => {
    const r = await run(frontends, bodies.slice(offset), false);
    offset = Math.min(bodies.length, offset + r.used);
    const q = (p: number) => quantile(r.latencies, p);
    const cpu = r.frontendCpu[0];
    const batch = r.batches > 0 ? r.answered / r.batches : 1;
    console.log(`${name.padEnd(26)} ${String(Math.round(r.acknowledged / r.seconds)).padStart(6)} entries/s  p50 ${q(0.5).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  (${r.acknowledged} acknowledged, ${r.errors} errors)`);
    console.log(`  ${costLine('server', 'entry', us(cpu, r.acknowledged), floor(entryFloor(cal, API, batch)))}`);
  });
}
