// Builds a small image in code and pushes it to a registry with keyless's OCI client: a config blob, one layer
// (a gzip'd tar would do; any bytes are fine for a registry) and an OCI image manifest under a tag.
import { createHash, randomBytes } from 'node:crypto';
import { createRegistryClient, type RegistryClient } from '../../src/oci/index.js';

export interface PushedImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Uint8Array;
  /** registry/repository:tag and registry/repository@digest */
  readonly byTag: string;
  readonly byDigest: string;
}

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function testClient(host: string, credentials?: { username: string; password: string }): RegistryClient {
  return createRegistryClient({ registry: host, plainHttp: true, ...(credentials !== undefined ? { credentials: () => credentials } : {}) });
}

/** Pushes a fresh image (random layer content, so each call gives a new digest) to host/repository:tag. */
export async function pushImage(client: RegistryClient, host: string, repository: string, tag: string, content: string = randomBytes(16).toString('hex')): Promise<PushedImage> {
  const layer = new TextEncoder().encode(`layer ${content}\n`);
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] }, config: {} }));
  await client.putBlob(repository, config);
  await client.putBlob(repository, layer);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
  }));
  const put = await client.putManifest(repository, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  const digest = sha(manifest);
  if (put.digest !== digest) throw new Error(`registry says ${put.digest}, we computed ${digest}`);
  return { repository, tag, digest, manifest, byTag: `${host}/${repository}:${tag}`, byDigest: `${host}/${repository}@${digest}` };
}
