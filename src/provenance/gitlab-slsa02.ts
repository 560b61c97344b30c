/**
 * npm's provenance for GitLab CI: an in-toto Statement v0.1 with an SLSA v0.2 predicate, field for field as
 * npm/cli writes it (workspaces/libnpmpublish/lib/provenance.js, `GITLAB_BUILD_TYPE_VERSION = 'v0alpha1'`).
 * Keys are inserted in npm's order so the serialized statement has npm's bytes for the same environment.
 */
import { IN_TOTO_STATEMENT_V01, SLSA_PROVENANCE_V02, type CiEnv, type Statement, type Subject } from './statement.js';

export const GITLAB_BUILD_TYPE_V02 = 'https://github.com/npm/cli/gitlab/v0alpha1';

/** The variables npm copies into `invocation.parameters`, in npm's order. */
export const GITLAB_PARAMETER_NAMES = [
  'CI', 'CI_API_GRAPHQL_URL', 'CI_API_V4_URL', 'CI_BUILD_BEFORE_SHA', 'CI_BUILD_ID', 'CI_BUILD_NAME', 'CI_BUILD_REF',
  'CI_BUILD_REF_NAME', 'CI_BUILD_REF_SLUG', 'CI_BUILD_STAGE', 'CI_COMMIT_BEFORE_SHA', 'CI_COMMIT_BRANCH', 'CI_COMMIT_REF_NAME',
  'CI_COMMIT_REF_PROTECTED', 'CI_COMMIT_REF_SLUG', 'CI_COMMIT_SHA', 'CI_COMMIT_SHORT_SHA', 'CI_COMMIT_TIMESTAMP', 'CI_COMMIT_TITLE',
  'CI_CONFIG_PATH', 'CI_DEFAULT_BRANCH', 'CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX', 'CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX',
  'CI_DEPENDENCY_PROXY_SERVER', 'CI_DEPENDENCY_PROXY_USER', 'CI_JOB_ID', 'CI_JOB_NAME', 'CI_JOB_NAME_SLUG', 'CI_JOB_STAGE',
  'CI_JOB_STARTED_AT', 'CI_JOB_URL', 'CI_NODE_TOTAL', 'CI_PAGES_DOMAIN', 'CI_PAGES_URL', 'CI_PIPELINE_CREATED_AT', 'CI_PIPELINE_ID',
  'CI_PIPELINE_IID', 'CI_PIPELINE_SOURCE', 'CI_PIPELINE_URL', 'CI_PROJECT_CLASSIFICATION_LABEL', 'CI_PROJECT_DESCRIPTION',
  'CI_PROJECT_ID', 'CI_PROJECT_NAME', 'CI_PROJECT_NAMESPACE', 'CI_PROJECT_NAMESPACE_ID', 'CI_PROJECT_PATH', 'CI_PROJECT_PATH_SLUG',
  'CI_PROJECT_REPOSITORY_LANGUAGES', 'CI_PROJECT_ROOT_NAMESPACE', 'CI_PROJECT_TITLE', 'CI_PROJECT_URL', 'CI_PROJECT_VISIBILITY',
  'CI_REGISTRY', 'CI_REGISTRY_IMAGE', 'CI_REGISTRY_USER', 'CI_RUNNER_DESCRIPTION', 'CI_RUNNER_ID', 'CI_RUNNER_TAGS',
  'CI_SERVER_HOST', 'CI_SERVER_NAME', 'CI_SERVER_PORT', 'CI_SERVER_PROTOCOL', 'CI_SERVER_REVISION', 'CI_SERVER_SHELL_SSH_HOST',
  'CI_SERVER_SHELL_SSH_PORT', 'CI_SERVER_URL', 'CI_SERVER_VERSION', 'CI_SERVER_VERSION_MAJOR', 'CI_SERVER_VERSION_MINOR',
  'CI_SERVER_VERSION_PATCH', 'CI_TEMPLATE_REGISTRY_HOST', 'GITLAB_CI', 'GITLAB_FEATURES', 'GITLAB_USER_ID', 'GITLAB_USER_LOGIN',
  'RUNNER_GENERATE_ARTIFACTS_METADATA',
] as const;

export interface GitlabSlsa02Predicate {
  readonly buildType: string;
  readonly builder: { readonly id: string };
  readonly invocation: {
    readonly configSource: { readonly uri: string; readonly digest: { readonly sha1: string | undefined }; readonly entryPoint: string | undefined };
    readonly parameters: Readonly<Record<string, string | undefined>>;
    readonly environment: {
      readonly name: string | undefined;
      readonly architecture: string | undefined;
      readonly server: string | undefined;
      readonly project: string | undefined;
      readonly job: { readonly id: string | undefined };
      readonly pipeline: { readonly id: string | undefined; readonly ref: string | undefined };
    };
  };
  readonly metadata: {
    readonly buildInvocationId: string;
    readonly completeness: { readonly parameters: true; readonly environment: true; readonly materials: false };
    readonly reproducible: false;
  };
  readonly materials: readonly { readonly uri: string; readonly digest: { readonly sha1: string | undefined } }[];
}

/** npm's GitLab predicate. Template strings print a missing variable as "undefined", exactly as npm's do. */
export function gitlabSlsa02Predicate(env: CiEnv): GitlabSlsa02Predicate {
  const parameters: Record<string, string | undefined> = {};
  for (const name of GITLAB_PARAMETER_NAMES) parameters[name] = env[name];
  return {
    buildType: GITLAB_BUILD_TYPE_V02,
    builder: { id: `${env['CI_PROJECT_URL']}/-/runners/${env['CI_RUNNER_ID']}` },
    invocation: {
      configSource: { uri: `git+${env['CI_PROJECT_URL']}`, digest: { sha1: env['CI_COMMIT_SHA'] }, entryPoint: env['CI_JOB_NAME'] },
      parameters,
      environment: {
        name: env['CI_RUNNER_DESCRIPTION'],
        architecture: env['CI_RUNNER_EXECUTABLE_ARCH'],
        server: env['CI_SERVER_URL'],
        project: env['CI_PROJECT_PATH'],
        job: { id: env['CI_JOB_ID'] },
        // npm records the CI configuration path under pipeline.ref; kept as npm writes it.
        pipeline: { id: env['CI_PIPELINE_ID'], ref: env['CI_CONFIG_PATH'] },
      },
    },
    metadata: {
      buildInvocationId: `${env['CI_JOB_URL']}`,
      completeness: { parameters: true, environment: true, materials: false },
      reproducible: false,
    },
    materials: [{ uri: `git+${env['CI_PROJECT_URL']}`, digest: { sha1: env['CI_COMMIT_SHA'] } }],
  };
}

export function gitlabSlsa02Statement(subject: readonly Subject[], env: CiEnv): Statement<GitlabSlsa02Predicate> {
  return { _type: IN_TOTO_STATEMENT_V01, subject, predicateType: SLSA_PROVENANCE_V02, predicate: gitlabSlsa02Predicate(env) };
}
