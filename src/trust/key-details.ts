/**
 * sigstore_common.proto `PublicKeyDetails`: how the key bytes of a trusted root entry are encoded and how its
 * signatures are made. "Details of a specific public key, capturing the the key encoding method, and signature
 * algorithm." A verifier MUST read the key the way its details say: old RSA CT log keys are PKCS#1
 * (`PKCS1_RSA_PKCS1V5`), and a P-384 key may sign with SHA-256 (`PKIX_ECDSA_P384_SHA_256`).
 *
 * Details we cannot use (post-quantum keys, Ed25519ph, HMAC variants, names added after this table) are not an
 * error in the trusted root: the entry is reported as unusable and fails only a bundle that needs it.
 */
import { KeylessError } from '../core/errors.js';
import { publicKeyFromPkcs1Rsa, publicKeyFromSpki, type HashAlgorithm, type KeyType, type PublicKey } from '../core/keys.js';

export interface KeyScheme {
  readonly encoding: 'spki' | 'pkcs1';
  /** The key types the details allow (the encoded key must be one of them). */
  readonly types: readonly KeyType[];
  /** The signature's hash; undefined for pure Ed25519, or where the details leave it to the key (legacy names). */
  readonly hash?: HashAlgorithm;
  readonly rsaPadding?: 'pkcs1v15' | 'pss';
}

const RSA = ['rsa'] as const;

const SCHEMES: Readonly<Record<string, KeyScheme>> = {
  PKCS1_RSA_PKCS1V5: { encoding: 'pkcs1', types: RSA, hash: 'sha256', rsaPadding: 'pkcs1v15' },
  PKCS1_RSA_PSS: { encoding: 'pkcs1', types: RSA, hash: 'sha256', rsaPadding: 'pss' },
  PKIX_RSA_PKCS1V5: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pkcs1v15' },
  PKIX_RSA_PSS: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pss' },
  PKIX_RSA_PKCS1V15_2048_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pkcs1v15' },
  PKIX_RSA_PKCS1V15_3072_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pkcs1v15' },
  PKIX_RSA_PKCS1V15_4096_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pkcs1v15' },
  PKIX_RSA_PSS_2048_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pss' },
  PKIX_RSA_PSS_3072_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pss' },
  PKIX_RSA_PSS_4096_SHA256: { encoding: 'spki', types: RSA, hash: 'sha256', rsaPadding: 'pss' },
  PKIX_ECDSA_P256_SHA_256: { encoding: 'spki', types: ['ecdsa-p256'], hash: 'sha256' },
  PKIX_ECDSA_P384_SHA_384: { encoding: 'spki', types: ['ecdsa-p384'], hash: 'sha384' },
  PKIX_ECDSA_P521_SHA_512: { encoding: 'spki', types: ['ecdsa-p521'], hash: 'sha512' },
  PKIX_ECDSA_P384_SHA_256: { encoding: 'spki', types: ['ecdsa-p384'], hash: 'sha256' },
  PKIX_ECDSA_P521_SHA_256: { encoding: 'spki', types: ['ecdsa-p521'], hash: 'sha256' },
  PKIX_ED25519: { encoding: 'spki', types: ['ed25519'] },
  // Not in the enum as a usable value, but trusted roots written before key details existed leave it unset:
  // the SPKI then says everything (its curve's hash, as Sigstore's clients assume).
  PUBLIC_KEY_DETAILS_UNSPECIFIED: { encoding: 'spki', types: ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'rsa'] },
};

/** Why keyless cannot use keys with these details, for the warning. */
const UNUSABLE: Readonly<Record<string, string>> = {
  PKIX_ECDSA_P256_HMAC_SHA_256: 'deprecated HMAC key details are not supported',
  PKIX_ED25519_PH: 'Ed25519ph (pre-hashed Ed25519) is not supported',
  LMS_SHA256: 'LMS keys are not supported',
  LMOTS_SHA256: 'LM-OTS keys are not supported',
  ML_DSA_44: 'ML-DSA keys are not supported',
  ML_DSA_65: 'ML-DSA keys are not supported',
  ML_DSA_87: 'ML-DSA keys are not supported',
};

export interface TrustedKey {
  readonly key: PublicKey;
  readonly scheme: KeyScheme;
}

/**
 * The key of a trusted root entry, read as its details say. ERR_KEY_UNSUPPORTED for details we cannot use and
 * for a key that is not what its details claim; ERR_ASN1 when the bytes are not the encoding.
 */
export function trustedKey(rawBytes: Uint8Array, keyDetails: string): TrustedKey {
  const scheme = SCHEMES[keyDetails];
  if (scheme === undefined) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', UNUSABLE[keyDetails] ?? `key details ${keyDetails} are unknown to this version of keyless`, { keyDetails });
  }
  const key = scheme.encoding === 'pkcs1' ? publicKeyFromPkcs1Rsa(rawBytes) : publicKeyFromSpki(rawBytes);
  if (!scheme.types.includes(key.type)) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `the key is ${key.type}, but its details say ${keyDetails}`, { keyDetails, type: key.type });
  }
  return { key, scheme };
}
