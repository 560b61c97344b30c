/**
 * Where the OIDC identity token comes from, as cosign takes it: `--identity-token` (the token itself, or the path of a
 * file holding it), else the SIGSTORE_ID_TOKEN environment variable GitLab CI sets from the job's `id_tokens`.
 * A missing token is ERR_TOKEN with the way to get one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { KeylessError } from '../core/errors.js';

/** Anything that can hand over an OIDC ID token (a flag, a file, the environment, an interactive flow). */
export interface TokenSource {
  getToken(): Promise<string>;
}

/** Appended to every token error: how to get a token in GitLab CI and on a laptop. */
export const TOKEN_HINT =
  'in GitLab CI, give the job `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` (nested YAML keys) so the token is in $SIGSTORE_ID_TOKEN; ' +
  'locally, run `keyless serve --dev-oidc-issuer` and pass --identity-token "$(keyless dev-token --issuer URL --project GROUP/PROJECT --ref main)"';

/** A token file holds one JWT; a bigger file is the wrong file. */
const MAX_TOKEN_FILE = 64 * 1024;

export function missingToken(): KeylessError {
  return new KeylessError('ERR_TOKEN', `no identity token: pass --identity-token or set SIGSTORE_ID_TOKEN; ${TOKEN_HINT}`);
}

/** A token given as it is. */
export function staticTokenSource(token: string): TokenSource {
  return { getToken: async () => token.trim() };
}

/** A token read from a file when asked for (the file may be written by the CI runner just before). */
export function fileTokenSource(path: string): TokenSource {
  return {
    getToken: async () => {
      let text: string;
      try {
        if (statSync(path).size > MAX_TOKEN_FILE) throw new Error(`larger than ${MAX_TOKEN_FILE} bytes`);
        text = readFileSync(path, 'utf8').trim();
      } catch (cause) {
        throw new KeylessError('ERR_TOKEN', `cannot read the identity token file ${path}: ${(cause as Error).message}`, { path }, { cause });
      }
      if (text === '') throw new KeylessError('ERR_TOKEN', `the identity token file ${path} is empty; ${TOKEN_HINT}`, { path });
      return text;
    },
  };
}

/** SIGSTORE_ID_TOKEN from the environment (GitLab CI's `id_tokens` and GitHub's sigstore actions set it). */
export function envTokenSource(env: Readonly<Record<string, string | undefined>>, name = 'SIGSTORE_ID_TOKEN'): TokenSource {
  return {
    getToken: async () => {
      const value = env[name]?.trim();
      if (value === undefined || value === '') throw missingToken();
      return value;
    },
  };
}

/** A JWS compact serialization: three base64url parts (the signature may be empty), as a token is given. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * cosign's rule for `--identity-token`: "the token or a path to a file containing the token is accepted". A value
 * that names an existing file is read from it; a value shaped like a JWT is the token. Anything else was meant as
 * a file that is not there (a token file the CI job did not write, a typo): that is said as such, since "not a
 * JWT" would send the user looking at the wrong thing. Without the flag, the environment.
 */
export function tokenSourceFromFlag(identityToken: string | undefined, env: Readonly<Record<string, string | undefined>>): TokenSource {
  if (identityToken === undefined) return envTokenSource(env);
  if (identityToken.trim() === '') return { getToken: async () => Promise.reject(missingToken()) };
  if (existsSync(identityToken)) return fileTokenSource(identityToken);
  // A broken token (a JWT's header is base64url JSON, "eyJ…") is left to the JWT check, which does not echo it.
  if (JWT_SHAPE.test(identityToken.trim()) || identityToken.trim().startsWith('eyJ')) return staticTokenSource(identityToken);
  const shown = identityToken.length > 200 ? `${identityToken.slice(0, 200)}…` : identityToken;
  const error = new KeylessError(
    'ERR_TOKEN',
    `cannot read the identity token file ${shown}: no such file (--identity-token takes a token, three base64url parts separated by dots, or the path of a file holding one); ${TOKEN_HINT}`,
    { path: shown },
  );
  return { getToken: async () => Promise.reject(error) };
}
