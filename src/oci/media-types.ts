/**
 * OCI image-spec v1.1 and Docker schema 2 shapes: media types, descriptors, manifests and indexes.
 * Manifests come from a registry, so they are parsed defensively: every problem is collected before failing.
 */
import { KeylessError } from '../core/errors.js';
import { digest as hashBytes, type HashAlgorithm } from '../core/keys.js';
import { hexEncode, utf8Decode } from '../core/encoding.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** image-spec v1.1: the `{}` blob artifacts use as config (and as a layer when they have none). */
  ociEmptyConfig: 'application/vnd.oci.empty.v1+json',
  octetStream: 'application/octet-stream',
} as const;

/** Every type a manifest GET accepts (images, indexes, both in OCI and Docker flavours). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
];

/** image-spec v1.1 "Guidance for an Empty Descriptor": the two bytes `{}`. */
export const EMPTY_JSON = new Uint8Array([0x7b, 0x7d]);
export const EMPTY_JSON_DESCRIPTOR: Descriptor = Object.freeze({
  mediaType: MEDIA_TYPES.ociEmptyConfig,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
});

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Digest algorithms go-digest registers, with the length of their hex encoding. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** image-spec descriptor.md "Digests": a registered algorithm and its lowercase hex encoding of the right length. */
export function isDigest(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DIGEST_RE.exec(value);
  const length = m?.[1] === undefined ? undefined : DIGEST_HEX_LENGTH[m[1]];
  return length !== undefined && m?.[2]?.length === length && /^[a-f0-9]+$/.test(m[2]);
}

/** The digest of `bytes` with the algorithm `like` names (sha256 when it names none we know). */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${alg}:${hexEncode(hashBytes(alg as HashAlgorithm, bytes))}`;
}

type Problems = string[];

function parseAnnotations(value: unknown, where: string, problems: Problems): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') problems.push(`${where}.${k} is not a string`);
    else out[k] = v;
  }
  return out;
}

function parseDescriptorAt(value: unknown, where: string, problems: Problems): Descriptor | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const before = problems.length;
  if (typeof v.mediaType !== 'string' || v.mediaType === '') problems.push(`${where}.mediaType is missing`);
  if (!isDigest(v.digest)) problems.push(`${where}.digest is not a valid digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) problems.push(`${where}.size is not a non-negative integer`);
  if (v.artifactType !== undefined && typeof v.artifactType !== 'string') problems.push(`${where}.artifactType is not a string`);
  const annotations = parseAnnotations(v.annotations, `${where}.annotations`, problems);
  if (problems.length > before) return undefined;
  const d: Descriptor = { mediaType: v.mediaType as string, digest: v.digest as string, size: v.size as number };
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  if (annotations !== undefined) d.annotations = annotations;
  return d;
}

function parseTop(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(bytes, what));
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `${what} is not JSON`, { what }, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KeylessError('ERR_JSON', `${what} is not a JSON object`, { what });
  return value as Record<string, unknown>;
}

function commonFields(v: Record<string, unknown>, problems: Problems) {
  if (v.schemaVersion !== 2) problems.push('schemaVersion is not 2');
  if (v.mediaType !== undefined && typeof v.mediaType !== 'string') problems.push('mediaType is not a string');
  if (v.artifactType !== undefined && typeof v.artifactType !== 'string') problems.push('artifactType is not a string');
  const subject = v.subject === undefined ? undefined : parseDescriptorAt(v.subject, 'subject', problems);
  const annotations = parseAnnotations(v.annotations, 'annotations', problems);
  const out: { mediaType?: string; artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> } = {};
  if (typeof v.mediaType === 'string') out.mediaType = v.mediaType;
  if (typeof v.artifactType === 'string') out.artifactType = v.artifactType;
  if (subject !== undefined) out.subject = subject;
  if (annotations !== undefined) out.annotations = annotations;
  return out;
}

function fail(what: string, problems: Problems): never {
  throw new KeylessError('ERR_JSON', `${what} is malformed: ${problems.join('; ')}`, { what, problems });
}

/** An image manifest (OCI or Docker schema 2). ERR_JSON with every problem found. */
export function parseManifest(bytes: Uint8Array): Manifest {
  const v = parseTop(bytes, 'image manifest');
  const problems: Problems = [];
  const common = commonFields(v, problems);
  if (common.mediaType !== undefined && common.mediaType !== MEDIA_TYPES.ociManifest && common.mediaType !== MEDIA_TYPES.dockerManifest) {
    problems.push(`mediaType ${common.mediaType} is not an image manifest`);
  }
  const config = parseDescriptorAt(v.config, 'config', problems);
  if (!Array.isArray(v.layers)) problems.push('layers is not an array');
  const layers = Array.isArray(v.layers) ? v.layers.map((l, i) => parseDescriptorAt(l, `layers[${i}]`, problems)) : [];
  if (problems.length > 0 || config === undefined) fail('image manifest', problems);
  return { schemaVersion: 2, ...common, config, layers: layers as Descriptor[] };
}

/** An image index (OCI or Docker manifest list); the referrers API and its fallback tag answer with one. */
export function parseIndex(bytes: Uint8Array): Index {
  const v = parseTop(bytes, 'image index');
  const problems: Problems = [];
  const common = commonFields(v, problems);
  if (common.mediaType !== undefined && common.mediaType !== MEDIA_TYPES.ociIndex && common.mediaType !== MEDIA_TYPES.dockerManifestList) {
    problems.push(`mediaType ${common.mediaType} is not an image index`);
  }
  if (!Array.isArray(v.manifests)) problems.push('manifests is not an array');
  const manifests = Array.isArray(v.manifests) ? v.manifests.map((m, i) => parseDescriptorAt(m, `manifests[${i}]`, problems)) : [];
  if (problems.length > 0) fail('image index', problems);
  return { schemaVersion: 2, ...common, manifests: manifests as Descriptor[] };
}
