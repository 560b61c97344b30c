/**
 * npm tarball helpers: the package.json inside a tarball, the purl npm names it by, and its digests.
 * Pure: bytes in, values out (gunzip is computation, not I/O).
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { KeylessError } from '../core/errors.js';
import type { Subject } from './statement.js';

export interface NpmManifest {
  readonly name: string;
  readonly version: string;
  readonly [key: string]: unknown;
}

/**
 * The purl npm writes as the subject name (npm-package-arg's `toPurl`): `pkg:npm/` + the name with a leading `@`
 * written `%40` (the scope's slash stays) + `@` + the version.
 */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

export function npmSubject(manifest: Pick<NpmManifest, 'name' | 'version'>, tarball: Uint8Array): Subject {
  return { name: npmPurl(manifest.name, manifest.version), digest: { sha512: createHash('sha512').update(tarball).digest('hex') } };
}

/** `sha512-<base64>`, the `dist.integrity` npm publishes. */
export function npmIntegrity(tarball: Uint8Array): string {
  return `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

/** A name npm accepts for a new package (lower case; old mixed-case names are refused too). */
export const isNpmName = (s: unknown): s is string => typeof s === 'string' && s.length <= 214 && NAME.test(s);
export const isNpmVersion = (s: unknown): s is string => typeof s === 'string' && s.length <= 256 && VERSION.test(s);

/** Reads `package/package.json` from a gzipped tar (ustar, as `npm pack` writes). */
export function readTarballManifest(tarball: Uint8Array): NpmManifest {
  let tar: Buffer;
  try {
    tar = gunzipSync(tarball);
  } catch (cause) {
    throw new KeylessError('ERR_USAGE', `the tarball is not gzip: ${(cause as Error).message}`, {}, { cause });
  }
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (!Number.isFinite(size) || size < 0) break;
    // npm pack's top directory is `package/`; others (GitHub tarballs) name it after the package; accept any one level.
    if ((type === '0' || type === '') && /^[^/]+\/package\.json$/.test(name)) {
      return parseManifest(tar.subarray(off + 512, off + 512 + size).toString('utf8'));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new KeylessError('ERR_USAGE', 'the tarball has no package/package.json');
}

function parseManifest(text: string): NpmManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `the tarball's package.json is not JSON: ${(cause as Error).message}`, {}, { cause });
  }
  const m = json as Partial<NpmManifest> | null;
  const problems: string[] = [];
  if (!isNpmName(m?.name)) problems.push(`name ${JSON.stringify(m?.name)} is not an npm package name`);
  if (!isNpmVersion(m?.version)) problems.push(`version ${JSON.stringify(m?.version)} is not semver`);
  if (problems.length > 0) throw new KeylessError('ERR_JSON', `the tarball's package.json: ${problems.join('; ')}`, { problems });
  return m as NpmManifest;
}
