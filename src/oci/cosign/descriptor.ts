/**
 * OCI descriptors and manifests as cosign's layouts use them, with the checks a reader of registry content needs:
 * everything here comes from a registry, which an attacker may control, so parsing collects every problem first.
 */
import { KeylessError } from '../../core/errors.js';
import { hexEncode } from '../../core/encoding.js';
import { sha256 } from '../../core/keys.js';

export interface OciDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface OciManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: OciDescriptor;
  readonly layers: readonly OciDescriptor[];
  readonly subject?: OciDescriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Problem {
  readonly path: string;
  readonly message: string;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(text: unknown): text is string {
  return typeof text === 'string' && SHA256_DIGEST.test(text);
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${hexEncode(sha256(bytes))}`;
}

export function descriptorFor(bytes: Uint8Array, mediaType: string, annotations?: Record<string, string>): OciDescriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...(annotations !== undefined ? { annotations } : {}) };
}

/** Throws when `bytes` are not what `descriptor` names: content from a registry is held to its digest. */
export function checkContent(descriptor: OciDescriptor, bytes: Uint8Array, what: string): void {
  const actual = sha256Digest(bytes);
  if (actual !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new KeylessError('ERR_JSON', `${what} from the registry is not the content its descriptor names (want ${descriptor.digest}, ${descriptor.size} bytes; got ${actual}, ${bytes.length} bytes)`, {
      expected: descriptor.digest,
      actual,
    });
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function readAnnotations(value: unknown, path: string, problems: Problem[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    problems.push({ path, message: 'is not an object' });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') problems.push({ path: `${path}.${k}`, message: 'is not a string' });
    else out[k] = v;
  }
  return out;
}

export function readDescriptor(value: unknown, path: string, problems: Problem[]): OciDescriptor | undefined {
  if (!isObject(value)) {
    problems.push({ path, message: 'is not a descriptor object' });
    return undefined;
  }
  const before = problems.length;
  const { mediaType, digest, size, artifactType } = value;
  if (typeof mediaType !== 'string' || mediaType === '') problems.push({ path: `${path}.mediaType`, message: 'is missing' });
  if (!isSha256Digest(digest)) problems.push({ path: `${path}.digest`, message: 'is not sha256:<64 lowercase hex digits>' });
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) problems.push({ path: `${path}.size`, message: 'is not a non-negative integer' });
  if (artifactType !== undefined && typeof artifactType !== 'string') problems.push({ path: `${path}.artifactType`, message: 'is not a string' });
  const annotations = readAnnotations(value.annotations, `${path}.annotations`, problems);
  if (problems.length > before) return undefined;
  return {
    mediaType: mediaType as string,
    digest: digest as string,
    size: size as number,
    ...(typeof artifactType === 'string' ? { artifactType } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `${what} is not JSON: ${(cause as Error).message}`, {}, { cause });
  }
}

export function invalid(what: string, problems: readonly Problem[]): KeylessError {
  return new KeylessError('ERR_JSON', `${what} is invalid: ${problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; ')}`, { problems });
}

/** An image manifest (schema 2, OCI or Docker), checked field by field. */
export function parseManifest(bytes: Uint8Array, what = 'manifest'): OciManifest {
  const json = parseJsonBytes(bytes, what);
  const problems: Problem[] = [];
  if (!isObject(json)) throw invalid(what, [{ path: '', message: 'is not an object' }]);
  if (json.schemaVersion !== 2) problems.push({ path: 'schemaVersion', message: 'is not 2' });
  if (json.mediaType !== undefined && typeof json.mediaType !== 'string') problems.push({ path: 'mediaType', message: 'is not a string' });
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string') problems.push({ path: 'artifactType', message: 'is not a string' });
  const config = readDescriptor(json.config, 'config', problems);
  const layers: OciDescriptor[] = [];
  if (!Array.isArray(json.layers)) problems.push({ path: 'layers', message: 'is not an array' });
  else json.layers.forEach((l, i) => {
    const d = readDescriptor(l, `layers[${i}]`, problems);
    if (d !== undefined) layers.push(d);
  });
  const subject = json.subject === undefined ? undefined : readDescriptor(json.subject, 'subject', problems);
  const annotations = readAnnotations(json.annotations, 'annotations', problems);
  if (problems.length > 0 || config === undefined) throw invalid(what, problems);
  return {
    schemaVersion: 2,
    ...(typeof json.mediaType === 'string' ? { mediaType: json.mediaType } : {}),
    ...(typeof json.artifactType === 'string' ? { artifactType: json.artifactType } : {}),
    config,
    layers,
    ...(subject !== undefined ? { subject } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

/** The JSON bytes of a manifest, fields in the order cosign and the OCI examples write them. */
export function serializeManifest(m: OciManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    schemaVersion: m.schemaVersion,
    ...(m.mediaType !== undefined ? { mediaType: m.mediaType } : {}),
    ...(m.artifactType !== undefined ? { artifactType: m.artifactType } : {}),
    config: m.config,
    layers: m.layers,
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  }));
}
