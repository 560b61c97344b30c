// A small DER reader (ITU-T X.690), enough to read X.509 certificates in the browser. Everything it reads comes
// from a log entry, that is from whoever submitted it: every length is checked against the bytes that are there.

/* global atob */

export class DerError extends Error {}

/** Universal tags used by certificates. */
export const TAG = Object.freeze({
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8String: 0x0c, PrintableString: 0x13, T61String: 0x14, IA5String: 0x16, UTCTime: 0x17,
  GeneralizedTime: 0x18, BMPString: 0x1e, SEQUENCE: 0x30, SET: 0x31,
});

/** One TLV at `offset` of `bytes`: `{ tag, constructed, value, end }` (`end` is the offset just past it). */
export function readTlv(bytes, offset = 0) {
  if (offset + 2 > bytes.length) throw new DerError('truncated: no room for a tag and a length');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high-numbered tags do not occur in certificates');
  let pos = offset + 1;
  let length = bytes[pos++];
  if (length & 0x80) {
    const n = length & 0x7f;
    // DER: the long form only when needed, no leading zero; 4 bytes is far beyond any certificate.
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding');
    if (pos + n > bytes.length) throw new DerError('truncated length');
    if (bytes[pos] === 0) throw new DerError('non-minimal length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++];
    if (length < 0x80) throw new DerError('non-minimal length');
  }
  const end = pos + length;
  if (end > bytes.length) throw new DerError('a length runs past the end of the data');
  return { tag, constructed: (tag & 0x20) !== 0, value: bytes.subarray(pos, end), end };
}

/** The single TLV that must fill `bytes` exactly. */
export function readDer(bytes, expectedTag) {
  const node = readTlv(bytes, 0);
  if (node.end !== bytes.length) throw new DerError('trailing bytes after the DER value');
  return expect(node, expectedTag);
}

export function expect(node, tag, what = 'value') {
  if (tag !== undefined && node?.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${node === undefined ? 'nothing' : `0x${node.tag.toString(16)}`}`);
  }
  return node;
}

/** The elements of a constructed value, in order. */
export function children(node) {
  if (!node.constructed) throw new DerError('expected a constructed value');
  const out = [];
  for (let pos = 0; pos < node.value.length; ) {
    const child = readTlv(node.value, pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function readOid(node) {
  expect(node, TAG.OID, 'object identifier');
  const b = node.value;
  if (b.length === 0) throw new DerError('empty object identifier');
  const arcs = [];
  let arc = 0n;
  for (let i = 0; i < b.length; i++) {
    arc = arc * 128n + BigInt(b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = arc < 80n ? arc / 40n : 2n;
        arcs.push(first, arc - first * 40n);
      } else arcs.push(arc);
      arc = 0n;
    } else if (i === b.length - 1) throw new DerError('truncated object identifier');
  }
  return arcs.join('.');
}

const latin1 = (b) => String.fromCharCode(...b);

/** Text of any string type found in names and extensions. */
export function readString(node) {
  const b = node.value;
  switch (node.tag) {
    case TAG.UTF8String: return new TextDecoder('utf-8', { fatal: true }).decode(b);
    case TAG.PrintableString: case TAG.IA5String: case TAG.T61String: return latin1(b);
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] * 256 + b[i + 1]);
      return s;
    }
    default: throw new DerError(`tag 0x${node.tag.toString(16)} is not a string type`);
  }
}

/** UTCTime or GeneralizedTime (RFC 5280 4.1.2.5: always Zulu, seconds present) as a Date. */
export function readTime(node) {
  const text = latin1(node.value);
  const m = node.tag === TAG.UTCTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null || (node.tag !== TAG.UTCTime && node.tag !== TAG.GeneralizedTime)) throw new DerError(`not a certificate time: ${text}`);
  let year = Number(m[1]);
  if (node.tag === TAG.UTCTime) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export function readBoolean(node) {
  expect(node, TAG.BOOLEAN, 'boolean');
  return node.value.length === 1 && node.value[0] !== 0;
}

/** Standard or URL-safe base64 (padding optional) → bytes; throws on anything else. */
export function base64Bytes(text) {
  return Uint8Array.from(atob(String(text).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
