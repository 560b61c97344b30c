// The two build-artifact jobs of GitLab's "Use Sigstore for keyless signing and verification", run for real by a
// .gitlab-ci.yml runner (gitlab-ci-local, shell executor) with cosign replaced by keyless, against a private
// keyless instance whose dev OIDC issuer mints the job's SIGSTORE_ID_TOKEN. Then the same pipeline through
// templates/Keyless-Sign-Artifact.gitlab-ci.yml. The bundles the jobs leave behind also verify in @sigstore/verify,
// and a verify job that expects another ref fails with the identity error.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifactTemplatePipeline, gitlabProject, keylessOnPath, pipelineIdToken, runPipeline, type GitlabProject, type PipelineRun } from '../helpers/gitlab-ci.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const PROJECT = 'my-group/my-project';

// The documentation's jobs, as the page writes them (build artifacts: "Signing" and "Verification").
const DOCUMENTED_JOBS = `build_and_sign_artifact:
  stage: build
  image: alpine:latest
  variables:
    COSIGN_YES: "true"
  id_tokens:
    SIGSTORE_ID_TOKEN:
      aud: sigstore
  before_script:
    - apk add --update cosign
  script:
    - echo "This is a build artifact" > artifact.txt
    - cosign sign-blob artifact.txt --bundle cosign.bundle
  artifacts:
    paths:
      - artifact.txt
      - cosign.bundle

verify_artifact:
  stage: verify
  image: alpine:latest
  before_script:
    - apk add --update cosign
  script:
    - cosign verify-blob artifact.txt --bundle cosign.bundle --certificate-identity "https://gitlab.com/\${CI_PROJECT_PATH}//.gitlab-ci.yml@refs/heads/\${CI_COMMIT_REF_NAME}" --certificate-oidc-issuer "\${CI_SERVER_URL}"
`;

/** Replaces `from` with `to` everywhere, and insists that `from` was there: an edit that misses is a broken test. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `expected ${JSON.stringify(from)} in the pipeline`);
  return text.split(from).join(to);
}

/**
 * The documented jobs for a private keyless instance: keyless for cosign (the templates' install step, which uses the
 * keyless on PATH),
 * the instance's host where the documentation has gitlab.com, and the instance's dev issuer as the OIDC issuer.
 * Plus a manual verify job that expects the same project on another branch.
 */
function documentedPipeline(instanceUrl: string): string {
  let jobs = DOCUMENTED_JOBS;
  // The templates' install step: the keyless on PATH here (a release download with a pinned digest elsewhere).
  jobs = edit(jobs, '    - apk add --update cosign', '    - !reference [.keyless-install, before_script]');
  jobs = edit(jobs, 'cosign sign-blob', 'keyless sign-blob');
  jobs = edit(jobs, 'cosign verify-blob', 'keyless verify-blob');
  jobs = edit(jobs, 'https://gitlab.com/', `https://${new URL(instanceUrl).host}/`);
  jobs = edit(jobs, '"${CI_SERVER_URL}"', `"${instanceUrl}"`);
  // What cosign needs too for a private instance: verify-blob trusts the public-good root unless given another
  // (keyless verify-blob does not read KEYLESS_INSTANCE; the root comes out of band, like a GitLab File variable).
  jobs = edit(jobs, `--certificate-oidc-issuer "${instanceUrl}"`, `--certificate-oidc-issuer "${instanceUrl}" --trusted-root "\${KEYLESS_TRUSTED_ROOT}"`);
  const verifyCommand = /^ {4}- (keyless verify-blob .*)$/m.exec(jobs)![1]!;
  const otherRef = `
verify_artifact_other_ref:
  extends: verify_artifact
  when: manual
  script:
    - ${edit(verifyCommand, 'refs/heads/${CI_COMMIT_REF_NAME}', 'refs/heads/other')}
`;
  return `include:\n  - local: templates/Keyless-Sign-Artifact.gitlab-ci.yml\n\nstages:\n  - build\n  - verify\n\n${jobs}${otherRef}`;
}

/** A pipeline that uses the template: the same two jobs, written with `extends:` and the template's variables. */
function templatePipeline(instanceUrl: string): string {
  return artifactTemplatePipeline({
    KEYLESS_CERTIFICATE_IDENTITY: `https://${new URL(instanceUrl).host}/\${CI_PROJECT_PATH}//.gitlab-ci.yml@refs/heads/\${CI_COMMIT_REF_NAME}`,
    KEYLESS_CERTIFICATE_OIDC_ISSUER: instanceUrl,
  });
}

