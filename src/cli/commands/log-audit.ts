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
import { WITNESS_POLICY_OPTION, witnessPolicyFromFlags } from '../witness-policy.js';
import { parseCheckpoint } from '../../core/checkpoint.js';
import { parseSignedNote } from '../../core/note.js';
import type { WitnessPolicy } from '../../core/tlog-policy.js';
import { consistencyProof } from '../../log/monitor.js';
import { verifyWitnessQuorum, type WitnessVerdict } from '../../verify/witness.js';
import { addCheckpoint } from '../../witness/client.js';

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
  --json                 print the result as JSON
  --witness-policy FILE  also require the checkpoint to carry the quorum of this C2SP tlog-policy's witnesses
                         (exit 1 with ERR_WITNESS naming who did and did not cosign)
  --push                 with --witness-policy: first submit the checkpoint to the policy's witnesses that have a
                         URL (C2SP tlog-witness add-checkpoint, as a monitor) and count the cosignatures they return`;

const OPTIONS = {
  url: { type: 'string' },
  api: { type: 'string' },
  'public-key': { type: 'string' },
  'trusted-root': { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  ...WITNESS_POLICY_OPTION,
  push: { type: 'boolean' },
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
  const witnessPolicy = witnessPolicyFromFlags(parsed);
  if (flag(parsed, 'push') && witnessPolicy === undefined) throw usageError('--push needs --witness-policy (the witnesses to push to)', USAGE);

  try {
    const result = await auditLog({ url, api, keys, ...(previous ? { previous } : {}) });
    // Cosignatures are checked before the state advances: a checkpoint the witnesses have not seen is not recorded.
    const witnessing = witnessPolicy === undefined ? undefined : await checkWitnesses(result.current.checkpoint, witnessPolicy, flag(parsed, 'push') ? { api, url } : undefined);
    const tmp = `${statePath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(result.current, null, 2)}\n`);
    renameSync(tmp, statePath);
    const summary = previous === undefined
      ? `first checkpoint recorded: ${result.current.origin} size ${result.current.size}`
      : `consistent: ${result.current.origin} grew from ${previous.size} to ${result.current.size} entries`;
    const witnessSummary = witnessing === undefined ? '' : `; cosigned by ${witnessing.verdict.cosigned.map((c) => c.name).join(', ') || 'no witness'} (quorum ${witnessPolicy!.quorum} met)${witnessing.pushed.length > 0 ? `; pushed: ${witnessing.pushed.map((p) => `${p.name} ${p.outcome}`).join(', ')}` : ''}`;
    io.out(flag(parsed, 'json') ? JSON.stringify({ status: 'consistent', ...result, ...(witnessing !== undefined ? { witnesses: { cosigned: witnessing.verdict.cosigned, missing: witnessing.verdict.missing, pushed: witnessing.pushed } } : {}) }) : `${summary}${witnessSummary}`);
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

/**
 * With --push, submits the checkpoint to each policy witness with a URL (old size learnt from a 409, as tlog-witness
 * suggests: "a client … MAY initially make a request with a old size of zero"), adds the cosignatures they return,
 * then requires the policy's quorum on the result.
 */
async function checkWitnesses(checkpoint: string, policy: WitnessPolicy, push: { api: LogApi; url: string } | undefined): Promise<{ verdict: WitnessVerdict; pushed: { name: string; outcome: string }[] }> {
  let note = checkpoint;
  const pushed: { name: string; outcome: string }[] = [];
  if (push !== undefined) {
    const cp = parseCheckpoint(parseSignedNote(checkpoint).text);
    const base = push.url.replace(/\/+$/, '');
    const results = await Promise.all(policy.witnesses.filter((w) => w.url !== undefined).map(async (w) => {
      const endpoint = { name: w.name, url: w.url!, key: w.key };
      let oldSize = 0;
      for (let attempt = 0; attempt < 2; attempt++) {
        let proof: Uint8Array[] = [];
        try {
          proof = oldSize === 0 || oldSize >= cp.size ? [] : await consistencyProof(push.api, fetch, base, oldSize, cp);
        } catch (err) {
          return { name: w.name, outcome: `no proof from ${oldSize}: ${(err as Error).message}` };
        }
        const outcome = await addCheckpoint(endpoint, { oldSize, proof, checkpoint, timeoutMs: 10_000 });
        if (outcome.kind === 'cosigned') return { name: w.name, outcome: 'cosigned', line: outcome.line };
        if (outcome.kind === 'conflict' && attempt === 0 && outcome.size <= cp.size) {
          oldSize = outcome.size;
          continue;
        }
        return { name: w.name, outcome: outcome.kind === 'conflict' ? `409 Conflict (witness at size ${outcome.size})` : `refused: ${outcome.status ?? ''} ${outcome.message}`.trim() };
      }
      return { name: w.name, outcome: 'gave up' };
    }));
    for (const r of results) {
      pushed.push({ name: r.name, outcome: r.outcome });
      if ('line' in r && r.line !== undefined && !note.includes(r.line)) note += r.line;
    }
  }
  return { verdict: verifyWitnessQuorum(note, policy), pushed };
}
