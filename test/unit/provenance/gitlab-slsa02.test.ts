// Golden test: npm's GitLab provenance. The environment is the GitLab job of the example npm provenance document in
// GitLab's documentation ("Use Sigstore for keyless signing and verification", npm provenance section: package
// @strongjz/strongcoin@0.0.13, job 4316132595). The expected document is that example, field for field, with two
// differences explained where they occur, both following npm/cli's source
// (workspaces/libnpmpublish/lib/provenance.js, GITLAB_BUILD_TYPE_VERSION = 'v0alpha1').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gitlabSlsa02Statement, gitlabSlsa1Statement, npmPurl, serializeStatement, GITLAB_PARAMETER_NAMES } from '../../../src/provenance/index.js';

const SHA = '6e02e901e936bfac3d4691984dff8c505410cbc3';
const URL_ = 'https://gitlab.com/strongjz/npm-provenance-example';
const FEATURES = 'elastic_search,ldap_group_sync,multiple_ldap_servers,seat_link,usage_quotas,zoekt_code_search,repository_size_limit,admin_audit_log,auditor_user,custom_file_templates,custom_project_templates,db_load_balancing,default_branch_protection_restriction_in_groups,extended_audit_events,external_authorization_service_api_management,geo,instance_level_scim,ldap_group_sync_filter,object_storage,pages_size_limit,project_aliases,password_complexity,enterprise_templates,git_abuse_rate_limit,required_ci_templates,runner_maintenance_note,runner_performance_insights,runner_upgrade_management,runner_jobs_statistics';
const TAGS = '["gce", "east-c", "linux", "ruby", "mysql", "postgres", "mongo", "git-annex", "shared", "docker", "saas-linux-small-amd64"]';

/** The documentation's `parameters`, as the job's variables (CI_BUILD_* are no longer set by GitLab). */
const PARAMETERS: Record<string, string> = {
  CI: 'true', CI_API_GRAPHQL_URL: 'https://gitlab.com/api/graphql', CI_API_V4_URL: 'https://gitlab.com/api/v4',
  CI_COMMIT_BEFORE_SHA: '7d3e913e5375f68700e0c34aa90b0be7843edf6c', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main',
  CI_COMMIT_REF_PROTECTED: 'true', CI_COMMIT_REF_SLUG: 'main', CI_COMMIT_SHA: SHA, CI_COMMIT_SHORT_SHA: '6e02e901',
  CI_COMMIT_TIMESTAMP: '2023-05-19T10:17:12-04:00', CI_COMMIT_TITLE: 'trying to publish to gitlab reg', CI_CONFIG_PATH: '.gitlab-ci.yml',
  CI_DEFAULT_BRANCH: 'main', CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX: 'gitlab.com:443/strongjz/dependency_proxy/containers',
  CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX: 'gitlab.com:443/strongjz/dependency_proxy/containers', CI_DEPENDENCY_PROXY_SERVER: 'gitlab.com:443',
  CI_DEPENDENCY_PROXY_USER: 'gitlab-ci-token', CI_JOB_ID: '4316132595', CI_JOB_NAME: 'deploy', CI_JOB_NAME_SLUG: 'deploy', CI_JOB_STAGE: 'deploy',
  CI_JOB_STARTED_AT: '2023-05-19T14:17:23Z', CI_JOB_URL: `${URL_}/-/jobs/4316132595`, CI_NODE_TOTAL: '1', CI_PAGES_DOMAIN: 'gitlab.io',
  CI_PAGES_URL: 'https://strongjz.gitlab.io/npm-provenance-example', CI_PIPELINE_CREATED_AT: '2023-05-19T14:17:21Z', CI_PIPELINE_ID: '872773336',
  CI_PIPELINE_IID: '40', CI_PIPELINE_SOURCE: 'push', CI_PIPELINE_URL: `${URL_}/-/pipelines/872773336`, CI_PROJECT_CLASSIFICATION_LABEL: '',
  CI_PROJECT_DESCRIPTION: '', CI_PROJECT_ID: '45821955', CI_PROJECT_NAME: 'npm-provenance-example', CI_PROJECT_NAMESPACE: 'strongjz',
  CI_PROJECT_NAMESPACE_ID: '36018', CI_PROJECT_PATH: 'strongjz/npm-provenance-example', CI_PROJECT_PATH_SLUG: 'strongjz-npm-provenance-example',
  CI_PROJECT_REPOSITORY_LANGUAGES: 'javascript,dockerfile', CI_PROJECT_ROOT_NAMESPACE: 'strongjz', CI_PROJECT_TITLE: 'npm-provenance-example',
  CI_PROJECT_URL: URL_, CI_PROJECT_VISIBILITY: 'public', CI_REGISTRY: 'registry.gitlab.com', CI_REGISTRY_IMAGE: 'registry.gitlab.com/strongjz/npm-provenance-example',
  CI_REGISTRY_USER: 'gitlab-ci-token', CI_RUNNER_DESCRIPTION: '3-blue.shared.runners-manager.gitlab.com/default', CI_RUNNER_ID: '12270835',
  CI_RUNNER_TAGS: TAGS, CI_SERVER_HOST: 'gitlab.com', CI_SERVER_NAME: 'GitLab', CI_SERVER_PORT: '443', CI_SERVER_PROTOCOL: 'https',
  CI_SERVER_REVISION: '9d4873fd3c5', CI_SERVER_SHELL_SSH_HOST: 'gitlab.com', CI_SERVER_SHELL_SSH_PORT: '22', CI_SERVER_URL: 'https://gitlab.com',
  CI_SERVER_VERSION: '16.1.0-pre', CI_SERVER_VERSION_MAJOR: '16', CI_SERVER_VERSION_MINOR: '1', CI_SERVER_VERSION_PATCH: '0',
  CI_TEMPLATE_REGISTRY_HOST: 'registry.gitlab.com', GITLAB_CI: 'true', GITLAB_FEATURES: FEATURES, GITLAB_USER_ID: '31705', GITLAB_USER_LOGIN: 'strongjz',
};
const ENV = {
  ...PARAMETERS,
  CI_RUNNER_EXECUTABLE_ARCH: 'linux/amd64',
  // In the documentation's example but not in npm's list of parameters (npm/cli provenance.js): not copied.
  CI_PROJECT_NAMESPACE_SLUG: 'strongjz',
  SIGSTORE_ID_TOKEN: 'never copied',
};
const DIGEST = '924a134a0fd4fe6a7c87b4687bf0ac898b9153218ce9ad75798cc27ab2cddbeff77541f3847049bd5e3dfd74cea0a83754e7686852f34b185c3621d3932bc3c8';

