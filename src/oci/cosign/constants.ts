/**
 * The names cosign writes into a registry, from its specs (sigstore/cosign specs/SIGNATURE_SPEC.md,
 * specs/BUNDLE_SPEC.md) and its code (pkg/oci/static/signature.go, pkg/types/media.go, pkg/oci/remote/write.go).
 */

/** The `.sig` layer holding a Simple Signing payload (pkg/types SimpleSigningMediaType). */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The `.att` layer holding a DSSE envelope (pkg/types DssePayloadType). */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** A Sigstore bundle v0.3: the referrer's artifactType and its one layer's media type. */
export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const OCI_IMAGE_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
/** The OCI 1.1 empty descriptor's media type; its content is the two bytes `{}`. */
export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';

/** Layer annotations of the legacy `.sig`/`.att` manifests (pkg/oci/static/signature.go). */
export const ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  /** cosign attest puts the statement's predicate type on the `.att` layer under this bare key. */
  predicateType: 'predicateType',
} as const;

/** Manifest annotations of a bundle referrer (specs/BUNDLE_SPEC.md, "Annotations"). */
export const REFERRER_ANNOTATIONS = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
} as const;

/** `critical.type` of a cosign Simple Signing payload. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/**
 * The predicate type of cosign 3's image signature (pkg/types CosignSignPredicateType): `cosign sign` with the new
 * bundle format signs an in-toto statement about the image digest with an empty predicate, as a DSSE envelope.
 */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export { IN_TOTO_PAYLOAD_TYPE } from '../../core/dsse.js';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
