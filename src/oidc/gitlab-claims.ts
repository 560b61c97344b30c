/**
 * The claims of a GitLab CI `id_tokens` token, in GitLab's shape (docs.gitlab.com, "OpenID Connect (OIDC)
 * Authentication Using ID Tokens", Token payload): ids as decimal strings except `runner_id`, booleans as the strings
 * "true"/"false", environment claims only when the job has an environment, and
 * `ci_config_ref_uri = <host>/<project path>//<config path>@<ref path>` with no scheme.
 * Values a local pipeline does not give are filled deterministically, so the same input mints the same claims.
 */
import { createHash } from 'node:crypto';
import { KeylessError } from '../core/errors.js';

export interface GitlabJobInput {
  /** `group/project`, or `group/subgroup/project`. */
  readonly projectPath: string;
  /** A branch or tag name; `refs/heads/…` and `refs/tags/…` are also read and set refType. */
  readonly ref: string;
  readonly refType?: 'branch' | 'tag';
  readonly refProtected?: boolean;
  /** 40 hex digits; derived from project and ref when absent. */
  readonly sha?: string;
  readonly projectId?: number;
  readonly namespaceId?: number;
  readonly pipelineId?: number;
  readonly jobId?: number;
  /** GitLab's CI_PIPELINE_SOURCE: push, web, schedule, merge_request_event, …; `push` by default. */
  readonly pipelineSource?: string;
  /** Path of the CI configuration in the project; `.gitlab-ci.yml` by default. */
  readonly ciConfigPath?: string;
  /** Commit of the CI configuration; the job's sha by default (the configuration is in the project). */
  readonly ciConfigSha?: string;
  readonly environment?: string;
  readonly environmentProtected?: boolean;
  readonly deploymentTier?: string;
  readonly environmentAction?: string;
  readonly runnerId?: number;
  readonly runnerEnvironment?: 'gitlab-hosted' | 'self-hosted';
  readonly userId?: number;
  readonly userLogin?: string;
  readonly userEmail?: string;
  readonly userAccessLevel?: string;
  /** public, internal or private; `private` by default. */
  readonly projectVisibility?: string;
}

export interface GitlabTimes {
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

/** Everything wrong with an input, for a caller that wants to report usage errors itself. */
export function gitlabInputProblems(input: Partial<GitlabJobInput>): string[] {
  const problems: string[] = [];
  if (typeof input.projectPath !== 'string' || !/^[^/\s:]+(\/[^/\s:]+)+$/.test(input.projectPath)) {
    problems.push(`project path must be GROUP/PROJECT (with any subgroups), found ${JSON.stringify(input.projectPath ?? null)}`);
  }
  if (typeof input.ref !== 'string' || input.ref === '' || /\s/.test(input.ref)) problems.push(`ref must be a branch or tag name, found ${JSON.stringify(input.ref ?? null)}`);
  if (input.refType !== undefined && input.refType !== 'branch' && input.refType !== 'tag') problems.push(`ref type must be branch or tag, found ${JSON.stringify(input.refType)}`);
  if (input.sha !== undefined && !/^[0-9a-f]{40}$/.test(input.sha)) problems.push(`sha must be 40 lowercase hex digits, found ${JSON.stringify(input.sha)}`);
  if (input.ciConfigSha !== undefined && !/^[0-9a-f]{40}$/.test(input.ciConfigSha)) problems.push(`CI config sha must be 40 lowercase hex digits, found ${JSON.stringify(input.ciConfigSha)}`);
  for (const name of ['projectId', 'namespaceId', 'pipelineId', 'jobId', 'runnerId', 'userId'] as const) {
    const v = input[name];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) problems.push(`${name} must be a positive integer, found ${JSON.stringify(v)}`);
  }
  if (input.runnerEnvironment !== undefined && input.runnerEnvironment !== 'gitlab-hosted' && input.runnerEnvironment !== 'self-hosted') {
    problems.push(`runner environment must be gitlab-hosted or self-hosted, found ${JSON.stringify(input.runnerEnvironment)}`);
  }
  if (input.ciConfigPath !== undefined && (input.ciConfigPath === '' || /[\s@]/.test(input.ciConfigPath))) problems.push(`CI config path must be a path in the project, found ${JSON.stringify(input.ciConfigPath)}`);
  return problems;
}