describe('GitLab CI: the documented sign and verify jobs, run by gitlab-ci-local against a keyless instance', () => {
  let served: Served;
  let bin: string;
  const projects: GitlabProject[] = [];
  before(async () => {
    served = await startServe(['--dev-oidc-issuer']);
    bin = keylessOnPath();
  });
  after(async () => {
    for (const dir of [bin, ...projects.map((p) => p.dir)]) rmSync(dir, { recursive: true, force: true });
    assert.equal(await served.stop(), 0);
  });
  const newProject = (files: Record<string, string>): GitlabProject => {
    const made = gitlabProject(files);
    projects.push(made);
    return made;
  };

  /** The job's ID token, as GitLab would put it in SIGSTORE_ID_TOKEN: this project, this ref, this commit. */
  const idToken = (project: GitlabProject, ref = 'main'): string => pipelineIdToken(served, PROJECT, project.sha, ref);
  const identity = (ref: string) => `https://${new URL(served.url).host}/${PROJECT}//.gitlab-ci.yml@refs/heads/${ref}`;
  const run = (project: GitlabProject, jobs?: string[]): Promise<PipelineRun> =>
    runPipeline(project, {
      path: bin,
      // As GitLab would: the job's ID token (id_tokens:), and CI/CD variables for the instance and its root.
      variables: { SIGSTORE_ID_TOKEN: idToken(project), KEYLESS_INSTANCE: served.url, KEYLESS_TRUSTED_ROOT: join(served.dataDir, 'trusted_root.json') },
      ...(jobs !== undefined ? { jobs } : {}),
    });
  const explain = (r: PipelineRun) => `gitlab-ci-local exited ${r.status}:\n${r.output}`;

  /** The files build_and_sign_artifact left as artifacts verify in sigstore-js too, for this identity. */
  const assertArtifactsVerify = (project: GitlabProject) => {
    const dir = join(project.dir, '.gitlab-ci-local', 'artifacts', 'build_and_sign_artifact');
    assert.ok(existsSync(join(dir, 'cosign.bundle')), 'the sign job keeps cosign.bundle as an artifact');
    const artifact = readFileSync(join(dir, 'artifact.txt'));
    assert.equal(artifact.toString(), 'This is a build artifact\n');
    const bundle = JSON.parse(readFileSync(join(dir, 'cosign.bundle'), 'utf8'));
    const trust = toTrustMaterial(TrustedRoot.fromJSON(served.trustedRoot()));
    const signer = new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundle), artifact), {
      subjectAlternativeName: identity('main'),
      extensions: { issuer: served.url },
    });
    assert.equal(signer.identity?.subjectAlternativeName, identity('main'));
  };

  it('build_and_sign_artifact signs with the job token, verify_artifact verifies the documented identity', async () => {
    const project = newProject({
      '.gitlab-ci.yml': documentedPipeline(served.url),
      'templates/Keyless-Sign-Artifact.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Artifact.gitlab-ci.yml'), 'utf8'),
    });
    const r = await run(project);
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.equal(r.jobs.get('verify_artifact'), 'PASS', explain(r));
    assert.equal(r.jobs.has('verify_artifact_other_ref'), false, 'the manual job waits');
    assert.match(r.jobOutput('verify_artifact'), /Verified OK/);
    assertArtifactsVerify(project);

    // The manual job, run after the pipeline on its artifacts: same project, but it expects refs/heads/other.
    const other = await run(project, ['verify_artifact_other_ref']);
    assert.notEqual(other.status, 0, explain(other));
    assert.equal(other.jobs.get('verify_artifact_other_ref'), 'FAIL', explain(other));
    assert.match(other.jobOutput('verify_artifact_other_ref'), /\[ERR_IDENTITY\]/, explain(other));
    assert.ok(other.jobOutput('verify_artifact_other_ref').includes(identity('main')), `the error names the signer's identity\n${explain(other)}`);
  });

  it('the same pipeline written with templates/Keyless-Sign-Artifact.gitlab-ci.yml (include: local)', async () => {
    const project = newProject({
      '.gitlab-ci.yml': templatePipeline(served.url),
      'templates/Keyless-Sign-Artifact.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Artifact.gitlab-ci.yml'), 'utf8'),
    });
    const r = await run(project);
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.equal(r.jobs.get('verify_artifact'), 'PASS', explain(r));
    assert.match(r.jobOutput('verify_artifact'), /Verified OK/);
    assertArtifactsVerify(project);
  });
});
