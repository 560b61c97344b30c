/**
 * The part of the OCI registry client (src/oci/client.ts) that cosign's layouts need. Kept as a small interface so
 * attaching and discovering can be tested against an in-memory registry.
 */
import type { OciDescriptor } from './descriptor.js';

export interface CosignRegistry {
  /** undefined when the registry answers 404. */
  getManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; bytes: Uint8Array } | undefined>;
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ digest: string; subjectAccepted: boolean }>;
  getBlob(repository: string, digest: string): Promise<Uint8Array>;
  putBlob(repository: string, bytes: Uint8Array): Promise<unknown>;
  /** The referrers API, or the `sha256-<hex>` fallback index when the registry has none. */
  referrers(repository: string, digest: string, artifactType?: string): Promise<readonly OciDescriptor[]>;
  addReferrerToFallbackIndex(repository: string, subjectDigest: string, descriptor: OciDescriptor): Promise<void>;
  listTags(repository: string): Promise<readonly string[]>;
}
