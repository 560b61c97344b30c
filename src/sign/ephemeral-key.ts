/**
 * The signer's key: a fresh ECDSA P-256 key per signature, held only in memory and never written anywhere. The
 * certificate binds it to the identity for ten minutes; after that nobody, including us, can use it again.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { pemEncode } from '../core/encoding.js';

export interface EphemeralKey {
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  readonly publicKeyPem: string;
  /** ECDSA with SHA-256 over `data`, ASN.1 DER (as X.509, Rekor and DSSE expect). */
  sign(data: Uint8Array): Uint8Array;
}

export function generateEphemeralKey(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return {
    spki,
    publicKeyPem: pemEncode(spki, 'PUBLIC KEY'),
    sign: (data) => new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
  };
}
