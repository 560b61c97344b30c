/**
 * Before signing: the statement is built from CI_* variables, which anything earlier in the job can set; the ID
 * token's claims are signed by GitLab. Each variable the statement relies on must say what the token says, or the
 * provenance would describe a build that did not happen (npm leaves this as a TODO: "pull values from authenticated
 * JWT rather than environment variables"). The URLs the statement names (server, repository) must be the ones the
 * certificate will carry, which the CA derives from the token.
 */
import { KeylessError, isKeylessError } from '../core/errors.js';
import { gitlabInstanceUrl, gitlabSourceRepositoryUri } from '../core/gitlab-instance.js';
import type { CiEnv } from './statement.js';

/** GitLab ID token claim ← the CI variable that must equal it. */
export const CLAIM_VARIABLES = [
  ['project_path', 'CI_PROJECT_PATH'],
  ['sha', 'CI_COMMIT_SHA'],
  ['ref', 'CI_COMMIT_REF_NAME'],
  ['pipeline_source', 'CI_PIPELINE_SOURCE'],
  ['job_id', 'CI_JOB_ID'],
  ['pipeline_id', 'CI_PIPELINE_ID'],
] as const;

type Claims = Readonly<Record<string, unknown>>;
const str = (raw: unknown): string | undefined => (typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined);

/**
 * The CI variable ← what the certificate will say, derived from the token's claims as the CA derives it
 * (src/core/gitlab-instance.ts). The statement writes CI_PROJECT_URL as its repository (`git+{CI_PROJECT_URL}` in
 * SLSA v0.2's configSource and materials, `externalParameters.workflow.repository` in v1) and CI_SERVER_URL as the
 * build's server; the certificate's Source Repository URI is `{issuer's instance URL}/{project_path}`. They must be
 * equal character for character — a trailing slash, another scheme or host, `http` for `https` — or `npm audit`
 * finds a package "built from" a repository its signer is not.
 */
export const DERIVED_VARIABLES = [
  { variable: 'CI_SERVER_URL', claim: 'iss', what: "the token's issuer gives the server", derive: (c: Claims) => gitlabInstanceUrl(str(c['iss']) ?? '') },
  {
    variable: 'CI_PROJECT_URL', claim: 'iss, project_path', what: "the certificate's Source Repository URI (from the token's iss and project_path) is",
    derive: (c: Claims) => {
      const projectPath = str(c['project_path']);
      return projectPath === undefined ? undefined : gitlabSourceRepositoryUri(str(c['iss']) ?? '', projectPath);
    },
  },
] as const;

export interface ClaimMismatch {
  /** The claim, or the claims the expected value is derived from (`iss, project_path`). */
  readonly claim: string;
  readonly variable: string;
  /** What the token says (or what the certificate will say, for a derived value). */
  readonly token: string | undefined;
  readonly env: string | undefined;
  /** For a derived value: how to read `token` in a message. */
  readonly derived?: string;
}

export function claimMismatches(env: CiEnv, claims: Claims): ClaimMismatch[] {
  const out: ClaimMismatch[] = [];
  for (const [claim, variable] of CLAIM_VARIABLES) {
    const token = str(claims[claim]);
    if (token === undefined || token !== env[variable]) out.push({ claim, variable, token, env: env[variable] });
  }
  for (const { variable, claim, what, derive } of DERIVED_VARIABLES) {
    let token: string | undefined;
    try {
      token = derive(claims);
    } catch (err) {
      if (!isKeylessError(err)) throw err; // an issuer that is no URL derives nothing
    }
    if (token === undefined || token !== env[variable]) out.push({ claim, variable, token, env: env[variable], derived: what });
  }
  return out;
}

/** ERR_IDENTITY naming every differing field with both values; nothing is signed. */
export function assertEnvMatchesToken(env: CiEnv, claims: Readonly<Record<string, unknown>>): void {
  const mismatches = claimMismatches(env, claims);
  if (mismatches.length === 0) return;
  const what = mismatches.map((m) => m.derived === undefined
    ? `${m.variable}=${JSON.stringify(m.env ?? null)} but the token's ${m.claim}=${JSON.stringify(m.token ?? null)}`
    : `${m.variable}=${JSON.stringify(m.env ?? null)} but ${m.derived} ${JSON.stringify(m.token ?? null)}`);
  throw new KeylessError('ERR_IDENTITY', `the CI environment does not match the ID token, refusing to sign provenance: ${what.join('; ')}`, { mismatches });
}
