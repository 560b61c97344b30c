/**
 * The signature and claim checks of an ID token (RFC 7515 §5.2, RFC 7519 §7.2), with node:crypto's one-shot verify.
 *
 * Why not jose's jwtVerify: jose 6 verifies through WebCrypto, whose argument normalisation and thread-pool job
 * cost ~146 µs per RS256 token on our machines against ~26 µs for node:crypto's verify of the same signature
 * (in-process, same run); at ~1.4 ms of CPU per certificate that was a tenth of the CA. jose still decodes the
 * token's header and payload (verify-token.ts), and test/unit/oidc/jwt-verify.test.ts runs this module and
 * jose's jwtVerify on the same tokens and keys and expects the same verdicts. What this mirrors of jose 6.2:
 * - key selection as createLocalJWKSet: kid, kty and curve for the alg, `alg`, `use` and `key_ops` of the JWK;
 *   none or several candidates refuse; a JWK with private members is refused;
 * - RSA keys of at least 2048 bits for RS* and PS*; PSS with the digest's length as salt length;
 * - ES256/ES384 signatures as r‖s of the curve's size (RFC 7518 §3.4);
 * - validateClaimsSet with the options the CA gives: iss, aud and exp present, iss exact, aud containing the
 *   client id, iat/nbf/exp numbers, nbf > now + skew and exp <= now − skew refused;
 * - the payload must be UTF-8 JSON, an object.
 * One deliberate difference: a `crit` header is refused whatever it lists (jose accepts `crit: ["b64"]` with
 * `b64: true`); ID tokens have no use for it.
 */
import { createPublicKey, constants, verify, type KeyObject } from 'node:crypto';
import type { JwkSet } from './issuer-keys.js';

type Jwk = Readonly<Record<string, unknown>>;

interface AlgEntry {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly crv?: string;
  /** node:crypto's digest name, null for Ed25519. */
  readonly hash: string | null;
  readonly pss?: true;
  /** ECDSA: bytes of r and of s. */
  readonly ecSize?: number;
}

const ALGS: Readonly<Record<string, AlgEntry>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', ecSize: 32 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', ecSize: 48 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: null },
};

/** The algorithms this module checks, which are the ones the CA accepts (verify-token.ts ALLOWED_ALGORITHMS). */
export const JWS_ALGORITHMS: readonly string[] = Object.freeze(Object.keys(ALGS));

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const MIN_RSA_BITS = 2048;

export type JwtRefusalReason = 'alg' | 'kid' | 'key' | 'crit' | 'format' | 'signature' | 'iss' | 'aud' | 'exp' | 'nbf' | 'iat';

/** A refused token; verify-token.ts turns it into ERR_TOKEN with the context it has. */
export class JwtRefusal extends Error {
  constructor(
    readonly reason: JwtRefusalReason,
    message: string,
    /** `missing` when a required claim is absent, `invalid` when it is not a number, else `check`. */
    readonly kind: 'missing' | 'invalid' | 'check' = 'check',
  ) {
    super(message);
  }
}

// Keys imported once per JWK object and alg: the key set object stays the same while the issuer's keys are cached.
const imported = new WeakMap<Jwk, Map<string, KeyObject>>();

function isUsable(jwk: Jwk, entry: AlgEntry, alg: string, kid: string): boolean {
  const keyOps = jwk['key_ops'];
  const ext = jwk['ext'];
  return (
    (ext === undefined || typeof ext === 'boolean') &&
    (keyOps === undefined || (Array.isArray(keyOps) && keyOps.every((op, i) => typeof op === 'string' && keyOps.indexOf(op) === i) && keyOps.includes('verify'))) &&
    jwk['kty'] === entry.kty &&
    jwk['kid'] === kid &&
    (jwk['alg'] === undefined || jwk['alg'] === alg) &&
    (jwk['use'] === undefined || jwk['use'] === 'sig') &&
    (entry.crv === undefined || jwk['crv'] === entry.crv)
  );
}

/** The one key of `jwks` that may verify `alg` under `kid`, imported (cached). */
export function selectKey(jwks: JwkSet, alg: string, kid: string): KeyObject {
  const entry = ALGS[alg];
  if (entry === undefined) throw new JwtRefusal('alg', `alg ${JSON.stringify(alg)} is not supported`);
  const candidates = jwks.keys.filter((jwk) => isUsable(jwk, entry, alg, kid));
  if (candidates.length !== 1) {
    throw new JwtRefusal('kid', candidates.length === 0 ? 'no key of the set can verify it' : `${candidates.length} keys of the set match it`);
  }
  const jwk = candidates[0] as Jwk;
  let perAlg = imported.get(jwk);
  const cached = perAlg?.get(alg);
  if (cached !== undefined) return cached;
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw new JwtRefusal('key', 'the key set holds a private key (JWK Set members must be public keys)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch (err) {
    throw new JwtRefusal('key', `the key cannot be imported: ${(err as Error).message}`);
  }
  if (entry.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new JwtRefusal('key', `${alg} requires an RSA key of at least ${MIN_RSA_BITS} bits, the key has ${key.asymmetricKeyDetails?.modulusLength}`);
  }
  if (perAlg === undefined) imported.set(jwk, (perAlg = new Map()));
  perAlg.set(alg, key);
  return key;
}

/** Whether the JWS signature (third part of `token`) verifies under `key` for `alg`. */
export function verifyJwsSignature(token: string, alg: string, key: KeyObject): boolean {
  const entry = ALGS[alg];
  if (entry === undefined) return false;
  const dot = token.lastIndexOf('.');
  const encoded = token.slice(dot + 1);
  if (dot < 0 || !BASE64URL.test(encoded) || encoded.length % 4 === 1) return false;
  const signature = Buffer.from(encoded, 'base64url');
  const data = Buffer.from(token.slice(0, dot), 'ascii');
  if (entry.ecSize !== undefined) {
    if (signature.length !== 2 * entry.ecSize) return false;
    return verify(entry.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (entry.pss === true) return verify(entry.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
  return verify(entry.hash, data, key, signature);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The token's payload as a JSON object, decoded strictly (fatal UTF-8); JwtRefusal 'format' otherwise. */
export function strictPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  let value: unknown;
  try {
    if (!BASE64URL.test(part)) throw new Error('not base64url');
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    throw new JwtRefusal('format', 'the payload is not base64url-encoded UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtRefusal('format', 'the payload is not a JSON object');
  return value as Record<string, unknown>;
}

export interface ClaimOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Seconds since the epoch. */
  readonly now: number;
  readonly skewSeconds: number;
}

function numericDate(claims: Record<string, unknown>, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new JwtRefusal(claim, `claim ${claim} must be a number`, 'invalid');
  return value;
}

/** RFC 7519 §4.1 checks of the claims the CA relies on, as jose's validateClaimsSet does them for these options. */
export function checkClaims(claims: Record<string, unknown>, opts: ClaimOptions): void {
  for (const claim of ['iss', 'aud', 'exp'] as const) {
    if (!Object.hasOwn(claims, claim)) throw new JwtRefusal(claim, `missing claim ${claim}`, 'missing');
  }
  if (claims['iss'] !== opts.issuer) throw new JwtRefusal('iss', 'unexpected iss');
  const aud = claims['aud'];
  if (!(aud === opts.audience || (Array.isArray(aud) && aud.includes(opts.audience)))) throw new JwtRefusal('aud', 'unexpected aud');
  numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > opts.now + opts.skewSeconds) throw new JwtRefusal('nbf', 'not valid yet');
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= opts.now - opts.skewSeconds) throw new JwtRefusal('exp', 'expired');
}
