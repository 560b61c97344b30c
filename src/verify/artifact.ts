/** What is being verified: the artifact's bytes, or only its digest (`sha256:<hex>`). */
import { KeylessError } from '../core/errors.js';
import { hexDecode } from '../core/encoding.js';
import { digest } from '../core/keys.js';

export type HashName = 'sha256' | 'sha384' | 'sha512';

export type Artifact =
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'digest'; readonly algorithm: HashName; readonly digest: Uint8Array };

/** protobuf-specs HashAlgorithm names (bundles, Rekor v2 entries) for the digests we compute. */
export const PROTO_HASH_NAMES: Readonly<Record<string, HashName>> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

const DIGEST_LENGTHS: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Parses `sha256:<hex>` (also sha384, sha512); undefined when `text` is not of that form. */
export function parseDigestArtifact(text: string): Artifact | undefined {
  const m = /^(sha256|sha384|sha512):([0-9a-fA-F]+)$/.exec(text);
  if (m === null) return undefined;
  const algorithm = m[1] as HashName;
  const bytes = hexDecode(m[2] ?? '', 'artifact digest');
  if (bytes.length !== DIGEST_LENGTHS[algorithm]) {
    throw new KeylessError('ERR_USAGE', `a ${algorithm} digest has ${DIGEST_LENGTHS[algorithm] * 2} hex digits, got ${bytes.length * 2}`);
  }
  return { kind: 'digest', algorithm, digest: bytes };
}

/** The artifact's digest with `algorithm`; undefined when only a digest of another algorithm is known. */
export function artifactDigest(artifact: Artifact, algorithm: HashName): Uint8Array | undefined {
  if (artifact.kind === 'bytes') return digest(algorithm, artifact.data);
  return artifact.algorithm === algorithm ? artifact.digest : undefined;
}
