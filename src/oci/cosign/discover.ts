/**
 * Finding what is attached to an image digest, in both of cosign's layouts: bundle referrers (referrers API or the
 * fallback index) and the legacy `sha256-<hex>.sig`/`.att` tags. Nothing here is trusted: each candidate is
 * returned with the bundle JSON to verify, or with the reason it could not even be read, so that a verifier can say
 * why each one failed.
 */
import { isKeylessError, KeylessError } from '../../core/errors.js';
import { BUNDLE_ARTIFACT_TYPE, COSIGN_SIGN_PREDICATE_TYPE, DSSE_ENVELOPE_MEDIA_TYPE, REFERRER_ANNOTATIONS, SIMPLE_SIGNING_MEDIA_TYPE } from './constants.js';
import { checkContent, parseJsonBytes, parseManifest, sha256Digest, type OciDescriptor } from './descriptor.js';
import { legacyLayerToBundleJson } from './legacy.js';
import { parseBundleReferrer } from './referrer.js';
import type { CosignRegistry } from './registry.js';
import { cosignTag } from './tags.js';

export type Wanted = 'signatures' | 'attestations';

export interface Candidate {
  readonly layout: 'referrer' | 'legacy';
  /** Where it was found, for messages: `referrer sha256:…` or `tag sha256-….sig layer 2`. */
  readonly source: string;
  /** The bundle JSON to verify: v0.3 as stored for a referrer; v0.1 rebuilt from a legacy layer. */
  readonly bundle?: unknown;
  /** A legacy `.sig` layer's Simple Signing payload (the signed bytes). */
  readonly payload?: Uint8Array;
  /** Why the candidate could not be read; set instead of bundle. */
  readonly problem?: KeylessError;
}

function asProblem(err: unknown): KeylessError {
  if (isKeylessError(err)) return err;
  return new KeylessError('ERR_JSON', (err as Error)?.message ?? String(err), {}, { cause: err });
}

/** Whether a referrer's annotations say it is what is wanted; unannotated ones are kept and decided on content. */
function referrerWanted(d: OciDescriptor, wanted: Wanted): boolean {
  const predicateType = d.annotations?.[REFERRER_ANNOTATIONS.predicateType];
  if (predicateType === undefined) return true;
  return wanted === 'signatures' ? predicateType === COSIGN_SIGN_PREDICATE_TYPE : predicateType !== COSIGN_SIGN_PREDICATE_TYPE;
}

async function fromReferrer(registry: CosignRegistry, repository: string, digest: string, d: OciDescriptor): Promise<Candidate> {
  const source = `referrer ${d.digest}`;
  try {
    const got = await registry.getManifest(repository, d.digest);
    if (got === undefined) throw new KeylessError('ERR_NOT_FOUND', 'the index lists it, but the registry has no such manifest');
    if (sha256Digest(got.bytes) !== d.digest) throw new KeylessError('ERR_JSON', `the manifest served is not ${d.digest}`);
    const parsed = parseBundleReferrer(got.bytes, digest);
    const bytes = await registry.getBlob(repository, parsed.bundleLayer.digest);
    checkContent(parsed.bundleLayer, bytes, 'the bundle');
    return { layout: 'referrer', source, bundle: parseJsonBytes(bytes, 'the bundle') };
  } catch (err) {
    return { layout: 'referrer', source, problem: asProblem(err) };
  }
}

async function fromLegacyTag(registry: CosignRegistry, repository: string, digest: string, attachment: 'sig' | 'att'): Promise<Candidate[]> {
  const tag = cosignTag(digest, attachment);
  const got = await registry.getManifest(repository, tag);
  if (got === undefined) return [];
  let layers: readonly OciDescriptor[];
  try {
    layers = parseManifest(got.bytes, `the manifest at ${tag}`).layers;
  } catch (err) {
    return [{ layout: 'legacy', source: `tag ${tag}`, problem: asProblem(err) }];
  }
  const mediaType = attachment === 'sig' ? SIMPLE_SIGNING_MEDIA_TYPE : DSSE_ENVELOPE_MEDIA_TYPE;
  return Promise.all(layers.map(async (layer, i): Promise<Candidate> => {
    const source = `tag ${tag} layer ${i}`;
    try {
      if (layer.mediaType !== mediaType) throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `layer media type ${layer.mediaType} is not ${mediaType}`);
      const payload = await registry.getBlob(repository, layer.digest);
      checkContent(layer, payload, 'the layer');
      const bundle = legacyLayerToBundleJson({ descriptor: layer, payload });
      return { layout: 'legacy', source, bundle, ...(attachment === 'sig' ? { payload } : {}) };
    } catch (err) {
      return { layout: 'legacy', source, problem: asProblem(err) };
    }
  }));
}

/** Every signature (or attestation) attached to `digest` in `repository`, in both layouts, referrers first. */
export async function discover(registry: CosignRegistry, repository: string, digest: string, wanted: Wanted): Promise<Candidate[]> {
  const listed = await registry.referrers(repository, digest, BUNDLE_ARTIFACT_TYPE);
  const bundles = listed.filter((d) => d.artifactType === BUNDLE_ARTIFACT_TYPE && referrerWanted(d, wanted));
  const [referrers, legacy] = await Promise.all([
    Promise.all(bundles.map((d) => fromReferrer(registry, repository, digest, d))),
    fromLegacyTag(registry, repository, digest, wanted === 'signatures' ? 'sig' : 'att'),
  ]);
  return [...referrers, ...legacy];
}
