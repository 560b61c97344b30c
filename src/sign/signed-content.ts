/** What one signing operation signed, as the transparency log and the TSA need to see it. */

export type SignedContent =
  /** A signature over the artifact's bytes (ECDSA P-256 with SHA-256, so over its SHA-256 digest). */
  | { readonly kind: 'message'; readonly digest: Uint8Array; readonly signature: Uint8Array }
  /** A DSSE envelope with one signature over PAE(payloadType, payload). */
  | { readonly kind: 'dsse'; readonly payloadType: string; readonly payload: Uint8Array; readonly signature: Uint8Array };

/** ECDSA P-256 with SHA-256, in sigstore_common.proto's PublicKeyDetails names (Rekor v2 verifiers). */
export const EPHEMERAL_KEY_DETAILS = 'PKIX_ECDSA_P256_SHA_256';
