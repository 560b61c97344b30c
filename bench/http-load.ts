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
