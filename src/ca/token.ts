/**
 * The relying-party side of OIDC as the CA sees it: src/oidc's token verifier (the CA depends only on its
 * `verify`, so tests can hand in a fake).
 */
import type { TokenVerifier } from '../oidc/index.js';

export type { IssuerType, VerifiedToken } from '../oidc/index.js';

export type CaTokenVerifier = Pick<TokenVerifier, 'verify'>;
