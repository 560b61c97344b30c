/**
 * cosign's tag scheme (specs/SIGNATURE_SPEC.md "Tag-based Discovery"; pkg/oci/remote normalize): the digest
 * `sha256:<hex>` of the signed object becomes the tag `sha256-<hex>.<suffix>` in the same repository, with
 * `.sig` for signatures, `.att` for attestations and `.sbom` for SBOMs. Without a suffix, `sha256-<hex>` is the
 * OCI referrers tag schema's fallback index (distribution-spec "Referrers Tag Schema").
 */
import { isSha256Digest } from './descriptor.js';

export type CosignAttachment = 'sig' | 'att' | 'sbom';

export const ATTACHMENTS: readonly CosignAttachment[] = ['sig', 'att', 'sbom'];

function base(digest: string): string {
  if (!isSha256Digest(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest.replace(':', '-');
}

export function cosignTag(digest: string, attachment: CosignAttachment): string {
  return `${base(digest)}.${attachment}`;
}

export const signatureTag = (digest: string): string => cosignTag(digest, 'sig');
export const attestationTag = (digest: string): string => cosignTag(digest, 'att');
export const sbomTag = (digest: string): string => cosignTag(digest, 'sbom');

/** The referrers tag schema's fallback index tag for `digest`. */
export function referrersTag(digest: string): string {
  return base(digest);
}

/** What a tag is in cosign's scheme, or undefined for any other tag. */
export function parseCosignTag(tag: string): { digest: string; attachment: CosignAttachment | 'referrers' } | undefined {
  const m = /^sha256-([0-9a-f]{64})(?:\.(sig|att|sbom))?$/.exec(tag);
  if (m === null) return undefined;
  return { digest: `sha256:${m[1]}`, attachment: (m[2] as CosignAttachment | undefined) ?? 'referrers' };
}
