// How the GitLab templates get keyless when the image has none: they download a release file from the project's
// generic package registry (KEYLESS_DOWNLOAD_URL) and run it only if its SHA-256 is the pinned one (KEYLESS_SHA256).
// Run for real by gitlab-ci-local (shell executor) against a loopback server standing in for the package registry
// (test/helpers/release-server.ts) and a keyless instance: a pipeline that signs and verifies with the download, a
// tampered download that fails the job before anything runs, a missing pin, and where the job token goes. The
// install step is also run alone under dash with only wget on PATH (as on Alpine, which has wget but no curl).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifactTemplatePipeline, artifactTemplateProject, pipelineIdToken, runPipeline, type GitlabProject, type PipelineRun } from '../helpers/gitlab-ci.js';
import { fakeReleaseFiles, sha256Hex, startReleaseServer, type ReleaseServer } from '../helpers/release-server.js';
import { startServe, tempDir, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const PROJECT = 'my-group/my-project';
const TEMPLATES = ['Keyless-Sign-Artifact.gitlab-ci.yml', 'Keyless-Sign-Image.gitlab-ci.yml', 'Keyless-npm-Publish.gitlab-ci.yml'];
const template = (name: string): string => readFileSync(join(ROOT, 'templates', name), 'utf8');
// Where the default KEYLESS_DOWNLOAD_URL points: ${CI_API_V4_URL}/projects/${KEYLESS_PROJECT}/packages/generic/keyless/${KEYLESS_VERSION}
const KEYLESS_PROJECT = 'tools%2Fkeyless';
const RELEASE_PATH = `/api/v4/projects/${KEYLESS_PROJECT}/packages/generic/keyless/0.1.0`;
const JOB_TOKEN = 'job-token-not-a-secret';

/** The install step of a template: the `- |` block that starts with `if command -v keyless`, unindented. */
function installBlock(text: string): string {
  const m = /^ {4}- \|\n( {6}if command -v keyless[\s\S]*?)\n {4}- keyless --version$/m.exec(text);
  assert.ok(m, 'the template has the install block');
  return m[1]!.replace(/^ {6}/gm, '');
}

const pipeline = artifactTemplatePipeline();

describe('GitLab templates: keyless from the release files, checked against a pinned SHA-256', () => {
  let served: Served;
  let release: ReleaseServer;
  const files = fakeReleaseFiles();
  const pin = sha256Hex(files['keyless-linux-x64']);
  const dirs: string[] = [];
  before(async () => {
    [served, release] = await Promise.all([startServe(['--dev-oidc-issuer']), startReleaseServer()]);
    release.put(`${RELEASE_PATH}/keyless-linux-x64`, files['keyless-linux-x64']);
    release.put(`${RELEASE_PATH}/keyless.cjs`, files['keyless.cjs']);
    release.put(`/mirror/keyless-linux-x64`, files['keyless-linux-x64']);
  });
  after(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await release?.stop();
    assert.equal(await served?.stop(), 0);
  });
  const newProject = (): GitlabProject => {
    const made = artifactTemplateProject(pipeline);
    dirs.push(made.dir);
    return made;
  };
  const idToken = (project: GitlabProject): string => pipelineIdToken(served, PROJECT, project.sha);
  /** No keyless on PATH: the job must install it. CI_API_V4_URL and CI_JOB_TOKEN are what GitLab predefines. */
  const run = (project: GitlabProject, variables: Record<string, string>, jobs?: string[]): Promise<PipelineRun> =>
    runPipeline(project, {
      variables: {
        SIGSTORE_ID_TOKEN: idToken(project),
        KEYLESS_INSTANCE: served.url,
        KEYLESS_TRUSTED_ROOT: join(served.dataDir, 'trusted_root.json'),
        KEYLESS_CERTIFICATE_IDENTITY: `https://${new URL(served.url).host}/${PROJECT}//.gitlab-ci.yml@refs/heads/main`,
        KEYLESS_CERTIFICATE_OIDC_ISSUER: served.url,
        CI_API_V4_URL: `${release.url}/api/v4`,
        CI_JOB_TOKEN: JOB_TOKEN,
        KEYLESS_PROJECT,
        ...variables,
      },
      ...(jobs !== undefined ? { jobs } : {}),
    });
  const explain = (r: PipelineRun) => `gitlab-ci-local exited ${r.status}:\n${r.output}`;

  it('there is no keyless on this PATH, so every job below really installs it', () => {
    assert.notEqual(spawnSync('sh', ['-c', 'command -v keyless'], { encoding: 'utf8' }).status, 0, 'a keyless on PATH would hide the install step');
  });

  it('the three templates install with the same step', () => {
    const [first, ...rest] = TEMPLATES.map((name) => installBlock(template(name)));
    for (const [i, block] of rest.entries()) assert.equal(block, first, `${TEMPLATES[i + 1]} has the install step of ${TEMPLATES[0]}`);
  });

  it('sign and verify jobs download keyless-linux-x64 from the package registry, with the job token, and run it', async () => {
    const from = release.requests.length;
    const project = newProject();
    const r = await run(project, { KEYLESS_SHA256: pin });
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.equal(r.jobs.get('verify_artifact'), 'PASS', explain(r));
    assert.match(r.jobOutput('build_and_sign_artifact'), /^keyless 0\.1\.0$/m, explain(r));
    assert.match(r.jobOutput('verify_artifact'), /Verified OK/, explain(r));
    // One download per job, from the GitLab API path the defaults build, with this job's token.
    assert.deepEqual(release.requests.slice(from), [
      { path: `${RELEASE_PATH}/keyless-linux-x64`, jobToken: JOB_TOKEN },
      { path: `${RELEASE_PATH}/keyless-linux-x64`, jobToken: JOB_TOKEN },
    ]);
    assert.ok(existsSync(join(project.dir, '.gitlab-ci-local', 'artifacts', 'build_and_sign_artifact', 'cosign.bundle')));
  });

  it('a tampered download fails the job before anything runs it', async () => {
    const tampered = '#!/bin/sh\necho TAMPERED-KEYLESS-RAN\n';
    const path = '/tampered';
    release.put(`${path}/keyless-linux-x64`, tampered);
    const project = newProject();
    const r = await run(project, { KEYLESS_SHA256: pin, KEYLESS_DOWNLOAD_URL: `${release.url}${path}` }, ['build_and_sign_artifact']);
    assert.notEqual(r.status, 0, explain(r));
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'FAIL', explain(r));
    const out = r.jobOutput('build_and_sign_artifact');
    assert.ok(
      out.includes(`keyless: refusing to run ${release.url}${path}/keyless-linux-x64: its SHA-256 is ${sha256Hex(tampered)}, but KEYLESS_SHA256 pins ${pin}`),
      explain(r),
    );
    assert.doesNotMatch(r.output, /TAMPERED-KEYLESS-RAN/, 'the tampered file never ran');
    assert.doesNotMatch(out, /^keyless 0\.1\.0$/m, 'no keyless ran either');
    assert.equal(existsSync(join(project.dir, '.gitlab-ci-local', 'builds', 'build_and_sign_artifact', 'cosign.bundle')), false, 'nothing was signed');
  });

  it('refuses to download without a pinned digest, and says which variable to set', async () => {
    const from = release.requests.length;
    const r = await run(newProject(), { KEYLESS_SHA256: '' }, ['build_and_sign_artifact']);
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'FAIL', explain(r));
    assert.match(r.jobOutput('build_and_sign_artifact'), /keyless: refusing to download \S+\/keyless-linux-x64 without a pinned digest: set KEYLESS_SHA256 to its SHA-256/, explain(r));
    assert.equal(release.requests.length, from, 'nothing was downloaded');
  });

  it('says to set KEYLESS_PROJECT when the default download URL has no project', async () => {
    const r = await run(newProject(), { KEYLESS_SHA256: pin, KEYLESS_PROJECT: '' }, ['build_and_sign_artifact']);
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'FAIL', explain(r));
    assert.match(r.jobOutput('build_and_sign_artifact'), /keyless: set KEYLESS_PROJECT/, explain(r));
  });

  it('sends the job token only to this GitLab\'s API, not to another download host', async () => {
    const from = release.requests.length;
    // Same server, another host name: for the job it is not CI_API_V4_URL.
    const elsewhere = `http://localhost:${new URL(release.url).port}/mirror`;
    const r = await run(newProject(), { KEYLESS_SHA256: pin, KEYLESS_DOWNLOAD_URL: elsewhere }, ['build_and_sign_artifact']);
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.deepEqual(release.requests.slice(from), [{ path: '/mirror/keyless-linux-x64', jobToken: undefined }]);
  });

  it('uses keyless.cjs (with Node.js) when KEYLESS_FILE says so, pinned by KEYLESS_CJS_SHA256', async () => {
    const from = release.requests.length;
    const r = await run(newProject(), { KEYLESS_FILE: 'keyless.cjs', KEYLESS_CJS_SHA256: sha256Hex(files['keyless.cjs']), KEYLESS_SHA256: '' }, ['build_and_sign_artifact']);
    assert.equal(r.jobs.get('build_and_sign_artifact'), 'PASS', explain(r));
    assert.deepEqual(release.requests.slice(from).map((q) => q.path), [`${RELEASE_PATH}/keyless.cjs`]);
    const wrong = await run(newProject(), { KEYLESS_FILE: 'keyless.cjs', KEYLESS_CJS_SHA256: pin }, ['build_and_sign_artifact']);
    assert.equal(wrong.jobs.get('build_and_sign_artifact'), 'FAIL', explain(wrong));
    assert.match(wrong.jobOutput('build_and_sign_artifact'), /keyless: refusing to run \S+\/keyless\.cjs: its SHA-256 is [0-9a-f]{64}, but KEYLESS_CJS_SHA256 pins/, explain(wrong));
  });

  it('the install step alone, in dash with wget and no curl (as on Alpine)', async () => {
    const bin = tempDir('keyless-wget-path-');
    dirs.push(bin);
    const tools = ['wget', 'sha256sum', 'cut', 'tr', 'mktemp', 'mv', 'chmod', 'rm', 'grep', 'ldd', 'cat'];
    for (const tool of tools) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      assert.ok(found.startsWith('/'), `${tool} is installed`);
      symlinkSync(found, join(bin, tool));
    }
    mkdirSync(join(bin, 'tmp'));
    const block = `${installBlock(template('Keyless-Sign-Artifact.gitlab-ci.yml'))}\nkeyless --version\n`;
    const env = { PATH: bin, TMPDIR: join(bin, 'tmp'), KEYLESS_DOWNLOAD_URL: `${release.url}${RELEASE_PATH}`, CI_API_V4_URL: `${release.url}/api/v4`, CI_JOB_TOKEN: JOB_TOKEN };
    const dash = spawnSync('sh', ['-c', 'command -v dash'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(dash.startsWith('/'), 'dash is installed');
    // Asynchronously: the release server answers from this process.
    const sh = (extra: Record<string, string>) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(dash, ['-c', block], { encoding: 'utf8', env: { ...env, ...extra } }, (err, stdout, stderr) =>
          resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }));
      });
    const from = release.requests.length;
    const ok = await sh({ KEYLESS_SHA256: pin });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'keyless 0.1.0');
    assert.deepEqual(release.requests.slice(from), [{ path: `${RELEASE_PATH}/keyless-linux-x64`, jobToken: JOB_TOKEN }], 'wget sent the job token');

    const bad = await sh({ KEYLESS_SHA256: '0'.repeat(64) });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /keyless: refusing to run \S+: its SHA-256 is [0-9a-f]{64}, but KEYLESS_SHA256 pins 0{64}/);
    assert.equal(bad.stdout, '');

    const neither = await sh({ PATH: join(bin, 'tmp'), KEYLESS_SHA256: pin });
    assert.equal(neither.status, 1);
    assert.match(neither.stderr, /keyless: neither curl nor wget is installed/);
  });
});
