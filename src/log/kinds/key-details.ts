/**
 * Rekor v2's `Verifier.keyDetails` (protobuf-specs `PublicKeyDetails`): which key and which hash the signature was
 * made with. rekor-tiles looks the value up with sigstore's GetAlgorithmDetails, checks the (key, hash) pair
 * against its algorithm registry (AllowedClientSigningAlgorithms in internal/algorithmregistry) and verifies with
 * that hash. We accept the registry's algorithms that node:crypto can verify, and require the details to
 * describe the key that was sent: same type, same curve, same RSA modulus size.
 */
import type { HashAlgorithm, KeyType, PublicKey } from '../../core/keys.js';

export interface KeyDetails {
  readonly name: string;
  readonly keyType: KeyType;
  /** RSA modulus size the details name. */
  readonly rsaBits?: number;
  /** The hash signed over; undefined for pure Ed25519. */
  readonly hash?: HashAlgorithm;
  /** protojson name of the hash (HashOutput.algorithm). */
  readonly protoHash?: 'SHA2_256' | 'SHA2_384' | 'SHA2_512';
}

const ACCEPTED: readonly (KeyDetails & { readonly number: number })[] = [
  { name: 'PKIX_ECDSA_P256_SHA_256', number: 5, keyType: 'ecdsa-p256', hash: 'sha256', protoHash: 'SHA2_256' },
  { name: 'PKIX_ECDSA_P384_SHA_384', number: 12, keyType: 'ecdsa-p384', hash: 'sha384', protoHash: 'SHA2_384' },
  { name: 'PKIX_ECDSA_P521_SHA_512', number: 13, keyType: 'ecdsa-p521', hash: 'sha512', protoHash: 'SHA2_512' },
  { name: 'PKIX_RSA_PKCS1V15_2048_SHA256', number: 9, keyType: 'rsa', rsaBits: 2048, hash: 'sha256', protoHash: 'SHA2_256' },
  { name: 'PKIX_RSA_PKCS1V15_3072_SHA256', number: 10, keyType: 'rsa', rsaBits: 3072, hash: 'sha256', protoHash: 'SHA2_256' },
  { name: 'PKIX_RSA_PKCS1V15_4096_SHA256', number: 11, keyType: 'rsa', rsaBits: 4096, hash: 'sha256', protoHash: 'SHA2_256' },
  { name: 'PKIX_ED25519', number: 7, keyType: 'ed25519' },
];

/** Values protobuf-specs defines that we refuse, with their numbers, so that a numeric value is named too. */
const REFUSED: Readonly<Record<number, string>> = {
  0: 'PUBLIC_KEY_DETAILS_UNSPECIFIED', 1: 'PKCS1_RSA_PKCS1V5', 2: 'PKCS1_RSA_PSS', 3: 'PKIX_RSA_PKCS1V5', 4: 'PKIX_RSA_PSS',
  6: 'PKIX_ECDSA_P256_HMAC_SHA_256', 8: 'PKIX_ED25519_PH', 14: 'LMS_SHA256', 15: 'LMOTS_SHA256',
  16: 'PKIX_RSA_PSS_2048_SHA256', 17: 'PKIX_RSA_PSS_3072_SHA256', 18: 'PKIX_RSA_PSS_4096_SHA256',
  19: 'PKIX_ECDSA_P384_SHA_256', 20: 'PKIX_ECDSA_P521_SHA_256', 21: 'ML_DSA_65', 22: 'ML_DSA_87', 23: 'ML_DSA_44',
};

export const ACCEPTED_KEY_DETAILS: readonly string[] = ACCEPTED.map((d) => d.name);

/**
 * The details a protojson enum value (its name, or its number) stands for; otherwise why not: a value that is not
 * a PublicKeyDetails at all is a request problem, one we do not accept is unsupported.
 */
export function lookupKeyDetails(value: unknown): { details: KeyDetails } | { problem: string } | { unsupported: string } {
  if (typeof value !== 'string' && typeof value !== 'number') return { problem: 'must be a PublicKeyDetails name' };
  const found = ACCEPTED.find((d) => d.name === value || d.number === value);
  if (found !== undefined) return { details: found };
  const refused = typeof value === 'number' ? REFUSED[value] : Object.values(REFUSED).find((n) => n === value);
  if (refused !== undefined) return { unsupported: `key details ${refused} are not accepted; accepted: ${ACCEPTED_KEY_DETAILS.join(', ')}` };
  return { problem: `is not a PublicKeyDetails value: ${JSON.stringify(value)}` };
}

/** Why `details` do not describe `key`, or undefined when they do. */
export function keyDetailsMismatch(details: KeyDetails, key: PublicKey): string | undefined {
  if (details.keyType !== key.type) return `${details.name} does not describe the ${key.type} key that was sent`;
  if (details.rsaBits !== undefined && details.rsaBits !== key.bits) {
    return `${details.name} does not describe the ${key.bits ?? 0}-bit RSA key that was sent`;
  }
  return undefined;
}