/** GitLab's claims for a job, without `aud` and the times, which the minter adds. */
export function gitlabClaims(issuer: string, input: GitlabJobInput, times: GitlabTimes, jti: string, audience: string): Record<string, unknown> {
  const problems = gitlabInputProblems(input);
  if (problems.length > 0) throw new TypeError(`invalid GitLab job input: ${problems.join('; ')}`);
  const host = new URL(issuer).host;
  const { ref, refType } = splitRef(input.ref, input.refType);
  const refPath = `refs/${refType === 'tag' ? 'tags' : 'heads'}/${ref}`;
  const project = input.projectPath;
  const namespace = project.slice(0, project.lastIndexOf('/'));
  const sha = input.sha ?? derivedHex(`sha:${project}@${refPath}`);
  const configPath = (input.ciConfigPath ?? '.gitlab-ci.yml').replace(/^\/+/, '');
  const login = input.userLogin ?? 'dev-user';
  // Key order follows GitLab's documented example payload.
  return {
    namespace_id: String(input.namespaceId ?? derivedId(`namespace:${namespace}`)),
    namespace_path: namespace,
    project_id: String(input.projectId ?? derivedId(`project:${project}`)),
    project_path: project,
    user_id: String(input.userId ?? derivedId(`user:${login}`)),
    user_login: login,
    user_email: input.userEmail ?? `${login}@${new URL(issuer).hostname}`,
    user_access_level: input.userAccessLevel ?? 'developer',
    pipeline_id: String(input.pipelineId ?? derivedId(`pipeline:${project}@${sha}`)),
    pipeline_source: input.pipelineSource ?? 'push',
    job_id: String(input.jobId ?? derivedId(`job:${project}@${sha}`)),
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: String(input.refProtected ?? false),
    ...(input.environment !== undefined
      ? {
        environment: input.environment,
        environment_protected: String(input.environmentProtected ?? false),
        deployment_tier: input.deploymentTier ?? 'other',
        environment_action: input.environmentAction ?? 'start',
      }
      : {}),
    runner_id: input.runnerId ?? 1,
    runner_environment: input.runnerEnvironment ?? 'self-hosted',
    sha,
    project_visibility: input.projectVisibility ?? 'private',
    ci_config_ref_uri: `${host}/${project}//${configPath}@${refPath}`,
    ci_config_sha: input.ciConfigSha ?? sha,
    jti,
    iss: issuer,
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    sub: `project_path:${project}:ref_type:${refType}:ref:${ref}`,
    aud: audience,
  };
}

function splitRef(ref: string, refType: 'branch' | 'tag' | undefined): { ref: string; refType: 'branch' | 'tag' } {
  if (ref.startsWith('refs/heads/')) return { ref: ref.slice('refs/heads/'.length), refType: 'branch' };
  if (ref.startsWith('refs/tags/')) return { ref: ref.slice('refs/tags/'.length), refType: 'tag' };
  return { ref, refType: refType ?? 'branch' };
}

function derivedHex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 40);
}

/** A stable positive id below 10^9 (GitLab ids are decimal). */
function derivedId(seed: string): number {
  return (createHash('sha256').update(seed).digest().readUInt32BE(0) % 900_000_000) + 100_000_000;
}

/**
 * What a GitLab job's predefined CI/CD variables say about it. Unset variables are left out; a variable that is set
 * but unreadable (an id that is not a number) is an error naming the variable.
 */
export function gitlabInputFromEnv(env: Record<string, string | undefined>): Partial<GitlabJobInput> {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    if (!/^[1-9][0-9]{0,15}$/.test(v)) {
      problems.push(`${name} must be a positive decimal integer, found ${JSON.stringify(v)}`);
      return undefined;
    }
    return Number(v);
  };
  const bool = (name: string): boolean | undefined => {
    const v = str(name);
    return v === undefined ? undefined : v === 'true';
  };
  const tag = str('CI_COMMIT_TAG');
  const ref = tag ?? str('CI_COMMIT_REF_NAME');
  const input: Record<string, unknown> = {
    projectPath: str('CI_PROJECT_PATH'),
    ref,
    refType: tag !== undefined ? 'tag' : ref !== undefined ? 'branch' : undefined,
    refProtected: bool('CI_COMMIT_REF_PROTECTED'),
    sha: str('CI_COMMIT_SHA'),
    projectId: int('CI_PROJECT_ID'),
    namespaceId: int('CI_PROJECT_NAMESPACE_ID'),
    pipelineId: int('CI_PIPELINE_ID'),
    jobId: int('CI_JOB_ID'),
    pipelineSource: str('CI_PIPELINE_SOURCE'),
    ciConfigPath: str('CI_CONFIG_PATH'),
    environment: str('CI_ENVIRONMENT_NAME'),
    deploymentTier: str('CI_ENVIRONMENT_TIER'),
    environmentAction: str('CI_ENVIRONMENT_ACTION'),
    runnerId: int('CI_RUNNER_ID'),
    userId: int('GITLAB_USER_ID'),
    userLogin: str('GITLAB_USER_LOGIN'),
    userEmail: str('GITLAB_USER_EMAIL'),
    projectVisibility: str('CI_PROJECT_VISIBILITY'),
  };
  if (problems.length > 0) throw new KeylessError('ERR_USAGE', `GitLab CI variables cannot be read: ${problems.join('; ')}`, { problems });
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<GitlabJobInput>;
}
