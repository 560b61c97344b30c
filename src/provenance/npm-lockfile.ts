/**
 * The registry packages a `package-lock.json` installs (lockfileVersion 2 and 3, npm's docs/lib/content/configuring-npm/
 * package-lock-json.md): every `packages["…node_modules/<name>"]` entry with a version and a `resolved` URL or an
 * `integrity`. Pure: JSON in, list out.
 *
 * A lockfile comes from a merge request as often as from `npm install`, so it is parsed as untrusted input: every
 * problem is collected before failing, and entries that are not registry packages are returned as skipped with the
 * reason, not silently dropped.
 */
import { KeylessError } from '../core/errors.js';
import { isNpmVersion } from './npm-package.js';

export interface LockfileDependency {
  readonly name: string;
  readonly version: string;
  /** The lockfile's `integrity` (SRI, possibly several hashes), checked against the tarball the registry serves. */
  readonly integrity?: string;
  readonly resolved?: string;
  /** The `packages` keys that install this name@version (one package can be installed at several paths). */
  readonly paths: readonly string[];
}

export interface LockfileSkip { readonly path: string; readonly reason: string }

export interface Lockfile {
  readonly dependencies: readonly LockfileDependency[];
  readonly skipped: readonly LockfileSkip[];
}

// Names as old registry packages have them too (mixed case: JSONStream); new publishes are stricter (isNpmName).
const LOCKED_NAME = /^(?:@[A-Za-z0-9][\w.~-]*\/)?[A-Za-z0-9_][\w.~-]*$/;
const MAX_ENTRIES = 100_000;

/** The installed name for a `packages` key: what follows its last `node_modules/`. */
export function lockfilePathName(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  return i < 0 ? undefined : path.slice(i + 'node_modules/'.length);
}

export function parseLockfile(json: unknown): Lockfile {
  const doc = json as { lockfileVersion?: unknown; packages?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeylessError('ERR_JSON', 'the lockfile is not a JSON object');
  if (doc.lockfileVersion !== 2 && doc.lockfileVersion !== 3) {
    throw new KeylessError('ERR_JSON', `lockfileVersion ${JSON.stringify(doc.lockfileVersion)} is not supported (2 or 3: npm 7 or later; run \`npm install --lockfile-version 3\`)`);
  }
  if (typeof doc.packages !== 'object' || doc.packages === null || Array.isArray(doc.packages)) throw new KeylessError('ERR_JSON', 'the lockfile has no "packages" object');
  const entries = Object.entries(doc.packages as Record<string, unknown>);
  if (entries.length > MAX_ENTRIES) throw new KeylessError('ERR_TOO_LARGE', `the lockfile lists ${entries.length} packages, more than ${MAX_ENTRIES}`);

  const problems: string[] = [];
  const skipped: LockfileSkip[] = [];
  const byId = new Map<string, { name: string; version: string; integrity?: string; resolved?: string; paths: string[] }>();
  for (const [path, raw] of entries) {
    const installed = lockfilePathName(path);
    if (installed === undefined) continue; // "" is the root project, other keys are workspace folders
    const e = raw as { name?: unknown; version?: unknown; resolved?: unknown; integrity?: unknown; link?: unknown; inBundle?: unknown } | null;
    if (typeof e !== 'object' || e === null) {
      problems.push(`${path}: not an object`);
      continue;
    }
    if (e.link === true) {
      skipped.push({ path, reason: 'a link to a local folder' });
      continue;
    }
    if (e.inBundle === true) {
      skipped.push({ path, reason: 'bundled inside its parent\'s tarball' });
      continue;
    }
    // An alias (`"x": "npm:real@1"`) is installed as x but is the registry's package `name`.
    const name = typeof e.name === 'string' ? e.name : installed;
    const integrity = typeof e.integrity === 'string' ? e.integrity : undefined;
    const resolved = typeof e.resolved === 'string' ? e.resolved : undefined;
    if (resolved !== undefined && !/^https?:\/\//.test(resolved)) {
      skipped.push({ path, reason: `resolved from ${resolved.split(':')[0]}:, not a registry` });
      continue;
    }
    if (integrity === undefined && resolved === undefined) {
      skipped.push({ path, reason: 'no resolved URL or integrity (not installed from a registry)' });
      continue;
    }
    const bad: string[] = [];
    if (!LOCKED_NAME.test(name) || name.length > 214) bad.push(`name ${JSON.stringify(name)} is not an npm package name`);
    if (!isNpmVersion(e.version)) bad.push(`version ${JSON.stringify(e.version)} is not semver`);
    if (e.integrity !== undefined && integrity === undefined) bad.push('integrity is not a string');
    if (bad.length > 0) {
      problems.push(`${path}: ${bad.join(', ')}`);
      continue;
    }
    const version = e.version as string;
    const id = `${name}@${version}`;
    const seen = byId.get(id);
    if (seen === undefined) {
      byId.set(id, { name, version, ...(integrity !== undefined ? { integrity } : {}), ...(resolved !== undefined ? { resolved } : {}), paths: [path] });
    } else {
      if (integrity !== undefined && seen.integrity !== undefined && integrity !== seen.integrity) problems.push(`${path}: integrity differs from ${seen.paths[0]} for the same ${id}`);
      seen.paths.push(path);
    }
  }
  if (problems.length > 0) throw new KeylessError('ERR_JSON', `the lockfile has ${problems.length} bad entr${problems.length === 1 ? 'y' : 'ies'}: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? '; …' : ''}`, { problems });
  const dependencies = [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return { dependencies, skipped };
}
