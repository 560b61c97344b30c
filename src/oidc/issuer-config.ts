/**
 * Which OIDC issuers the CA trusts, in Fulcio's configuration shape
 * (https://github.com/sigstore/fulcio/blob/main/docs/config.md, pkg/config/config.go).
 *
 * An issuer is either exact (`issuerUrl`) or a meta issuer (`metaIssuer`), a URL pattern in which `*` stands for one
 * DNS label or one path segment, as Fulcio's `metaRegex` reads it: `https://oidc.eks.*.amazonaws.com/id/*`.
 */
import { KeylessError } from '../core/errors.js';

export type IssuerType =
  | 'gitlab-pipeline'
  | 'github-workflow'
  | 'email'
  | 'uri'
  | 'username'
  | 'buildkite-job'
  | 'codefresh-workflow'
  | 'kubernetes'
  | 'spiffe';

export const ISSUER_TYPES: readonly IssuerType[] = [
  'gitlab-pipeline', 'github-workflow', 'email', 'uri', 'username', 'buildkite-job', 'codefresh-workflow', 'kubernetes', 'spiffe',
];

export interface IssuerConfig {
  /** The exact `iss` of the tokens; discovery is `${issuerUrl}/.well-known/openid-configuration`. */
  readonly issuerUrl?: string;
  /** A pattern for `iss` (Fulcio's MetaIssuers); exactly one of issuerUrl and metaIssuer is set. */
  readonly metaIssuer?: string;
  /** The audience the tokens must name (`aud`); `sigstore` for the public-good instance. */
  readonly clientId: string;
  readonly type: IssuerType;
  /**
   * `uri`: the scheme and host the subject URI must have (`https://example.com`); `username`: the domain appended to
   * the user name; `spiffe`: the SPIFFE trust domain (Fulcio's SPIFFETrustDomain).
   */
  readonly subjectDomain?: string;
  /** Skip discovery and read the key set here (an issuer that publishes no discovery document). */
  readonly jwksUrl?: string;
}

/** The CI issuers a private instance accepts unless configured otherwise. */
export const DEFAULT_ISSUERS: readonly IssuerConfig[] = Object.freeze([
  Object.freeze({ issuerUrl: 'https://gitlab.com', clientId: 'sigstore', type: 'gitlab-pipeline' as const }),
  Object.freeze({ issuerUrl: 'https://token.actions.githubusercontent.com', clientId: 'sigstore', type: 'github-workflow' as const }),
]);

/**
 * Fulcio's meta-issuer pattern as an anchored regular expression: every character literal except `*`, which matches
 * `[-_a-zA-Z0-9]+` (so never a `.`, `/`, `:` or `@`, and a token cannot steer discovery to another host).
 * Fulcio leaves the expression unanchored; we anchor it, so `https://evil.example/?https://kubernetes.x.svc` fails.
 */
export function metaIssuerPattern(pattern: string): RegExp {
  const quoted = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(`^${quoted.join('[-_a-zA-Z0-9]+')}$`);
}

/** The configuration for a token's `iss`: an exact issuer first, then the first meta issuer that matches. */
export function findIssuer(issuers: readonly IssuerConfig[], iss: string): (IssuerConfig & { readonly issuerUrl: string }) | undefined {
  for (const config of issuers) {
    if (config.issuerUrl === iss) return { ...config, issuerUrl: iss };
  }
  for (const config of issuers) {
    if (config.metaIssuer !== undefined && metaIssuerPattern(config.metaIssuer).test(iss)) {
      const { metaIssuer: _pattern, ...rest } = config;
      return { ...rest, issuerUrl: iss };
    }
  }
  return undefined;
}

/**
 * Reads Fulcio's configuration file as JSON (`{OIDCIssuers: {url: {IssuerURL, ClientID, Type, SubjectDomain}},
 * MetaIssuers: {pattern: {ClientID, Type}}}`, or the same with the YAML file's kebab-case keys converted to JSON),
 * or a plain array of IssuerConfig. Every problem is collected before failing.
 */
export function parseIssuerConfig(json: unknown): IssuerConfig[] {
  const problems: string[] = [];
  const issuers: IssuerConfig[] = [];
  if (Array.isArray(json)) {
    json.forEach((entry, i) => {
      const config = readArrayEntry(entry, `[${i}]`, problems);
      if (config !== undefined) issuers.push(config);
    });
  } else if (isRecord(json)) {
    const exact = json.OIDCIssuers ?? json['oidc-issuers'];
    const meta = json.MetaIssuers ?? json['meta-issuers'];
    if (exact === undefined && meta === undefined) problems.push('expected OIDCIssuers and/or MetaIssuers (Fulcio config), or an array of issuers');
    for (const [field, value, kind] of [['OIDCIssuers', exact, 'exact'], ['MetaIssuers', meta, 'meta']] as const) {
      if (value === undefined) continue;
      if (!isRecord(value)) {
        problems.push(`${field} must be an object keyed by issuer URL`);
        continue;
      }
      for (const [key, entry] of Object.entries(value)) {
        const config = readFulcioEntry(key, entry, kind, `${field}[${JSON.stringify(key)}]`, problems);
        if (config !== undefined) issuers.push(config);
      }
    }
  } else {
    problems.push(`expected an object or an array, found ${describe(json)}`);
  }
  if (problems.length > 0) {
    throw new KeylessError('ERR_JSON', `issuer configuration is invalid: ${problems.join('; ')}`, { problems });
  }
  return issuers;
}

