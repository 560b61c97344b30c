/**
 * GitLab CI job identities, mapped as Fulcio maps them (config/identity/config.yaml, ci-issuer-metadata for
 * gitlab-pipeline), with `url` taken from the token's own issuer so that self-managed GitLab instances get their
 * own URIs rather than gitlab.com's.
 *
 * | extension                                   | value                                                   |
 * |---------------------------------------------|---------------------------------------------------------|
 * | SAN (URI)                                   | https://{ci_config_ref_uri}                              |
 * | 1.1 / 1.8 Issuer                            | iss                                                      |
 * | 1.9 BuildSignerURI, 1.18 BuildConfigURI     | https://{ci_config_ref_uri}                              |
 * | 1.10 BuildSignerDigest, 1.19 BuildConfigDigest | ci_config_sha                                         |
 * | 1.11 RunnerEnvironment                      | runner_environment                                       |
 * | 1.12 SourceRepositoryURI                    | {url}/{project_path}                                     |
 * | 1.13 SourceRepositoryDigest                 | sha                                                      |
 * | 1.14 SourceRepositoryRef                    | refs/heads/{ref} (ref_type branch) or refs/tags/{ref}    |
 * | 1.15 SourceRepositoryIdentifier             | project_id                                               |
 * | 1.16 SourceRepositoryOwnerURI               | {url}/{namespace_path}                                   |
 * | 1.17 SourceRepositoryOwnerIdentifier        | namespace_id                                             |
 * | 1.20 BuildTrigger                           | pipeline_source                                          |
 * | 1.21 RunInvocationURI                       | {url}/{project_path}/-/jobs/{job_id}                     |
 * | 1.22 SourceRepositoryVisibilityAtSigning    | project_visibility                                       |
 * | 1.23 DeploymentEnvironment                  | environment (optional)                                   |
 * | 1.24 TokenSubject                           | sub                                                      |
 */
import { KeylessError } from '../core/errors.js';
import { gitlabInstanceUrl, gitlabSourceRepositoryUri } from '../core/gitlab-instance.js';
import { missingClaims, optionalClaim, requiredClaim, type Principal } from './claims.js';
import type { VerifiedToken } from './token.js';

export function gitlabPrincipal(token: VerifiedToken): Principal {
  const { claims } = token;
  // GitLab sets ci_config_ref_uri to null when the pipeline's top-level configuration is not a file of the project
  // itself: a configuration from another project or a URL, or a dynamic child pipeline. The SAN is built from it.
  if (claims.ci_config_ref_uri === null || claims.ci_config_ref_uri === undefined || claims.ci_config_ref_uri === '') {
    throw new KeylessError(
      'ERR_TOKEN',
      'the GitLab ID token has no ci_config_ref_uri (it is null), so the certificate cannot name the pipeline definition. ' +
        'GitLab sets it only when the top-level CI/CD configuration is a file in the project itself: keep .gitlab-ci.yml ' +
        '(or the configured CI/CD file) in this project rather than including it from another project or a URL, and sign ' +
        'from the parent pipeline rather than from a dynamic child pipeline.',
      { claim: 'ci_config_ref_uri', value: claims.ci_config_ref_uri ?? null },
    );
  }
  const missing: string[] = [];
  const ciConfigRefUri = requiredClaim(claims, 'ci_config_ref_uri', missing);
  const projectPath = requiredClaim(claims, 'project_path', missing);
  const namespacePath = requiredClaim(claims, 'namespace_path', missing);
  const namespaceId = requiredClaim(claims, 'namespace_id', missing);
  const projectId = requiredClaim(claims, 'project_id', missing);
  const jobId = requiredClaim(claims, 'job_id', missing);
  const ref = requiredClaim(claims, 'ref', missing);
  const refType = requiredClaim(claims, 'ref_type', missing);
  const sha = requiredClaim(claims, 'sha', missing);
  const pipelineSource = requiredClaim(claims, 'pipeline_source', missing);
  const runnerEnvironment = requiredClaim(claims, 'runner_environment', missing);
  const sub = requiredClaim(claims, 'sub', missing);
  if (missing.length > 0) throw missingClaims('GitLab', missing);
  if (refType !== 'branch' && refType !== 'tag') {
    throw new KeylessError('ERR_TOKEN', `the GitLab ID token has ref_type ${JSON.stringify(refType)}; expected "branch" or "tag"`, { ref_type: refType });
  }
  const url = gitlabInstanceUrl(token.issuer);
  const configUri = `https://${ciConfigRefUri}`;
  const ciConfigSha = optionalClaim(claims, 'ci_config_sha');
  return {
    san: { type: 'uri', value: configUri },
    extensions: {
      issuer: token.issuer,
      buildSignerURI: configUri,
      buildSignerDigest: ciConfigSha,
      runnerEnvironment,
      sourceRepositoryURI: gitlabSourceRepositoryUri(token.issuer, projectPath),
      sourceRepositoryDigest: sha,
      sourceRepositoryRef: `refs/${refType === 'branch' ? 'heads' : 'tags'}/${ref}`,
      sourceRepositoryIdentifier: projectId,
      sourceRepositoryOwnerURI: `${url}/${namespacePath}`,
      sourceRepositoryOwnerIdentifier: namespaceId,
      buildConfigURI: configUri,
      buildConfigDigest: ciConfigSha,
      buildTrigger: pipelineSource,
      runInvocationURI: `${url}/${projectPath}/-/jobs/${jobId}`,
      sourceRepositoryVisibilityAtSigning: optionalClaim(claims, 'project_visibility'),
      deploymentEnvironment: optionalClaim(claims, 'environment'),
      tokenSubject: sub,
    },
  };
}
