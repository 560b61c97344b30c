/**
 * A consumer's npm provenance policy (`keyless-npm-policy.json`): which source project and OIDC issuer each package
 * must have been built by. npm checks that provenance is well signed and names the tarball, but never pins who built
 * a package: anyone's pipeline can publish a correctly signed `@acme/widget` if the registry lets them publish it.
 *
 *   { "packages": { "@acme/*": { "repository": "https://gitlab.example.com/acme/widget", "issuer": "https://gitlab.example.com" },
 *                   "left-pad": { "provenance": "optional" } } }
 *
 * Keys are package names or globs, where `*` matches any run of characters other than `/` (so `@acme/*` is every
 * package of the scope and `*` every unscoped package). The most specific key wins: an exact name, then the glob with
 * the most literal characters. Pure: JSON in, lookups out.
 */
import { KeylessError } from '../core/errors.js';

export interface PackagePolicy {
  /** The source repository the provenance and the certificate's sourceRepositoryURI must name. */
  readonly repository?: string;
  /** The OIDC issuer the signing certificate must name. */
  readonly issuer?: string;
  /**
   * 'required': no provenance fails; 'optional': no provenance is reported but passes, even with
   * --require-provenance. Default: required when repository or issuer is set (they cannot be checked without it),
   * else the command line decides.
   */
  readonly provenance?: 'required' | 'optional';
}

export interface NpmPolicy { readonly packages: ReadonlyMap<string, PackagePolicy> }

const KEY = /^(?:@[A-Za-z0-9*][\w.~*-]*\/)?[A-Za-z0-9_*][\w.~*-]*$/;
const FIELDS = new Set(['repository', 'issuer', 'provenance']);

const httpUrl = (s: unknown): boolean => {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
};

export function parseNpmPolicy(json: unknown): NpmPolicy {
  const doc = json as { packages?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeylessError('ERR_JSON', 'the policy is not a JSON object');
  const unknownTop = Object.keys(doc).filter((k) => k !== 'packages');
  const problems: string[] = unknownTop.map((k) => `unknown field ${JSON.stringify(k)} (only "packages")`);
  if (typeof doc.packages !== 'object' || doc.packages === null || Array.isArray(doc.packages)) {
    throw new KeylessError('ERR_JSON', `the policy: ${[...problems, '"packages" must be an object of name or glob → rule'].join('; ')}`, { problems });
  }
  const packages = new Map<string, PackagePolicy>();
  for (const [key, raw] of Object.entries(doc.packages as Record<string, unknown>)) {
    const where = `packages[${JSON.stringify(key)}]`;
    if (!KEY.test(key)) problems.push(`${where}: not a package name or glob`);
    const r = raw as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push(`${where}: not an object`);
      continue;
    }
    // A misspelt field ("repo") would otherwise silently pin nothing.
    for (const f of Object.keys(r)) if (!FIELDS.has(f)) problems.push(`${where}: unknown field ${JSON.stringify(f)} (repository, issuer, provenance)`);
    if (r['repository'] !== undefined && !httpUrl(r['repository'])) problems.push(`${where}.repository: not an http(s) URL`);
    if (r['issuer'] !== undefined && !httpUrl(r['issuer'])) problems.push(`${where}.issuer: not an http(s) URL`);
    if (r['provenance'] !== undefined && r['provenance'] !== 'required' && r['provenance'] !== 'optional') problems.push(`${where}.provenance: "required" or "optional"`);
    if (r['provenance'] === 'optional' && (r['repository'] !== undefined || r['issuer'] !== undefined)) {
      problems.push(`${where}: "optional" provenance with a repository or issuer would let a package without provenance skip the pin`);
    }
    packages.set(key, {
      ...(typeof r['repository'] === 'string' ? { repository: r['repository'].replace(/\/+$/, '') } : {}),
      ...(typeof r['issuer'] === 'string' ? { issuer: r['issuer'] } : {}),
      ...(r['provenance'] === 'required' || r['provenance'] === 'optional' ? { provenance: r['provenance'] } : {}),
    });
  }
  if (problems.length > 0) throw new KeylessError('ERR_JSON', `the policy: ${problems.join('; ')}`, { problems });
  return { packages };
}

const globRegExp = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);

/** The rule for `name` and the key it came from, or undefined when no key matches. */
export function policyFor(policy: NpmPolicy, name: string): { readonly key: string; readonly rule: PackagePolicy } | undefined {
  const exact = policy.packages.get(name);
  if (exact !== undefined && !name.includes('*')) return { key: name, rule: exact };
  let best: { key: string; rule: PackagePolicy; literal: number } | undefined;
  for (const [key, rule] of policy.packages) {
    if (!key.includes('*') || !globRegExp(key).test(name)) continue;
    const literal = key.replace(/\*/g, '').length;
    if (best === undefined || literal > best.literal) best = { key, rule, literal };
  }
  return best === undefined ? undefined : { key: best.key, rule: best.rule };
}

/** Whether a package without provenance fails under `rule`, given the command line's --require-provenance. */
export function provenanceRequired(rule: PackagePolicy | undefined, requireByDefault: boolean): boolean {
  if (rule?.provenance !== undefined) return rule.provenance === 'required';
  if (rule?.repository !== undefined || rule?.issuer !== undefined) return true;
  return requireByDefault;
}
