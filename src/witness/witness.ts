/**
 * A C2SP tlog-witness (c2sp.org/tlog-witness): cosigns a log's checkpoint only after checking that it is consistent
 * with the latest checkpoint it cosigned for that log.
 *
 * Life of an add-checkpoint request:
 *  1. The body is parsed (old size line, proof lines, empty line, checkpoint); a malformed one is 400.
 *  2. The checkpoint's origin must be a log in the witness's configuration (404), and a signature by a key the
 *     witness trusts for it must verify, with no failing signature by such a key (403).
 *  3. The old size must not exceed the checkpoint's size (400).
 *  4. In ONE durable transaction (state.ts): the old size must equal the size of the latest cosigned checkpoint
 *     (409, answering that size as text/x.tlog.size); a size-0 checkpoint must have the empty tree's root, an old
 *     size of 0 an empty proof, an equal size an equal root, and otherwise the consistency proof must lead from
 *     the stored root to the new one (422). Only then is the new checkpoint, with the cosignature made for it,
 *     written and committed.
 *  5. The cosignature line (cosignature/v1, timestamped) is returned.
 * The witness therefore never cosigns two inconsistent checkpoints, nor a smaller tree after a larger one, for a
 * log: every cosigned checkpoint extends the previous one, and that chain is on disk before any cosignature leaves.
 */
