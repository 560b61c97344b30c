/**
 * Runs a real `.gitlab-ci.yml` with gitlab-ci-local's shell executor, for end-to-end tests of the GitLab flow.
 *
 * The project is a throwaway git repository whose `origin` is a GitLab URL, which is all gitlab-ci-local needs
 * to set CI_SERVER_URL, CI_PROJECT_PATH, CI_COMMIT_REF_NAME and the rest, offline. Jobs run on the host:
 * `--force-shell-executor` ignores their `image:` (no Docker here), and `--shell-isolation` gives each job its
 * own build directory, so a verify job sees only what the sign job left as `artifacts:`, as on a GitLab runner.
 * gitlab-ci-local parses `id_tokens:` but mints nothing: callers pass the token as a variable, like GitLab does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './serve.js';
import { ROOT } from './vectors.js';

const GITLAB_CI_LOCAL = join(ROOT, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');

/** The flags that make gitlab-ci-local run here: no Docker, one directory per job, plain output. */
export const GITLAB_CI_LOCAL_FLAGS = ['--force-shell-executor', '--shell-isolation', '--no-color', '--no-timestamps'] as const;

export interface GitlabProject {
  readonly dir: string;
  /** The commit the pipeline runs on (CI_COMMIT_SHA). */
  readonly sha: string;
}

function git(dir: string, args: string[]): string {
  const r = spawnSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'ci', GIT_AUTHOR_EMAIL: 'ci@example.com', GIT_COMMITTER_NAME: 'ci', GIT_COMMITTER_EMAIL: 'ci@example.com' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A git repository on `branch` with `files` committed and `remote` as origin, like a fresh clone of a GitLab
 * project (origin/HEAD set, so gitlab-ci-local finds the default branch without asking the network).
 */
export function gitlabProject(files: Record<string, string>, opts: { remote?: string; branch?: string } = {}): GitlabProject {
  const dir = tempDir('keyless-gitlab-');
  const branch = opts.branch ?? 'main';
  git(dir, ['init', '--quiet', '--initial-branch', branch]);
  git(dir, ['remote', 'add', 'origin', opts.remote ?? 'https://gitlab.example.com/my-group/my-project.git']);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  // gitlab-ci-local's state must not be part of the project (GitLab would never see it).
  writeFileSync(join(dir, '.gitignore'), '.gitlab-ci-local/\n');
  git(dir, ['add', '--all']);
  git(dir, ['commit', '--quiet', '--message', 'pipeline under test']);
  git(dir, ['update-ref', `refs/remotes/origin/${branch}`, 'HEAD']);
  git(dir, ['symbolic-ref', 'refs/remotes/origin/HEAD', `refs/remotes/origin/${branch}`]);
  return { dir, sha: git(dir, ['rev-parse', 'HEAD']) };
}

/** A directory holding a `keyless` command that runs this checkout's CLI, to put first on a job's PATH. */
export function keylessOnPath(): string {
  const dir = tempDir('keyless-bin-');
  const shim = join(dir, 'keyless');
  writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin', 'keyless.js')}' "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

export type JobStatus = 'PASS' | 'WARN' | 'FAIL';

export interface PipelineRun {
  readonly status: number | null;
  /** Everything gitlab-ci-local printed: each job's commands and output, then the summary. */
  readonly output: string;
  /** Each job's verdict from the summary (WARN is a failed job with allow_failure). */
  readonly jobs: ReadonlyMap<string, JobStatus>;
  /** The lines job `name` printed (`name > …`), without the prefix. */
  jobOutput(name: string): string;
}

/**
 * Runs the pipeline of `project` (or only `jobs`, which then take their artifacts from earlier runs).
 * `variables` are passed with `--variable`, the way CI/CD variables and `id_tokens` reach a GitLab job;
 * `path` is put first on the jobs' PATH; `env` is added to the environment of gitlab-ci-local and its jobs (as a
 * runner host's own settings, such as podman's CONTAINERS_REGISTRIES_CONF, would be).
 */
export async function runPipeline(
  project: GitlabProject,
  opts: { variables?: Record<string, string>; path?: string; env?: NodeJS.ProcessEnv; jobs?: string[]; timeoutMs?: number } = {},
): Promise<PipelineRun> {
  // gitlab-ci-local takes the project from its working directory (its --cwd wants a relative path).
  const args = [GITLAB_CI_LOCAL, ...GITLAB_CI_LOCAL_FLAGS];
  for (const [name, value] of Object.entries(opts.variables ?? {})) args.push('--variable', `${name}=${value}`);
  args.push(...(opts.jobs ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, FORCE_COLOR: '0' };
  if (opts.path !== undefined) env.PATH = `${opts.path}:${process.env.PATH ?? ''}`;
  const child = spawn(process.execPath, args, { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const status = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const jobs = new Map<string, JobStatus>();
  for (const m of output.matchAll(/^ (PASS|WARN|FAIL) {2}(\S+)/gm)) jobs.set(m[2]!, m[1] as JobStatus);
  return {
    status,
    output,
    jobs,
    jobOutput: (name) =>
      output
        .split('\n')
        .filter((line) => line.startsWith(`${name} `) && /^\S+ +> /.test(line))
        .map((line) => line.replace(/^\S+ +> /, ''))
        .join('\n'),
  };
}

/** The pipeline of `project` as gitlab-ci-local resolves it (`--preview`: includes, `extends:` and `!reference` merged). */
export function previewPipeline(project: GitlabProject): string {
  const r = spawnSync(process.execPath, [GITLAB_CI_LOCAL, '--preview', '--no-color'], { cwd: project.dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  if (r.status !== 0) throw new Error(`gitlab-ci-local --preview failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * The ID token GitLab puts in a job's SIGSTORE_ID_TOKEN (`id_tokens:`) for a push pipeline of `projectPath` on branch
 * `ref` at commit `sha`, minted by the dev issuer of the keyless instance at `instance`.
 */
export function pipelineIdToken(instance: { readonly dataDir: string; readonly url: string }, projectPath: string, sha: string, ref = 'main'): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'dev-token', '--data-dir', instance.dataDir, '--issuer', instance.url,
    '--project', projectPath, '--ref', ref, '--ref-type', 'branch', '--sha', sha, '--pipeline-source', 'push'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keyless dev-token failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * GitLab's two artifact jobs written with templates/Keyless-Sign-Artifact.gitlab-ci.yml (`extends:`), as its usage
 * comment shows; `verifyVariables` are added to the verify job.
 */
export function artifactTemplatePipeline(verifyVariables: Record<string, string> = {}): string {
  const variables = Object.entries(verifyVariables);
  return `include:
  - local: templates/Keyless-Sign-Artifact.gitlab-ci.yml

stages:
  - build
  - verify

build_and_sign_artifact:
  stage: build
  extends: .keyless-sign-blob
  script:
    - echo "This is a build artifact" > artifact.txt
    - !reference [.keyless-sign-blob, script]

verify_artifact:
  stage: verify
  extends: .keyless-verify-blob
${variables.length === 0 ? '' : `  variables:\n${variables.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join('')}`}`;
}

/** A project with `pipeline` as its .gitlab-ci.yml and a copy of the artifact template beside it (`include: local:`). */
export function artifactTemplateProject(pipeline: string): GitlabProject {
  return gitlabProject({
    '.gitlab-ci.yml': pipeline,
    'templates/Keyless-Sign-Artifact.gitlab-ci.yml': readFileSync(join(ROOT, 'templates', 'Keyless-Sign-Artifact.gitlab-ci.yml'), 'utf8'),
  });
}
