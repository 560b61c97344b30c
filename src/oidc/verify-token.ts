/**
 * The CA's check of an OIDC ID token (OpenID Connect Core 1.0 §3.1.3.7, RFC 7519 §7.2, RFC 8725): jose decodes
 * it, jwt-verify.ts checks its signature and claims (with node:crypto; it says why). Order matters: everything
 * that needs no network comes first, and the issuer is looked up in the configuration before any fetch, so `iss`
 * never chooses a URL for us.
 */
import { decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { KeylessError } from '../core/errors.js';
import { describe, findIssuer, type IssuerConfig, type IssuerType } from './issuer-config.js';
import { createIssuerKeys, type JwkSet } from './issuer-keys.js';
import { subjectFromClaims } from './identity-claims.js';
import { checkClaims, JWS_ALGORITHMS, JwtRefusal, selectKey, strictPayload, verifyJwsSignature } from './jwt-verify.js';

export interface VerifiedToken {
  /** The token's `iss`, which is a configured issuer or matches a configured meta issuer. */
  readonly issuer: string;
  readonly type: IssuerType;
  readonly clientId: string;
  /** What the caller proves possession over: `email` for email issuers, `sub` otherwise. */
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

export interface TokenVerifierOptions {
  readonly issuers: readonly IssuerConfig[];
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** How far `exp`, `nbf` and `iat` may be off; 60 seconds by default. */
  readonly clockSkewSeconds?: number;
  /** How long an issuer's key set is cached; 10 minutes by default. */
  readonly jwksTtlSeconds?: number;
  /** Least time between two key-set refetches caused by an unknown `kid`; 60 seconds by default. */
  readonly jwksRefetchCooldownSeconds?: number;
}

/** Asymmetric signatures only (RFC 8725 §3.1): never `none`, never an HMAC whose "secret" could be a public key. */
export const ALLOWED_ALGORITHMS: readonly string[] = JWS_ALGORITHMS;

/** Real ID tokens are one or two KiB; this bounds the work an oversized one can cause. */
const MAX_TOKEN_LENGTH = 32 * 1024;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (!Array.isArray(options.issuers)) throw new TypeError('issuers must be an array of IssuerConfig');
  const issuers = [...options.issuers];
  const now = options.now ?? Date.now;
  const skew = options.clockSkewSeconds ?? 60;
  if (!(skew >= 0 && skew <= 600)) throw new TypeError('clockSkewSeconds must be between 0 and 600');
  const keys = createIssuerKeys({
    fetch: options.fetch ?? globalThis.fetch,
    now,
    ttlMs: (options.jwksTtlSeconds ?? 600) * 1000,
    refetchCooldownMs: (options.jwksRefetchCooldownSeconds ?? 60) * 1000,
  });

  return {
    async verify(token: string): Promise<VerifiedToken> {
      const { header, payload } = decodeUnverified(token);

      // RFC 8725 §2.1/§3.1: the algorithm is ours to choose, not the token's.
      const alg = header.alg;
      if (alg === undefined || alg === 'none' || alg.toLowerCase() === 'none') {
        throw tokenError(`alg ${JSON.stringify(alg ?? null)} is refused: an unsigned token is never accepted`, { reason: 'alg', alg: alg ?? null });
      }
      if (/^HS\d+$/i.test(alg)) {
        throw tokenError(`alg "${alg}" is refused: a shared-secret MAC is never accepted from an OIDC issuer (expected one of ${ALLOWED_ALGORITHMS.join(', ')})`, { reason: 'alg', alg });
      }
      if (!ALLOWED_ALGORITHMS.includes(alg)) {
        throw tokenError(`alg "${alg}" is refused: expected one of ${ALLOWED_ALGORITHMS.join(', ')}`, { reason: 'alg', alg });
      }
      const kid = header.kid;
      if (typeof kid !== 'string' || kid === '') {
        throw tokenError(`the token header has no kid, so no key of the issuer can be chosen (found ${describe(kid)})`, { reason: 'kid' });
      }

      // The issuer must be configured before anything is fetched for it.
      const iss = payload.iss;
      if (typeof iss !== 'string' || iss === '') throw tokenError(`missing claim iss (found ${describe(iss)})`, { reason: 'iss' });
      const config = findIssuer(issuers, iss);
      if (config === undefined) {
        const known = issuers.map((i) => i.issuerUrl ?? i.metaIssuer).join(', ');
        throw tokenError(`issuer ${JSON.stringify(iss)} is not one this CA trusts (configured: ${known || 'none'})`, { reason: 'iss', issuer: iss });
      }

      const jwks = await keysWithKid(keys, config, kid);
      if (header.crit !== undefined) {
        throw tokenError(`the token header has crit ${JSON.stringify(header.crit)}: no critical header extension is understood here`, { reason: 'crit' });
      }
      const nowMs = now();
      const nowSeconds = Math.floor(nowMs / 1000);
      try {
        const key = selectKey(jwks, alg, kid);
        if (!verifyJwsSignature(token, alg, key)) throw new JwtRefusal('signature', 'the signature does not verify');
        checkClaims(payload, { issuer: config.issuerUrl, audience: config.clientId, now: nowSeconds, skewSeconds: skew });
      } catch (err) {
        throw explainRefusal(err, { config, kid, alg, payload, nowMs, skew });
      }

      // RFC 7519 leaves iat unchecked; a token issued in the future is a clock or forgery problem, so refuse it.
      if (typeof payload.iat === 'number' && payload.iat > nowSeconds + skew) {
        throw tokenError(
          `token issued in the future: iat is ${isoSeconds(payload.iat)}, now is ${isoSeconds(nowSeconds)}, allowed clock skew ${skew} s`,
          { reason: 'iat', iat: payload.iat, now: nowSeconds },
        );
      }

      const claims = Object.freeze({ ...payload }) as Readonly<Record<string, unknown>>;
      const subject = subjectFromClaims(config.type, claims, config);
      return { issuer: config.issuerUrl, type: config.type, clientId: config.clientId, subject, claims };
    },
  };
}

function decodeUnverified(token: string): { header: ProtectedHeaderParameters; payload: JWTPayload } {
  if (typeof token !== 'string') throw tokenError(`the token must be a string, found ${describe(token)}`, { reason: 'format' });
  if (token.length > MAX_TOKEN_LENGTH) throw tokenError(`the token is ${token.length} characters, more than the ${MAX_TOKEN_LENGTH} an ID token may have`, { reason: 'format' });
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw tokenError(`not a signed JWT: expected 3 dot-separated parts (header.payload.signature), found ${parts.length}`, { reason: 'format', parts: parts.length });
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw tokenError('not a signed JWT: the header (first part) is not base64url-encoded JSON', { reason: 'format' }, cause);
  }
  let payload: JWTPayload;
  try {
    payload = strictPayload(token);
  } catch (cause) {
    throw tokenError('not a signed JWT: the payload (second part) is not a base64url-encoded JSON object', { reason: 'format' }, cause);
  }
  return { header, payload };
}

