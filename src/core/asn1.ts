/**
 * DER (X.690) reading for X.509, CMS/RFC 3161 and the CT precertificate TBS; the encoders are in asn1-encode.ts.
 *
 * Hand-written on purpose: src/core stays dependency-free and pure, and this is the verifier's hot path (a whole
 * bundle verification should take well under a millisecond). Parsing is lazy and copy-free: a node is offsets into
 * the input (views are made on first use), and a constructed node splits into children only when asked.
 *
 * Only DER is accepted: definite lengths in their shortest form, low tag numbers, nothing after the element.
 * Every problem is a KeylessError('ERR_ASN1'); no input makes this module throw anything else.
 */
import { KeylessError, isKeylessError, type ErrorCode } from './errors.js';
import { hexEncode, utf8Decode } from './encoding.js';

/** Universal tags (with the constructed bit where DER requires it). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `[n]`, constructed (EXPLICIT or IMPLICIT over a constructed type) or primitive. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** Deeper than anything X.509 or CMS needs; bounds the work an attacker can ask for. */
export const MAX_DEPTH = 32;

export interface Asn1 {
  /** The full identifier byte, e.g. 0x30 for SEQUENCE, 0xa0 for [0] constructed. */
  readonly tag: number;
  readonly constructed: boolean;
  /** Length of the identifier and length octets. */
  readonly header: number;
  /** The whole TLV (a view of the input). */
  readonly bytes: Uint8Array;
  /** The value octets (a view of the input). */
  readonly content: Uint8Array;
  /** The elements inside a constructed node, parsed on first call; ERR_ASN1 for a primitive node. */
  children(): readonly Asn1[];
}

/**
 * A TLV located by offsets into the input; `bytes` and `content` views are made on first use, because creating a
 * typed-array view costs more than reading the header and most nodes are only walked through.
 */
class Node implements Asn1 {
  readonly constructed: boolean;
  private kids: readonly Asn1[] | undefined;
  private bytesView: Uint8Array | undefined;
  private contentView: Uint8Array | undefined;

  constructor(
    private readonly buf: Uint8Array,
    private readonly start: number,
    readonly tag: number,
    readonly header: number,
    private readonly end: number,
    private readonly depth: number,
    private readonly what: string,
  ) {
    this.constructed = (tag & 0x20) !== 0;
  }

  get bytes(): Uint8Array {
    return (this.bytesView ??= this.buf.subarray(this.start, this.end));
  }

  get content(): Uint8Array {
    return (this.contentView ??= this.buf.subarray(this.start + this.header, this.end));
  }

  /** Length of the whole TLV, without making a view. */
  get size(): number {
    return this.end - this.start;
  }

  children(): readonly Asn1[] {
    if (this.kids !== undefined) return this.kids;
    if (!this.constructed) throw asn1Error(`${this.what}: expected a constructed element, got tag 0x${hex2(this.tag)}`);
    if (this.depth >= MAX_DEPTH) throw asn1Error(`${this.what}: nested deeper than ${MAX_DEPTH}`);
    const out: Asn1[] = [];
    let pos = this.start + this.header;
    while (pos < this.end) {
      const child = readElement(this.buf, pos, this.end, this.depth + 1, this.what);
      out.push(child);
      pos = child.end;
    }
    this.kids = out;
    return out;
  }
}

