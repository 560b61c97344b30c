// templates/Keyless-npm-Publish.gitlab-ci.yml run by gitlab-ci-local (shell executor): the publish job installs
// keyless from the release files (a loopback stand-in for the package registry, pinned SHA-256; nothing on PATH),
// packs the project, signs npm's provenance with the job's ID token against a keyless instance and publishes to
// Verdaccio; `keyless npm audit` then verifies what the registry serves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gitlabProject, runPipeline, type GitlabProject } from '../helpers/gitlab-ci.js';
import { fakeReleaseFiles, sha256Hex, startReleaseServer, type ReleaseServer } from '../helpers/release-server.js';
import { startServe, type Served } from '../helpers/serve.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { ROOT } from '../helpers/vectors.js';

const PROJECT = 'my-group/my-project';
const RELEASE_PATH = '/api/v4/projects/42/packages/generic/keyless/0.1.0';
const keyless = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8' });

describe('GitLab CI: templates/Keyless-npm-Publish.gitlab-ci.yml publishes with provenance', () => {
  let served: Served;
  let npm: Verdaccio;
  let release: ReleaseServer;
  let project: GitlabProject;
  const files = fakeReleaseFiles();
  before(async () => {
    [served, npm, release] = await Promise.all([startServe(['--dev-oidc-issuer']), startVerdaccio(), startReleaseServer()]);
    release.put(`${RELEASE_PATH}/keyless-linux-x64`, files['keyless-linux-x64']);
    release.put(`${RELEASE_PATH}/keyless.cjs`, files['keyless.cjs']);
    project = gitlabProject({
      '.gitlab-ci.yml': 'include:\n  - local: templates/Keyless-npm-Publish.gitlab-ci.yml\n\npublish:\n  stage: deploy\n  extends: .keyless-npm-publish\n',
      'templates/Keyless-npm-Publish.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-npm-Publish.gitlab-ci.yml'), 'utf8'),
      'package.json': `${JSON.stringify({ name: '@acme/widget', version: '1.0.0', main: 'index.js' }, null, 2)}\n`,
      'index.js': 'module.exports = 42;\n',
    });
  });
  after(async () => {
    if (project !== undefined) rmSync(project.dir, { recursive: true, force: true });
    await Promise.all([npm?.stop(), release?.stop()]);
    assert.equal(await served?.stop(), 0);
  });

  it('the publish job downloads keyless, packs, signs and publishes; npm audit verifies the package', async () => {
    // The job's ID token states the project, commit, ref, pipeline source, job and pipeline: the job's variables must agree.
    const ids = { CI_JOB_ID: '101', CI_PIPELINE_ID: '55', CI_PIPELINE_SOURCE: 'push' };
    const token = keyless(['dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', PROJECT, '--ref', 'main', '--ref-type', 'branch',
      '--sha', project.sha, '--job-id', ids.CI_JOB_ID, '--pipeline-id', ids.CI_PIPELINE_ID, '--pipeline-source', ids.CI_PIPELINE_SOURCE]);
    assert.equal(token.status, 0, token.stderr);
    const from = release.requests.length;
    const r = await runPipeline(project, {
      env: { GCL_IGNORE_PREDEFINED_VARS: 'CI_SERVER_URL,CI_PROJECT_URL,CI_API_V4_URL,CI_JOB_ID,CI_PIPELINE_ID,CI_PIPELINE_SOURCE,CI_PROJECT_DIR' },
      variables: {
        ...ids,
        // Where the job runs, as a shell runner says it. gitlab-ci-local says /builds/<project> for a job with an
        // image: (as in a container) even when --force-shell-executor runs it in its build directory.
        CI_PROJECT_DIR: join(project.dir, '.gitlab-ci-local', 'builds', 'publish'),
        SIGSTORE_ID_TOKEN: token.stdout.trim(),
        CI_SERVER_URL: served.url,
        CI_PROJECT_URL: `${new URL(served.url).origin}/${PROJECT}`,
        CI_API_V4_URL: `${release.url}/api/v4`,
        CI_JOB_TOKEN: 'job-token-not-a-secret',
        KEYLESS_INSTANCE: served.url,
        KEYLESS_PROJECT: '42',
        KEYLESS_SHA256: sha256Hex(files['keyless-linux-x64']),
        KEYLESS_CJS_SHA256: sha256Hex(files['keyless.cjs']),
        NPM_REGISTRY: npm.url,
        NPM_TOKEN: npm.token,
      },
    });
    const explain = `gitlab-ci-local exited ${r.status}:\n${r.output}`;
    assert.equal(r.status, 0, explain);
    assert.equal(r.jobs.get('publish'), 'PASS', explain);
    assert.equal(release.requests.length - from, 1, 'keyless was downloaded once');
    assert.match(r.jobOutput('publish'), /^keyless 0\.1\.0$/m, explain);
    const artifacts = join(project.dir, '.gitlab-ci-local', 'artifacts', 'publish');
    assert.ok(existsSync(join(artifacts, 'acme-widget-1.0.0.tgz')) && existsSync(join(artifacts, 'acme-widget-1.0.0.sigstore.json')), explain);

    const audit = keyless(['npm', 'audit', '@acme/widget@1.0.0', '--registry', npm.url, '--instance', served.url, '--expect-repository', `${new URL(served.url).origin}/${PROJECT}`, '--json']);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
    assert.equal(JSON.parse(audit.stdout).verified, true);
  });
});
