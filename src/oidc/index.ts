/** OIDC for the CA: the relying side (token verification against configured issuers) and a GitLab-shaped dev issuer. */
export { createTokenVerifier, ALLOWED_ALGORITHMS } from './verify-token.js';
export type { TokenVerifier, TokenVerifierOptions, VerifiedToken } from './verify-token.js';
export { parseIssuerConfig, findIssuer, metaIssuerPattern, DEFAULT_ISSUERS, ISSUER_TYPES } from './issuer-config.js';
export type { IssuerConfig, IssuerType } from './issuer-config.js';
export { GITLAB_REQUIRED_CLAIMS, GITHUB_REQUIRED_CLAIMS } from './identity-claims.js';
export { createDevIssuer, generateDevIssuerKey, DEV_ISSUER_KEY_PATH, DEV_ISSUER_JWKS_PATH, DISCOVERY_PATH } from './dev-issuer.js';
export type { DevIssuer, MintOptions } from './dev-issuer.js';
export { gitlabInputFromEnv, gitlabInputProblems, gitlabClaims } from './gitlab-claims.js';
export type { GitlabJobInput, GitlabTimes } from './gitlab-claims.js';
