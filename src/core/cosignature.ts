/**
 * C2SP tlog-cosignature (c2sp.org/tlog-cosignature), the Ed25519 `cosignature/v1` type, and C2SP signed-note
 * verifier keys (vkeys, c2sp.org/signed-note#verifier-keys) for logs and cosigners. Pure: the time a cosignature is
 * made is passed in.
 *
 *     — witness.example.com/w1 base64(key ID || u64 timestamp || Ed25519 signature)
 *
 * ML-DSA-44 cosignatures (signature type 0x06) are recognised in vkeys and refused as unsupported: node:crypto has
 * no ML-DSA in the Node versions keyless supports.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { base64Encode, bytesEqual, concatBytes, hexDecode, hexEncode, utf8Encode } from './encoding.js';
import { KeylessError } from './errors.js';
import { isValidKeyName, noteBase64Decode, type NoteSignature, type NoteVerifier } from './note.js';

/** Signed-note signature types (the byte after the newline in a key ID hash, and the first byte of a vkey's key). */
export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_ECDSA = 0x02;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
export const SIG_TYPE_ML_DSA_44 = 0x06;

const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
/** "It MUST NOT exceed 2^63 - 1". */
const MAX_TIMESTAMP = 2n ** 63n - 1n;

export interface Vkey {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** The signature type byte (0x01 Ed25519 note key, 0x04 Ed25519 cosignature/v1, …). */
  readonly type: number;
  /** The public key material after the type byte (32 bytes for Ed25519). */
  readonly key: Uint8Array;
  /** The vkey text it was parsed from. */
  readonly text: string;
}

function invalidVkey(message: string, details: Record<string, unknown> = {}): never {
  throw new KeylessError('ERR_NOTE_INVALID', `verifier key is invalid: ${message}`, details);
}

/**
 * The key ID of a signed-note key: SHA-256(<name> || "\n" || <signature type> || <public key>)[:4]. For Ed25519
 * cosignatures: "SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 cosigner public key)[:4]".
 */
export function keyIdFor(name: string, type: number, key: Uint8Array): Uint8Array {
  if (!isValidKeyName(name)) throw new TypeError(`invalid note key name ${JSON.stringify(name)}`);
  return new Uint8Array(createHash('sha256').update(utf8Encode(name)).update(Uint8Array.of(0x0a, type)).update(key).digest()).subarray(0, 4);
}

/**
 * Parses `<key name>+hex(32-bit key ID)+base64(signature type || public key)`. "The key name and ID MUST match
 * those used in the signatures": the ID is recomputed for the types whose ID is a name-hash (Ed25519 note keys and
 * Ed25519/ML-DSA cosignatures) and must equal the one written.
 */
export function parseVkey(text: string): Vkey {
  if (typeof text !== 'string') throw new TypeError('a vkey is a string');
  // Key names contain no `+` and the ID is hex, so the first two `+` separate the parts (base64 may contain `+`).
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(text.trim());
  if (m === null) invalidVkey('expected <name>+<hex key ID>+<base64 key>', { vkey: text });
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) invalidVkey('the key name is empty or has a space or control character', { vkey: text });
  if (!/^[0-9a-f]{8}$/.test(idHex)) invalidVkey('the key ID is not 8 lowercase hex digits', { vkey: text });
  const material = noteBase64Decode(keyB64);
  if (material === undefined || material.length < 2) invalidVkey('the key is not standard padded base64 of a type byte and a key', { vkey: text });
  const type = material[0]!;
  const key = material.subarray(1);
  const keyId = new Uint8Array(hexDecode(idHex, 'vkey key ID'));
  if (type === SIG_TYPE_ED25519 || type === SIG_TYPE_COSIGNATURE_V1) {
    if (key.length !== 32) invalidVkey(`an Ed25519 key is 32 bytes, not ${key.length}`, { vkey: text });
  } else if (type === SIG_TYPE_ML_DSA_44) {
    if (key.length !== 1312) invalidVkey(`an ML-DSA-44 key is 1312 bytes, not ${key.length}`, { vkey: text });
  } else {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `verifier key ${name} has signature type 0x${type.toString(16).padStart(2, '0')}, which keyless does not support here`, { vkey: text, type });
  }
  const expected = keyIdFor(name, type, key);
  if (!bytesEqual(expected, keyId)) invalidVkey(`the key ID ${idHex} is not the one the name and key give (${hexEncode(expected)})`, { vkey: text });
  return { name, keyId, type, key, text: text.trim() };
}

export function formatVkey(name: string, type: number, key: Uint8Array): string {
  return `${name}+${hexEncode(keyIdFor(name, type, key))}+${base64Encode(concatBytes(Uint8Array.of(type), key))}`;
}

/** The raw 32-byte Ed25519 public key of a KeyObject (public or private). */
export function ed25519RawPublicKey(key: KeyObject): Uint8Array {
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  if (spki.length !== 44 || !bytesEqual(spki.subarray(0, 12), ED25519_SPKI_PREFIX)) throw new TypeError('not an Ed25519 key');
  return spki.subarray(12);
}

function ed25519KeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, raw)), format: 'der', type: 'spki' });
}