function readFulcioEntry(key: string, entry: unknown, kind: 'exact' | 'meta', at: string, problems: string[]): IssuerConfig | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at} must be an object, found ${describe(entry)}`);
    return undefined;
  }
  const pick = (pascal: string, kebab: string): unknown => entry[pascal] ?? entry[kebab];
  const issuerUrl = pick('IssuerURL', 'issuer-url');
  if (kind === 'exact' && issuerUrl !== undefined && issuerUrl !== key) {
    problems.push(`${at}: IssuerURL ${JSON.stringify(issuerUrl)} differs from its key`);
  }
  const type = pick('Type', 'type');
  const subjectDomain = type === 'spiffe' ? pick('SPIFFETrustDomain', 'spiffe-trust-domain') : pick('SubjectDomain', 'subject-domain');
  return buildConfig({
    ...(kind === 'exact' ? { issuerUrl: key } : { metaIssuer: key }),
    clientId: pick('ClientID', 'client-id'),
    type,
    subjectDomain,
    jwksUrl: pick('JWKSURL', 'jwks-url'),
  }, at, problems);
}

function readArrayEntry(entry: unknown, at: string, problems: string[]): IssuerConfig | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at} must be an object, found ${describe(entry)}`);
    return undefined;
  }
  return buildConfig(entry, at, problems);
}

function buildConfig(raw: Record<string, unknown>, at: string, problems: string[]): IssuerConfig | undefined {
  const before = problems.length;
  const { issuerUrl, metaIssuer, clientId, type, subjectDomain, jwksUrl } = raw;
  if ((issuerUrl === undefined) === (metaIssuer === undefined)) problems.push(`${at}: give exactly one of issuerUrl and metaIssuer`);
  if (issuerUrl !== undefined && !isHttpUrl(issuerUrl)) problems.push(`${at}: issuer URL must be an http(s) URL without query or fragment, found ${describe(issuerUrl)}`);
  if (metaIssuer !== undefined && !(typeof metaIssuer === 'string' && metaIssuer.includes('*') && isHttpUrl(metaIssuer.replaceAll('*', 'x')))) {
    problems.push(`${at}: meta issuer must be an http(s) URL pattern containing *, found ${describe(metaIssuer)}`);
  }
  if (typeof clientId !== 'string' || clientId === '') problems.push(`${at}: ClientID must be a non-empty string, found ${describe(clientId)}`);
  if (typeof type !== 'string' || !(ISSUER_TYPES as readonly string[]).includes(type)) {
    problems.push(`${at}: Type must be one of ${ISSUER_TYPES.join(', ')}, found ${describe(type)}`);
  }
  if (subjectDomain !== undefined && (typeof subjectDomain !== 'string' || subjectDomain === '')) problems.push(`${at}: SubjectDomain must be a non-empty string`);
  if ((type === 'uri' || type === 'username' || type === 'spiffe') && subjectDomain === undefined) {
    problems.push(`${at}: a ${String(type)} issuer needs ${type === 'spiffe' ? 'SPIFFETrustDomain' : 'SubjectDomain'}`);
  }
  if (type === 'uri' && typeof subjectDomain === 'string' && !isHttpUrl(subjectDomain)) problems.push(`${at}: SubjectDomain of a uri issuer must be a URL with a scheme`);
  if (type === 'spiffe' && metaIssuer !== undefined) problems.push(`${at}: SPIFFE meta issuers are not supported (one trust domain per issuer)`);
  if (jwksUrl !== undefined && !isHttpUrl(jwksUrl)) problems.push(`${at}: jwksUrl must be an http(s) URL, found ${describe(jwksUrl)}`);
  if (problems.length > before) return undefined;
  return {
    ...(typeof issuerUrl === 'string' ? { issuerUrl } : {}),
    ...(typeof metaIssuer === 'string' ? { metaIssuer } : {}),
    clientId: clientId as string,
    type: type as IssuerType,
    ...(typeof subjectDomain === 'string' ? { subjectDomain } : {}),
    ...(typeof jwksUrl === 'string' ? { jwksUrl } : {}),
  };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value's type and, for short scalars, the value: evidence for a message without echoing large input. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 200 ? `a string of ${value.length} characters` : `${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
