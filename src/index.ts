// The keyless library: named exports only, re-exported explicitly from each concern.
export { KeylessError, isKeylessError } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export { parseBundle, parseBundleText, serializeBundle, serializeBundleText } from './bundle/index.js';
export type { Bundle, TransparencyLogEntry } from './bundle/index.js';
export { parseTrustedRoot, serializeTrustedRoot, parseSigningConfig, serializeSigningConfig } from './trust/index.js';
export type { TrustedRoot, SigningConfig } from './trust/index.js';
export { productionTrustedRootJson } from './trust/production-root.js';
export { createVerifier, signerIdentity } from './verify/verifier.js';
export type { Verifier, VerifierOptions, VerificationPolicy, VerificationResult, IdentityPolicy } from './verify/verifier.js';
export type { CertificateIdentity, StringMatcher, SignerIdentity } from './verify/identity.js';
export { gitlabIdentity } from './verify/gitlab.js';
export type { Artifact } from './verify/artifact.js';
export { parseDigestArtifact } from './verify/artifact.js';
export { publicKeyFromPem, publicKeyFromSpki } from './core/keys.js';
export type { PublicKey } from './core/keys.js';
export { signBlob, attestBlob, signDsse, envTokenSource, fileTokenSource, staticTokenSource, predicateTypeUri } from './sign/index.js';
export type { SignBlobOptions, AttestBlobOptions, SignDsseOptions, SignerOptions, SignResult, TokenSource } from './sign/index.js';
export { productionSigningConfigJson } from './trust/production-signing-config.js';
