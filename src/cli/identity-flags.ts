/**
 * The identity flags cosign users know (`--certificate-identity[-regexp]`, `--certificate-oidc-issuer[-regexp]`,
 * `--key`), the GitLab flags that write the identity for you, and `--certificate-extension NAME=VALUE`.
 */
import { FULCIO_EXTENSIONS } from '../core/oids.js';
import { gitlabIdentity } from '../verify/gitlab.js';
import type { CertificateIdentity, StringMatcher } from '../verify/identity.js';
import type { IdentityPolicy } from '../verify/verifier.js';
import { flag, list, str, usageError, type Options, type Parsed } from './args.js';
import { readPublicKey } from './io.js';

export const IDENTITY_OPTIONS: Options = {
  'certificate-identity': { type: 'string' },
  'certificate-identity-regexp': { type: 'string' },
  'certificate-oidc-issuer': { type: 'string' },
  'certificate-oidc-issuer-regexp': { type: 'string' },
  'certificate-extension': { type: 'string', multiple: true },
  'gitlab-project': { type: 'string' },
  'gitlab-ref': { type: 'string' },
  'gitlab-config-path': { type: 'string' },
  'gitlab-server': { type: 'string' },
  key: { type: 'string' },
  'insecure-ignore-identity': { type: 'boolean' },
};

export const IDENTITY_USAGE = `Identity (one of):
  --certificate-identity ID | --certificate-identity-regexp RE   the certificate's SAN (a regexp must match it whole)
  --certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE
  --gitlab-project GROUP/PROJECT --gitlab-ref refs/heads/main [--gitlab-config-path .gitlab-ci.yml]
      [--gitlab-server https://gitlab.com]   build the GitLab CI identity and issuer for you
  --certificate-extension NAME=VALUE   also require a Fulcio extension (repeatable), NAME as in 'keyless inspect' or an OID
  --key PUBLIC_KEY.pem                 the bundle was signed with this key, not a certificate
  --insecure-ignore-identity           accept any signer (inspection only: proves nothing about who signed)`;

const EXTENSION_NAMES = new Set(FULCIO_EXTENSIONS.map((e) => e.name));

function extensionFlags(parsed: Parsed, usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(parsed, 'certificate-extension')) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (name === '' || (!EXTENSION_NAMES.has(name) && !/^\d+(\.\d+)+$/.test(name))) {
      throw usageError(`--certificate-extension wants NAME=VALUE with NAME one of ${[...EXTENSION_NAMES].join(', ')} or an OID; got ${JSON.stringify(item)}`, usage);
    }
    out[name] = item.slice(eq + 1);
  }
  return out;
}

function matcher(exact: string | undefined, regexp: string | undefined, what: string, usage: string): StringMatcher {
  if (exact !== undefined && regexp !== undefined) throw usageError(`give --${what} or --${what}-regexp, not both`, usage);
  if (exact !== undefined) return { kind: 'exact', value: exact };
  if (regexp !== undefined) return { kind: 'regexp', pattern: regexp };
  throw usageError(`--${what} or --${what}-regexp is required`, usage);
}

export function identityPolicyFromFlags(parsed: Parsed, usage: string): IdentityPolicy {
  const keyPath = str(parsed, 'key');
  const gitlabProject = str(parsed, 'gitlab-project');
  const cosignStyle = ['certificate-identity', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'certificate-oidc-issuer-regexp'].some((n) => str(parsed, n) !== undefined);
  const chosen = [keyPath !== undefined, gitlabProject !== undefined, cosignStyle, flag(parsed, 'insecure-ignore-identity')].filter(Boolean).length;
  if (chosen > 1) throw usageError('give one way of naming the signer: --key, the --gitlab-* flags, the --certificate-* flags, or --insecure-ignore-identity', usage);
  if (keyPath !== undefined) return { kind: 'key', key: readPublicKey(keyPath) };
  if (flag(parsed, 'insecure-ignore-identity')) return { kind: 'withoutIdentitiesUnsafe' };
  const extensions = extensionFlags(parsed, usage);
  let identity: CertificateIdentity;
  if (gitlabProject !== undefined) {
    const ref = str(parsed, 'gitlab-ref');
    if (ref === undefined) throw usageError('--gitlab-project needs --gitlab-ref (e.g. refs/heads/main or refs/tags/v1.0.0)', usage);
    const configPath = str(parsed, 'gitlab-config-path');
    const server = str(parsed, 'gitlab-server');
    identity = gitlabIdentity({ project: gitlabProject, ref, ...(configPath !== undefined ? { configPath } : {}), ...(server !== undefined ? { server } : {}) });
  } else if (cosignStyle || Object.keys(extensions).length > 0) {
    identity = {
      subjectAlternativeName: matcher(str(parsed, 'certificate-identity'), str(parsed, 'certificate-identity-regexp'), 'certificate-identity', usage),
      issuer: matcher(str(parsed, 'certificate-oidc-issuer'), str(parsed, 'certificate-oidc-issuer-regexp'), 'certificate-oidc-issuer', usage),
    };
  } else {
    throw usageError('say who must have signed: --certificate-identity and --certificate-oidc-issuer, the --gitlab-* flags, or --key', usage);
  }
  return { kind: 'certificate', identities: [{ ...identity, ...(Object.keys(extensions).length > 0 ? { extensions } : {}) }] };
}