import { createHash } from 'node:crypto';
import { parseCheckpoint } from '../core/checkpoint.js';
import { base64Encode, bytesEqual, concatBytes, hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { emptyRoot, verifyConsistency } from '../core/merkle.js';
import { parseSignedNote, verifySignedNote, type NoteVerifier, type SignedNote } from '../core/note.js';
import type { Cosigner } from '../core/cosignature.js';
import { parseAddCheckpointRequest } from '../core/tlog-witness.js';
import type { WitnessState, WitnessedCheckpoint } from './state.js';

export interface WitnessedLog {
  /** The checkpoint origin line the log signs. */
  readonly origin: string;
  /** The keys the witness trusts for the origin (from the log's vkey). */
  readonly verifiers: readonly NoteVerifier[];
}

export interface WitnessOptions {
  readonly cosigner: Cosigner;
  readonly logs: readonly WitnessedLog[];
  readonly state: WitnessState;
  /** Clock in milliseconds (injectable for tests). */
  readonly now?: () => number;
  /** Told about every request's outcome (for metrics and logs). */
  readonly onRequest?: (outcome: { origin?: string; status: 'cosigned' | WitnessRefusal }) => void;
}

export type WitnessRefusal = 'bad-request' | 'unknown-log' | 'forbidden' | 'conflict' | 'inconsistent';

export class Witness {
  readonly cosigner: Cosigner;
  readonly #logs: Map<string, WitnessedLog>;
  readonly #state: WitnessState;
  readonly #now: () => number;
  readonly #onRequest: WitnessOptions['onRequest'];

  constructor(opts: WitnessOptions) {
    this.cosigner = opts.cosigner;
    this.#logs = new Map(opts.logs.map((l) => [l.origin, l]));
    this.#state = opts.state;
    this.#now = opts.now ?? Date.now;
    this.#onRequest = opts.onRequest;
  }

  get name(): string {
    return this.cosigner.name;
  }

  get vkey(): string {
    return this.cosigner.vkey;
  }

  /** POST <submission prefix>/add-checkpoint: the response body (cosignature lines), or a coded refusal. */
  addCheckpoint(body: string): string {
    let origin: string | undefined;
    try {
      const request = parseAddCheckpointRequest(body);
      let note: SignedNote;
      let checkpoint: ReturnType<typeof parseCheckpoint>;
      try {
        note = parseSignedNote(request.checkpoint);
        checkpoint = parseCheckpoint(note.text);
      } catch (err) {
        throw new KeylessError('ERR_REQUEST', `add-checkpoint request: the checkpoint is malformed: ${(err as Error).message}`, {}, { cause: err });
      }
      origin = checkpoint.origin;
      // "If the checkpoint origin is unknown, the witness MUST respond with a "404 Not Found" HTTP status code."
      const log = this.#logs.get(checkpoint.origin);
      if (log === undefined) throw new KeylessError('ERR_WITNESS_UNKNOWN_LOG', `this witness does not follow a log with origin ${JSON.stringify(checkpoint.origin)}`, { origin: checkpoint.origin });
      // "The witness MUST verify the checkpoint signature against the public key(s) it trusts for the checkpoint
      // origin, and it MUST ignore signatures from unknown keys. … MUST respond with a "403 Forbidden" HTTP status
      // code if either no signature from a trusted key for the origin is present, or a signature line's key name and
      // ID match a trusted key but the signature itself fails to verify".
      let verifiedBy: string[];
      try {
        verifiedBy = verifySignedNote(note, log.verifiers).verifiedBy;
      } catch (err) {
        throw new KeylessError('ERR_WITNESS_FORBIDDEN', `the checkpoint for ${checkpoint.origin} is not validly signed by the log's key: ${(err as Error).message}`, { origin: checkpoint.origin }, { cause: err });
      }
      // "The old size MUST be equal to or lower than the checkpoint size. Otherwise, the witness MUST respond with a
      // "400 Bad Request" HTTP status code."
      if (request.oldSize > checkpoint.size) {
        throw new KeylessError('ERR_REQUEST', `add-checkpoint request: the old size ${request.oldSize} is larger than the checkpoint's size ${checkpoint.size}`, { oldSize: request.oldSize, size: checkpoint.size });
      }
      const logLines = note.signatures
        .filter((s) => log.verifiers.some((v) => v.name === s.name && bytesEqual(v.keyHint, s.keyHint)) && verifiedBy.includes(s.name))
        .map((s) => `\u2014 ${s.name} ${base64Encode(concatBytes(s.keyHint, s.signature))}\n`);
      let line = '';
      this.#state.advance(checkpoint.origin, (current) => {
        // "The witness MUST check that the old size matches the size of the latest checkpoint it cosigned for the
        // checkpoint's origin (or zero if it never cosigned a checkpoint for that origin). If it doesn't match, the
        // witness MUST respond with a "409 Conflict" HTTP status code."
        const currentSize = current?.size ?? 0;
        if (request.oldSize !== currentSize) {
          throw new KeylessError('ERR_WITNESS_CONFLICT', `the witness's latest cosigned checkpoint for ${checkpoint.origin} has size ${currentSize}, not ${request.oldSize}`, { size: currentSize, origin: checkpoint.origin });
        }
        checkConsistency(request.oldSize, request.proof, current, checkpoint.size, checkpoint.rootHash);
        // "The cosignature MUST NOT omit the timestamp, i.e. the timestamp MUST NOT be zero."
        line = this.cosigner.cosign(note.text, Math.max(1, Math.floor(this.#now() / 1000)));
        return { origin: checkpoint.origin, size: checkpoint.size, rootHash: checkpoint.rootHash, note: `${note.text}\n${logLines.join('')}${line}` };
      });
      this.#onRequest?.({ origin: checkpoint.origin, status: 'cosigned' });
      return line;
    } catch (err) {
      this.#onRequest?.({ ...(origin !== undefined ? { origin } : {}), status: refusalOf(err) });
      throw err;
    }
  }

  /**
   * GET <monitoring prefix>/<origin hash>/checkpoint: the latest cosigned checkpoint of the log whose origin hashes
   * (SHA-256, lowercase hex) to `originHash`, with the log's signature and this witness's cosignature.
   */
  latestCheckpoint(originHash: string): string {
    for (const origin of this.#logs.keys()) {
      if (hexEncode(new Uint8Array(createHash('sha256').update(origin).digest())) !== originHash) continue;
      const latest = this.#state.get(origin);
      if (latest !== undefined) return latest.note;
    }
    // "If the witness has never cosigned a checkpoint for that log, it MUST respond with a "404 Not Found"".
    throw new KeylessError('ERR_NOT_FOUND', `this witness has cosigned no checkpoint for a log with origin hash ${originHash}`);
  }

  /** What the witness has cosigned, per log (for status pages and tests). */
  latest(): { origin: string; size: number }[] {
    return this.#state.all().map((s) => ({ origin: s.origin, size: s.size }));
  }
}

/**
 * The 422 checks: "A checkpoint of size zero MUST have the root hash of the empty tree"; "If the old size is zero,
 * the consistency proof MUST be empty"; "If the old size matches the checkpoint size, the witness MUST check that the
 * root hashes are also identical"; otherwise the proof must be an RFC 6962 consistency proof from the old size.
 */
function checkConsistency(oldSize: number, proof: readonly Uint8Array[], current: WitnessedCheckpoint | undefined, size: number, rootHash: Uint8Array): void {
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new KeylessError('ERR_WITNESS_PROOF', message, { oldSize, size, ...details });
  };
  if (size === 0 && !bytesEqual(rootHash, emptyRoot())) fail('a checkpoint of size 0 must have the root hash of the empty tree');
  if (oldSize === 0) {
    if (proof.length > 0) fail('the old size is 0, so the consistency proof must be empty');
    return;
  }
  if (current === undefined) throw new TypeError('a non-zero old size matched a missing state');
  if (oldSize === size) {
    if (!bytesEqual(current.rootHash, rootHash)) fail(`the checkpoint has the size of the latest cosigned one (${size}) but another root hash`, { cosignedRoot: hexEncode(current.rootHash), rootHash: hexEncode(rootHash) });
    if (proof.length > 0) fail('the sizes are equal, so the consistency proof must be empty');
    return;
  }
  try {
    verifyConsistency(oldSize, size, proof, current.rootHash, rootHash);
  } catch (err) {
    fail(`the consistency proof from size ${oldSize} to ${size} does not verify: ${(err as Error).message}`, { cosignedRoot: hexEncode(current.rootHash), rootHash: hexEncode(rootHash) });
  }
}

function refusalOf(err: unknown): WitnessRefusal {
  const code = err instanceof KeylessError ? err.code : undefined;
  switch (code) {
    case 'ERR_WITNESS_UNKNOWN_LOG': return 'unknown-log';
    case 'ERR_WITNESS_FORBIDDEN': return 'forbidden';
    case 'ERR_WITNESS_CONFLICT': return 'conflict';
    case 'ERR_WITNESS_PROOF': return 'inconsistent';
    default: return 'bad-request';
  }
}
