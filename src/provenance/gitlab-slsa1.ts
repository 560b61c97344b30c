/**
 * SLSA v1 provenance (in-toto Statement v1) for a GitLab CI job.
 *
 * npm writes Statement v1 + SLSA v1 only for GitHub Actions (buildType
 * https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1); for GitLab every npm version we read
 * writes the v0.2 document of gitlab-slsa02.ts. This is keyless's own mapping of the same CI_* variables onto the
 * v1 layout npm uses for GitHub (externalParameters.workflow, internalParameters, resolvedDependencies with
 * gitCommit, runDetails.builder.id, runDetails.metadata.invocationId), under a keyless build type.
 */
import { IN_TOTO_STATEMENT_V1, SLSA_PROVENANCE_V1, type CiEnv, type Statement, type Subject } from './statement.js';

export const GITLAB_BUILD_TYPE_V1 = 'https://github.com/keyless/provenance/gitlab-ci/v1';

export interface GitlabSlsa1Predicate {
  readonly buildDefinition: {
    readonly buildType: string;
    readonly externalParameters: { readonly workflow: { readonly ref: string | undefined; readonly repository: string | undefined; readonly path: string | undefined } };
    readonly internalParameters: { readonly gitlab: Readonly<Record<string, string | undefined>> };
    readonly resolvedDependencies: readonly { readonly uri: string; readonly digest: { readonly gitCommit: string | undefined } }[];
  };
  readonly runDetails: {
    readonly builder: { readonly id: string };
    readonly metadata: { readonly invocationId: string | undefined };
  };
}

/** The ref as GitLab's ID token's `ref_path` spells it: refs/tags/… for a tag pipeline, refs/heads/… otherwise. */
function refPath(env: CiEnv): string | undefined {
  if (env['CI_COMMIT_TAG'] !== undefined) return `refs/tags/${env['CI_COMMIT_TAG']}`;
  return env['CI_COMMIT_REF_NAME'] === undefined ? undefined : `refs/heads/${env['CI_COMMIT_REF_NAME']}`;
}

export function gitlabSlsa1Statement(subject: readonly Subject[], env: CiEnv): Statement<GitlabSlsa1Predicate> {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject,
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: GITLAB_BUILD_TYPE_V1,
        externalParameters: { workflow: { ref: refPath(env), repository: env['CI_PROJECT_URL'], path: env['CI_CONFIG_PATH'] } },
        internalParameters: {
          gitlab: {
            pipeline_source: env['CI_PIPELINE_SOURCE'],
            project_id: env['CI_PROJECT_ID'],
            namespace_id: env['CI_PROJECT_NAMESPACE_ID'],
            pipeline_id: env['CI_PIPELINE_ID'],
            job_id: env['CI_JOB_ID'],
          },
        },
        resolvedDependencies: [{ uri: `git+${env['CI_PROJECT_URL']}@${refPath(env)}`, digest: { gitCommit: env['CI_COMMIT_SHA'] } }],
      },
      runDetails: {
        builder: { id: `${env['CI_PROJECT_URL']}/-/runners/${env['CI_RUNNER_ID']}` },
        metadata: { invocationId: env['CI_JOB_URL'] },
      },
    },
  };
}
