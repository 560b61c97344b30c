/**
 * The relying-party side of OIDC as the CA sees it. Structurally identical to what src/oidc exports
 * (TokenVerifier, VerifiedToken, IssuerType); declared here until src/oidc lands, then to be replaced by its import.
 */
export type IssuerType =
  | 'gitlab-pipeline'
  | 'github-workflow'
  | 'email'
  | 'uri'
  | 'username'
  | 'buildkite-job'
  | 'codefresh-workflow'
  | 'kubernetes'
  | 'spiffe';

export interface VerifiedToken {
  /** The token's `iss`. */
  issuer: string;
  type: IssuerType;
  clientId: string;
  /** What the proof of possession signs: `sub`, or `email` for email issuers. */
  subject: string;
  claims: Readonly<Record<string, unknown>>;
}

export interface CaTokenVerifier {
  /** Throws KeylessError('ERR_TOKEN') for a token that is malformed, untrusted, expired or missing claims. */
  verify(token: string): Promise<VerifiedToken>;
}
