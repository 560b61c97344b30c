/** The CA's domain API (Fulcio v2 shapes); the HTTP routes live in src/server. */
import type { KeyObject } from 'node:crypto';
import type { CaTokenVerifier, IssuerType } from './token.js';

/** protojson of Fulcio's `SigningCertificate` with the `signed_certificate_embedded_sct` arm. */
export interface SigningCertResponse {
  signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
}

/** protojson of Fulcio's `TrustBundle`: each chain from the issuing CA to the root, PEM. */
export interface TrustBundleResponse {
  chains: { certificates: string[] }[];
}

/** protojson of Fulcio's `Configuration` (GET /api/v2/configuration). */
export interface ConfigurationResponse {
  issuers: { issuerUrl?: string; wildcardIssuerUrl?: string; audience: string; challengeClaim: string; spiffeTrustDomain?: string }[];
}

export interface CertificateAuthority {
  /** Fulcio v2 `POST /api/v2/signingCert`: `request` is the parsed JSON body; `bearerToken` the Authorization token. */
  signingCert(request: unknown, bearerToken?: string): Promise<SigningCertResponse>;
  trustBundle(): TrustBundleResponse;
  configuration(): ConfigurationResponse;
}

export interface CaIssuer {
  /** Exactly one of issuerUrl and metaIssuer (a URL pattern with `*` wildcards, as Fulcio's meta-issuers). */
  readonly issuerUrl?: string;
  readonly metaIssuer?: string;
  /** The audience tokens must carry. */
  readonly clientId: string;
  readonly type: IssuerType;
}

/** Where the CA gets an SCT for a precertificate (our CT service, or a client of a remote RFC 6962 log). */
export interface SctSource {
  /** The precertificate, then its chain to the root, DER; resolves to a TLS-encoded SignedCertificateTimestamp. */
  addPreChain(chainDer: readonly Uint8Array[]): Promise<Uint8Array>;
  /**
   * The same, with the TBS the log signed (the precertificate's, poison removed; our CT service has it at hand).
   * The CA then checks its final certificate against what the log signed instead of recomputing it.
   */
  addPreChainSigned?(chainDer: readonly Uint8Array[]): Promise<{ readonly sct: Uint8Array; readonly signedTbs: Uint8Array }>;
}

export interface CaSigner {
  /** The issuing CA's private key. */
  readonly key: KeyObject;
  /** DER certificates: the issuing CA first … the root last. */
  readonly chain: readonly Uint8Array[];
}

export interface CertificateAuthorityOptions {
  readonly tokenVerifier: CaTokenVerifier;
  readonly issuers: readonly CaIssuer[];
  readonly signer: CaSigner;
  /** Without it certificates carry no SCT (Fulcio without a CT log); verifiers that require SCTs will refuse them. */
  readonly ct?: SctSource;
  /** Epoch milliseconds. */
  readonly now?: () => number;
  /** Certificate lifetime; Fulcio's is 600 s. */
  readonly validitySeconds?: number;
}
