// The four jobs of GitLab's "Use Sigstore for keyless signing and verification", as kept in
// templates/examples/documented-jobs.gitlab-ci.yml (the page's YAML with the changes a private instance forces),
// run by gitlab-ci-local against a keyless instance (`keyless serve --dev-oidc-issuer`, which plays the GitLab
// instance: CI_SERVER_URL is its URL), a docker-registry that wants the job's registry password, and a loopback
// stand-in for the package registry that holds keyless's release files. Nothing is on the jobs' PATH but what a
// shell runner without Docker has: podman, with podman-docker's `docker` command. So `docker login/build/push/
// inspect` run for real, on a FROM-scratch Dockerfile (there is no Docker Hub here).
//
// What the harness changes, and why: GitLab's shell executor ignores `image:` and `services:`, gitlab-ci-local
// ignores only `image:` (--force-shell-executor) and would start docker:dind, so the harness drops the service.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gitlabProject, pipelineIdToken, runPipeline, type GitlabProject, type PipelineRun } from '../helpers/gitlab-ci.js';
import { testClient } from '../helpers/oci-image.js';
import { missingTools, notInstalled, podmanHost, type PodmanHost } from '../helpers/podman.js';
import { requireOrSkip } from '../helpers/requirements.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import { fakeReleaseFiles, sha256Hex, startReleaseServer, type ReleaseServer } from '../helpers/release-server.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const PROJECT = 'my-group/my-project';
const REGISTRY_USER = 'gitlab-ci-token';
const EXAMPLE = join(ROOT, 'templates', 'examples', 'documented-jobs.gitlab-ci.yml');
const RELEASE_PATH = '/api/v4/projects/tools%2Fkeyless/packages/generic/keyless/0.1.0';
const TOOLS = ['podman', 'buildah'];
const missingTooling = missingTools(TOOLS);

/** Replaces `from` with `to`, and insists that `from` was there: an edit that misses is a broken test. */
function edit(text: string, from: string | RegExp, to: string): string {
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `expected ${String(from)} in the pipeline`);
  return typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
}

/** The example as a shell runner runs it: without the docker:dind service (see the opening comment). */
const asShellRunner = (yaml: string): string => edit(yaml, '  services:\n    - docker:dind\n', '');

