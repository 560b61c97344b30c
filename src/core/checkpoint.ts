/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a signed tree head.
 *
 *     example.com/behind-the-sofa
 *     20852163
 *     CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 *
 * Rekor v1 origins contain spaces ("rekor.sigstore.dev - 1193050959916656506") and Rekor v1 adds a
 * "Timestamp: …" extension line; both are allowed by the spec (the origin format is only a SHOULD).
 */
import { base64Encode } from './encoding.js';
import { KeylessError } from './errors.js';
import { MERKLE_HASH_SIZE } from './merkle.js';
import { noteBase64Decode } from './note.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Extension lines after the root hash, without their newlines. */
  readonly extensions: readonly string[];
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f]/;
const DECIMAL_NO_LEADING_ZERO = /^(?:0|[1-9][0-9]*)$/;

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new KeylessError('ERR_NOTE_INVALID', `checkpoint is invalid: ${message}`, details);
}

/** Parses checkpoint note text (as SignedNote.text: ending in a newline); ERR_NOTE_INVALID on any deviation. */
export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string') throw new TypeError('checkpoint body must be a string');
  // The note text is a sequence of at least three non-empty lines, separated by newlines (U+000A).
  // (A note text always ends in a newline, so the last line is followed by one too.)
  if (!body.endsWith('\n')) invalid('the text does not end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) invalid(`it has ${lines.length} lines, at least 3 are required`);
  lines.forEach((line, i) => {
    if (line.length === 0) invalid(`line ${i} is empty`, { line: i });
    if (CONTROL_CHARS.test(line)) invalid(`line ${i} contains a control character`, { line: i });
  });
  const [origin, sizeLine, hashLine, ...extensions] = lines as [string, string, string, ...string[]];
  // 2. The second line is the tree size, the ASCII decimal representation of the number of leaves in the tree,
  //    with no leading zeroes (unless the tree is empty, in which case the tree size is `0`).
  if (!DECIMAL_NO_LEADING_ZERO.test(sizeLine)) invalid('the tree size is not a decimal number without leading zeros', { size: sizeLine });
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) invalid('the tree size is too large', { size: sizeLine });
  // 3. The third line is the root hash, the base64 encoding of the root of the RFC 6962 Merkle hash tree.
  const rootHash = noteBase64Decode(hashLine);
  if (rootHash === undefined || rootHash.length !== MERKLE_HASH_SIZE) {
    invalid(`the root hash is not the standard base64 encoding of ${MERKLE_HASH_SIZE} bytes`, { rootHash: hashLine });
  }
  // 4. Any following lines are extension lines, opaque and OPTIONAL. Extension lines, if any, MUST be non-empty.
  return { origin, size, rootHash, extensions };
}

/** The note text of a checkpoint (to be signed with signNote). Invalid fields are a TypeError: we produce these. */
export function formatCheckpoint(cp: Checkpoint): string {
  // 1. The first line is the origin ... The origin MUST be non-empty.
  if (cp.origin.length === 0 || CONTROL_CHARS.test(cp.origin)) throw new TypeError('checkpoint origin must be a non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new TypeError('checkpoint size must be a non-negative safe integer');
  if (cp.rootHash.length !== MERKLE_HASH_SIZE) throw new TypeError(`checkpoint root hash must be ${MERKLE_HASH_SIZE} bytes`);
  for (const ext of cp.extensions) {
    if (ext.length === 0 || CONTROL_CHARS.test(ext)) throw new TypeError('checkpoint extension lines must be non-empty lines');
  }
  return [cp.origin, String(cp.size), base64Encode(cp.rootHash), ...cp.extensions].join('\n') + '\n';
}
