/**
 * GitHub Actions workflow identities, mapped as Fulcio maps them (config/identity/config.yaml, ci-issuer-metadata
 * for github-workflow), with url = https://github.com, including the deprecated 1.2–1.6 extensions.
 *
 * SAN https://github.com/{job_workflow_ref}; 1.2 event_name, 1.3 sha, 1.4 workflow, 1.5 repository, 1.6 ref;
 * 1.9 {url}/{job_workflow_ref}, 1.10 job_workflow_sha, 1.11 runner_environment, 1.12 {url}/{repository}, 1.13 sha,
 * 1.14 ref, 1.15 repository_id, 1.16 {url}/{repository_owner}, 1.17 repository_owner_id, 1.18 {url}/{workflow_ref},
 * 1.19 workflow_sha, 1.20 event_name, 1.21 {url}/{repository}/actions/runs/{run_id}/attempts/{run_attempt},
 * 1.22 repository_visibility, 1.23 environment, 1.24 sub.
 */
import { missingClaims, optionalClaim, requiredClaim, type Principal } from './claims.js';
import type { VerifiedToken } from './token.js';

const URL_BASE = 'https://github.com';

export function githubPrincipal(token: VerifiedToken): Principal {
  const { claims } = token;
  const missing: string[] = [];
  const jobWorkflowRef = requiredClaim(claims, 'job_workflow_ref', missing);
  const repository = requiredClaim(claims, 'repository', missing);
  const repositoryOwner = requiredClaim(claims, 'repository_owner', missing);
  const workflowRef = requiredClaim(claims, 'workflow_ref', missing);
  const runId = requiredClaim(claims, 'run_id', missing);
  const runAttempt = requiredClaim(claims, 'run_attempt', missing);
  const sub = requiredClaim(claims, 'sub', missing);
  if (missing.length > 0) throw missingClaims('GitHub Actions', missing);
  const eventName = optionalClaim(claims, 'event_name');
  const sha = optionalClaim(claims, 'sha');
  const ref = optionalClaim(claims, 'ref');
  return {
    san: { type: 'uri', value: `${URL_BASE}/${jobWorkflowRef}` },
    extensions: {
      issuer: token.issuer,
      githubWorkflowTrigger: eventName,
      githubWorkflowSHA: sha,
      githubWorkflowName: optionalClaim(claims, 'workflow'),
      githubWorkflowRepository: repository,
      githubWorkflowRef: ref,
      buildSignerURI: `${URL_BASE}/${jobWorkflowRef}`,
      buildSignerDigest: optionalClaim(claims, 'job_workflow_sha'),
      runnerEnvironment: optionalClaim(claims, 'runner_environment'),
      sourceRepositoryURI: `${URL_BASE}/${repository}`,
      sourceRepositoryDigest: sha,
      sourceRepositoryRef: ref,
      sourceRepositoryIdentifier: optionalClaim(claims, 'repository_id'),
      sourceRepositoryOwnerURI: `${URL_BASE}/${repositoryOwner}`,
      sourceRepositoryOwnerIdentifier: optionalClaim(claims, 'repository_owner_id'),
      buildConfigURI: `${URL_BASE}/${workflowRef}`,
      buildConfigDigest: optionalClaim(claims, 'workflow_sha'),
      buildTrigger: eventName,
      runInvocationURI: `${URL_BASE}/${repository}/actions/runs/${runId}/attempts/${runAttempt}`,
      sourceRepositoryVisibilityAtSigning: optionalClaim(claims, 'repository_visibility'),
      deploymentEnvironment: optionalClaim(claims, 'environment'),
      tokenSubject: sub,
    },
  };
}
