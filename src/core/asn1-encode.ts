/**
 * DER (X.690) encoders: used to rebuild the CT precertificate TBS (RFC 6962 §3.2), and by tests that build
 * certificates and timestamp tokens of shapes no CA library will produce. The decoders are in asn1.ts.
 *
 * Encoding is of trusted, program-made values: a value DER cannot represent is a TypeError (a caller bug), never
 * a KeylessError.
 */
import { TAG } from './asn1.js';
import { concatBytes, toBuffer, utf8Encode } from './encoding.js';

/** How many octets a DER length takes: one for the short form, else one plus the big-endian octets of `n`. */
function lengthSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`cannot encode DER length ${n}`);
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5;
}

/** Writes the DER length `n`, `size` octets (from lengthSize), at `out[at]`. */
function writeLength(out: Uint8Array, at: number, n: number, size: number): void {
  if (size === 1) {
    out[at] = n;
    return;
  }
  out[at] = 0x80 | (size - 1);
  for (let i = 1; i < size; i++) out[at + i] = (n >>> (8 * (size - 1 - i))) & 0xff;
}

export function encodeLength(n: number): Uint8Array {
  const size = lengthSize(n);
  const out = new Uint8Array(size);
  writeLength(out, 0, n, size);
  return out;
}

// TLVs are cut from shared 8 KiB chunks, as Buffer's pool does for small buffers, but as plain Uint8Arrays (their
// `slice()` copies, unlike a Buffer's). A certificate is some sixty TLVs, and an ArrayBuffer of its own for each made
// the garbage collector's work a tenth of the CA's CPU per certificate (in-process: 705 -> 513-547 µs).
const CHUNK = 8192;
let chunk = new ArrayBuffer(CHUNK);
let chunkUsed = 0;

function allocate(n: number): Uint8Array {
  if (n > CHUNK / 2) return new Uint8Array(n);
  if (chunkUsed + n > CHUNK) {
    chunk = new ArrayBuffer(CHUNK);
    chunkUsed = 0;
  }
  const out = new Uint8Array(chunk, chunkUsed, n);
  chunkUsed += (n + 7) & ~7;
  return out;
}

/** One TLV; the length is written in place. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const size = lengthSize(n);
  const out = allocate(1 + size + n);
  out[0] = tag;
  writeLength(out, 1, n, size);
  out.set(content, 1 + size);
  return out;
}

export function encodeSequence(...parts: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
}

/** DER SET OF: the encoded elements sorted as octet strings (X.690 §11.6). */
export function encodeSet(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => toBuffer(a).compare(b));
  return encodeTlv(TAG.SET, concatBytes(...sorted));
}

function base128(v: bigint): number[] {
  const out = [Number(v & 0x7fn)];
  for (let x = v >> 7n; x > 0n; x >>= 7n) out.unshift(Number(x & 0x7fn) | 0x80);
  return out;
}

// OIDs are program constants (extension and attribute types), encoded again for every certificate and timestamp:
// their encodings are kept, bounded, and handed out as copies.
const oidCache = new Map<string, Uint8Array>();

export function encodeOid(oid: string): Uint8Array {
  let der = oidCache.get(oid);
  if (der === undefined) {
    der = encodeOidUncached(oid);
    if (oidCache.size >= 1024) oidCache.clear();
    oidCache.set(oid, der);
  }
  return der.slice();
}

function encodeOidUncached(oid: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid)) throw new TypeError(`not a dotted OID: ${oid}`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  const [a0, a1] = arcs as [bigint, bigint];
  if (a0 < 2n && a1 >= 40n) throw new TypeError(`OID second arc must be below 40: ${oid}`);
  const bytes = base128(a0 * 40n + a1);
  for (const arc of arcs.slice(2)) bytes.push(...base128(arc));
  return encodeTlv(TAG.OID, Uint8Array.from(bytes));
}

export function encodeInteger(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v >= 0n) {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if ((bytes[0] as number) >= 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n);
    if ((bytes[0] as number) < 0x80) bytes.unshift(0xff);
  }
  return encodeTlv(TAG.INTEGER, Uint8Array.from(bytes));
}

export function encodeBoolean(value: boolean): Uint8Array {
  return Uint8Array.of(TAG.BOOLEAN, 1, value ? 0xff : 0x00);
}

export function encodeNull(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

export function encodeUtf8String(text: string): Uint8Array {
  return encodeTlv(TAG.UTF8_STRING, utf8Encode(text));
}

export function encodeOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(TAG.OCTET_STRING, bytes);
}

/** An octet-aligned BIT STRING (keys, signatures). */
export function encodeBitString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), bytes));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** GeneralizedTime with millisecond precision when there is a fraction (RFC 3161 genTime). */
export function encodeGeneralizedTime(ms: number): Uint8Array {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || d.getUTCFullYear() > 9999 || d.getUTCFullYear() < 0) throw new TypeError(`cannot encode time ${ms}`);
  let s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
  s += `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  const frac = d.getUTCMilliseconds();
  if (frac !== 0) s += `.${pad(frac, 3).replace(/0+$/, '')}`;
  return encodeTlv(TAG.GENERALIZED_TIME, utf8Encode(`${s}Z`));
}

/** RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime after; whole seconds (milliseconds dropped). */
export function encodeTime(ms: number): Uint8Array {
  const seconds = Math.floor(ms / 1000) * 1000;
  const d = new Date(seconds);
  const year = d.getUTCFullYear();
  if (year < 1950 || year > 2049) return encodeGeneralizedTime(seconds);
  const s = `${pad(year % 100, 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}Z`;
  return encodeTlv(TAG.UTC_TIME, utf8Encode(s));
}
