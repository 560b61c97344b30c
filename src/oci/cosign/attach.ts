/**
 * Writing signatures and attestations into a registry without ever leaving half of one behind. The order is the
 * one OCI content needs to be valid at every step:
 *   1. blobs (config, payload or bundle): unreferenced blobs are invisible and harmless;
 *   2. the manifest that references them: from here on a client can find the signature (referrers API, or the tag);
 *   3. for a referrer on a registry without the referrers API, the `sha256-<hex>` fallback index.
 * A failure stops there and says, in the error, what was written and what was not.
 */
import { KeylessError, isKeylessError } from '../../core/errors.js';
import { OCI_MANIFEST_MEDIA_TYPE } from './constants.js';
import { parseManifest, sha256Digest, type OciDescriptor } from './descriptor.js';
import { appendLegacyLayer, type LegacyLayer } from './legacy.js';
import { buildBundleReferrer, EMPTY_CONFIG, type BundleContent } from './referrer.js';
import type { CosignRegistry } from './registry.js';
import { cosignTag, type CosignAttachment } from './tags.js';

class Progress {
  readonly written: string[] = [];
  constructor(private readonly what: string, private readonly remaining: string[]) {}

  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      const out = await run();
      this.written.push(name);
      this.remaining.shift();
      return out;
    } catch (err) {
      const notWritten = this.remaining.join(', ');
      const state = this.written.length === 0 ? 'nothing was written' : `written: ${this.written.join(', ')}`;
      const message = `${this.what}: ${name} failed (${isKeylessError(err) ? err.message : (err as Error)?.message ?? String(err)}); ${state}; not written: ${notWritten}`;
      throw new KeylessError(isKeylessError(err) ? err.code : 'ERR_SERVICE', message, { written: [...this.written], notWritten: [...this.remaining] }, { cause: err });
    }
  }
}

export interface ReferrerWritten {
  readonly manifestDigest: string;
  readonly bundleDigest: string;
  /** The registry has no referrers API: the fallback index `sha256-<hex>` now lists the manifest. */
  readonly fallbackIndex: boolean;
}

export async function attachBundleReferrer(registry: CosignRegistry, repository: string, opts: {
  subject: OciDescriptor;
  bundle: Uint8Array;
  content: BundleContent;
  predicateType?: string;
  created: string;
}): Promise<ReferrerWritten> {
  const built = buildBundleReferrer(opts);
  const manifestDigest = built.manifestDescriptor.digest;
  const fallbackTag = opts.subject.digest.replace(':', '-');
  const progress = new Progress(`attaching the bundle to ${repository}@${opts.subject.digest}`, [
    'empty config blob', `bundle blob ${built.bundleDescriptor.digest}`, `referrer manifest ${manifestDigest}`, `fallback index ${fallbackTag} (if needed)`,
  ]);
  await progress.step('empty config blob', () => registry.putBlob(repository, EMPTY_CONFIG));
  await progress.step(`bundle blob ${built.bundleDescriptor.digest}`, () => registry.putBlob(repository, opts.bundle));
  const put = await progress.step(`referrer manifest ${manifestDigest}`, () => registry.putManifest(repository, manifestDigest, built.manifest, OCI_MANIFEST_MEDIA_TYPE));
  if (put.subjectAccepted) return { manifestDigest, bundleDigest: built.bundleDescriptor.digest, fallbackIndex: false };
  await progress.step(`fallback index ${fallbackTag}`, () => registry.addReferrerToFallbackIndex(repository, opts.subject.digest, built.manifestDescriptor));
  return { manifestDigest, bundleDigest: built.bundleDescriptor.digest, fallbackIndex: true };
}

export interface LegacyWritten {
  readonly tag: string;
  readonly manifestDigest: string;
  /** false when the tag already held this very signature. */
  readonly added: boolean;
  readonly layers: number;
}

/**
 * Adds `layer` to the `sha256-<hex>.sig` (or `.att`) manifest of `digest`. Like cosign, this reads the tag and
 * writes it back: two signers racing on one tag can lose a signature (last writer wins); the referrer format has no
 * such race.
 */
export async function attachLegacyLayer(registry: CosignRegistry, repository: string, digest: string, attachment: Exclude<CosignAttachment, 'sbom'>, layer: LegacyLayer): Promise<LegacyWritten> {
  const tag = cosignTag(digest, attachment);
  const current = await registry.getManifest(repository, tag);
  let existing: readonly OciDescriptor[] = [];
  if (current !== undefined) {
    try {
      existing = parseManifest(current.bytes, `the manifest at ${tag}`).layers;
    } catch (err) {
      throw new KeylessError('ERR_JSON', `${repository}:${tag} holds a manifest keyless cannot read, and writing the tag would drop what it holds; nothing was written: ${(err as Error).message}`, {}, { cause: err });
    }
  }
  const next = appendLegacyLayer(existing, layer.descriptor);
  const manifestDigest = sha256Digest(next.manifest);
  if (!next.added) return { tag, manifestDigest: current?.digest ?? manifestDigest, added: false, layers: existing.length };
  const progress = new Progress(`attaching the signature to ${repository}:${tag}`, [`payload blob ${layer.descriptor.digest}`, `config blob ${next.configDescriptor.digest}`, `manifest ${tag}`]);
  await progress.step(`payload blob ${layer.descriptor.digest}`, () => registry.putBlob(repository, layer.payload));
  await progress.step(`config blob ${next.configDescriptor.digest}`, () => registry.putBlob(repository, next.config));
  await progress.step(`manifest ${tag}`, () => registry.putManifest(repository, tag, next.manifest, OCI_MANIFEST_MEDIA_TYPE));
  return { tag, manifestDigest, added: true, layers: existing.length + 1 };
}
