/**
 * Before signing: the statement is built from CI_* variables, which anything earlier in the job can set; the ID
 * token's claims are signed by GitLab. Each variable the statement relies on must say what the token says, or the
 * provenance would describe a build that did not happen (npm leaves this as a TODO: "pull values from authenticated
 * JWT rather than environment variables").
 */
import { KeylessError } from '../core/errors.js';
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

export interface ClaimMismatch {
  readonly claim: string;
  readonly variable: string;
  readonly token: string | undefined;
  readonly env: string | undefined;
}

export function claimMismatches(env: CiEnv, claims: Readonly<Record<string, unknown>>): ClaimMismatch[] {
  const out: ClaimMismatch[] = [];
  for (const [claim, variable] of CLAIM_VARIABLES) {
    const raw = claims[claim];
    const token = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
    if (token === undefined || token !== env[variable]) out.push({ claim, variable, token, env: env[variable] });
  }
  return out;
}

/** ERR_IDENTITY naming every differing field with both values; nothing is signed. */
export function assertEnvMatchesToken(env: CiEnv, claims: Readonly<Record<string, unknown>>): void {
  const mismatches = claimMismatches(env, claims);
  if (mismatches.length === 0) return;
  const what = mismatches.map((m) => `${m.variable}=${JSON.stringify(m.env ?? null)} but the token's ${m.claim}=${JSON.stringify(m.token ?? null)}`);
  throw new KeylessError('ERR_IDENTITY', `the CI environment does not match the ID token, refusing to sign provenance: ${what.join('; ')}`, { mismatches });
}
