// The transport floor: what any Node.js HTTP/JSON service pays per request on this machine, measured in the same run
// as keyless, with the same load generator, the same request bodies and a reply of the same JSON. The peer is a bare
// node:http server in its own process: it reads the body, JSON.parses it, and answers the reply keyless gave to one
// such request, JSON.stringified anew each time (no routing, validation, storage or cryptography). Its CPU per
// request is what keyless's cost per unit holds that keyless's own code did not add; the crypto floor is the rest
// that the work itself needs. `node dist/bench/transport-peer.js serve <status> <reply file>` is the peer itself.
//
// A saturated server answers many requests per turn of its event loop and pays less per request than one at a
// lower rate, so the peer is measured both ways: saturated (its lowest cost per request: the floor used for the
// arithmetic, which never understates keyless's own share) and paced to the rate keyless reached.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuWindow, total } from './cpu.js';
import { drivePaced, post, WARMUP_SECONDS } from './http-load.js';

export interface TransportFloor {
  /** Server CPU µs per request, saturated, and the rate it reached. */
  readonly saturatedUs: number | undefined;
  readonly saturatedRate: number;
  /** Server CPU µs per request when paced to `pacedRate`. */
  readonly pacedUs: number | undefined;
  readonly pacedRate: number;
  readonly replyBytes: number;
}

function servePeer(status: number, replyFile: string): void {
  const reply: unknown = JSON.parse(readFileSync(replyFile, 'utf8'));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const out = JSON.stringify(reply);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  });
}

/**
 * Measures the peer answering `bodies` with `reply` (the JSON text keyless answered, with `status`): warm-up, a
 * saturated window, then a window paced to `rate` requests/s; each `seconds` long, `clients` concurrent clients.
 */
export async function transportFloor(opts: { bodies: readonly Buffer[]; reply: string; status: number; clients: number; seconds: number; rate: number; warmupSeconds?: number }): Promise<TransportFloor> {
  const replyFile = join(tmpdir(), `keyless-transport-peer-${process.pid}-${Date.now()}.json`);
  writeFileSync(replyFile, opts.reply);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', String(opts.status), replyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the transport peer exited with ${code}`)));
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    });
    const url = new URL(`http://127.0.0.1:${port}/`);
    const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
    let next = 0;
    const one = async (): Promise<void> => {
      const status = await post(agent, url, opts.bodies[next++ % opts.bodies.length]!);
      if (status !== opts.status) throw new Error(`the transport peer answered ${status}`);
    };
    const window = async (rate: number | undefined): Promise<{ us: number | undefined; rate: number }> => {
      const cpu = new CpuWindow(() => [child.pid!]);
      const n0 = next;
      cpu.start();
      const t0 = performance.now();
      await drivePaced(opts.clients, opts.seconds, rate, one);
      const seconds = (performance.now() - t0) / 1000;
      const used = total(cpu.stop());
      const n = next - n0;
      return { us: used === undefined || n === 0 ? undefined : (used * 1e6) / n, rate: n / seconds };
    };
    await drivePaced(opts.clients, opts.warmupSeconds ?? WARMUP_SECONDS, undefined, one);
    const saturated = await window(undefined);
    const paced = await window(opts.rate);
    agent.destroy();
    return { saturatedUs: saturated.us, saturatedRate: saturated.rate, pacedUs: paced.us, pacedRate: paced.rate, replyBytes: Buffer.byteLength(opts.reply) };
  } finally {
    child.kill();
    rmSync(replyFile, { force: true });
  }
}

const us = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(0));

/** The peer's cost per request, saturated and paced. */
export function transportLine(t: TransportFloor): string {
  return `transport floor: a bare node:http server parsing the same JSON bodies and answering the same ${(t.replyBytes / 1024).toFixed(1)} KiB reply uses ` +
    `${us(t.saturatedUs)} µs CPU per request saturated (${t.saturatedRate.toFixed(0)}/s), ${us(t.pacedUs)} µs at keyless's ${t.pacedRate.toFixed(0)}/s`;
}

/**
 * keyless's cost per unit split into the crypto floor, the transport floor (the peer saturated: its lowest) and what
 * is left, keyless's own work; undefined when either cost was not measured.
 */
export function splitLine(t: TransportFloor, unit: string, keylessUs: number | undefined, cryptoUs: number): string | undefined {
  if (keylessUs === undefined || t.saturatedUs === undefined) return undefined;
  const own = keylessUs - cryptoUs - t.saturatedUs;
  return `split: ${us(keylessUs)} µs per ${unit} = ${us(cryptoUs)} crypto floor + ${us(t.saturatedUs)} transport floor + ${us(own)} keyless's own work ` +
    `(${((100 * own) / keylessUs).toFixed(0)}%); ${(keylessUs / (cryptoUs + t.saturatedUs)).toFixed(1)}× crypto + transport floors`;
}

if (process.argv[2] === 'serve' && process.argv[1] === fileURLToPath(import.meta.url)) servePeer(Number(process.argv[3]), process.argv[4]!);
