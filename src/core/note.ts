/**
 * C2SP signed-note (c2sp.org/signed-note): text signed by one or more keys, as used by transparency log checkpoints.
 *
 * Key IDs ("key hints") differ between the logs Sigstore runs, so noteKeyHint takes the scheme:
 * - 'c2sp' (Rekor v2 / rekor-tiles, and any C2SP log): Ed25519 = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4];
 *   ECDSA = SHA-256(SPKI DER)[:4] (C2SP signature type 0x02, which has no name in the hash);
 *   RSA = SHA-256(name || 0x0A || 0xff || "PKIX-RSA-PKCS#1v1.5" || SPKI DER)[:4] (rekor-tiles pkg/note).
 * - 'rekor-v1' (Rekor v1 pkg/util/signed_note.go): SHA-256(SPKI DER)[:4] for every key type, which is also the first
 *   four bytes of the RFC 6962 log ID. For ECDSA keys the two schemes agree.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { base64Encode, bytesEqual, concatBytes, hexEncode, utf8Encode } from './encoding.js';
import { KeylessError } from './errors.js';

export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key ID that precedes the signature bytes. */
  readonly keyHint: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The note text, including its final newline but not the blank line before the signatures. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyHint: Uint8Array;
  /** Verifies `sig` over the note text bytes `msg`. Ed25519 signatures are raw 64 bytes; ECDSA ones are DER. */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyHint: Uint8Array;
  sign(msg: Uint8Array): Uint8Array;
}

/** The parts of a public key a key hint is computed from (structurally a core/keys PublicKey). */
export interface NoteKey {
  readonly type: 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';
  readonly spki: Uint8Array;
}

export type NoteKeyHintScheme = 'c2sp' | 'rekor-v1';

/** The spec requires accepting at least 16 signatures; golang.org/x/mod/sumdb/note stops at 100. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';
// Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters other than newline.
// (A JS string is UTF-8-encodable unless it holds an unpaired surrogate.)
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u0009\u000b-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters.
const NAME_FORBIDDEN = /[\s\u0085+]/;
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const RSA_NOTE_ID = 'PKIX-RSA-PKCS#1v1.5';

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !NAME_FORBIDDEN.test(name) && !FORBIDDEN_CHARS.test(name);
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new KeylessError('ERR_NOTE_INVALID', `signed note is invalid: ${message}`, details);
}

/** Parses a signed note strictly per c2sp.org/signed-note; ERR_NOTE_INVALID on any deviation. */
export function parseSignedNote(text: string): SignedNote {
  if (typeof text !== 'string') throw new TypeError('signed note must be a string');
  // Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters (those below U+0020) other
  // than newline.
  const bad = FORBIDDEN_CHARS.exec(text);
  if (bad) invalid('it contains a control character or an unpaired surrogate', { offset: bad.index });
  // The note text includes the final newline but not the separating blank line. The note text MAY contain empty
  // lines; the text is separated from the signatures by the last empty line in the note.
  const split = text.lastIndexOf('\n\n');
  if (split < 0) invalid('no blank line separates the text from the signatures');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  // ... followed by one or more signature lines of this form: em dash (U+2014), space (U+0020), key name, space,
  // base64-encoded signature, newline.
  if (block.length === 0 || !block.endsWith('\n')) invalid('the signature block is empty or does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) invalid(`more than ${MAX_NOTE_SIGNATURES} signatures`, { count: lines.length });
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(SIGNATURE_PREFIX)) invalid(`signature line ${i} does not start with an em dash and a space`, { line: i });
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) invalid(`signature line ${i} has no signature after the key name`, { line: i });
    const name = rest.slice(0, space);
    const b64 = rest.slice(space + 1);
    if (!isValidKeyName(name)) invalid(`signature line ${i} has an invalid key name`, { line: i, name });
    // Signatures are the base64 encoding of 4+n bytes. The first four bytes in the signature are the uint32 key ID
    // stored in big-endian order. The remaining n bytes are the result of using the specified key to sign the note.
    const bytes = noteBase64Decode(b64);
    if (bytes === undefined) invalid(`signature line ${i} is not standard padded base64`, { line: i, name });
    if (bytes.length < 5) invalid(`signature line ${i} is shorter than a key ID and one signature byte`, { line: i, name });
    return { name, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { text: body, signatures };
}

/**
 * Verifies a parsed note against the keys we trust (c2sp.org/signed-note, "Signatures"):
 * - Verifiers MUST ignore signatures from unknown keys, even if they share a name or ID (but not both) with a known key.
 * - If the key name and ID match a known key, verifiers MUST verify the signature. If a signature from a known key
 *   fails to verify, clients SHOULD reject the whole note (we do: ERR_TLOG_CHECKPOINT).
 * - If no signature from a known key verifies successfully, clients MUST reject the note (ERR_TLOG_CHECKPOINT).
 * Returns the names of the known keys whose signatures verified, each once.
 */
