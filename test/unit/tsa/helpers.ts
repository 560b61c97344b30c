/** Shared fixtures for the TSA tests: one generated chain per curve, and a TimeStampReq builder on our encoders. */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { contextTag } from '../../../src/core/asn1.js';
import { encodeBoolean, encodeInteger, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from '../../../src/core/asn1-encode.js';
import { KeylessError } from '../../../src/core/errors.js';
import { OID } from '../../../src/core/oids.js';
import { generateTsaCertificates } from '../../../src/tsa/certificates.js';

export const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

/** 2026-03-14T15:09:26.535Z: a frozen clock with milliseconds, so truncation to the second shows. */
export const FROZEN_MS = Date.UTC(2026, 2, 14, 15, 9, 26, 535);

export const P256 = await generateTsaCertificates({ now: Date.UTC(2026, 0, 1) });
export const P384 = await generateTsaCertificates({ now: Date.UTC(2026, 0, 1), leafCurve: 'P-384', commonName: 'tsa-384' });

export interface RequestFields {
  readonly version?: number | bigint;
  readonly hashOid?: string;
  readonly digest?: Uint8Array;
  /** hashAlgorithm parameters (absent by default; encodeNull() for the NULL some clients send). */
  readonly params?: Uint8Array;
  readonly policy?: string;
  readonly nonce?: bigint | Uint8Array;
  readonly certReq?: boolean | 'explicit-false';
  readonly extensions?: boolean;
  readonly extra?: Uint8Array;
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export const DATA = new TextEncoder().encode('the artifact signature, as sigstore-js timestamps it');

/** A DER TimeStampReq; `nonce` as bytes is taken as an already-encoded INTEGER TLV. */
export function encodeRequest(f: RequestFields = {}): Uint8Array {
  const alg = encodeSequence(encodeOid(f.hashOid ?? OID.sha256), ...(f.params === undefined ? [] : [f.params]));
  const parts = [encodeInteger(f.version ?? 1), encodeSequence(alg, encodeOctetString(f.digest ?? sha256(DATA)))];
  if (f.policy !== undefined) parts.push(encodeOid(f.policy));
  if (f.nonce !== undefined) parts.push(typeof f.nonce === 'bigint' ? encodeInteger(f.nonce) : f.nonce);
  if (f.certReq === true) parts.push(encodeBoolean(true));
  if (f.certReq === 'explicit-false') parts.push(encodeBoolean(false));
  if (f.extensions) {
    const ext = encodeSequence(encodeOid('1.2.3.4'), encodeOctetString(Uint8Array.of(5, 0)));
    parts.push(encodeTlv(contextTag(0, true), ext));
  }
  if (f.extra !== undefined) parts.push(f.extra);
  return encodeSequence(...parts);
}

export function otherP256Key(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}
