/**
 * `keyless log audit --url URL`: a monitor for a transparency log. Each run checks that the log's latest signed
 * checkpoint extends the one the previous run saw (kept in a state file), then records the new one. On an
 * inconsistency it exits 1 and prints the evidence (both signed checkpoints and the proof) as JSON.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { KeylessError } from '../../core/errors.js';
import { publicKeyFromSpki, type PublicKey } from '../../core/keys.js';
import { auditLog, type LogApi, type MonitorState } from '../../log/monitor.js';
import { flag, parse, str, usageError } from '../args.js';
import { loadTrustedRoot, readPublicKey, type Output } from '../io.js';

export const USAGE = `Usage: keyless log audit --url URL (--public-key FILE | --trusted-root FILE) [options]
       keyless log fsck [--data-dir DIR | --postgres-url URL] (check a stopped instance's store; see log fsck --help)

Checks that a transparency log's latest checkpoint is signed by the log and extends the last one this monitor
saw. Exit 0: consistent (or first run); 1: the log is inconsistent (evidence printed as JSON); 2: could not check.

Options:
  --url URL              the log's base URL
  --api API              rekor-v1 (asks GET /api/v1/log/proof) or tiles (computes proofs from C2SP tiles);
                         default: tiles if URL/checkpoint answers, else rekor-v1
  --public-key FILE      the log's public key (PEM)
  --trusted-root FILE    a trusted_root.json whose transparency logs may have signed the checkpoint
  --state FILE           where the last verified checkpoint is kept (default .keyless-log-audit.json)
  --json                 print the result as JSON`;

const OPTIONS = {
  url: { type: 'string' },
  api: { type: 'string' },
  'public-key': { type: 'string' },
  'trusted-root': { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function logCommand(argv: string[], io: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'fsck') return (await import('./log-fsck.js')).fsckCommand(rest, io);
  if (sub !== 'audit') throw usageError(sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`, USAGE);
  const parsed = parse(rest, OPTIONS, USAGE);
  const url = str(parsed, 'url');
  if (url === undefined) throw usageError('--url is required', USAGE);
  const keys = logKeys(str(parsed, 'public-key'), str(parsed, 'trusted-root'));
  const statePath = str(parsed, 'state') ?? '.keyless-log-audit.json';
  const previous = readState(statePath, url);
  const api = parseApi(str(parsed, 'api')) ?? (await detectApi(url));

  try {
    const result = await auditLog({ url, api, keys, ...(previous ? { previous } : {}) });
    const tmp = `${statePath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(result.current, null, 2)}\n`);
    renameSync(tmp, statePath);
    const summary = previous === undefined
      ? `first checkpoint recorded: ${result.current.origin} size ${result.current.size}`
      : `consistent: ${result.current.origin} grew from ${previous.size} to ${result.current.size} entries`;
    io.out(flag(parsed, 'json') ? JSON.stringify({ status: 'consistent', ...result }) : summary);
    return 0;
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_TLOG_CONSISTENCY') {
      io.out(JSON.stringify({ status: 'inconsistent', message: err.message, evidence: err.details }, null, 2));
    }
    throw err;
  }
}

function logKeys(publicKey: string | undefined, trustedRoot: string | undefined): PublicKey[] {
  if ((publicKey === undefined) === (trustedRoot === undefined)) throw usageError('give exactly one of --public-key or --trusted-root', USAGE);
  if (publicKey !== undefined) return [readPublicKey(publicKey)];
  const root = loadTrustedRoot(trustedRoot);
  return root.tlogs.map((t) => publicKeyFromSpki(t.publicKey.rawBytes));
}

function parseApi(value: string | undefined): LogApi | undefined {
  if (value === undefined) return undefined;
  if (value === 'rekor-v1' || value === 'tiles') return value;
  throw usageError(`--api must be rekor-v1 or tiles, not ${JSON.stringify(value)}`, USAGE);
}

async function detectApi(url: string): Promise<LogApi> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/checkpoint`);
    return res.ok ? 'tiles' : 'rekor-v1';
  } catch (cause) {
    throw new KeylessError('ERR_REQUEST', `cannot reach ${url}: ${(cause as Error).message}`, {}, { cause });
  }
}

function readState(path: string, url: string): MonitorState | undefined {
  if (!existsSync(path)) return undefined;
  let state: MonitorState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as MonitorState;
  } catch {
    throw new KeylessError('ERR_USAGE', `state file ${path} is not JSON; move it away to start over`);
  }
  if (typeof state.size !== 'number' || typeof state.rootHash !== 'string' || typeof state.checkpoint !== 'string' || typeof state.origin !== 'string') {
    throw new KeylessError('ERR_USAGE', `state file ${path} is not a keyless log audit state; move it away to start over`);
  }
  if (state.url !== url.replace(/\/+$/, '')) throw new KeylessError('ERR_USAGE', `state file ${path} is for ${state.url}, not ${url}; use another --state`);
  return state;
}
