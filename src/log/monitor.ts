/**
 * A log monitor: fetches a log's latest checkpoint, checks its signature, and checks that it extends the last
 * checkpoint this monitor saw (RFC 9162 §2.1.4 consistency). An inconsistency is the one thing a log can never
 * explain away, so it is reported with the evidence: both signed checkpoints and the proof.
 *
 * Rekor v1 logs are asked for a proof (`GET /api/v1/log/proof`); for a tiled (v2) log the monitor computes the
 * proof itself from the tiles, and also checks that the tiles hash to the checkpoint's root.
 */
import { parseCheckpoint, type Checkpoint } from '../core/checkpoint.js';
import { base64Encode, bytesEqual, hexDecode, hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { verifySignature, type PublicKey } from '../core/keys.js';
import { verifyConsistency } from '../core/merkle.js';
import { noteKeyHints, parseSignedNote, verifySignedNote } from '../core/note.js';
import { tilePath, tileWidth } from './tiles.js';
import { TreeReader } from './tree.js';

export type LogApi = 'rekor-v1' | 'tiles';

/** What the monitor remembers between runs (its state file). */
export interface MonitorState {
  readonly url: string;
  readonly origin: string;
  readonly size: number;
  /** Hex. */
  readonly rootHash: string;
  /** The signed checkpoint, kept as evidence. */
  readonly checkpoint: string;
}

export interface AuditResult {
  readonly previous: MonitorState | undefined;
  readonly current: MonitorState;
  /** Entries added since the previous checkpoint. */
  readonly grownBy: number;
}

export interface AuditOptions {
  readonly url: string;
  readonly api: LogApi;
  /** The log's public key (or the keys of a trusted root): a checkpoint signed by none of them is refused. */
  readonly keys: readonly PublicKey[];
  readonly previous?: MonitorState;
  readonly fetch?: typeof fetch;
}

export async function auditLog(opts: AuditOptions): Promise<AuditResult> {
  const base = opts.url.replace(/\/+$/, '');
  const get = opts.fetch ?? fetch;
  const text = opts.api === 'rekor-v1' ? (await getJson(get, `${base}/api/v1/log`) as { signedTreeHead?: unknown }).signedTreeHead : await getText(get, `${base}/checkpoint`);
  if (typeof text !== 'string') throw new KeylessError('ERR_REQUEST', `${base} did not answer with a signed checkpoint`);
  const checkpoint = verifiedCheckpoint(text, opts.keys);
  const current: MonitorState = { url: base, origin: checkpoint.origin, size: checkpoint.size, rootHash: hexEncode(checkpoint.rootHash), checkpoint: text };
  const previous = opts.previous;

  if (opts.api === 'tiles') {
    // The tiles are what clients read proofs from; they must hash to the signed root.
    const root = await tileReader(get, base, checkpoint.size).rootHash(checkpoint.size);
    if (!bytesEqual(root, checkpoint.rootHash)) {
      throw inconsistency('the log\'s tiles do not hash to its own signed checkpoint', { checkpoint: text, rootFromTiles: hexEncode(root) });
    }
  }
  if (previous === undefined) return { previous, current, grownBy: 0 };
  if (previous.origin !== checkpoint.origin) {
    throw new KeylessError('ERR_REQUEST', `the state file is for log ${JSON.stringify(previous.origin)}, but ${base} is ${JSON.stringify(checkpoint.origin)}`);
  }
  const oldRoot = hexDecode(previous.rootHash);
  if (checkpoint.size < previous.size) {
    throw inconsistency(`the log shrank from ${previous.size} to ${checkpoint.size} entries`, { previous: previous.checkpoint, current: text });
  }
  if (checkpoint.size === previous.size) {
    if (!bytesEqual(oldRoot, checkpoint.rootHash)) {
      throw inconsistency(`two different roots signed for size ${checkpoint.size} (a fork)`, { previous: previous.checkpoint, current: text });
    }
    return { previous, current, grownBy: 0 };
  }
  const proof = previous.size === 0 ? [] : await consistencyProof(opts.api, get, base, previous.size, checkpoint);
  try {
    if (previous.size > 0) verifyConsistency(previous.size, checkpoint.size, proof, oldRoot, checkpoint.rootHash);
  } catch (err) {
    throw inconsistency(`the checkpoint of size ${checkpoint.size} does not extend the one of size ${previous.size}`, {
      previous: previous.checkpoint,
      current: text,
      proof: proof.map(base64Encode),
      reason: (err as Error).message,
    });
  }
  return { previous, current, grownBy: checkpoint.size - previous.size };
}

function verifiedCheckpoint(text: string, keys: readonly PublicKey[]): Checkpoint {
  const note = parseSignedNote(text);
  for (const key of keys) {
    const ours = note.signatures.filter((s) => noteKeyHints(s.name, key).some((h) => bytesEqual(h, s.keyHint)));
    if (ours.length === 0) continue;
    // A signature line that claims to be by this key but does not verify is fatal (verifySignedNote throws).
    verifySignedNote(note, ours.map((s) => ({ name: s.name, keyHint: s.keyHint, verify: (msg: Uint8Array, sig: Uint8Array) => verifySignature(key, msg, sig) })));
    return parseCheckpoint(note.text);
  }
  throw new KeylessError('ERR_TLOG_CHECKPOINT', 'the checkpoint carries no signature by the given log key', { checkpoint: text });
}

/** A consistency proof from `size1` to the checkpoint, from the log (v1) or computed from its tiles. */
export async function consistencyProof(api: LogApi, get: typeof fetch, base: string, size1: number, checkpoint: Checkpoint): Promise<Uint8Array[]> {
  if (api === 'tiles') return tileReader(get, base, checkpoint.size).consistencyProof(size1, checkpoint.size);
  const res = await getJson(get, `${base}/api/v1/log/proof?firstSize=${size1}&lastSize=${checkpoint.size}`) as { rootHash?: unknown; hashes?: unknown };
  if (typeof res.rootHash !== 'string' || !Array.isArray(res.hashes) || !res.hashes.every((h) => typeof h === 'string')) {
    throw new KeylessError('ERR_REQUEST', `${base} answered the proof request with something other than {rootHash, hashes}`);
  }
  if (res.rootHash.toLowerCase() !== hexEncode(checkpoint.rootHash)) {
    throw inconsistency('the log answered a consistency proof for a root other than its signed checkpoint', { proofRoot: res.rootHash, checkpointRoot: hexEncode(checkpoint.rootHash) });
  }
  return (res.hashes as string[]).map((h) => hexDecode(h, 'proof hash'));
}

/** Reads exactly the tile widths a tree of `size` has, so what it computes is what that checkpoint commits to. */
function tileReader(get: typeof fetch, base: string, size: number): TreeReader {
  return new TreeReader(async (level, index) => {
    const width = tileWidth(level, index, size);
    if (width === 0) return undefined;
    const res = await get(`${base}/${tilePath(level, index, width)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new KeylessError('ERR_REQUEST', `GET ${tilePath(level, index, width)} answered ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  });
}

function inconsistency(message: string, evidence: Record<string, unknown>): KeylessError {
  return new KeylessError('ERR_TLOG_CONSISTENCY', message, evidence);
}

async function getText(get: typeof fetch, url: string): Promise<string> {
  const res = await get(url);
  if (!res.ok) throw new KeylessError('ERR_REQUEST', `GET ${url} answered ${res.status}`);
  return res.text();
}

async function getJson(get: typeof fetch, url: string): Promise<unknown> {
  const text = await getText(get, url);
  try {
    return JSON.parse(text);
  } catch {
    throw new KeylessError('ERR_REQUEST', `GET ${url} did not answer JSON`);
  }
}
