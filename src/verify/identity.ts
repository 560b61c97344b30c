/**
 * Identity policy: does the signing certificate belong to who the verifier expects?
 * Matching follows cosign: the SAN (email, URI or Fulcio's OtherName username) and the issuer are each given exactly
 * or as a regular expression; unlike cosign, a regular expression must match the whole string, so that
 * `https://gitlab.com/my-group/.*` cannot be satisfied by `https://evil.example/?https://gitlab.com/my-group/x`.
 * Any other Fulcio extension may be pinned by its name or OID.
 */
import { KeylessError } from '../core/errors.js';

export type StringMatcher = { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'regexp'; readonly pattern: string };

export interface CertificateIdentity {
  readonly subjectAlternativeName: StringMatcher;
  readonly issuer: StringMatcher;
  /** Further Fulcio extensions, by name (e.g. `sourceRepositoryRef`) or dotted OID, each matched exactly. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** What a Fulcio certificate says about its signer. */
export interface SignerIdentity {
  readonly subjectAlternativeNames: readonly string[];
  readonly issuer: string | undefined;
  /** Fulcio extensions by name. */
  readonly extensions: Readonly<Record<string, string>>;
  /** Fulcio extensions by dotted OID (the same values). */
  readonly extensionsByOid: Readonly<Record<string, string>>;
}

const regexpCache = new Map<string, RegExp>();

/** Compiles a user's pattern anchored to the whole string; a bad pattern is a usage error. */
export function wholeStringRegExp(pattern: string): RegExp {
  let re = regexpCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`, 'u');
    } catch (cause) {
      throw new KeylessError('ERR_USAGE', `invalid regular expression ${JSON.stringify(pattern)}`, { pattern }, { cause });
    }
    if (regexpCache.size > 256) regexpCache.clear();
    regexpCache.set(pattern, re);
  }
  return re;
}

export function matches(matcher: StringMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  return matcher.kind === 'exact' ? matcher.value === value : wholeStringRegExp(matcher.pattern).test(value);
}

function describe(matcher: StringMatcher): string {
  return matcher.kind === 'exact' ? matcher.value : `/${matcher.pattern}/`;
}

function identityMatches(signer: SignerIdentity, expected: CertificateIdentity): boolean {
  if (!matches(expected.issuer, signer.issuer)) return false;
  if (!signer.subjectAlternativeNames.some((san) => matches(expected.subjectAlternativeName, san))) return false;
  for (const [key, value] of Object.entries(expected.extensions ?? {})) {
    const actual = /^\d+(\.\d+)+$/.test(key) ? signer.extensionsByOid[key] : signer.extensions[key];
    if (actual !== value) return false;
  }
  return true;
}

/**
 * Step 6 of verification: at least one of the expected identities matches the certificate.
 * Returns the identity that matched. On a miss, throws ERR_IDENTITY with cosign's wording and, when the miss is a
 * near one (a GitLab `project//path` double slash, a branch where a tag was signed, a trailing slash), a hint.
 */
export function checkIdentity(signer: SignerIdentity, expected: readonly CertificateIdentity[]): CertificateIdentity {
  if (expected.length === 0) throw new TypeError('checkIdentity needs at least one expected identity');
  for (const identity of expected) {
    if (identityMatches(signer, identity)) return identity;
  }
  const got = `found subjects [${signer.subjectAlternativeNames.join(', ')}] with issuer ${signer.issuer ?? '(none)'}`;
  const want = expected.map((e) => `subject ${describe(e.subjectAlternativeName)} with issuer ${describe(e.issuer)}`).join(', or ');
  const hints = [...new Set(expected.flatMap((e) => nearMissHints(signer, e)))];
  const extensionMisses = expected.flatMap((e) =>
    Object.entries(e.extensions ?? {})
      .filter(([key, value]) => (/^\d+(\.\d+)+$/.test(key) ? signer.extensionsByOid[key] : signer.extensions[key]) !== value)
      .map(([key, value]) => `extension ${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(signer.extensions[key] ?? signer.extensionsByOid[key] ?? null)}`),
  );
  const message = [`none of the expected identities matched the certificate: expected ${want}; ${got}`, ...extensionMisses, ...hints].join('\n');
  throw new KeylessError('ERR_IDENTITY', message, {
    expected: expected.map((e) => ({ subjectAlternativeName: describe(e.subjectAlternativeName), issuer: describe(e.issuer), extensions: e.extensions ?? {} })),
    subjectAlternativeNames: signer.subjectAlternativeNames,
    issuer: signer.issuer,
    hints,
  });
}

/** Human hints for the mistakes people make with GitLab and URL identities. */
export function nearMissHints(signer: SignerIdentity, expected: CertificateIdentity): string[] {
  const hints: string[] = [];
  const sanMatches = signer.subjectAlternativeNames.some((san) => matches(expected.subjectAlternativeName, san));
  if (!matches(expected.issuer, signer.issuer) && signer.issuer !== undefined) {
    if (expected.issuer.kind === 'exact' && stripSlash(expected.issuer.value) === stripSlash(signer.issuer)) {
      hints.push(`hint: the issuer differs only by a trailing slash: the certificate says ${signer.issuer}`);
    } else if (expected.issuer.kind === 'exact' && otherScheme(expected.issuer.value) === signer.issuer) {
      hints.push(`hint: the issuer differs only in http/https: the certificate says ${signer.issuer}`);
    } else if (sanMatches) {
      hints.push(`hint: the identity matches; the issuer is what differs: the certificate says ${signer.issuer}`);
    }
    if (expected.issuer.kind === 'regexp') hints.push(...partialRegexpHint(expected.issuer.pattern, signer.issuer, 'issuer'));
  }
  if (sanMatches) return hints;
  if (expected.subjectAlternativeName.kind === 'regexp') {
    for (const san of signer.subjectAlternativeNames) hints.push(...partialRegexpHint(expected.subjectAlternativeName.pattern, san, 'identity'));
    return hints;
  }
  const want = expected.subjectAlternativeName.value;
  for (const san of signer.subjectAlternativeNames) {
    if (san === want) continue;
    if (collapseDoubleSlash(san) === collapseDoubleSlash(want)) {
      hints.push(
        san.includes('//', san.indexOf('://') + 3)
          ? `hint: GitLab identities have a double slash between the project and the CI config path: ${san}`
          : `hint: the certificate has a single slash where you wrote a double one: ${san}`,
      );
    } else if (stripSlash(san) === stripSlash(want)) {
      hints.push(`hint: the identity differs only by a trailing slash: the certificate says ${san}`);
    } else if (otherScheme(want) === san) {
      hints.push(`hint: the identity differs only in http/https: the certificate says ${san} (Fulcio writes GitLab and GitHub identities with https://)`);
    } else if (refKind(san) !== refKind(want) && swapRefKind(want) === san) {
      hints.push(`hint: the artifact was signed from ${refKind(san) === 'tags' ? 'a tag' : 'a branch'}, not ${refKind(want) === 'tags' ? 'a tag' : 'a branch'}: ${san}`);
    } else if (withoutRef(san) !== undefined && withoutRef(san) === withoutRef(want)) {
      hints.push(`hint: the same pipeline signed from another ref: the certificate says ${san.slice(san.lastIndexOf('@') + 1)}, you expected ${want.slice(want.lastIndexOf('@') + 1)}`);
    } else if (san.toLowerCase() === want.toLowerCase()) {
      hints.push(`hint: the identity differs only in letter case: the certificate says ${san}`);
    }
  }
  return hints;
}

/** A regular expression that matches part of the value but not all of it (keyless anchors patterns, cosign does not). */
function partialRegexpHint(pattern: string, value: string, what: string): string[] {
  let partial: boolean;
  try {
    partial = new RegExp(pattern, 'u').test(value) && !wholeStringRegExp(pattern).test(value);
  } catch {
    return [];
  }
  return partial ? [`hint: the ${what} regexp matches part of ${value} but must match all of it (keyless anchors regexps at both ends): add .* where the rest may vary`] : [];
}

function otherScheme(s: string): string | undefined {
  if (s.startsWith('https://')) return `http://${s.slice(8)}`;
  if (s.startsWith('http://')) return `https://${s.slice(7)}`;
  return undefined;
}

/** A CI identity without its `@ref` (GitLab `…@refs/heads/main`, GitHub `…@refs/tags/v1`). */
function withoutRef(s: string): string | undefined {
  const at = s.lastIndexOf('@refs/');
  return at > 0 ? s.slice(0, at) : undefined;
}

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

function collapseDoubleSlash(s: string): string {
  const scheme = s.indexOf('://');
  const head = scheme >= 0 ? s.slice(0, scheme + 3) : '';
  return head + s.slice(head.length).replace(/\/{2,}/g, '/');
}

function refKind(s: string): 'heads' | 'tags' | undefined {
  const m = /@refs\/(heads|tags)\//.exec(s);
  return m ? (m[1] as 'heads' | 'tags') : undefined;
}

function swapRefKind(s: string): string {
  return s.replace(/@refs\/(heads|tags)\//, (_m, kind: string) => `@refs/${kind === 'heads' ? 'tags' : 'heads'}/`);
}