const EXPECTED = {
  _type: 'https://in-toto.io/Statement/v0.1',
  subject: [{ name: 'pkg:npm/%40strongjz/strongcoin@0.0.13', digest: { sha512: DIGEST } }],
  predicateType: 'https://slsa.dev/provenance/v0.2',
  predicate: {
    // The documentation prints `npm/CLI`; npm's source (and every published npm GitLab provenance) writes `npm/cli`.
    buildType: 'https://github.com/npm/cli/gitlab/v0alpha1',
    builder: { id: `${URL_}/-/runners/12270835` },
    invocation: {
      configSource: { uri: `git+${URL_}`, digest: { sha1: SHA }, entryPoint: 'deploy' },
      parameters: PARAMETERS,
      environment: {
        name: '3-blue.shared.runners-manager.gitlab.com/default', architecture: 'linux/amd64', server: 'https://gitlab.com',
        project: 'strongjz/npm-provenance-example', job: { id: '4316132595' }, pipeline: { id: '872773336', ref: '.gitlab-ci.yml' },
      },
    },
    metadata: { buildInvocationId: `${URL_}/-/jobs/4316132595`, completeness: { parameters: true, environment: true, materials: false }, reproducible: false },
    materials: [{ uri: `git+${URL_}`, digest: { sha1: SHA } }],
  },
};

test('npm purl: the scope\'s @ is %40, the slash stays', () => {
  assert.equal(npmPurl('@strongjz/strongcoin', '0.0.13'), 'pkg:npm/%40strongjz/strongcoin@0.0.13');
  assert.equal(npmPurl('left-pad', '1.3.0'), 'pkg:npm/left-pad@1.3.0');
});

test('GitLab SLSA v0.2 statement equals the documented npm example, field for field', () => {
  const statement = gitlabSlsa02Statement([{ name: npmPurl('@strongjz/strongcoin', '0.0.13'), digest: { sha512: DIGEST } }], ENV);
  const signed = JSON.parse(new TextDecoder().decode(serializeStatement(statement)));
  assert.deepEqual(signed, EXPECTED);
  // npm's order of parameters, unset variables dropped as JSON.stringify drops undefined.
  assert.deepEqual(Object.keys(signed.predicate.invocation.parameters), GITLAB_PARAMETER_NAMES.filter((n) => n in PARAMETERS));
  assert.deepEqual(Object.keys(signed.predicate), ['buildType', 'builder', 'invocation', 'metadata', 'materials']);
});

test('SLSA v1 statement for the same job: Statement v1, commit and repository from the job', () => {
  const s = gitlabSlsa1Statement([{ name: 'x', digest: { sha512: DIGEST } }], ENV);
  assert.equal(s._type, 'https://in-toto.io/Statement/v1');
  assert.equal(s.predicateType, 'https://slsa.dev/provenance/v1');
  assert.deepEqual(s.predicate.buildDefinition.resolvedDependencies, [{ uri: `git+${URL_}@refs/heads/main`, digest: { gitCommit: SHA } }]);
  assert.deepEqual(s.predicate.buildDefinition.externalParameters.workflow, { ref: 'refs/heads/main', repository: URL_, path: '.gitlab-ci.yml' });
  assert.equal(s.predicate.runDetails.metadata.invocationId, `${URL_}/-/jobs/4316132595`);
});