/**
 * The Ed25519 signed message: "two newline (U+000A) terminated lines (one header line and one timestamp line)
 * followed by the whole note body of the cosigned checkpoint (including the final newline, but not including any
 * signature lines)". The header line is `cosignature/v1`; the timestamp line is `time <decimal, no leading zeroes>`.
 */
export function cosignatureV1Message(checkpointText: string, timestamp: bigint | number): Uint8Array {
  const t = BigInt(timestamp);
  if (t < 0n || t > MAX_TIMESTAMP) throw new TypeError('a cosignature timestamp is between 0 and 2^63 - 1');
  if (!checkpointText.endsWith('\n')) throw new TypeError('a checkpoint body ends with a newline');
  return utf8Encode(`cosignature/v1\ntime ${t.toString()}\n${checkpointText}`);
}

export interface CosignerKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly vkey: string;
}

/** A cosignature/v1 signer over an Ed25519 private key. `sign` is given the time (POSIX seconds) of the statement. */
export interface Cosigner extends CosignerKey {
  /** The note signature line (with its newline) cosigning `checkpointText` at `timestamp`. */
  cosign(checkpointText: string, timestamp: number): string;
}

export function createCosigner(name: string, privateKey: KeyObject): Cosigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('a cosignature/v1 key is an Ed25519 private key');
  const publicKey = ed25519RawPublicKey(privateKey);
  const keyId = keyIdFor(name, SIG_TYPE_COSIGNATURE_V1, publicKey);
  return {
    name,
    keyId,
    publicKey,
    vkey: formatVkey(name, SIG_TYPE_COSIGNATURE_V1, publicKey),
    cosign(checkpointText, timestamp) {
      // "The cosignature MUST NOT omit the timestamp, i.e. the timestamp MUST NOT be zero." (tlog-witness)
      if (!Number.isSafeInteger(timestamp) || timestamp <= 0) throw new TypeError('a witness cosignature needs a positive timestamp');
      const sig = new Uint8Array(sign(null, cosignatureV1Message(checkpointText, timestamp), privateKey));
      const ts = new Uint8Array(8);
      new DataView(ts.buffer).setBigUint64(0, BigInt(timestamp));
      return `\u2014 ${name} ${base64Encode(concatBytes(keyId, ts, sig))}\n`;
    },
  };
}

/** The cosigner key a vkey names; only the Ed25519 cosignature/v1 type (0x04) is accepted for a witness. */
export function cosignerKeyFromVkey(vkey: string | Vkey): CosignerKey {
  const parsed = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (parsed.type !== SIG_TYPE_COSIGNATURE_V1) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `witness key ${parsed.name} has signature type 0x${parsed.type.toString(16).padStart(2, '0')}; keyless verifies Ed25519 cosignature/v1 keys (type 0x04)`, { vkey: parsed.text });
  }
  return { name: parsed.name, keyId: parsed.keyId, publicKey: parsed.key, vkey: parsed.text };
}

export interface VerifiedCosignature {
  readonly name: string;
  /** POSIX seconds. */
  readonly timestamp: number;
}

/**
 * Checks one note signature as a cosignature/v1 by `key` over `checkpointText`. Returns undefined when the
 * signature is not by this key (other name or key ID: "ignore any signature lines that don't match the name and key
 * ID"); false when it names the key but does not verify; the statement when it verifies.
 */
export function verifyCosignature(key: CosignerKey, checkpointText: string, sig: NoteSignature): VerifiedCosignature | false | undefined {
  if (sig.name !== key.name || !bytesEqual(sig.keyHint, key.keyId)) return undefined;
  if (sig.signature.length !== 8 + 64) return false;
  const timestamp = cosignatureTimestamp(sig.signature);
  if (timestamp === undefined) return false;
  const ok = verify(null, cosignatureV1Message(checkpointText, timestamp), ed25519KeyObject(key.publicKey), sig.signature.subarray(8));
  return ok ? { name: key.name, timestamp: Number(timestamp) } : false;
}

/**
 * The timestamp of an Ed25519 `timestamped_signature` (the signature bytes after the 4-byte key ID): "u64 timestamp;
 * … serialized in sequence, with the timestamp encoded in big-endian order", followed by the 64-byte signature.
 * Undefined when the bytes are not that shape or the time exceeds 2^63 - 1.
 */
export function cosignatureTimestamp(signature: Uint8Array): bigint | undefined {
  if (signature.length !== 8 + 64) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t > MAX_TIMESTAMP ? undefined : t;
}

/** A signed-note verifier for an Ed25519 note key (signature type 0x01), e.g. a log's checkpoint key from its vkey. */
export function noteVerifierFromVkey(vkey: string | Vkey): NoteVerifier {
  const parsed = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (parsed.type !== SIG_TYPE_ED25519) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `log key ${parsed.name} has signature type 0x${parsed.type.toString(16).padStart(2, '0')}; keyless verifies Ed25519 checkpoint keys (type 0x01) from vkeys`, { vkey: parsed.text });
  }
  const keyObject = ed25519KeyObject(parsed.key);
  return { name: parsed.name, keyHint: parsed.keyId, verify: (msg, sig) => sig.length === 64 && verify(null, msg, keyObject, sig) };
}

/** The vkey of an Ed25519 note signer (a C2SP log's checkpoint key). */
export function noteVkey(name: string, key: KeyObject): string {
  return formatVkey(name, SIG_TYPE_ED25519, ed25519RawPublicKey(key));
}

