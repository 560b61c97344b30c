/**
 * Byte encodings used across Sigstore formats: base64 (protobuf JSON accepts both the standard and the URL-safe
 * alphabet, padded or not), hex, UTF-8 and PEM. Decoders are strict: anything that is not exactly an encoding is
 * an ERR_ENCODING, never silently skipped (Buffer.from(s, 'base64') ignores bad characters, so we check first).
 */
import { Buffer } from 'node:buffer';
import { KeylessError } from './errors.js';

/**
 * Decodes standard or URL-safe base64, padded or not, as protobuf's JSON mapping allows, ignoring CR and LF.
 * Node's decoder silently skips characters outside the alphabet and stops at a misplaced '=', so the result is
 * checked against the length the text must decode to: any such character makes it come out short. (A regular
 * expression over the text did the same job at several times the cost on the verifier's hot path.)
 */
export function base64Decode(input: string, what = 'base64 value'): Uint8Array {
  if (typeof input !== 'string') throw new KeylessError('ERR_ENCODING', `${what} is not a string`);
  // Line breaks are allowed and ignored, as Go's and Node's decoders do: the `base64` tool wraps at 76 columns
  // (RFC 2045), and bundles assembled in shell scripts carry them. Nothing else outside the alphabet is.
  const text = input.indexOf('\n') >= 0 || input.indexOf('\r') >= 0 ? input.replace(/\r?\n|\r/g, '') : input;
  const length = text.length;
  const padding = length > 0 && text.charCodeAt(length - 1) === 61 ? (length > 1 && text.charCodeAt(length - 2) === 61 ? 2 : 1) : 0;
  const body = length - padding;
  if (body % 4 === 1 || (padding > 0 && length % 4 !== 0)) {
    throw new KeylessError('ERR_ENCODING', `${what} has a base64 length that cannot be decoded`, { what });
  }
  // One alphabet per value: '-'/'_' (URL-safe) and '+'/'/' (standard) never mix.
  const urlSafe = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
  const bytes = urlSafe && (text.indexOf('+') >= 0 || text.indexOf('/') >= 0) ? undefined : Buffer.from(text, urlSafe ? 'base64url' : 'base64');
  if (bytes === undefined || bytes.length !== Math.floor((body * 3) / 4)) {
    throw new KeylessError('ERR_ENCODING', `${what} is not valid base64`, { what });
  }
  return bytes;
}

export function base64Encode(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('base64');
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('base64url');
}

export function hexEncode(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('hex');
}

export function hexDecode(text: string, what = 'hex value'): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new KeylessError('ERR_ENCODING', `${what} is not valid hex`, { what });
  }
  return Buffer.from(text, 'hex');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function utf8Decode(bytes: Uint8Array, what = 'text'): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (cause) {
    throw new KeylessError('ERR_ENCODING', `${what} is not valid UTF-8`, { what }, { cause });
  }
}

export function utf8Encode(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)\r?\n?-----END \1-----/g;

/** Every PEM block in `text`, optionally only those with the given label (e.g. 'CERTIFICATE'). */
export function pemDecodeAll(text: string, label?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    if (label !== undefined && m[1] !== label) continue;
    out.push(base64Decode((m[2] ?? '').replace(/\s+/g, ''), `PEM ${m[1]} block`));
  }
  return out;
}

/** Exactly one PEM block with the label; ERR_ENCODING otherwise. */
export function pemDecode(text: string, label: string): Uint8Array {
  const blocks = pemDecodeAll(text, label);
  if (blocks.length !== 1 || blocks[0] === undefined) {
    throw new KeylessError('ERR_ENCODING', `expected one PEM ${label} block, found ${blocks.length}`, { label });
  }
  return blocks[0];
}

export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = base64Encode(der).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && toBuffer(a).equals(b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** A Buffer view over the same memory (no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
