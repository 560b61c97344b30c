/**
 * RFC 6962 §3.2 signed certificate timestamps, log side: signing an SCT v1 for a precertificate entry, and the TLS
 * encodings of the SCT, of the SCT list (§3.3) and of the two X.509 extensions that carry CT data in a certificate.
 */
import { sign as nodeSign, type KeyObject } from 'node:crypto';
import { encodeBoolean, encodeNull, encodeOctetString, encodeOid, encodeSequence } from '../../core/asn1-encode.js';
import { concatBytes } from '../../core/encoding.js';
import { OID } from '../../core/oids.js';
import { sctSignedData, type Sct } from '../../core/sct.js';
import { uint, vector } from './tls.js';

/** TLS HashAlgorithm sha256(4) and SignatureAlgorithm ecdsa(3): the only pair our logs sign with. */
export const SCT_HASH_SHA256 = 4;
export const SCT_SIGNATURE_ECDSA = 3;

export interface PrecertEntry {
  /** SHA-256 of the issuing CA's SubjectPublicKeyInfo DER. */
  readonly issuerKeyHash: Uint8Array;
  /** The precertificate's TBSCertificate without the poison extension (and without any SCT list). */
  readonly tbs: Uint8Array;
}

/**
 * "The log SHALL sign the SCT" (RFC 6962 §3.2): an ECDSA P-256 signature with SHA-256 over the `digitally-signed`
 * struct of a precert_entry. The caller MUST pass a key it has checked is P-256 (see createCtLog).
 */
export function signPrecertSct(logKey: KeyObject, logId: Uint8Array, timestamp: number, entry: PrecertEntry, extensions: Uint8Array = new Uint8Array(0)): Sct {
  if (logId.length !== 32) throw new TypeError('logId must be a 32-byte SHA-256');
  const unsigned: Sct = {
    version: 0,
    logId,
    timestamp,
    extensions,
    hashAlgorithm: SCT_HASH_SHA256,
    signatureAlgorithm: SCT_SIGNATURE_ECDSA,
    signature: new Uint8Array(0),
  };
  const signature = nodeSign('sha256', sctSignedData(unsigned, entry.issuerKeyHash, entry.tbs), { key: logKey, dsaEncoding: 'der' });
  return { ...unsigned, signature };
}

/** The TLS `DigitallySigned` struct: hash algorithm, signature algorithm, signature<0..2^16-1>. */
export function encodeDigitallySigned(sct: Sct): Uint8Array {
  return concatBytes(uint(sct.hashAlgorithm, 1), uint(sct.signatureAlgorithm, 1), vector(sct.signature, 2));
}

/** The TLS `SignedCertificateTimestamp` (the inverse of core/sct.ts parseSct). */
export function encodeSct(sct: Sct): Uint8Array {
  if (sct.logId.length !== 32) throw new TypeError('an SCT log ID is 32 bytes');
  return concatBytes(uint(sct.version, 1), sct.logId, uint(sct.timestamp, 8), vector(sct.extensions, 2), encodeDigitallySigned(sct));
}

/** RFC 6962 §3.3 `SignedCertificateTimestampList`: `SerializedSCT sct_list<1..2^16-1>`, each with its length. */
export function encodeSctList(serializedScts: readonly Uint8Array[]): Uint8Array {
  if (serializedScts.length === 0) throw new TypeError('an SCT list holds at least one SCT');
  return vector(concatBytes(...serializedScts.map((s) => vector(s, 2))), 2);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(oid), ...(critical ? [encodeBoolean(true)] : []), encodeOctetString(value));
}

/**
 * The certificate extension 1.3.6.1.4.1.11129.2.4.2 (DER `Extension`) holding embedded SCTs. Its extnValue is an
 * OCTET STRING whose contents are the TLS list: RFC 6962 §3.3 "encoded as an ASN.1 OCTET STRING and inserted into
 * the extension", so the list sits in two OCTET STRINGs. Not critical.
 */
export function sctListExtension(serializedScts: readonly Uint8Array[]): Uint8Array {
  return extension(OID.ctSctList, false, encodeOctetString(encodeSctList(serializedScts)));
}

/**
 * RFC 6962 §3.1 "The Precertificate is constructed from the certificate to be issued by adding a special critical
 * poison extension (OID 1.3.6.1.4.1.11129.2.4.3, whose extnValue OCTET STRING contains ASN.1 NULL data (0x05 0x00))".
 */
export function precertPoisonExtension(): Uint8Array {
  return extension(OID.ctPrecertPoison, true, encodeNull());
}
