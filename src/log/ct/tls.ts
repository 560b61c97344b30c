/**
 * TLS presentation-language encoding (RFC 5246 §4) for RFC 6962 structures: big-endian integers and vectors with
 * a length prefix of 1 to 3 bytes. Encoding is of program-made values: a value that does not fit is a TypeError.
 */
import { concatBytes } from '../../core/encoding.js';

export function uint(value: number, bytes: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * bytes)) {
    throw new TypeError(`${value} does not fit in ${bytes} bytes`);
  }
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** `opaque data<0..2^(8*lengthBytes)-1>`: the length, then the bytes. */
export function vector(data: Uint8Array, lengthBytes: number): Uint8Array {
  return concatBytes(uint(data.length, lengthBytes), data);
}
