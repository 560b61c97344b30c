/**
 * DER building blocks for the certificates the CA issues (RFC 5280 §4.1): names, extensions, the TBSCertificate
 * and the signed Certificate. Built by hand rather than with a certificate library because the CT flow needs two
 * certificates whose TBS differ only in their last extension (poison, then SCT list), byte for byte.
 */
import { createHash, createPublicKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { TAG, contextTag, decodeBitString, parseDer, Asn1Reader } from '../core/asn1.js';
import {
  encodeBitString,
  encodeBoolean,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../core/asn1-encode.js';
import { hexEncode, utf8Encode } from '../core/encoding.js';
import { OID } from '../core/oids.js';

export interface CertificateSigner {
  /** AlgorithmIdentifier DER, as it appears in the TBSCertificate and the Certificate. */
  readonly algorithm: Uint8Array;
  readonly algorithmOid: string;
  sign(data: Uint8Array): Uint8Array;
}

/** The signature algorithm a CA key signs certificates with: the hash matched to the curve, as Fulcio does. */
export function certificateSigner(key: KeyObject): CertificateSigner {
  if (key.type !== 'private') throw new TypeError('a CA signs with a private key');
  const make = (algorithmOid: string, hash: string | null, params?: Uint8Array): CertificateSigner => ({
    algorithmOid,
    algorithm: encodeSequence(encodeOid(algorithmOid), ...(params === undefined ? [] : [params])),
    sign: (data) => nodeSign(hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key),
  });
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return make(OID.ecdsaWithSha256, 'sha256');
      if (curve === 'secp384r1') return make(OID.ecdsaWithSha384, 'sha384');
      if (curve === 'secp521r1') return make(OID.ecdsaWithSha512, 'sha512');
      throw new TypeError(`a CA key on curve ${curve ?? '?'} is not supported`);
    }
    case 'ed25519':
      return make(OID.ed25519, null);
    case 'rsa':
      return make(OID.sha256WithRsaEncryption, 'sha256', encodeNull());
    default:
      throw new TypeError(`a ${key.asymmetricKeyType ?? '?'} CA key is not supported`);
  }
}

export function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value, as Go (and so Fulcio) computes it. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const reader = new Asn1Reader(parseDer(spki, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  reader.next(TAG.SEQUENCE, 'algorithm');
  return createHash('sha1').update(decodeBitString(reader.next(TAG.BIT_STRING, 'subjectPublicKey'))).digest();
}

/** A random positive serial of at most 160 bits (RFC 5280 §4.1.2.2: no more than 20 octets). */
export function randomSerial(): bigint {
  const bytes = randomBytes(20);
  bytes[0] = (bytes[0] as number) & 0x7f;
  const serial = BigInt(`0x${hexEncode(bytes)}`);
  return serial === 0n ? 1n : serial;
}

/** A Name of one attribute per RDN, most significant first (e.g. O then CN), UTF8String values. */
export function encodeName(attributes: readonly (readonly [oid: string, value: string])[]): Uint8Array {
  return encodeSequence(...attributes.map(([oid, value]) => encodeTlv(TAG.SET, encodeSequence(encodeOid(oid), encodeUtf8String(value)))));
}

export const ATTRIBUTE = { commonName: '2.5.4.3', organization: '2.5.4.10' } as const;

export function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(oid), ...(critical ? [encodeBoolean(true)] : []), encodeOctetString(value));
}

export const KEY_USAGE_BIT = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** keyUsage BIT STRING with DER's minimal length and unused-bit count (X.690 §11.2.2). */
export function keyUsageExtension(bits: readonly number[]): Uint8Array {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = (bytes[Math.floor(b / 8)] as number) | (0x80 >> b % 8);
  const value = encodeTlv(TAG.BIT_STRING, Uint8Array.from([7 - (highest % 8), ...bytes]));
  return encodeExtension(OID.keyUsage, true, value);
}

export function extKeyUsageExtension(oids: readonly string[]): Uint8Array {
  return encodeExtension(OID.extKeyUsage, false, encodeSequence(...oids.map(encodeOid)));
}

export function basicConstraintsExtension(pathLen?: number): Uint8Array {
  const value = encodeSequence(encodeBoolean(true), ...(pathLen === undefined ? [] : [encodeInteger(pathLen)]));
  return encodeExtension(OID.basicConstraints, true, value);
}

export function subjectKeyIdExtension(keyId: Uint8Array): Uint8Array {
  return encodeExtension(OID.subjectKeyIdentifier, false, encodeOctetString(keyId));
}

export function authorityKeyIdExtension(keyId: Uint8Array): Uint8Array {
  return encodeExtension(OID.authorityKeyIdentifier, false, encodeSequence(encodeTlv(contextTag(0, false), keyId)));
}

export type SanEntry = { readonly type: 'uri' | 'email'; readonly value: string };

/** Whether a value can be a URI or rfc822Name SAN: IA5String, and printable without spaces (RFC 3986, RFC 5322). */
export function isSanValue(value: string): boolean {
  return /^[\x21-\x7e]+$/.test(value);
}

/** One SAN, critical because the subject is empty (RFC 5280 §4.2.1.6). Values must be IA5 (ASCII). */
export function subjectAltNameExtension(san: SanEntry): Uint8Array {
  if (!isSanValue(san.value)) throw new TypeError('a SAN value must be printable ASCII without spaces');
  const tag = contextTag(san.type === 'uri' ? 6 : 1, false);
  return encodeExtension(OID.subjectAltName, true, encodeSequence(encodeTlv(tag, utf8Encode(san.value))));
}

export interface TbsFields {
  readonly serial: bigint;
  readonly signer: CertificateSigner;
  readonly issuer: Uint8Array;
  /** Epoch ms; encoded in whole seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: Uint8Array;
  readonly spki: Uint8Array;
  /** DER Extension elements, in order. */
  readonly extensions: readonly Uint8Array[];
}

export function encodeTbs(f: TbsFields): Uint8Array {
  return encodeSequence(
    encodeTlv(contextTag(0, true), encodeInteger(2)), // v3
    encodeInteger(f.serial),
    f.signer.algorithm,
    f.issuer,
    encodeSequence(encodeTime(f.notBefore), encodeTime(f.notAfter)),
    f.subject,
    f.spki,
    encodeTlv(contextTag(3, true), encodeSequence(...f.extensions)),
  );
}

export function signCertificate(tbs: Uint8Array, signer: CertificateSigner): Uint8Array {
  return encodeSequence(tbs, signer.algorithm, encodeBitString(signer.sign(tbs)));
}

/** The empty Name (SEQUENCE {}): Fulcio's leaves identify the signer only in the SAN. */
export const EMPTY_NAME = encodeSequence();
