/**
 * A Sigstore bundle attached as an OCI 1.1 referrer (cosign specs/BUNDLE_SPEC.md; pkg/oci/remote/write.go
 * WriteReferrer and WriteAttestationNewBundleFormat): an image manifest with
 *   artifactType  application/vnd.dev.sigstore.bundle.v0.3+json
 *   config        the empty descriptor (application/vnd.oci.empty.v1+json, content `{}`)
 *   layers        one: the bundle JSON, same media type, titled `sha256-<hex>.sigstore.json`
 *   subject       the signed image's descriptor
 *   annotations   dev.sigstore.bundle.content (message-signature | dsse-envelope),
 *                 dev.sigstore.bundle.predicateType, org.opencontainers.image.created
 * Life of a referrer: push the empty config and the bundle blobs, then the manifest (by digest); a registry with
 * the referrers API indexes it; otherwise the writer adds it to the `sha256-<hex>` fallback index.
 */
import { KeylessError } from '../../core/errors.js';
import { BUNDLE_ARTIFACT_TYPE, OCI_EMPTY_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE, REFERRER_ANNOTATIONS } from './constants.js';
import { descriptorFor, parseManifest, serializeManifest, type OciDescriptor, type OciManifest } from './descriptor.js';

export const EMPTY_CONFIG = new TextEncoder().encode('{}');
export const EMPTY_CONFIG_DESCRIPTOR: OciDescriptor = descriptorFor(EMPTY_CONFIG, OCI_EMPTY_MEDIA_TYPE);

export type BundleContent = 'message-signature' | 'dsse-envelope';

export interface BundleReferrer {
  readonly manifest: Uint8Array;
  readonly manifestDescriptor: OciDescriptor;
  readonly bundleDescriptor: OciDescriptor;
}

export function buildBundleReferrer(opts: {
  bundle: Uint8Array;
  subject: OciDescriptor;
  content: BundleContent;
  predicateType?: string;
  /** RFC 3339, e.g. new Date().toISOString(). */
  created: string;
}): BundleReferrer {
  const layer = descriptorFor(opts.bundle, BUNDLE_ARTIFACT_TYPE);
  const bundleDescriptor: OciDescriptor = { ...layer, annotations: { [REFERRER_ANNOTATIONS.title]: `${layer.digest.replace(':', '-')}.sigstore.json` } };
  const annotations: Record<string, string> = {
    [REFERRER_ANNOTATIONS.content]: opts.content,
    ...(opts.predicateType !== undefined ? { [REFERRER_ANNOTATIONS.predicateType]: opts.predicateType } : {}),
    [REFERRER_ANNOTATIONS.created]: opts.created,
  };
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: BUNDLE_ARTIFACT_TYPE,
    config: EMPTY_CONFIG_DESCRIPTOR,
    layers: [bundleDescriptor],
    subject: { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size },
    annotations,
  };
  const bytes = serializeManifest(manifest);
  return {
    manifest: bytes,
    // What goes into the fallback index: the referrers API lists artifactType and the manifest's annotations too.
    manifestDescriptor: { ...descriptorFor(bytes, OCI_MANIFEST_MEDIA_TYPE), artifactType: BUNDLE_ARTIFACT_TYPE, annotations },
    bundleDescriptor,
  };
}

export interface ParsedBundleReferrer {
  readonly manifest: OciManifest;
  readonly bundleLayer: OciDescriptor;
  readonly subject: OciDescriptor;
  readonly content?: string;
  readonly predicateType?: string;
  readonly created?: string;
}

/**
 * A referrer manifest read back, held to `subjectDigest`: a manifest that names another subject (or none) is not
 * a signature of this image, whatever index listed it.
 */
export function parseBundleReferrer(bytes: Uint8Array, subjectDigest: string): ParsedBundleReferrer {
  const manifest = parseManifest(bytes, 'referrer manifest');
  const type = manifest.artifactType ?? manifest.config.mediaType;
  if (type !== BUNDLE_ARTIFACT_TYPE) {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `referrer manifest has artifactType ${JSON.stringify(type)}, not a Sigstore bundle (${BUNDLE_ARTIFACT_TYPE})`);
  }
  if (manifest.subject === undefined) throw new KeylessError('ERR_SUBJECT', 'referrer manifest has no subject');
  if (manifest.subject.digest !== subjectDigest) {
    throw new KeylessError('ERR_SUBJECT', `referrer manifest's subject is ${manifest.subject.digest}, not ${subjectDigest}`, { expected: subjectDigest, actual: manifest.subject.digest });
  }
  const bundleLayer = manifest.layers.find((l) => l.mediaType === BUNDLE_ARTIFACT_TYPE);
  if (bundleLayer === undefined) throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `referrer manifest has no layer of media type ${BUNDLE_ARTIFACT_TYPE}`);
  const a = manifest.annotations ?? {};
  return {
    manifest,
    bundleLayer,
    subject: manifest.subject,
    ...(a[REFERRER_ANNOTATIONS.content] !== undefined ? { content: a[REFERRER_ANNOTATIONS.content] } : {}),
    ...(a[REFERRER_ANNOTATIONS.predicateType] !== undefined ? { predicateType: a[REFERRER_ANNOTATIONS.predicateType] } : {}),
    ...(a[REFERRER_ANNOTATIONS.created] !== undefined ? { created: a[REFERRER_ANNOTATIONS.created] } : {}),
  };
}