export function verifySignedNote(note: SignedNote, verifiers: readonly NoteVerifier[]): { verifiedBy: string[] } {
  const msg = utf8Encode(note.text);
  const verifiedBy: string[] = [];
  for (const sig of note.signatures) {
    const known = verifiers.filter((v) => v.name === sig.name && bytesEqual(v.keyHint, sig.keyHint));
    if (known.length === 0) continue;
    // Several trusted keys may share a name and a 4-byte ID; the signature counts if any of them made it.
    if (!known.some((v) => v.verify(msg, sig.signature))) {
      throw new KeylessError('ERR_TLOG_CHECKPOINT', `signed note: the signature by ${sig.name} (key ID ${hexEncode(sig.keyHint)}) does not verify`, {
        name: sig.name,
        keyHint: hexEncode(sig.keyHint),
        text: note.text,
      });
    }
    if (!verifiedBy.includes(sig.name)) verifiedBy.push(sig.name);
  }
  if (verifiedBy.length === 0) {
    throw new KeylessError('ERR_TLOG_CHECKPOINT', 'signed note has no signature by a trusted key', {
      signatures: note.signatures.map((s) => `${s.name} ${hexEncode(s.keyHint)}`),
      trusted: verifiers.map((v) => `${v.name} ${hexEncode(v.keyHint)}`),
      text: note.text,
    });
  }
  return { verifiedBy };
}

/** Signs `text` (which must end in a newline) with every signer, producing the signed-note serialization. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new TypeError('note text must be a string ending in a newline');
  if (FORBIDDEN_CHARS.test(text)) throw new TypeError('note text must not contain control characters other than newline');
  if (signers.length === 0) throw new TypeError('a signed note needs at least one signer');
  const msg = utf8Encode(text);
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) throw new TypeError(`invalid note key name ${JSON.stringify(s.name)}`);
    if (s.keyHint.length !== 4) throw new TypeError('a note key hint is 4 bytes');
    const sig = s.sign(msg);
    return `${SIGNATURE_PREFIX}${s.name} ${base64Encode(concatBytes(s.keyHint, sig))}\n`;
  });
  // A signed note consists of a text ending in newline, followed by a blank line, followed by the signature lines.
  return `${text}\n${lines.join('')}`;
}

/** The 4-byte key ID for `key` under `name`, per the scheme the log uses (see the file comment). */
export function noteKeyHint(name: string, key: NoteKey, scheme: NoteKeyHintScheme = 'c2sp'): Uint8Array {
  return noteKeyHash(name, key, scheme).subarray(0, 4);
}

/**
 * The untruncated SHA-256 the key ID is the first four bytes of. rekor-tiles (Rekor v2) publishes it as the log ID
 * (protobuf-specs: "For Rekor v2 instances, log_id and checkpoint_key_id will be set to the same value"); for ECDSA
 * keys and for Rekor v1 it is SHA-256(SPKI DER), the RFC 6962 log ID.
 */
export function noteKeyHash(name: string, key: NoteKey, scheme: NoteKeyHintScheme = 'c2sp'): Uint8Array {
  if (!isValidKeyName(name)) throw new TypeError(`invalid note key name ${JSON.stringify(name)}`);
  if (scheme === 'rekor-v1') return sha256(key.spki);
  switch (key.type) {
    case 'ed25519': {
      // key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]
      if (key.spki.length !== 44 || !bytesEqual(key.spki.subarray(0, 12), ED25519_SPKI_PREFIX)) {
        throw new TypeError('Ed25519 SubjectPublicKeyInfo is not 44 bytes with the Ed25519 algorithm identifier');
      }
      return sha256(utf8Encode(name), Uint8Array.of(0x0a, 0x01), key.spki.subarray(12));
    }
    case 'ecdsa-p256':
    case 'ecdsa-p384':
    case 'ecdsa-p521':
      // 0x02 — ECDSA signatures: the key ID for these signatures is the truncated SHA-256 hash of the DER encoded
      // public key in SPKI format.
      return sha256(key.spki);
    case 'rsa':
      // 0xff — "Reserved for signature types without an identifier byte assigned by this specification. It is
      // RECOMMENDED that this byte be followed by a longer identifier": rekor-tiles uses "PKIX-RSA-PKCS#1v1.5".
      return sha256(utf8Encode(name), Uint8Array.of(0x0a, 0xff), utf8Encode(RSA_NOTE_ID), key.spki);
  }
}

/**
 * Every key hint a log holding `key` may sign notes with: the C2SP/rekor-tiles one and the Rekor v1 one (the same
 * for ECDSA). A verifier that does not know which kind of log it talks to accepts either.
 */
export function noteKeyHints(name: string, key: NoteKey): Uint8Array[] {
  const c2sp = noteKeyHint(name, key, 'c2sp');
  const rekorV1 = noteKeyHint(name, key, 'rekor-v1');
  return bytesEqual(c2sp, rekorV1) ? [c2sp] : [c2sp, rekorV1];
}

const STD_BASE64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * "The base64 encoding used throughout is the standard Base 64 encoding specified in RFC 4648, Section 4": padded,
 * standard alphabet, canonical (Go's base64.StdEncoding, which the reference implementations use, also accepts
 * non-zero trailing bits; no signer produces them). Undefined when `text` is not exactly that.
 */
export function noteBase64Decode(text: string): Uint8Array | undefined {
  if (!STD_BASE64_PADDED.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Unused trailing bits must be zero, so that each byte string has exactly one encoding (no malleable notes).
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
