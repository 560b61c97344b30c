/**
 * What the signer reads from its own token before using it. The CA verifies the token (signature, issuer, claims);
 * the signer only decodes the payload, unverified, to fail early with a useful message — a token for another
 * audience or one that has expired would otherwise come back as a terse 400 from the CA — and to learn the subject
 * it must prove possession over.
 */
import { KeylessError } from '../core/errors.js';
import { TOKEN_HINT, type TokenSource } from './token-source.js';

/** Fulcio's client ID: the audience every Sigstore CA requires. */
export const SIGSTORE_AUDIENCE = 'sigstore';

export interface IdentityToken {
  /** The JWT as given. */
  readonly token: string;
  readonly issuer: string | undefined;
  /**
   * What the proof of possession signs, Fulcio's challenge claim: `email` for an email token, `sub` for all others
   * (GitLab, GitHub). A client cannot know the issuer's type, so it takes `email` when the token has one, as
   * sigstore-js and cosign do.
   */
  readonly subject: string;
  /** Expiry, epoch milliseconds, when the token states one. */
  readonly expiresAt?: number;
}

function tokenError(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_TOKEN', `${message}; ${TOKEN_HINT}`, details);
}

/** Decodes a JWT's claims without verifying it; ERR_TOKEN when it is not a JWT. */
export function decodeTokenClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p, i) => i < 2 && !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw tokenError('the identity token is not a JWT (three base64url parts separated by dots)');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw tokenError('the identity token is not a JWT: its payload is not JSON');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw tokenError('the identity token is not a JWT: its payload is not a JSON object');
  return claims as Record<string, unknown>;
}

/**
 * Reads the token from `source` and checks what a signer can check without the issuer's keys: it is a JWT, its
 * audience includes `sigstore`, it has not expired at `now`, and it names a subject.
 */
export async function readIdentityToken(source: TokenSource, now: number): Promise<IdentityToken> {
  const token = await source.getToken();
  const claims = decodeTokenClaims(token);
  const issuer = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;

  const aud = claims['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
  if (!audiences.includes(SIGSTORE_AUDIENCE)) {
    throw tokenError(`the identity token is for audience ${audiences.length === 0 ? '(none)' : audiences.map((a) => JSON.stringify(a)).join(', ')}, not "${SIGSTORE_AUDIENCE}"`, { aud: aud ?? null, issuer });
  }

  const exp = claims['exp'];
  if (exp !== undefined && typeof exp !== 'number') throw tokenError('the identity token\'s exp claim is not a number', { issuer });
  if (typeof exp === 'number' && exp * 1000 <= now) {
    throw tokenError(`the identity token expired at ${new Date(exp * 1000).toISOString()} (it is now ${new Date(now).toISOString()}); ID tokens live minutes, so get a fresh one`, {
      exp: new Date(exp * 1000).toISOString(),
      now: new Date(now).toISOString(),
      issuer,
    });
  }

  const email = claims['email'];
  const sub = claims['sub'];
  const subject = typeof email === 'string' && email !== '' ? email : typeof sub === 'string' && sub !== '' ? sub : undefined;
  if (subject === undefined) throw tokenError('the identity token has neither a sub nor an email claim to prove possession over', { issuer });
  return { token, issuer, subject, ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}) };
}
