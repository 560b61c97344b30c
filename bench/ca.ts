// `npm run bench:ca`: certificates with an embedded SCT issued per second over HTTP on loopback (Fulcio v2 API,
// dev OIDC token, P-256 key with proof of possession; each certificate's precertificate is durably in the CT log
// before its SCT is signed), and RFC 3161 timestamps per second (the JSON request sigstore-js sends).
// The server runs in its own process (keyless serve), this process is the load generator: over each measured window
// the server's CPU time is read from /proc and printed per certificate / timestamp, as a multiple of the crypto floor
// measured in the same run (bench/floor.ts); for certificates, also split by the transport floor measured after it
// (bench/transport-peer.ts) into crypto floor, transport floor and keyless's own work.
// Env: BENCH_SECONDS (default 8), BENCH_WARMUP (seconds of unmeasured load first, default 3), BENCH_VARIANTS (native,js), BENCH_CLIENTS (default 32), BENCH_LOADS (certificates,timestamps), BENCH_SERVE_ARGS (extra `keyless serve` flags), BENCH_NODE_ARGS (node flags for the server).
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { drive, metricSample, post, quantile, scrapeMetrics, WARMUP_SECONDS } from './http-load.js';
import { CpuWindow, total } from './cpu.js';
import { calibrate, calibrationLine, certificateFloor, costLine, floor, timestampFloor, type FloorPart } from './floor.js';
import { join } from 'node:path';
import { startServe } from '../test/helpers/serve.js';
import { ROOT } from '../test/helpers/vectors.js';
import { splitLine, transportFloor, transportLine } from './transport-peer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
// Which loads to run: certificates, timestamps, or both (comma list, default both), e.g. to profile one alone.
const LOADS = (process.env.BENCH_LOADS ?? 'certificates,timestamps').split(',');
const SERVE_ARGS = (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter((a) => a !== '');
// Node flags for the server process, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile it under the benchmark's load.
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');


/** Mean submissions per committed batch of the CT log since `before` (1 if none were seen). */
async function ctBatch(base: string, before: { count: number; sum: number }): Promise<{ count: number; sum: number; mean: number }> {
  const text = await scrapeMetrics(base);
  const count = metricSample(text, 'keyless_log_batch_size_count', 'log="ct"') ?? 0;
  const sum = metricSample(text, 'keyless_log_batch_size_sum', 'log="ct"') ?? 0;
  return { count, sum, mean: count > before.count ? (sum - before.sum) / (count - before.count) : 1 };
}

/**
 * One load: a warm-up, then the measured window. `startFloor` is called when the window opens and gives the floor
 * for the window (the certificate's depends on the CT log's batches within it).
 */
async function load(name: string, unit: string, url: URL, bodies: Buffer[], expect: number, startFloor: () => Promise<() => Promise<FloorPart[]>>): Promise<{ rate: number; perUnitUs: number | undefined; cryptoUs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  await drive(CLIENTS, WARMUP_SECONDS, () => post(agent, url, bodies[next++ % bodies.length]!));
  const floorOf = await startFloor();
  const server = new CpuWindow(() => [served.proc.pid!]);
  const client0 = process.cpuUsage();
  server.start();
  const t0 = performance.now();
  await drive(CLIENTS, SECONDS, async () => {
    const body = bodies[next++ % bodies.length]!;
    const start = performance.now();
    if ((await post(agent, url, body)) === expect) latencies.push(performance.now() - start);
    else errors++;
  });
  const elapsed = (performance.now() - t0) / 1000;
  const serverCpu = total(server.stop());
  const c = process.cpuUsage(client0);
  const clientCpu = (c.user + c.system) / 1e6;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => quantile(latencies, p);
  const n = latencies.length;
  console.log(`${name.padEnd(34)} ${String(Math.round(n / elapsed)).padStart(6)}/s  p50 ${q(0.5).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  (${n} ok, ${errors} errors, ${CLIENTS} clients)`);
  const perUnit = serverCpu === undefined || n === 0 ? undefined : (serverCpu * 1e6) / n;
  console.log(`  cpu: server ${serverCpu === undefined ? 'n/a' : `${((serverCpu / elapsed) * 100).toFixed(0)}% of a core`}; load generator ${n === 0 ? 'n/a' : ((clientCpu * 1e6) / n).toFixed(0)} µs/${unit} (${((clientCpu / elapsed) * 100).toFixed(0)}%)`);
  const f = floor(await floorOf());
  console.log(`  ${costLine('server', unit, perUnit, f)}`);
  return { rate: n / elapsed, perUnitUs: perUnit, cryptoUs: f.totalUs };
}

const cal = calibrate();
// BENCH_VARIANTS: `native` (the default) and/or `js` (the native addon off, KEYLESS_NATIVE=0), each a fresh server
// on the same data directory (so that one dev token serves all), in the order given, to compare them in one run.
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'native').split(',');
let served = await startServe(['--dev-oidc-issuer', '--only', 'ca,tsa', ...SERVE_ARGS], { nodeArgs: NODE_ARGS, env: VARIANTS[0] === 'js' ? { KEYLESS_NATIVE: '0' } : {} });
try {
  const mint = (): string => {
    const minted = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main'], { encoding: 'utf8' });
    if (minted.status !== 0) throw new Error(minted.stderr);
    return minted.stdout.trim();
  };
  const firstToken = mint();
  const sub = JSON.parse(Buffer.from(firstToken.split('.')[1]!, 'base64url').toString()).sub as string;
  // Each request brings a fresh key and its proof of possession, as a signing client does.
  const requests = Array.from({ length: 3000 }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { publicKey: { algorithm: 'ECDSA', content: publicKey.export({ format: 'pem', type: 'spki' }) }, proofOfPossession: sign('sha256', Buffer.from(sub), privateKey).toString('base64') };
  });
  // The token names the issuer by the server's URL, whose port each variant's server picks anew.
  const certBodies = (token: string): Buffer[] => requests.map((publicKeyRequest) => Buffer.from(JSON.stringify({ credentials: { oidcIdentityToken: token }, publicKeyRequest })));
  const tsaBodies = Array.from({ length: 3000 }, () => Buffer.from(JSON.stringify({ artifactHash: createHash('sha256').update(randomBytes(16)).digest('base64'), hashAlgorithm: 'sha256', nonce: Math.floor(Math.random() * 2 ** 48) })));
  console.log(`bench:ca — over HTTP/1.1 keep-alive on loopback, ${CLIENTS} clients, ${SECONDS} s each after ${WARMUP_SECONDS} s of warm-up (anchor: aim 2,000 certificates/s)`);
  console.log(calibrationLine(cal));
  for (const [i, variant] of VARIANTS.entries()) {
    if (i > 0) {
      await served.stop();
      served = await startServe(['--dev-oidc-issuer', '--only', 'ca,tsa', ...SERVE_ARGS], { dataDir: served.dataDir, nodeArgs: NODE_ARGS, env: variant === 'js' ? { KEYLESS_NATIVE: '0' } : {} });
    }
    const label = variant === 'js' ? ', native addon off' : '';
    const certificateWindow = async () => {
      const ct0 = await ctBatch(served.url, { count: 0, sum: 0 });
      return async () => certificateFloor(cal, (await ctBatch(served.url, ct0)).mean);
    };
    if (LOADS.includes('certificates')) {
      const url = new URL('/api/v2/signingCert', served.url);
      const bodies = certBodies(i === 0 ? firstToken : mint());
      const r = await load(`certificates (embedded SCT, P-256 issuing CA${label})`, 'certificate', url, bodies, 201, certificateWindow);
      // The transport floor (transport-peer.ts): a bare server answering these bodies with the reply keyless gave.
      const reply = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0]! })).text();
      const t = await transportFloor({ bodies, reply, status: 201, clients: CLIENTS, seconds: SECONDS, rate: r.rate });
      console.log(`  ${transportLine(t)}`);
      console.log(`  ${splitLine(t, 'certificate', r.perUnitUs, r.cryptoUs) ?? 'split: n/a'}`);
    }
    if (LOADS.includes('timestamps')) await load(`timestamps (RFC 3161, P-256 TSA${label})`, 'timestamp', new URL('/api/v1/timestamp', served.url), tsaBodies, 200, async () => async () => timestampFloor(cal));
  }
} finally {
  await served.stop();
  rmSync(served.dataDir, { recursive: true, force: true });
}
