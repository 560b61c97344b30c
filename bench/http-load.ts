// Shared by the HTTP benchmarks: one POST over a keep-alive agent (node:http, lighter on the client's CPU than
// fetch, which matters when the client shares the machine's two cores with the server), and latency quantiles.
import { type Agent, request } from 'node:http';

export function post(agent: Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The q-quantile (0..1) of latencies sorted ascending, NaN when there are none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * The value of one sample in Prometheus text exposition (`name{labels} value`), or undefined. `labels` is the
 * exact label text between the braces, e.g. `log="rekor-v2"`; empty for a sample without labels.
 */
export function metricSample(text: string, name: string, labels = ''): number | undefined {
  const head = labels === '' ? `${name} ` : `${name}{${labels}} `;
  for (const line of text.split('\n')) if (line.startsWith(head)) return Number(line.slice(head.length).trim().split(' ')[0]);
  return undefined;
}

/** GET `/metrics` of a server, as text ('' if it has none). */
export async function scrapeMetrics(base: string): Promise<string> {
  const res = await fetch(new URL('/metrics', base));
  return res.ok ? res.text() : '';
}

/**
 * Seconds of load before each measured window (BENCH_WARMUP, default 3): a freshly started server spends its first
 * seconds compiling its hot paths (V8's optimising compiler runs on background threads, whose CPU the window would
 * count) and filling its caches, so a window from a cold start overstates the steady cost per unit.
 */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);

/** Runs `clients` loops of `one` until `seconds` have passed (a warm-up, or a measured window that `one` records). */
export function drive(clients: number, seconds: number, one: (client: number) => Promise<unknown>): Promise<void> {
  return drivePaced(clients, seconds, undefined, one);
}

/**
 * `drive`, with the requests of all clients paced to `rate` per second when it is given: one request every 1/rate s
 * of a schedule, taken by whichever client is free (a client that falls behind does not make up for it in a burst
 * of its own). Without `rate`, as fast as the server answers.
 */
export async function drivePaced(clients: number, seconds: number, rate: number | undefined, one: (client: number) => Promise<unknown>): Promise<void> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let slot = 0;
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    while (performance.now() < deadline) {
      if (rate !== undefined) {
        const wait = start + (slot++ * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (performance.now() >= deadline) break;
      }
      await one(i);
    }
  }));
}
