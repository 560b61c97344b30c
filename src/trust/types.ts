/**
 * TrustedRoot and SigningConfig (sigstore/protobuf-specs sigstore_trustroot.proto), decoded: bytes as bytes,
 * google.protobuf.Timestamp as epoch milliseconds.
 */

export const TRUSTED_ROOT_MEDIA_TYPE_V01_LEGACY = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const TRUSTED_ROOT_MEDIA_TYPE_V01 = 'application/vnd.dev.sigstore.trustedroot.v0.1+json';
export const TRUSTED_ROOT_MEDIA_TYPE_V02 = 'application/vnd.dev.sigstore.trustedroot.v0.2+json';
export const SIGNING_CONFIG_MEDIA_TYPE_V02 = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/** A TimeRange in epoch milliseconds. "The TimeRange should be considered valid *inclusive* of the endpoints." */
export interface ValidityPeriod {
  start: number;
  /** Absent while the instance is current. */
  end?: number;
}

export interface TransparencyLogInstance {
  /** Identifies the log; SHOULD match the checkpoint origin (not a read path). */
  baseUrl: string;
  /** The Merkle tree hash (sigstore_common.proto HashAlgorithm name, e.g. SHA2_256). */
  hashAlgorithm: string;
  publicKey: {
    /** DER SubjectPublicKeyInfo. */
    rawBytes: Uint8Array;
    /** sigstore_common.proto PublicKeyDetails name, e.g. PKIX_ECDSA_P256_SHA_256; kept as given. */
    keyDetails: string;
    validFor: ValidityPeriod;
  };
  /** SHA-256 of the DER SubjectPublicKeyInfo (RFC 6962 log ID). */
  logId: Uint8Array;
  /** The signed-note key ID of the log's checkpoints (trusted root v0.2). */
  checkpointKeyId?: Uint8Array;
  /** The operator, as a scheme-less URI such as sigstore.dev (trusted root v0.2). */
  operator?: string;
}

export interface CertificateAuthority {
  subject: { organization: string; commonName: string };
  uri: string;
  /** DER certificates; "The last certificate in the chain MUST be the trust anchor." */
  certChain: Uint8Array[];
  validFor: ValidityPeriod;
  operator?: string;
}

export interface TrustedRoot {
  mediaType: string;
  tlogs: TransparencyLogInstance[];
  certificateAuthorities: CertificateAuthority[];
  ctlogs: TransparencyLogInstance[];
  timestampAuthorities: CertificateAuthority[];
}

export interface Service {
  /** "URL of the service. MUST include scheme and authority. MAY include path." */
  url: string;
  majorApiVersion: number;
  validFor: ValidityPeriod;
  operator: string;
}

export type ServiceSelector = 'ALL' | 'ANY' | 'EXACT';

export interface ServiceConfiguration {
  selector: ServiceSelector;
  /** Only for EXACT: how many services to use. */
  count?: number;
}

export interface SigningConfig {
  mediaType: string;
  caUrls: Service[];
  oidcUrls: Service[];
  rekorTlogUrls: Service[];
  rekorTlogConfig?: ServiceConfiguration;
  tsaUrls: Service[];
  tsaConfig?: ServiceConfiguration;
}
