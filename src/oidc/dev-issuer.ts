/**
 * A GitLab-shaped OIDC issuer for local pipelines: the discovery document and key set GitLab publishes
 * (`/.well-known/openid-configuration`, `/oauth/discovery/keys`), and RS256 ID tokens with the claims GitLab puts in
 * CI `id_tokens`. DEVELOPMENT ONLY: whoever holds its key can mint any pipeline identity. A CA trusts it only when
 * an operator configures its URL as an issuer, and the server serves it only when explicitly enabled.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { KeylessError } from '../core/errors.js';
import { gitlabClaims, type GitlabJobInput } from './gitlab-claims.js';

/** Where `keyless serve` keeps the dev issuer's key, relative to its data directory. */
export const DEV_ISSUER_KEY_PATH = 'oidc/dev-issuer.key';
/** GitLab's key-set path, relative to the issuer URL. */
export const DEV_ISSUER_JWKS_PATH = '/oauth/discovery/keys';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface MintOptions {
  /** The `aud` claim; `sigstore` by default (what Fulcio and GitLab's Sigstore docs use). */
  readonly audience?: string;
  /** 600 seconds by default. */
  readonly lifetimeSeconds?: number;
  /** Issue time in milliseconds since the epoch; the clock by default. */
  readonly now?: number;
  /** The `jti`; a random UUID by default. */
  readonly jti?: string;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly kid: string;
  discovery(): object;
  jwks(): object;
  mint(input: GitlabJobInput, opts?: MintOptions): Promise<string>;
}

export function createDevIssuer(opts: { issuer: string; privateKeyPem: string; kid?: string }): DevIssuer {
  const issuer = normalizeIssuer(opts.issuer);
  const privateKey = readRsaPrivateKey(opts.privateKeyPem);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  const kid = opts.kid ?? jwkThumbprint(publicJwk);
  const jwk = Object.freeze({ kty: 'RSA', kid, e: publicJwk.e, n: publicJwk.n, use: 'sig', alg: 'RS256' });

  return {
    issuer,
    kid,
    discovery: () => discoveryDocument(issuer),
    jwks: () => ({ keys: [{ ...jwk }] }),
    async mint(input, mintOpts = {}) {
      const lifetime = mintOpts.lifetimeSeconds ?? 600;
      if (!(Number.isSafeInteger(lifetime) && lifetime > 0 && lifetime <= 24 * 3600)) throw new TypeError(`lifetimeSeconds must be an integer from 1 to 86400, got ${lifetime}`);
      const iat = Math.floor((mintOpts.now ?? Date.now()) / 1000);
      // GitLab back-dates nbf by 5 seconds (see the documented payload: iat 1681395193, nbf 1681395188).
      const claims = gitlabClaims(issuer, input, { iat, nbf: iat - 5, exp: iat + lifetime }, mintOpts.jti ?? randomUUID(), mintOpts.audience ?? 'sigstore');
      return new SignJWT(claims).setProtectedHeader({ kid, typ: 'JWT', alg: 'RS256' }).sign(privateKey);
    },
  };
}

/** A new RSA 2048 key in PKCS#8 PEM, as `keyless serve` stores at DEV_ISSUER_KEY_PATH (mode 0600). */
export async function generateDevIssuerKey(): Promise<{ privateKeyPem: string }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey };
}

function discoveryDocument(issuer: string): object {
  // GitLab's document; the OAuth endpoints are listed for shape but a dev issuer only serves discovery and keys.
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    jwks_uri: `${issuer}${DEV_ISSUER_JWKS_PATH}`,
    scopes_supported: ['openid', 'profile', 'email'],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claim_types_supported: ['normal'],
    claims_supported: [
      'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'namespace_id', 'namespace_path', 'project_id', 'project_path', 'user_id',
      'user_login', 'user_email', 'user_access_level', 'pipeline_id', 'pipeline_source', 'job_id', 'ref', 'ref_type', 'ref_path',
      'ref_protected', 'environment', 'environment_protected', 'deployment_tier', 'environment_action', 'runner_id',
      'runner_environment', 'sha', 'ci_config_ref_uri', 'ci_config_sha', 'project_visibility',
    ],
  };
}

function normalizeIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`issuer must be a URL such as https://gitlab.example, got ${JSON.stringify(issuer)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new TypeError(`issuer must be an http(s) URL without query, fragment or credentials, got ${JSON.stringify(issuer)}`);
  }
  return url.href.replace(/\/+$/, '');
}

function readRsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new KeylessError('ERR_ENCODING', 'the dev issuer key is not a PEM private key', {}, { cause });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `the dev issuer key must be RSA of at least 2048 bits (GitLab signs RS256), found ${key.asymmetricKeyType ?? 'unknown'}${bits ? ` ${bits}` : ''}`);
  }
  return key;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url), which GitLab uses as the key's kid. */
function jwkThumbprint(jwk: { e: string; n: string }): string {
  return createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
}
