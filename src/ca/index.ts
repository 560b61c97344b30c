export { createCertificateAuthority, DEFAULT_VALIDITY_SECONDS } from './ca.js';
export { generateCaCertificates, type GenerateCaOptions, type GeneratedCa } from './generate.js';
export { parseSigningCertRequest, LIMITS, PUBLIC_KEY_ALGORITHMS, type KeyRequest, type PublicKeyAlgorithm, type SigningCertRequest } from './request.js';
export { acceptedKey, keyFromCsr, verifyProofOfPossession } from './subject-key.js';
export { principalFor } from './principal.js';
export { checkClaimSizes, MAX_CLAIM_VALUE_BYTES } from './claim-caps.js';
export type { FulcioValues, Principal } from './claims.js';
export type { CaTokenVerifier, IssuerType, VerifiedToken } from './token.js';
export type {
  CaIssuer,
  CaSigner,
  CertificateAuthority,
  CertificateAuthorityOptions,
  ConfigurationResponse,
  SctSource,
  SigningCertResponse,
  TrustBundleResponse,
} from './types.js';
