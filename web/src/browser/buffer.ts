/**
 * The part of node:buffer that src/core's encoders use, over Uint8Array, for the page's bundle
 * (scripts/build-web.mjs substitutes this module for node:buffer; Node itself keeps node:buffer, so core's hot path
 * is unchanged). Decoding behaves as Node's does — characters outside the alphabet are skipped, '=' ends the
 * input — because core relies on exactly that and then checks the decoded length (see base64Decode).
 * Checked against node:buffer by test/unit/web/bundle.test.ts.
 */
type Encoding = 'base64' | 'base64url' | 'hex' | 'utf8' | 'utf-8' | 'latin1';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Node decodes both alphabets whichever of base64/base64url is named. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  SEXTET[STD.charCodeAt(i)] = i;
  SEXTET[URL_SAFE.charCodeAt(i)] = i;
}

function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.ceil((text.length * 3) / 4));
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) break; // '='
    const v = c < 128 ? (SEXTET[c] as number) : -1;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function encodeBase64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    s += alphabet[b0 >> 2];
    s += alphabet[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)];
    s += b1 === undefined ? (pad ? '=' : '') : alphabet[((b1 & 15) << 2) | ((b2 ?? 0) >> 6)];
    s += b2 === undefined ? (pad ? '=' : '') : alphabet[b2 & 63];
  }
  return s;
}

function decodeHex(text: string): Uint8Array {
  // Node stops at the first pair that is not hex; core validates hex before decoding.
  const out = new Uint8Array(text.length >> 1);
  let n = 0;
  for (; n < out.length; n++) {
    const pair = text.slice(n * 2, n * 2 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    out[n] = parseInt(pair, 16);
  }
  return out.subarray(0, n);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Buffer extends Uint8Array {
  static override from(value: unknown, encodingOrOffset?: unknown, length?: number): Buffer {
    if (typeof value === 'string') {
      const enc = (encodingOrOffset ?? 'utf8') as Encoding;
      switch (enc) {
        case 'base64': case 'base64url': return Buffer.wrap(decodeBase64(value));
        case 'hex': return Buffer.wrap(decodeHex(value));
        case 'utf8': case 'utf-8': return Buffer.wrap(new TextEncoder().encode(value));
        case 'latin1': return Buffer.wrap(Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff));
        default: throw new TypeError(`unsupported encoding ${String(enc)}`);
      }
    }
    if (value instanceof ArrayBuffer) return new Buffer(value, (encodingOrOffset as number | undefined) ?? 0, length ?? value.byteLength - ((encodingOrOffset as number | undefined) ?? 0));
    const copy = new Buffer((value as ArrayLike<number>).length);
    copy.set(value as ArrayLike<number>);
    return copy;
  }

  /** A Buffer view over the same memory as `bytes`. */
  private static wrap(bytes: Uint8Array): Buffer {
    return new Buffer(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  }

  static isBuffer(value: unknown): value is Buffer {
    return value instanceof Buffer;
  }

  static concat(parts: readonly Uint8Array[]): Buffer {
    const out = new Buffer(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  override toString(encoding: Encoding = 'utf8'): string {
    switch (encoding) {
      case 'base64': return encodeBase64(this, STD, true);
      case 'base64url': return encodeBase64(this, URL_SAFE, false);
      case 'hex': {
        let s = '';
        for (const b of this) s += HEX[b];
        return s;
      }
      case 'latin1': return String.fromCharCode(...this);
      default: return new TextDecoder().decode(this);
    }
  }

  equals(other: Uint8Array): boolean {
    if (other.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  compare(other: Uint8Array): number {
    const n = Math.min(this.length, other.length);
    for (let i = 0; i < n; i++) if (this[i] !== other[i]) return (this[i] as number) < (other[i] as number) ? -1 : 1;
    return this.length === other.length ? 0 : this.length < other.length ? -1 : 1;
  }
}
