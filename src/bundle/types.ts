/**
 * The Sigstore bundle (sigstore/protobuf-specs sigstore_bundle.proto), decoded: every base64 field is bytes, every
 * int64 a number, and every `oneof` a tagged union. Versions 0.1 to 0.3 share this model; what differs between
 * them is which fields are required (see parse.ts).
 */

export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
export const BUNDLE_V02_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
export const BUNDLE_V03_LEGACY_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.3';
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export type BundleVersion = '0.1' | '0.2' | '0.3';

export type HashAlgorithm = 'SHA2_256' | 'SHA2_384' | 'SHA2_512';

export type VerificationMaterialContent =
  | { kind: 'x509CertificateChain'; certificates: Uint8Array[] }
  | { kind: 'certificate'; certificate: Uint8Array }
  | { kind: 'publicKey'; hint: string };

export interface InclusionProof {
  logIndex: number;
  rootHash: Uint8Array;
  treeSize: number;
  /** Sibling hashes from the leaf up to the root, leaf and root excluded. */
  hashes: Uint8Array[];
  /** The signed note (c2sp.org/tlog-checkpoint) whose root hash the proof leads to. */
  checkpoint: string;
}

export interface TransparencyLogEntry {
  logIndex: number;
  /** SHA-256 of the log's public key (DER SubjectPublicKeyInfo). */
  logId: Uint8Array;
  kind: string;
  kindVersion: string;
  /** Seconds since the epoch; 0 when absent (Rekor v2 entries have no integrated time). */
  integratedTime: number;
  /** The signed entry timestamp (SET), Rekor v1 only. */
  inclusionPromise?: Uint8Array;
  inclusionProof?: InclusionProof;
  canonicalizedBody: Uint8Array;
}

export interface VerificationMaterial {
  content: VerificationMaterialContent;
  tlogEntries: TransparencyLogEntry[];
  /** DER RFC 3161 TimeStampResponses (timestampVerificationData.rfc3161Timestamps[].signedTimestamp). */
  rfc3161Timestamps: Uint8Array[];
}

export interface MessageSignatureContent {
  kind: 'messageSignature';
  messageDigest?: { algorithm: HashAlgorithm; digest: Uint8Array };
  signature: Uint8Array;
}

export interface DsseSignature {
  sig: Uint8Array;
  keyid: string;
}

export interface DsseContent {
  kind: 'dsseEnvelope';
  envelope: { payload: Uint8Array; payloadType: string; signatures: DsseSignature[] };
}

export interface Bundle {
  mediaType: string;
  version: BundleVersion;
  verificationMaterial: VerificationMaterial;
  content: MessageSignatureContent | DsseContent;
  /**
   * The JSON this bundle was parsed from (a frozen copy). serializeBundle returns it as long as the rest of the
   * model still says the same thing, so bundles we read are written back unchanged.
   */
  raw?: unknown;
}
