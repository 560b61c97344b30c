// The container-image jobs of GitLab's "Use Sigstore for keyless signing and verification", run for real by a
// .gitlab-ci.yml runner (gitlab-ci-local, shell executor): a sign job written with
// templates/Keyless-Sign-Image.gitlab-ci.yml, and the documentation's own verify_image job with cosign replaced by
// keyless, against a private keyless instance (whose dev OIDC issuer mints the job's SIGSTORE_ID_TOKEN) and a real
// docker-registry that wants a password, given to the jobs as GitLab gives it: CI_REGISTRY, CI_REGISTRY_USER,
// CI_REGISTRY_PASSWORD. A verify job that expects another ref fails with the identity error.
//
// There is no Docker here, so the documentation's `docker build` / `docker push` / `docker inspect` steps are not
// run: the test builds and pushes the image beforehand with keyless's OCI client (test/helpers/oci-image.ts), and
// hands its URI and digest to the pipeline as IMAGE_URI and IMAGE_DIGEST, which is what those steps would produce.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gitlabProject, keylessOnPath, pipelineIdToken, previewPipeline, runPipeline, type GitlabProject, type PipelineRun } from '../helpers/gitlab-ci.js';
import { pushImage, testClient, type PushedImage } from '../helpers/oci-image.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const PROJECT = 'my-group/my-project';
const REGISTRY_USER = 'gitlab-ci-token';
const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

// The documentation's verification job for container images, as the page writes it.
const DOCUMENTED_VERIFY_JOB = `verify_image:
  image: alpine:3.20
  stage: verify
  before_script:
    - apk add --update cosign docker
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY
  script:
    - cosign verify "$IMAGE_URI:$IMAGE_TAG" --certificate-identity "https://gitlab.com/my-group/my-project//path/to/.gitlab-ci.yml@refs/heads/main" --certificate-oidc-issuer "https://gitlab.com"
`;

/** Replaces `from` with `to` everywhere, and insists that `from` was there: an edit that misses is a broken test. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `expected ${JSON.stringify(from)} in the pipeline`);
  return text.split(from).join(to);
}

/**
 * The documented verify_image job for a private keyless instance: keyless for cosign (the template's install step,
 * which uses the keyless on PATH), no `docker login` (keyless reads CI_REGISTRY_USER/CI_REGISTRY_PASSWORD itself), the instance's host
 * where the documentation has gitlab.com, this pipeline's CI file (at the project root, not path/to/), and the
 * instance's dev issuer as the OIDC issuer. Plus a manual copy that expects the same project on another branch.
 */
function documentedVerifyJobs(instanceUrl: string): string {
  let job = DOCUMENTED_VERIFY_JOB;
  job = edit(job, '    - apk add --update cosign docker\n', '    - !reference [.keyless-image-install, before_script]\n');
  job = edit(job, '    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY\n', '');
  job = edit(job, 'cosign verify', 'keyless verify');
  job = edit(job, 'https://gitlab.com/', `https://${new URL(instanceUrl).host}/`);
  job = edit(job, '//path/to/.gitlab-ci.yml', '//.gitlab-ci.yml');
  // What cosign needs too for a private instance: the root to trust, out of band (like a GitLab File variable).
  job = edit(job, '--certificate-oidc-issuer "https://gitlab.com"', `--certificate-oidc-issuer "${instanceUrl}" --trusted-root "\${KEYLESS_TRUSTED_ROOT}"`);
  const verifyCommand = /^ {4}- (keyless verify .*)$/m.exec(job)![1]!;
  return `${job}
verify_image_other_ref:
  extends: verify_image
  when: manual
  script:
    - ${edit(verifyCommand, '@refs/heads/main"', '@refs/heads/other"')}
`;
}

/** The sign job from the template (the build ran before the pipeline), the documented verify job, and the template's. */
function imagePipeline(instanceUrl: string): string {
  return `include:
  - local: templates/Keyless-Sign-Image.gitlab-ci.yml

stages:
  - build
  - verify

build_and_sign_image:
  stage: build
  extends: .keyless-sign-image
  # The documentation's docker build/push/inspect ran in the test, before the pipeline: IMAGE_DIGEST is a variable.
  # No \`services: []\` needed: only .keyless-docker-build has docker:dind (gitlab-ci-local would start it even
  # with the shell executor, and there is no Docker here, so the job would fail if the sign job still had it).

${documentedVerifyJobs(instanceUrl)}
verify_image_template:
  stage: verify
  extends: .keyless-verify-image
  variables:
    KEYLESS_CERTIFICATE_IDENTITY: "https://${new URL(instanceUrl).host}/\${CI_PROJECT_PATH}//.gitlab-ci.yml@refs/heads/\${CI_COMMIT_REF_NAME}"
    KEYLESS_CERTIFICATE_OIDC_ISSUER: "${instanceUrl}"
`;
}

