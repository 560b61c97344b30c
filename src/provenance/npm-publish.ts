/**
 * The document `npm publish --provenance` PUTs to `/<escaped name>` (npm/cli workspaces/libnpmpublish/lib/publish.js,
 * buildMetadata): the version's manifest with `dist` (integrity, shasum, tarball URL) and two `_attachments`, the
 * tarball (base64) and the Sigstore bundle (`<name>-<version>.sigstore`, data = the bundle's JSON text, content_type
 * = the bundle's media type).
 */
import { createHash } from 'node:crypto';
import { npmIntegrity, type NpmManifest } from './npm-package.js';

export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/**
 * Where keyless keeps the bundle in the version's manifest when the registry takes only one attachment (Verdaccio
 * answers npm's two-attachment document with 400 "unsupported registry call"): one item of the shape
 * registry.npmjs.org's `/-/npm/v1/attestations/<pkg>@<version>` lists, `{ predicateType, bundle }`.
 */
export const MANIFEST_PROVENANCE_FIELD = '_keylessProvenance';

export interface PublishDocumentOptions {
  readonly manifest: NpmManifest;
  readonly tarball: Uint8Array;
  readonly registry: string;
  /** The bundle's JSON text, as signed; absent for a publish without provenance. */
  readonly bundleJson?: string;
  readonly predicateType?: string;
  /** 'attachment': npm's document; 'manifest': the tarball only, the bundle under MANIFEST_PROVENANCE_FIELD. */
  readonly placement?: 'attachment' | 'manifest';
  readonly tag?: string;
  readonly access?: 'public' | 'restricted';
}

export function escapedName(name: string): string {
  return name.replace('/', '%2f');
}

export function npmPublishDocument(opts: PublishDocumentOptions): Record<string, unknown> {
  const { manifest, tarball } = opts;
  const tarballName = `${manifest.name}-${manifest.version}.tgz`;
  const version: Record<string, unknown> = {
    ...manifest,
    _id: `${manifest.name}@${manifest.version}`,
    dist: {
      ...(typeof manifest['dist'] === 'object' ? (manifest['dist'] as object) : {}),
      integrity: npmIntegrity(tarball),
      shasum: createHash('sha1').update(tarball).digest('hex'),
      tarball: new URL(`${manifest.name}/-/${tarballName}`, opts.registry.endsWith('/') ? opts.registry : `${opts.registry}/`).href.replace(/^https:\/\//, 'http://'),
    },
  };
  const attachments: Record<string, unknown> = {
    [tarballName]: { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length },
  };
  if (opts.bundleJson !== undefined) {
    if (opts.placement === 'manifest') {
      version[MANIFEST_PROVENANCE_FIELD] = { predicateType: opts.predicateType, bundle: JSON.parse(opts.bundleJson) as unknown };
    } else {
      // npm writes the bundle's own mediaType (publish.js: `content_type: provenanceBundle.mediaType`).
      const mediaType = (JSON.parse(opts.bundleJson) as { mediaType?: unknown } | null)?.mediaType;
      const contentType = typeof mediaType === 'string' ? mediaType : SIGSTORE_BUNDLE_V03;
      attachments[`${manifest.name}-${manifest.version}.sigstore`] = { content_type: contentType, data: opts.bundleJson, length: opts.bundleJson.length };
    }
  }
  return {
    _id: manifest.name,
    name: manifest.name,
    description: manifest['description'],
    'dist-tags': { [opts.tag ?? 'latest']: manifest.version },
    versions: { [manifest.version]: version },
    access: opts.access ?? 'public',
    _attachments: attachments,
  };
}