describe('GitLab CI: the documented jobs (templates/examples/documented-jobs.gitlab-ci.yml) on a shell runner with podman', { skip: requireOrSkip(TOOLS.join(', '), missingTooling.length === 0, notInstalled(missingTooling)) }, () => {
  let served: Served;
  let registry: Registry;
  let release: ReleaseServer;
  let host: PodmanHost;
  const projects: GitlabProject[] = [];
  const password = randomBytes(12).toString('hex');
  const files = fakeReleaseFiles();

  before(async () => {
    [served, registry, release] = await Promise.all([
      startServe(['--dev-oidc-issuer']),
      startRegistry({ kind: 'htpasswd', username: REGISTRY_USER, password }),
      startReleaseServer(),
    ]);
    release.put(`${RELEASE_PATH}/keyless-linux-x64`, files['keyless-linux-x64']);
    host = podmanHost([registry.host]);
  });
  after(async () => {
    for (const p of projects) rmSync(p.dir, { recursive: true, force: true });
    host?.remove();
    await Promise.all([registry?.stop(), release?.stop()]);
    assert.equal(await served?.stop(), 0);
  });

  const newProject = (pipeline: string, extra: Record<string, string> = {}): GitlabProject => {
    const made = gitlabProject({
      '.gitlab-ci.yml': pipeline,
      'templates/Keyless-Sign-Artifact.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Artifact.gitlab-ci.yml'), 'utf8'),
      // A FROM-scratch image whose content differs per project, so every build has its own digest.
      Dockerfile: 'FROM scratch\nCOPY hello.txt /hello.txt\n',
      'hello.txt': `hello ${randomBytes(8).toString('hex')}\n`,
      ...extra,
    });
    projects.push(made);
    return made;
  };
  const idToken = (project: GitlabProject): string => pipelineIdToken(served, PROJECT, project.sha);
  /**
   * The variables GitLab would give the jobs: the ID token, the registry's predefined variables, this GitLab's URLs
   * (here the dev issuer's: it signs certificates for https://<its host>/<project>//<CI file>@<ref>), and the project's
   * CI/CD variables: the instance, its root, and where keyless is downloaded from with the pinned digest.
   */
  const run = (project: GitlabProject, jobs?: string[]): Promise<PipelineRun> =>
    runPipeline(project, {
      path: host.bin,
      // The predefined variables above are overridden on purpose: gitlab-ci-local need not warn about each.
      env: { ...host.env, GCL_IGNORE_PREDEFINED_VARS: 'CI_SERVER_URL,CI_PROJECT_URL,CI_REGISTRY,CI_REGISTRY_IMAGE,CI_API_V4_URL' },
      variables: {
        SIGSTORE_ID_TOKEN: idToken(project),
        CI_SERVER_URL: served.url,
        CI_PROJECT_URL: `https://${new URL(served.url).host}/${PROJECT}`,
        CI_REGISTRY: registry.host,
        CI_REGISTRY_IMAGE: `${registry.host}/${PROJECT}`,
        CI_REGISTRY_USER: REGISTRY_USER,
        CI_REGISTRY_PASSWORD: password,
        CI_API_V4_URL: `${release.url}/api/v4`,
        CI_JOB_TOKEN: 'job-token-not-a-secret',
        KEYLESS_INSTANCE: served.url,
        KEYLESS_TRUSTED_ROOT: join(served.dataDir, 'trusted_root.json'),
        KEYLESS_PROJECT: 'tools%2Fkeyless',
        KEYLESS_SHA256: sha256Hex(files['keyless-linux-x64']),
        // No docker config to fall back on: keyless's registry credentials can only come from CI_REGISTRY_*.
        DOCKER_CONFIG: join(host.dir, 'no-docker-config'),
      },
      ...(jobs !== undefined ? { jobs } : {}),
      timeoutMs: 180_000,
    });
  const explain = (r: PipelineRun) => `gitlab-ci-local exited ${r.status}:\n${r.output}`;
  const registryDigest = async (tag: string): Promise<string | undefined> =>
    (await testClient(registry.host, { username: REGISTRY_USER, password }).getManifest(PROJECT, tag))?.digest;

  it('the example is the page\'s four jobs', () => {
    const yaml = readFileSync(EXAMPLE, 'utf8');
    for (const job of ['build_and_sign_image', 'verify_image', 'build_and_sign_artifact', 'verify_artifact']) assert.match(yaml, new RegExp(`^${job}:$`, 'm'));
    // The page's commands, with keyless for cosign, and nothing of cosign left.
    for (const line of ['docker build --pull -t "$IMAGE_URI:$IMAGE_TAG" .', 'docker push "$IMAGE_URI:$IMAGE_TAG"',
      `IMAGE_DIGEST="$(docker inspect --format='{{index .RepoDigests 0}}' "$IMAGE_URI:$IMAGE_TAG")"`, 'keyless sign "$IMAGE_DIGEST"',
      'keyless verify "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"', 'keyless sign-blob artifact.txt --bundle cosign.bundle', 'keyless verify-blob artifact.txt --bundle cosign.bundle']) {
      assert.ok(yaml.includes(line), line);
    }
    assert.doesNotMatch(yaml.replace(/^#.*$/gm, ''), /cosign (sign|verify)|apk add --update cosign/);
  });

  it('artifact jobs pass; build_and_sign_image builds and pushes with podman, and signs the digest docker inspect names', async () => {
    const project = newProject(asShellRunner(readFileSync(EXAMPLE, 'utf8')));
    const r = await run(project);
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.match(r.jobOutput('build_and_sign_image'), /Login Succeeded/, explain(r));

    // The image really was built and pushed under IMAGE_TAG = CI_COMMIT_REF_SLUG.
    const pushed = await registryDigest('main');
    assert.ok(pushed !== undefined, `docker push put ${PROJECT}:main in the registry\n${explain(r)}`);
    const inspected = host.podman(['inspect', '--format', '{{index .RepoDigests 0}}', `${registry.host}/${PROJECT}:main`]);
    assert.equal(inspected.status, 0, inspected.stderr);
    const repoDigest = inspected.stdout.trim();
    if (repoDigest === `${registry.host}/${PROJECT}@${pushed}`) {
      // Docker's behaviour: RepoDigests names what the registry stored, and the page's jobs pass unchanged.
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.jobs.get('build_and_sign_image'), 'PASS', explain(r));
      assert.equal(r.jobs.get('verify_image'), 'PASS', explain(r));
      assert.match(r.jobOutput('verify_artifact'), /Verified OK/, explain(r));
      return;
    }
    // podman's (up to at least 4.3, podman issues #14779 and #15780): RepoDigests names the manifest of the local,
    // uncompressed image; the push compressed the layer, so the registry stored another manifest under another
    // digest. keyless then refuses to sign a digest the registry does not have, and signs nothing.
    assert.equal(r.jobs.get('build_and_sign_image'), 'FAIL', explain(r));
    const local = repoDigest.slice(repoDigest.indexOf('@') + 1);
    assert.ok(r.jobOutput('build_and_sign_image').includes(`the registry has no manifest ${local} in ${registry.host}/${PROJECT}`), explain(r));
    assert.match(r.jobOutput('build_and_sign_image'), /\[ERR_NOT_FOUND\]/, explain(r));
    assert.equal(r.jobs.has('verify_image'), false, 'the verify stage does not run after a failed build');
    assert.equal(await registryDigest(pushed.replace(':', '-')), undefined, 'nothing was signed');
    // The artifact's verify job, run alone on what build_and_sign_artifact left.
    const verified = await run(project, ['verify_artifact']);
    assert.equal(verified.jobs.get('verify_artifact'), 'PASS', explain(verified));
    assert.match(verified.jobOutput('verify_artifact'), /Verified OK/, explain(verified));
  });

  it('with the template\'s podman job in place of build_and_sign_image, the documented verify_image verifies the tag', async () => {
    // The one job replaced, as templates/README.md tells shell runners without Docker to do; the rest as in the example.
    let yaml = readFileSync(EXAMPLE, 'utf8');
    yaml = edit(yaml, /^build_and_sign_image:\n(?: {2}.*\n|\n(?= ))+/m, 'build_and_sign_image:\n  stage: build\n  extends: .keyless-podman-build-and-sign-image\n');
    yaml = edit(yaml, '  - local: templates/Keyless-Sign-Artifact.gitlab-ci.yml\n', '  - local: templates/Keyless-Sign-Artifact.gitlab-ci.yml\n  - local: templates/Keyless-Sign-Image.gitlab-ci.yml\n');
    const project = newProject(yaml, { 'templates/Keyless-Sign-Image.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Image.gitlab-ci.yml'), 'utf8') });
    const r = await run(project);
    assert.equal(r.status, 0, explain(r));
    for (const job of ['build_and_sign_image', 'verify_image', 'build_and_sign_artifact', 'verify_artifact']) assert.equal(r.jobs.get(job), 'PASS', `${job}\n${explain(r)}`);
    const pushed = await registryDigest('main');
    assert.ok(pushed !== undefined);
    assert.ok(r.jobOutput('build_and_sign_image').includes(`Attached signature to ${registry.host}/${PROJECT}@${pushed} as referrer`), explain(r));
    assert.ok(r.jobOutput('verify_image').includes(`Resolved ${registry.host}/${PROJECT}:main to ${registry.host}/${PROJECT}@${pushed}`), explain(r));
  });
});
