/**
 * `keyless witness serve`: a C2SP tlog-witness on its own (the same service as `keyless serve --only witness`).
 * It cosigns checkpoints of the logs in its config file after checking them against the state it keeps in the data
 * directory; see src/witness/witness.ts for the guarantee and src/witness/state.ts for the state's safety rules.
 */
import { createApp } from '../../server/app.js';
import { createMetrics } from '../../server/metrics.js';
import { ensureDir } from '../../server/data-dir.js';
import { openWitnessInstance } from '../../server/witness.js';
import { witnessRequestCounter } from '../../server/witness-metrics.js';
import { flag, parse, str, usageError } from '../args.js';
import { readFileOrFail, type Output } from '../io.js';

export const USAGE = `Usage: keyless witness serve --config FILE [options]

Runs a C2SP tlog-witness: POST /add-checkpoint cosigns (cosignature/v1, Ed25519) a log's checkpoint once it is
validly signed and consistent with the last one this witness cosigned; GET /<sha256(origin)>/checkpoint serves
that one. Its key (DATA-DIR/keys/witness.pem) is made at first start; its vkey is printed and written to
DATA-DIR/witness.vkey. Its state (DATA-DIR/witness/state.sqlite) is durable before any cosignature is returned.

Options:
  --config FILE          the logs to witness: lines "log <vkey> [<url>]" (C2SP tlog-policy), origin = vkey name
  --name NAME            the witness's key name, a schema-less URL (default HOST/witness of --public-url)
  --data-dir DIR         key and state (default ./keyless-witness)
  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            port (default 3001; 0 picks a free one)
  --public-url URL       the URL logs reach this witness at (default http://HOST:PORT)
  --log-level LEVEL      fatal, error, warn (default), info, debug
  --reset-state-unsafe   start although the key exists and the state file is missing (or is another key's),
                         forgetting what was cosigned: the witness could then cosign a fork or a smaller tree`;

const OPTIONS = {
  config: { type: 'string' },
  name: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string' },
  'reset-state-unsafe': { type: 'boolean' },
} as const;

export async function witnessCommand(argv: string[], io: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'serve') throw usageError(sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`, USAGE);
  const parsed = parse(rest, OPTIONS, USAGE);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument ${parsed.positionals[0]}`, USAGE);
  const configPath = str(parsed, 'config');
  if (configPath === undefined) throw usageError('--config is required', USAGE);
  const dataDir = str(parsed, 'data-dir') ?? 'keyless-witness';
  const host = str(parsed, 'host') ?? '127.0.0.1';
  const port = Number(str(parsed, 'port') ?? '3001');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port must be a port number', USAGE);
  ensureDir(dataDir);
  const metrics = createMetrics();
  const instance = openWitnessInstance({
    dataDir,
    name: str(parsed, 'name') ?? `${new URL(str(parsed, 'public-url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).host}/witness`,
    config: readFileOrFail(configPath, 'witness config', 1024 * 1024).toString('utf8'),
    configLabel: `witness config ${configPath}`,
    ...(flag(parsed, 'reset-state-unsafe') ? { resetStateUnsafe: true } : {}),
    onRequest: witnessRequestCounter(metrics.registry),
  });
  if (flag(parsed, 'reset-state-unsafe')) io.err('keyless witness: WARNING: --reset-state-unsafe: what this witness cosigned before is forgotten');
  const app = createApp({ witness: instance.witness }, { metrics, logger: { level: str(parsed, 'log-level') ?? 'warn' } });
  const address = await app.listen({ host, port });
  // Handlers first: whoever waits for "listening" may signal at once (see serve.ts).
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(s);
      resolve();
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, stop);
  });
  io.out(`keyless witness: listening on ${address}`);
  io.out(`  witness vkey: ${instance.witness.vkey}`);
  io.out(`  logs: ${instance.witness.latest().map((l) => `${l.origin} (cosigned size ${l.size})`).join(', ') || 'none cosigned yet'}`);
  await stopped;
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  await app.close();
  clearInterval(sweeper);
  instance.close();
  return 0;
}