describe('GitLab CI: an image signed with templates/Keyless-Sign-Image.gitlab-ci.yml, verified by the documented verify_image job', () => {
  let served: Served;
  let registry: Registry;
  let bin: string;
  let project: GitlabProject;
  let image: PushedImage;
  const password = randomBytes(12).toString('hex');

  before(async () => {
    [served, registry] = await Promise.all([startServe(['--dev-oidc-issuer']), startRegistry({ kind: 'htpasswd', username: REGISTRY_USER, password })]);
    bin = keylessOnPath();
    project = gitlabProject({
      '.gitlab-ci.yml': imagePipeline(served.url),
      'templates/Keyless-Sign-Image.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Image.gitlab-ci.yml'), 'utf8'),
    });
    // The build: pushed under the branch's slug, the template's default IMAGE_TAG (CI_COMMIT_REF_SLUG), which is
    // also what the documentation's verify_image checks ($CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG).
    const client = testClient(registry.host, { username: REGISTRY_USER, password });
    image = await pushImage(client, registry.host, PROJECT, 'main');
  });
  after(async () => {
    for (const dir of [bin, project?.dir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await registry?.stop();
    assert.equal(await served?.stop(), 0);
  });

  /** The job's ID token, as GitLab would put it in SIGSTORE_ID_TOKEN: this project, branch main, this commit. */
  const idToken = (): string => pipelineIdToken(served, PROJECT, project.sha);
  const identity = (ref: string) => `https://${new URL(served.url).host}/${PROJECT}//.gitlab-ci.yml@refs/heads/${ref}`;
  const run = (jobs?: string[], variables: Record<string, string> = {}): Promise<PipelineRun> =>
    runPipeline(project, {
      path: bin,
      variables: {
        // As GitLab would: the job's ID token (id_tokens:), the registry and its job credentials (predefined),
        // and CI/CD variables for the instance and its root.
        SIGSTORE_ID_TOKEN: idToken(),
        CI_REGISTRY: registry.host,
        CI_REGISTRY_USER: REGISTRY_USER,
        CI_REGISTRY_PASSWORD: password,
        KEYLESS_INSTANCE: served.url,
        KEYLESS_TRUSTED_ROOT: join(served.dataDir, 'trusted_root.json'),
        // What the documentation's build steps would have produced.
        IMAGE_URI: `${registry.host}/${PROJECT}`,
        IMAGE_DIGEST: image.digest,
        // No docker config to fall back on: the registry credentials can only come from CI_REGISTRY_*.
        DOCKER_CONFIG: '/nonexistent',
        ...variables,
      },
      ...(jobs !== undefined ? { jobs } : {}),
    });
  const explain = (r: PipelineRun) => `gitlab-ci-local exited ${r.status}:\n${r.output}`;

  it('build_and_sign_image signs the digest; verify_image (documented) and verify_image_template verify IMAGE_URI:IMAGE_TAG', async () => {
    const r = await run();
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.jobs.get('build_and_sign_image'), 'PASS', explain(r));
    assert.equal(r.jobs.get('verify_image'), 'PASS', explain(r));
    assert.equal(r.jobs.get('verify_image_template'), 'PASS', explain(r));
    assert.equal(r.jobs.has('verify_image_other_ref'), false, 'the manual job waits');

    // Signed by digest: no tag to resolve, so none of keyless's (cosign's) tag warning.
    const signed = r.jobOutput('build_and_sign_image');
    assert.ok(signed.includes(`Attached signature to ${image.byDigest} as referrer sha256:`), explain(r));
    assert.doesNotMatch(signed, /uses a tag, not a digest/);

    // The verify jobs named the tag, and verified the signature of the digest the tag points at.
    for (const job of ['verify_image', 'verify_image_template']) {
      const out = r.jobOutput(job);
      assert.ok(out.includes(`Resolved ${image.byTag} to ${image.byDigest}`), `${job} verifies the tag's digest\n${explain(r)}`);
      assert.match(out, /The following checks were performed/, explain(r));
      assert.ok(out.includes(`"docker-manifest-digest":"${image.digest}"`) || out.includes(`"docker-manifest-digest": "${image.digest}"`), `${job} prints the verified payload\n${explain(r)}`);
    }

    // In the registry: one Sigstore bundle referring to the image (the fallback index; distribution has no referrers API).
    const client = testClient(registry.host, { username: REGISTRY_USER, password });
    const index = await client.getManifest(image.repository, image.digest.replace(':', '-'));
    assert.ok(index !== undefined, 'the sign job attached a referrer');
    const listed = JSON.parse(new TextDecoder().decode(index.bytes)) as { manifests: { artifactType?: string }[] };
    assert.deepEqual(listed.manifests.map((m) => m.artifactType), [BUNDLE_ARTIFACT_TYPE]);

    // The manual job, run after the pipeline: same project and image, but it expects refs/heads/other.
    const other = await run(['verify_image_other_ref']);
    assert.notEqual(other.status, 0, explain(other));
    assert.equal(other.jobs.get('verify_image_other_ref'), 'FAIL', explain(other));
    assert.match(other.jobOutput('verify_image_other_ref'), /\[ERR_IDENTITY\]/, explain(other));
    assert.ok(other.jobOutput('verify_image_other_ref').includes(identity('main')), `the error names the signer's identity\n${explain(other)}`);
  });

  it('Docker-in-Docker only where docker builds: .keyless-docker-build has it, the sign and verify jobs do not', () => {
    const merged = gitlabProject({
      '.gitlab-ci.yml': `include:
  - local: templates/Keyless-Sign-Image.gitlab-ci.yml

build_and_sign_image:
  extends: [.keyless-sign-image, .keyless-docker-build]
  script:
    - !reference [.keyless-sign-image, script]

sign_only:
  extends: .keyless-sign-image

verify_image:
  extends: .keyless-verify-image
`,
      'templates/Keyless-Sign-Image.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Image.gitlab-ci.yml'), 'utf8'),
    });
    try {
      const preview = previewPipeline(merged);
      /** The top-level keys of job `name` in the preview, and its image. */
      const job = (name: string) => {
        const block = new RegExp(`^${name}:\\n((?: .*\\n|\\n)*)`, 'm').exec(preview)?.[1] ?? assert.fail(`${name} in\n${preview}`);
        return { keys: [...block.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]), image: /^ {2}image:\n {4}name: (\S+)/m.exec(block)?.[1], block };
      };
      const build = job('build_and_sign_image');
      assert.equal(build.image, 'docker:cli');
      assert.match(build.block, /^ {2}services:\n {4}- name: docker:dind$/m);
      assert.ok(build.keys.includes('id_tokens') && build.keys.includes('before_script'), build.block);
      for (const name of ['sign_only', 'verify_image']) {
        const other = job(name);
        assert.equal(other.image, 'buildpack-deps:bookworm-curl', other.block);
        assert.ok(!other.keys.includes('services'), `${name} has no services\n${other.block}`);
      }
    } finally {
      rmSync(merged.dir, { recursive: true, force: true });
    }
  });

  it('the sign job takes docker inspect\'s repository@digest as IMAGE_DIGEST, and refuses to sign without one', async () => {
    const client = testClient(registry.host, { username: REGISTRY_USER, password });
    const second = await pushImage(client, registry.host, PROJECT, 'second');
    // What `docker inspect --format='{{index .RepoDigests 0}}'` prints: the part before "@" is not used.
    const r = await run(['build_and_sign_image'], { IMAGE_DIGEST: `elsewhere.example/other@${second.digest}` });
    assert.equal(r.jobs.get('build_and_sign_image'), 'PASS', explain(r));
    assert.ok(r.jobOutput('build_and_sign_image').includes(`Attached signature to ${second.byDigest} as referrer`), explain(r));

    const empty = await run(['build_and_sign_image'], { IMAGE_DIGEST: '' });
    assert.equal(empty.jobs.get('build_and_sign_image'), 'FAIL', explain(empty));
    assert.match(empty.jobOutput('build_and_sign_image'), /IMAGE_DIGEST is empty/, explain(empty));
    assert.doesNotMatch(empty.output, /Attached signature/, 'nothing was signed');
  });
});