async function keysWithKid(keys: ReturnType<typeof createIssuerKeys>, config: IssuerConfig & { issuerUrl: string }, kid: string): Promise<JwkSet> {
  const jwks = await keys.get(config.issuerUrl, config.jwksUrl);
  if (hasKid(jwks, kid)) return jwks;
  // An unknown kid may be a key the issuer has just rotated in: look once more, no more often than the cooldown.
  const again = await keys.refetch(config.issuerUrl, config.jwksUrl);
  if (hasKid(again.keys, kid)) return again.keys;
  const known = again.keys.keys.map((k) => (typeof k.kid === 'string' ? JSON.stringify(k.kid) : '(no kid)')).join(', ');
  throw tokenError(
    `no key with kid ${JSON.stringify(kid)} in the key set of issuer ${config.issuerUrl} (it has ${known || 'no keys'}; ` +
      `${again.refetched ? 'refetched just now' : 'not refetched: the last refetch was too recent'})`,
    { reason: 'kid', kid, issuer: config.issuerUrl, refetched: again.refetched },
  );
}

function hasKid(jwks: JwkSet, kid: string): boolean {
  return jwks.keys.some((k) => k.kid === kid);
}

interface Context {
  readonly config: IssuerConfig & { issuerUrl: string };
  readonly kid: string;
  readonly alg: string;
  readonly payload: JWTPayload;
  readonly nowMs: number;
  readonly skew: number;
}

function explainRefusal(err: unknown, ctx: Context): KeylessError {
  const { config, kid, alg, payload, skew } = ctx;
  const nowSeconds = Math.floor(ctx.nowMs / 1000);
  if (!(err instanceof JwtRefusal)) {
    if (err instanceof KeylessError) return err;
    return tokenError(`token refused: ${(err as Error)?.message ?? String(err)}`, { reason: 'unknown' }, err);
  }
  if (err.kind === 'missing') return tokenError(`missing claim ${err.reason}`, { reason: err.reason }, err);
  if (err.kind === 'invalid') return tokenError(`claim ${err.reason} is invalid: it must be a number, found ${describe(payload[err.reason])}`, { reason: err.reason }, err);
  switch (err.reason) {
    case 'signature':
      return tokenError(`the signature does not verify with key ${JSON.stringify(kid)} of issuer ${config.issuerUrl}: the token was altered or not signed by that key`, { reason: 'signature', kid, issuer: config.issuerUrl }, err);
    case 'exp':
      return tokenError(`token expired: exp is ${isoSeconds(payload.exp)}, now is ${isoSeconds(nowSeconds)}, allowed clock skew ${skew} s`, { reason: 'exp', exp: payload.exp, now: nowSeconds }, err);
    case 'aud':
      return tokenError(`claim aud must contain ${JSON.stringify(config.clientId)}, found ${JSON.stringify(payload.aud ?? null)}`, { reason: 'aud', expected: config.clientId, found: payload.aud }, err);
    case 'iss':
      return tokenError(`claim iss must be ${JSON.stringify(config.issuerUrl)}, found ${describe(payload.iss)}`, { reason: 'iss' }, err);
    case 'nbf':
      return tokenError(`token not valid yet: nbf is ${isoSeconds(payload.nbf)}, now is ${isoSeconds(nowSeconds)}, allowed clock skew ${skew} s`, { reason: 'nbf', nbf: payload.nbf, now: nowSeconds }, err);
    case 'kid':
      return tokenError(`key ${JSON.stringify(kid)} of issuer ${config.issuerUrl} cannot verify alg ${alg} (wrong key type, or several keys share the kid): ${err.message}`, { reason: 'kid', kid, alg }, err);
    default:
      return tokenError(`token refused: ${err.message}`, { reason: err.reason }, err);
  }
}

function isoSeconds(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? `${new Date(seconds * 1000).toISOString()} (${seconds})` : describe(seconds);
}

function tokenError(message: string, details: Record<string, unknown>, cause?: unknown): KeylessError {
  return new KeylessError('ERR_TOKEN', `OIDC token refused: ${message}`, details, cause === undefined ? undefined : { cause });
}
