/**
 * C2SP tlog-witness (c2sp.org/tlog-witness) wire formats: the `add-checkpoint` request body, its response body of
 * cosignature lines, and the `text/x.tlog.size` body of a 409 Conflict. Pure parsing and formatting; the witness
 * and the log's client are in src/witness.
 */
import { base64Encode } from './encoding.js';
import { KeylessError } from './errors.js';
import { MERKLE_HASH_SIZE } from './merkle.js';
import { noteBase64Decode } from './note.js';

/** "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;
/** The Content-Type of a 409 Conflict body. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, as sent (it may carry several signatures). */
  readonly checkpoint: string;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw new KeylessError('ERR_REQUEST', `add-checkpoint request: ${message}`, details);
}

/**
 * "The request body MUST be a sequence of an old size line, zero or more consistency proof lines, and an empty
 * line, followed by a checkpoint. Each line MUST terminate in a newline character (U+000A)." Anything else is
 * ERR_REQUEST (400 Bad Request).
 */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  if (typeof body !== 'string') throw new TypeError('request body must be a string');
  const blank = body.indexOf('\n\n');
  if (blank < 0) bad('no empty line separates the old size and proof from the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const checkpoint = body.slice(blank + 2);
  // "The old size line MUST consist of the string `old`, a single space (0x20), and the tree size of the previous
  // checkpoint encoded as an ASCII decimal with no leading zeroes".
  const oldLine = head[0]!;
  const m = /^old ([0-9]+)$/.exec(oldLine);
  if (m === null || !DECIMAL.test(m[1]!)) bad('the first line is not "old <size>" with a decimal size without leading zeroes', { line: oldLine });
  const oldSize = Number(m[1]);
  if (!Number.isSafeInteger(oldSize)) bad('the old size is too large', { line: oldLine });
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) bad(`more than ${MAX_PROOF_LINES} consistency proof lines`, { lines: proofLines.length });
  // "Each consistency proof line MUST encode a single hash in base64."
  const proof = proofLines.map((line, i) => {
    const hash = noteBase64Decode(line);
    if (hash === undefined || hash.length !== MERKLE_HASH_SIZE) bad(`consistency proof line ${i + 1} is not the base64 of a ${MERKLE_HASH_SIZE}-byte hash`, { line });
    return hash;
  });
  if (checkpoint.length === 0) bad('the checkpoint is missing');
  return { oldSize, proof, checkpoint };
}

export function formatAddCheckpointRequest(req: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(req.oldSize) || req.oldSize < 0) throw new TypeError('old size must be a non-negative safe integer');
  if (req.proof.length > MAX_PROOF_LINES) throw new TypeError(`at most ${MAX_PROOF_LINES} proof lines`);
  return `old ${req.oldSize}\n${req.proof.map((h) => `${base64Encode(h)}\n`).join('')}\n${req.checkpoint}`;
}

/** The 409 body: "the tree size of the latest cosigned checkpoint in decimal, followed by a newline". */
export function formatTlogSize(size: number): string {
  return `${size}\n`;
}

/** Parses a 409 body; undefined if it is not one decimal size and a newline. */
export function parseTlogSize(body: string): number | undefined {
  const m = /^(0|[1-9][0-9]*)\n$/.exec(body);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The 200 body: "a sequence of one or more note signature lines, each starting with the `—` character (U+2014) and
 * ending with a newline character". Returns the lines (each with its newline); ERR_NOTE_INVALID otherwise.
 */
export function parseCosignatureLines(body: string): string[] {
  if (body.length === 0 || !body.endsWith('\n')) throw new KeylessError('ERR_NOTE_INVALID', 'add-checkpoint response: not newline-terminated signature lines');
  const lines = body.slice(0, -1).split('\n');
  for (const line of lines) {
    if (!line.startsWith('\u2014 ')) throw new KeylessError('ERR_NOTE_INVALID', 'add-checkpoint response: a line does not start with an em dash and a space', { line });
  }
  return lines.map((l) => `${l}\n`);
}
