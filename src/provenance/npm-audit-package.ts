/**
 * Audits one published package version, as `keyless npm audit` reports it: a row per check, in order, stopping at the
 * first failure. The registry is reached through an injected `fetch` and the bundle's signature through an injected
 * `verifySignature` (the trusted root is configured once per run by the caller; the expected identity is per package).
 */
import { base64Decode, utf8Decode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { checkProvenanceStatement, provenanceFrom } from './npm-audit.js';
import { npmIntegrity } from './npm-package.js';
import { escapedName } from './npm-publish.js';
import { IN_TOTO_PAYLOAD_TYPE, type Statement } from './statement.js';
import { createHash } from 'node:crypto';

export interface AuditCheck { readonly check: string; readonly ok: boolean; readonly detail: string }

/** 'verified': every check passed; 'no provenance': none published, and allowed; 'failed': a check failed. */
export type AuditResult = 'verified' | 'no provenance' | 'failed';

export interface PackageAudit {
  readonly name: string;
  readonly version: string;
  readonly result: AuditResult;
  readonly checks: readonly AuditCheck[];
}

export interface PackageExpectation {
  readonly issuer?: string;
  readonly repository?: string;
  /** Whether a version without provenance fails ('failed') or is reported ('no provenance'). */
  readonly provenanceRequired: boolean;
  /** The lockfile's integrity: the tarball the registry serves must be the one the lockfile installs. */
  readonly lockfileIntegrity?: string;
}

export interface AuditPackageOptions extends PackageExpectation {
  readonly registry: string;
  readonly name: string;
  readonly version: string;
  readonly fetch: typeof globalThis.fetch;
  /** Verifies the bundle's signature for the expected issuer (and repository); throws a KeylessError; returns a summary. */
  readonly verifySignature: (bundle: unknown, expected: { readonly issuer: string; readonly repository?: string }) => string;
}

async function http(f: typeof globalThis.fetch, url: string): Promise<Response> {
  try {
    return await f(url, { headers: { accept: 'application/json' } });
  } catch (cause) {
    throw new KeylessError('ERR_SERVICE', `npm registry ${url} is unreachable: ${(cause as Error).message}`, { url }, { cause });
  }
}

export async function registryJson(f: typeof globalThis.fetch, url: string): Promise<unknown> {
  const r = await http(f, url);
  if (r.status === 404) throw new KeylessError('ERR_NOT_FOUND', `npm registry: ${url} not found (404)`, { url });
  if (!r.ok) throw new KeylessError('ERR_SERVICE', `npm registry: GET ${url} answered ${r.status}`, { url, status: r.status });
  try {
    return await r.json();
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `npm registry: ${url} is not JSON`, { url }, { cause });
  }
}

/** Every `<algo>-<base64>` of an SRI string that keyless can compute, and whether the tarball matches each. */
function sriMismatch(sri: string, tarball: Uint8Array): string | undefined {
  const known = sri.split(/\s+/).map((h) => /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)$/.exec(h)).filter((m) => m !== null);
  if (known.length === 0) return `the lockfile's integrity ${JSON.stringify(sri)} has no sha512, sha384, sha256 or sha1 hash`;
  for (const [, algo, b64] of known) {
    const got = createHash(algo!).update(tarball).digest('base64');
    if (got !== b64) return `the tarball's ${algo}-${got} is not the lockfile's ${algo}-${b64}`;
  }
  return undefined;
}

