/**
 * Every identity value that goes into a certificate — the SAN and each Fulcio extension — is capped, so that a
 * token cannot make the CA issue (and log to CT, forever) a certificate bloated by a 10 KB claim.
 *
 * The cap, 4 KiB per value (UTF-8 bytes), is far above what real CI identities reach: a GitLab project path is at
 * most 20 nested groups of which real ones use a handful (gitlab.com paths are well under 300 bytes), Git ref names
 * on GitLab and GitHub are at most 255 bytes, GitHub owner and repository names at most 39 and 100 characters, and
 * the longest values (ci_config_ref_uri, job_workflow_ref: host + path + config file + ref) come to a few hundred
 * bytes. Every value is checked, and all that are over the cap are named in one ERR_CLAIM_TOO_LARGE (HTTP 400).
 */
import { KeylessError } from '../core/errors.js';
import type { Principal } from './claims.js';

/** Largest SAN or Fulcio extension value taken from a token, in UTF-8 bytes. */
export const MAX_CLAIM_VALUE_BYTES = 4096;

export function checkClaimSizes(principal: Principal, limit = MAX_CLAIM_VALUE_BYTES): void {
  const problems: { field: string; bytes: number }[] = [];
  const sanBytes = Buffer.byteLength(principal.san.value, 'utf8');
  if (sanBytes > limit) problems.push({ field: `SAN (${principal.san.type})`, bytes: sanBytes });
  for (const [name, value] of Object.entries(principal.extensions)) {
    if (value === undefined) continue;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > limit) problems.push({ field: `extension ${name}`, bytes });
  }
  if (problems.length > 0) {
    throw new KeylessError(
      'ERR_CLAIM_TOO_LARGE',
      `the token's identity is too large for a certificate: ${problems.map((p) => `${p.field} would be ${p.bytes} bytes`).join(', ')}; each value may have at most ${limit} bytes`,
      { limit, problems: problems.map((p) => `${p.field}: ${p.bytes} bytes`) },
    );
  }
}