function asn1Error(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_ASN1', message, details);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Reads one TLV at `start` of `buf`, which must end by `limit`; the element may be followed by more bytes. */
function readElement(buf: Uint8Array, start: number, limit: number, depth: number, what: string): Node {
  const avail = limit - start;
  if (avail < 2) throw asn1Error(`${what}: truncated element header at offset ${start}`);
  const tag = buf[start] as number;
  if ((tag & 0x1f) === 0x1f) throw asn1Error(`${what}: high tag numbers are not used here (0x${hex2(tag)})`);
  const first = buf[start + 1] as number;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw asn1Error(`${what}: indefinite length is not DER`);
    if (n > 4) throw asn1Error(`${what}: length of ${n} octets is too large`);
    if (avail < 2 + n) throw asn1Error(`${what}: truncated length at offset ${start}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[start + 2 + i] as number);
    if (buf[start + 2] === 0 || length < 0x80) throw asn1Error(`${what}: length not in its shortest form`);
    header = 2 + n;
  }
  if (length > avail - header) {
    throw asn1Error(`${what}: element at offset ${start} claims ${length} bytes, ${avail - header} remain`);
  }
  return new Node(buf, start, tag, header, start + header + length, depth, what);
}

/** Exactly one DER element spanning all of `bytes`. */
export function parseDer(bytes: Uint8Array, what = 'DER'): Asn1 {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  const node = readElement(bytes, 0, bytes.length, 0, what);
  if (node.size !== bytes.length) {
    throw asn1Error(`${what}: ${bytes.length - node.size} trailing bytes after the element`);
  }
  return node;
}

/**
 * Runs `fn`, turning any failure into one KeylessError with `code` (the original kept as `cause`).
 * Parsers of a format (certificate, timestamp) use it so their callers see one code for "cannot be parsed".
 */
export function withErrorCode<T>(code: ErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isKeylessError(err) && err.code === code) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const details = isKeylessError(err) ? { ...err.details, reason } : { reason };
    throw new KeylessError(code, `cannot parse ${what}: ${reason}`, details, { cause: err });
  }
}

/** Walks the children of a constructed node in order, for SEQUENCE-shaped structures with OPTIONAL fields. */
export class Asn1Reader {
  private readonly items: readonly Asn1[];
  private pos = 0;

  constructor(node: Asn1, private readonly what: string, tag: number = TAG.SEQUENCE) {
    expectTag(node, tag, what);
    this.items = node.children();
  }

  /** The next element, which must have `tag`. */
  next(tag: number, field: string): Asn1 {
    const node = this.items[this.pos];
    if (node === undefined) throw asn1Error(`${this.what}: missing ${field}`);
    expectTag(node, tag, `${this.what} ${field}`);
    this.pos++;
    return node;
  }

  /** The next element, whatever its tag (for CHOICE and ANY). */
  any(field: string): Asn1 {
    const node = this.items[this.pos];
    if (node === undefined) throw asn1Error(`${this.what}: missing ${field}`);
    this.pos++;
    return node;
  }

  /** The next element if it has `tag`, else undefined (nothing consumed). */
  optional(tag: number): Asn1 | undefined {
    const node = this.items[this.pos];
    if (node === undefined || node.tag !== tag) return undefined;
    this.pos++;
    return node;
  }

  get done(): boolean {
    return this.pos >= this.items.length;
  }

  /** Fails if elements are left over. */
  end(): void {
    if (this.pos < this.items.length) throw asn1Error(`${this.what}: unexpected extra elements`);
  }
}

export function expectTag(node: Asn1, tag: number, what: string): void {
  if (node.tag !== tag) throw asn1Error(`${what}: expected tag 0x${hex2(tag)}, got 0x${hex2(node.tag)}`);
}

/** The elements of a SEQUENCE OF / SET OF, after checking the tag. */
export function childrenOf(node: Asn1, tag: number, what: string): readonly Asn1[] {
  expectTag(node, tag, what);
  return node.children();
}

// ---------------------------------------------------------------------------------------------------------------
// Decoders

export function decodeOid(node: Asn1): string {
  expectTag(node, TAG.OID, 'OBJECT IDENTIFIER');
  const c = node.content;
  if (c.length === 0) throw asn1Error('OBJECT IDENTIFIER is empty');
  const arcs: (number | bigint)[] = [];
  let value = 0;
  let big: bigint | undefined;
  let startOfArc = true;
  for (let i = 0; i < c.length; i++) {
    const b = c[i] as number;
    if (startOfArc && b === 0x80) throw asn1Error('OBJECT IDENTIFIER arc not in its shortest form');
    startOfArc = false;
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
    else if (value >= 2 ** 46) big = (BigInt(value) << 7n) | BigInt(b & 0x7f);
    else value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(big ?? value);
      value = 0;
      big = undefined;
      startOfArc = true;
    }
  }
  if (!startOfArc) throw asn1Error('OBJECT IDENTIFIER ends inside an arc');
  const first = arcs[0] as number | bigint;
  let head: string;
  if (typeof first === 'bigint') head = `2.${first - 80n}`;
  else if (first < 40) head = `0.${first}`;
  else if (first < 80) head = `1.${first - 40}`;
  else head = `2.${first - 80}`;
  let out = head;
  for (let i = 1; i < arcs.length; i++) out += `.${arcs[i]}`;
  return out;
}

function checkInteger(node: Asn1, tag: number): Uint8Array {
  expectTag(node, tag, 'INTEGER');
  const c = node.content;
  if (c.length === 0) throw asn1Error('INTEGER is empty');
  if (c.length > 1) {
    const a = c[0] as number;
    const b = c[1] as number;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) throw asn1Error('INTEGER not in its shortest form');
  }
  return c;
}

/** `tag` is for IMPLICIT-tagged integers, e.g. contextTag(0, false). */
export function decodeInteger(node: Asn1, tag: number = TAG.INTEGER): bigint {
  const c = checkInteger(node, tag);
  let v = BigInt(`0x${hexEncode(c)}`);
  if ((c[0] as number) >= 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** An INTEGER that must fit in a JavaScript safe integer. */
export function decodeSmallInteger(node: Asn1, tag: number = TAG.INTEGER): number {
  const c = checkInteger(node, tag);
  if (c.length > 6) {
    const v = decodeInteger(node, tag);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw asn1Error('INTEGER too large');
    }
    return Number(v);
  }
  let v = 0;
  for (const b of c) v = v * 256 + b;
  if ((c[0] as number) >= 0x80) v -= 2 ** (c.length * 8);
  return v;
}

export function decodeBoolean(node: Asn1): boolean {
  expectTag(node, TAG.BOOLEAN, 'BOOLEAN');
  const c = node.content;
  if (c.length !== 1 || (c[0] !== 0x00 && c[0] !== 0xff)) throw asn1Error('BOOLEAN must be one octet, 0x00 or 0xff');
  return c[0] === 0xff;
}

export function decodeNull(node: Asn1): null {
  expectTag(node, TAG.NULL, 'NULL');
  if (node.content.length !== 0) throw asn1Error('NULL has content');
  return null;
}

export function decodeOctetString(node: Asn1): Uint8Array {
  expectTag(node, TAG.OCTET_STRING, 'OCTET STRING');
  return node.content;
}

function checkBitString(node: Asn1): number {
  expectTag(node, TAG.BIT_STRING, 'BIT STRING');
  const c = node.content;
  if (c.length === 0) throw asn1Error('BIT STRING is empty');
  const unused = c[0] as number;
  if (unused > 7 || (c.length === 1 && unused !== 0)) throw asn1Error('BIT STRING has a bad unused-bits count');
  if (unused !== 0 && ((c[c.length - 1] as number) & ((1 << unused) - 1)) !== 0) {
    throw asn1Error('BIT STRING padding bits are not zero');
  }
  return unused;
}

/** An octet-aligned BIT STRING (keys, signatures): the bytes after the unused-bits octet, which must be 0. */
export function decodeBitString(node: Asn1): Uint8Array {
  if (checkBitString(node) !== 0) throw asn1Error('BIT STRING is not a whole number of octets');
  return node.content.subarray(1);
}

/** A named-bit BIT STRING (KeyUsage) as a mask: ASN.1 bit n (first bit sent = 0) is `1 << n`; bits past 31 dropped. */
export function decodeBitFlags(node: Asn1): number {
  checkBitString(node);
  const c = node.content;
  let mask = 0;
  for (let i = 1; i < c.length && i <= 4; i++) {
    const b = c[i] as number;
    for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) mask |= 1 << ((i - 1) * 8 + bit);
  }
  return mask >>> 0;
}

const latin1 = new TextDecoder('latin1');
const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** The character string types X.509 and CMS use, decoded to a JS string; each type's alphabet is enforced. */
export function decodeString(node: Asn1): string {
  const c = node.content;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      try {
        return utf8Decode(c, 'UTF8String');
      } catch {
        throw asn1Error('UTF8String is not valid UTF-8');
      }
    case TAG.PRINTABLE_STRING: {
      const s = latin1.decode(c);
      if (!PRINTABLE_RE.test(s)) throw asn1Error('PrintableString has a character outside its alphabet');
      return s;
    }
    case TAG.NUMERIC_STRING: {
      const s = latin1.decode(c);
      if (!/^[0-9 ]*$/.test(s)) throw asn1Error('NumericString has a character outside its alphabet');
      return s;
    }
    case TAG.IA5_STRING:
      return decodeIa5(node);
    case TAG.VISIBLE_STRING: {
      const s = latin1.decode(c);
      if (!/^[\x20-\x7e]*$/.test(s)) throw asn1Error('VisibleString has a character outside its alphabet');
      return s;
    }
    case TAG.TELETEX_STRING:
      return latin1.decode(c); // T.61 in theory; Latin-1 is what every implementation does in practice
    case TAG.BMP_STRING: {
      if (c.length % 2 !== 0) throw asn1Error('BMPString has an odd length');
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode(((c[i] as number) << 8) | (c[i + 1] as number));
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (c.length % 4 !== 0) throw asn1Error('UniversalString length is not a multiple of 4');
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = (((c[i] as number) << 24) | ((c[i + 1] as number) << 16) | ((c[i + 2] as number) << 8) | (c[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw asn1Error('UniversalString has an invalid code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw asn1Error(`expected a string type, got tag 0x${hex2(node.tag)}`);
  }
}

/** IA5 (ASCII) content of any node, whatever its tag (GeneralName's IMPLICIT rfc822Name, dNSName, URI). */
export function decodeIa5(node: Asn1): string {
  const c = node.content;
  for (const b of c) if (b > 0x7f) throw asn1Error('IA5String has a non-ASCII byte');
  return latin1.decode(c);
}

function digits(c: Uint8Array, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = (c[i] as number) - 0x30;
    if (d < 0 || d > 9) throw asn1Error('time has a non-digit where a digit belongs');
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * UTCTime (YYMMDDHHMMSSZ, years 1950–2049 per RFC 5280) or GeneralizedTime (YYYYMMDDHHMMSS[.fff…]Z, fraction
 * without trailing zeros per DER) as epoch milliseconds; fractions beyond milliseconds are truncated.
 */
export function decodeTime(node: Asn1): number {
  const c = node.content;
  let year: number;
  let p: number;
  if (node.tag === TAG.UTC_TIME) {
    if (c.length !== 13 || c[12] !== 0x5a) throw asn1Error('UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(c, 0, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    p = 2;
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    if (c.length < 15 || c[c.length - 1] !== 0x5a) throw asn1Error('GeneralizedTime must be YYYYMMDDHHMMSS[.f]Z');
    year = digits(c, 0, 4);
    p = 4;
  } else {
    throw asn1Error(`expected UTCTime or GeneralizedTime, got tag 0x${hex2(node.tag)}`);
  }
  const month = digits(c, p, 2);
  const day = digits(c, p + 2, 2);
  const hour = digits(c, p + 4, 2);
  const minute = digits(c, p + 6, 2);
  const second = digits(c, p + 8, 2);
  p += 10;
  let ms = 0;
  if (node.tag === TAG.GENERALIZED_TIME && p < c.length - 1) {
    const fracLen = c.length - 1 - p - 1;
    if (c[p] !== 0x2e || fracLen < 1) throw asn1Error('GeneralizedTime fraction must be "." and digits');
    if (c[c.length - 2] === 0x30) throw asn1Error('GeneralizedTime fraction has trailing zeros');
    const kept = Math.min(fracLen, 3);
    ms = digits(c, p + 1, kept) * 10 ** (3 - kept);
    digits(c, p + 1 + kept, fracLen - kept); // the rest must still be digits
  } else if (p !== c.length - 1) {
    throw asn1Error('time has extra characters');
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw asn1Error('time has a field out of range');
  }
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + ms;
}