export async function auditNpmPackage(opts: AuditPackageOptions): Promise<PackageAudit> {
  const { name, version, registry } = opts;
  const checks: AuditCheck[] = [];
  let missingProvenance = false;
  const step = async (check: string, fn: () => Promise<string> | string): Promise<void> => {
    try {
      checks.push({ check, ok: true, detail: await fn() });
    } catch (err) {
      if (!(err instanceof KeylessError) || err.code === 'ERR_USAGE') throw err;
      checks.push({ check, ok: false, detail: `${err.message} [${err.code}]` });
      throw err;
    }
  };
  try {
    let versionManifest: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    let tarball = new Uint8Array();
    let statement: Statement | undefined;
    let bundle: unknown;
    await step('packument', async () => {
      const packument = (await registryJson(opts.fetch, `${registry}/${escapedName(name)}`)) as { versions?: Record<string, unknown> } | null;
      const v = packument?.versions?.[version];
      if (typeof v !== 'object' || v === null) throw new KeylessError('ERR_NOT_FOUND', `${name} has no version ${version} on ${registry}`);
      versionManifest = v as Record<string, unknown>;
      return `${name}@${version}`;
    });
    await step('tarball', async () => {
      const url = versionManifest['dist']?.tarball;
      if (typeof url !== 'string') throw new KeylessError('ERR_JSON', 'the version has no dist.tarball');
      const r = await http(opts.fetch, url);
      if (!r.ok) throw new KeylessError('ERR_SERVICE', `GET ${url} answered ${r.status}`);
      tarball = new Uint8Array(await r.arrayBuffer());
      const integrity = npmIntegrity(tarball);
      if (versionManifest['dist']?.integrity !== integrity) throw new KeylessError('ERR_SUBJECT', `the tarball's ${integrity} is not dist.integrity ${versionManifest['dist']?.integrity}`);
      return `${tarball.length} bytes, ${integrity.slice(0, 30)}…`;
    });
    if (opts.lockfileIntegrity !== undefined) {
      await step('lockfile', () => {
        const mismatch = sriMismatch(opts.lockfileIntegrity!, tarball);
        if (mismatch !== undefined) throw new KeylessError('ERR_SUBJECT', mismatch);
        return 'the tarball is the one the lockfile installs';
      });
    }
    await step('provenance', async () => {
      const url = versionManifest['dist']?.attestations?.url;
      const item = provenanceFrom(typeof url === 'string' ? await registryJson(opts.fetch, url) : versionManifest);
      if (item === undefined) {
        missingProvenance = true;
        throw new KeylessError('ERR_NOT_FOUND', `${name}@${version} has no provenance on ${registry}`);
      }
      bundle = item.bundle;
      const env = (item.bundle as { dsseEnvelope?: { payload?: unknown; payloadType?: unknown } }).dsseEnvelope;
      if (env?.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== 'string') throw new KeylessError('ERR_BUNDLE_INVALID', 'the provenance bundle has no in-toto DSSE envelope');
      try {
        statement = JSON.parse(utf8Decode(base64Decode(env.payload))) as Statement;
      } catch (cause) {
        throw new KeylessError('ERR_JSON', 'the provenance statement is not JSON', {}, { cause });
      }
      return `${statement.predicateType} from ${typeof url === 'string' ? url : 'the version manifest (_keylessProvenance)'}`;
    });
    const { repository, issuer } = opts;
    await step('subject', () => {
      checkProvenanceStatement({ statement: statement!, name, version, tarball, ...(repository !== undefined ? { expectRepository: repository } : {}) });
      return `${statement!.subject[0]?.name} sha512 matches the tarball${repository !== undefined ? `; built from ${repository}` : ''}`;
    });
    await step('signature', () => {
      if (issuer === undefined) throw new KeylessError('ERR_IDENTITY', `no expected OIDC issuer for ${name} (give --certificate-oidc-issuer, --instance, or an "issuer" in the policy)`);
      return opts.verifySignature(bundle, { issuer, ...(repository !== undefined ? { repository } : {}) });
    });
  } catch (err) {
    if (!(err instanceof KeylessError) || err.code === 'ERR_USAGE') throw err;
  }
  const failed = checks.some((c) => !c.ok);
  const result: AuditResult = !failed ? 'verified' : missingProvenance && !opts.provenanceRequired ? 'no provenance' : 'failed';
  return { name, version, result, checks };
}
