/**
 * RFC 6962 Signed Certificate Timestamps: the list embedded in a certificate (extension 1.3.6.1.4.1.11129.2.4.2)
 * and the `digitally-signed` structs a log signs. TLS encoding (RFC 5246 §4): big-endian, length-prefixed vectors.
 * Any malformed input is ERR_CERT_INVALID.
 */
import { KeylessError } from './errors.js';
import { TAG, decodeOctetString, expectTag, parseDer, withErrorCode } from './asn1.js';
import { verifySignature, type HashAlgorithm, type PublicKey } from './keys.js';

export interface Sct {
  /** 0 = v1; other versions are parsed with the v1 layout and a verifier should skip them. */
  readonly version: number;
  /** SHA-256 of the log's public key (SPKI DER). */
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly extensions: Uint8Array;
  /** TLS HashAlgorithm: 4 sha256, 5 sha384, 6 sha512. */
  readonly hashAlgorithm: number;
  /** TLS SignatureAlgorithm: 1 rsa, 3 ecdsa. */
  readonly signatureAlgorithm: number;
  readonly signature: Uint8Array;
}

function invalid(message: string): KeylessError {
  return new KeylessError('ERR_CERT_INVALID', `SCT: ${message}`);
}

/** Reads TLS vectors from a byte view, bounds-checked. */
class TlsReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  uint(bytes: number): number {
    if (this.pos + bytes > this.buf.length) throw invalid('truncated');
    let v = 0;
    for (let i = 0; i < bytes; i++) v = v * 256 + (this.buf[this.pos + i] as number);
    this.pos += bytes;
    return v;
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw invalid('truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  vector(lengthBytes: number): Uint8Array {
    return this.bytes(this.uint(lengthBytes));
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/**
 * The SCTs in the value of the SCT-list extension. That value (extnValue's contents) is itself a DER OCTET STRING
 * whose contents are the TLS `SignedCertificateTimestampList` (RFC 6962 §3.3): `SerializedSCT sct_list<1..2^16-1>`.
 */
export function parseSctList(extensionValue: Uint8Array): Sct[] {
  return withErrorCode('ERR_CERT_INVALID', 'SCT list', () => {
    const wrapper = parseDer(extensionValue, 'SCT list');
    expectTag(wrapper, TAG.OCTET_STRING, 'SCT list');
    const outer = new TlsReader(decodeOctetString(wrapper));
    const list = new TlsReader(outer.vector(2));
    if (outer.remaining !== 0) throw invalid('bytes after the list');
    if (list.remaining === 0) throw invalid('empty');
    const out: Sct[] = [];
    while (list.remaining > 0) {
      const serialized = list.vector(2);
      if (serialized.length === 0) throw invalid('empty SerializedSCT');
      out.push(parseSct(serialized));
    }
    return out;
  });
}

/** One serialized SCT (RFC 6962 §3.2 SignedCertificateTimestamp). */
export function parseSct(bytes: Uint8Array): Sct {
  const r = new TlsReader(bytes);
  const version = r.uint(1);
  const logId = r.bytes(32);
  const timestamp = r.uint(8);
  if (!Number.isSafeInteger(timestamp)) throw invalid('timestamp out of range');
  const extensions = r.vector(2);
  const hashAlgorithm = r.uint(1);
  const signatureAlgorithm = r.uint(1);
  const signature = r.vector(2);
  if (r.remaining !== 0) throw invalid('bytes after the SCT');
  return { version, logId, timestamp, extensions, hashAlgorithm, signatureAlgorithm, signature };
}

/** Big-endian fields into one buffer. */
function tls(fields: readonly (readonly [value: number, bytes: number] | Uint8Array)[]): Uint8Array {
  let size = 0;
  for (const f of fields) size += f instanceof Uint8Array ? f.length : f[1];
  const out = new Uint8Array(size);
  let pos = 0;
  for (const f of fields) {
    if (f instanceof Uint8Array) {
      out.set(f, pos);
      pos += f.length;
      continue;
    }
    let v = f[0];
    for (let i = f[1] - 1; i >= 0; i--) {
      out[pos + i] = v % 256;
      v = Math.floor(v / 256);
    }
    pos += f[1];
  }
  return out;
}

function checkLength(bytes: Uint8Array, max: number, what: string): void {
  if (bytes.length > max) throw new KeylessError('ERR_CERT_INVALID', `${what} is too long for an SCT (${bytes.length} bytes)`);
}

/**
 * RFC 6962 §3.2 `digitally-signed` data for a precert_entry: version, signature_type certificate_timestamp(0),
 * timestamp, entry_type precert_entry(1), issuer_key_hash (SHA-256 of the issuer's SPKI), the precertificate
 * TBS (see precertificateTbs) with a 3-byte length, and the SCT extensions with a 2-byte length.
 */
export function sctSignedData(sct: Sct, issuerKeyHash: Uint8Array, precertTbs: Uint8Array): Uint8Array {
  if (issuerKeyHash.length !== 32) throw new TypeError('issuerKeyHash must be a 32-byte SHA-256');
  checkLength(precertTbs, 0xffffff, 'precertificate TBS');
  checkLength(sct.extensions, 0xffff, 'SCT extensions');
  return tls([
    [sct.version, 1],
    [0, 1],
    [sct.timestamp, 8],
    [1, 2],
    issuerKeyHash,
    [precertTbs.length, 3],
    precertTbs,
    [sct.extensions.length, 2],
    sct.extensions,
  ]);
}

/** The same for an x509_entry (entry_type 0): the whole leaf certificate DER with a 3-byte length. */
export function sctSignedDataX509(sct: Sct, leafDer: Uint8Array): Uint8Array {
  checkLength(leafDer, 0xffffff, 'certificate');
  checkLength(sct.extensions, 0xffff, 'SCT extensions');
  return tls([
    [sct.version, 1],
    [0, 1],
    [sct.timestamp, 8],
    [0, 2],
    [leafDer.length, 3],
    leafDer,
    [sct.extensions.length, 2],
    sct.extensions,
  ]);
}

const TLS_HASHES: Readonly<Record<number, HashAlgorithm>> = { 4: 'sha256', 5: 'sha384', 6: 'sha512' };

/**
 * Whether the log's key signed `signedData` (from sctSignedData) for this SCT. The SCT's own algorithm fields must
 * match the key (ecdsa(3) for ECDSA keys, rsa(1) for RSA, both with a SHA-2; ed25519 as 0x0807); else false.
 */
export function verifySctSignature(sct: Sct, logKey: PublicKey, signedData: Uint8Array): boolean {
  if (logKey.type === 'ed25519') {
    // RFC 8446 SignatureScheme ed25519 = 0x0807: "intrinsic" hash(8), ed25519(7)
    return sct.hashAlgorithm === 8 && sct.signatureAlgorithm === 7 && verifySignature(logKey, signedData, sct.signature);
  }
  const hash = TLS_HASHES[sct.hashAlgorithm];
  if (hash === undefined || sct.signatureAlgorithm !== (logKey.type === 'rsa' ? 1 : 3)) return false;
  return verifySignature(logKey, signedData, sct.signature, hash);
}
