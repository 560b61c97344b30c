/**
 * `keyless dev-token --project GROUP/PROJECT --ref main`: a GitLab-shaped ID token from the local dev issuer, for
 * running the keyless flow on a laptop or in a local pipeline. Flags override the job's `CI_*` variables.
 * DEVELOPMENT ONLY, and it says so on stderr every time: the token is only as trustworthy as the key file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevIssuer, DEV_ISSUER_KEY_PATH, gitlabInputFromEnv, gitlabInputProblems, type GitlabJobInput } from '../../oidc/index.js';
import { parse, str, usageError } from '../args.js';
import { readFileOrFail, type Output } from '../io.js';

/**
 * Where a local `keyless serve` is reached unless --issuer or KEYLESS_DEV_ISSUER_URL says otherwise, or the data
 * directory's signing_config.json names the running instance's issuer (it does when serve runs with the dev issuer).
 */
export const DEFAULT_DEV_ISSUER_URL = 'http://127.0.0.1:3000';

/** The dev issuer URL the instance in `dataDir` published in its signing config, if any. */
function issuerFromDataDir(dataDir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(dataDir, 'signing_config.json'), 'utf8')) as { oidcUrls?: { url?: unknown }[] };
    const url = config.oidcUrls?.[0]?.url;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}
export const DEFAULT_DATA_DIR = './keyless-data';

export const USAGE = `Usage: keyless dev-token --project GROUP/PROJECT --ref REF [options]
Prints a development ID token, shaped like GitLab CI's id_tokens, signed by the local dev issuer.
Values not given as flags come from the job's CI_* variables (CI_PROJECT_PATH, CI_COMMIT_REF_NAME, CI_COMMIT_TAG, CI_COMMIT_SHA, ...).
  --project GROUP/PROJECT   project path (CI_PROJECT_PATH)
  --ref REF                 branch or tag name, or refs/heads/... | refs/tags/... (CI_COMMIT_REF_NAME)
  --ref-type branch|tag     (tag when CI_COMMIT_TAG is set; branch otherwise)
  --aud AUDIENCE            the token's audience (default sigstore)
  --issuer URL              the dev issuer's URL, which is the token's iss (KEYLESS_DEV_ISSUER_URL; default: the one in
                            DATA_DIR/signing_config.json, else ${DEFAULT_DEV_ISSUER_URL})
  --key FILE                the dev issuer's private key (PEM)
  --data-dir DIR            read the key at DIR/${DEV_ISSUER_KEY_PATH} (KEYLESS_DATA_DIR, default ${DEFAULT_DATA_DIR})
  --sha HEX                 commit (CI_COMMIT_SHA; derived from project and ref when absent)
  --lifetime SECONDS        token lifetime (default 600)
  --pipeline-source SOURCE  push, web, schedule, merge_request_event, ... (CI_PIPELINE_SOURCE, default push)
  --pipeline-id N  --job-id N  --project-id N  --namespace-id N
  --ci-config-path PATH     CI configuration path in the project (CI_CONFIG_PATH, default .gitlab-ci.yml)
  --environment NAME        deployment environment (CI_ENVIRONMENT_NAME)
  --runner-environment gitlab-hosted|self-hosted   (default self-hosted)
  --user LOGIN              user_login (GITLAB_USER_LOGIN)
  --visibility public|internal|private            project_visibility (CI_PROJECT_VISIBILITY, default private)
Never configure a production CA to trust the dev issuer: anyone with its key can mint any identity.`;

const OPTIONS = {
  project: { type: 'string' }, ref: { type: 'string' }, 'ref-type': { type: 'string' }, aud: { type: 'string' },
  issuer: { type: 'string' }, key: { type: 'string' }, 'data-dir': { type: 'string' }, sha: { type: 'string' },
  lifetime: { type: 'string' }, 'pipeline-source': { type: 'string' }, 'pipeline-id': { type: 'string' }, 'job-id': { type: 'string' },
  'project-id': { type: 'string' }, 'namespace-id': { type: 'string' }, 'ci-config-path': { type: 'string' },
  environment: { type: 'string' }, 'runner-environment': { type: 'string' }, user: { type: 'string' }, visibility: { type: 'string' },
} as const;

export async function devToken(argv: string[], io: Output, env: Record<string, string | undefined> = process.env): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE);
  if (parsed.positionals.length > 0) throw usageError(`dev-token takes no positional arguments, got ${JSON.stringify(parsed.positionals[0])}`, USAGE);
  const problems: string[] = [];
  const int = (name: string): number | undefined => {
    const v = str(parsed, name);
    if (v === undefined) return undefined;
    if (!/^[1-9][0-9]{0,15}$/.test(v)) problems.push(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const flags: Record<string, unknown> = {
    projectPath: str(parsed, 'project'),
    ref: str(parsed, 'ref'),
    refType: str(parsed, 'ref-type'),
    sha: str(parsed, 'sha'),
    pipelineSource: str(parsed, 'pipeline-source'),
    pipelineId: int('pipeline-id'),
    jobId: int('job-id'),
    projectId: int('project-id'),
    namespaceId: int('namespace-id'),
    ciConfigPath: str(parsed, 'ci-config-path'),
    environment: str(parsed, 'environment'),
    runnerEnvironment: str(parsed, 'runner-environment'),
    userLogin: str(parsed, 'user'),
    projectVisibility: str(parsed, 'visibility'),
  };
  const fromFlags = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const fromEnv = gitlabInputFromEnv(env);
  // A --ref given as a flag must not inherit the ref type of the job's CI_COMMIT_TAG.
  if (fromFlags.ref !== undefined && fromFlags.refType === undefined) delete (fromEnv as { refType?: unknown }).refType;
  const input = { ...fromEnv, ...fromFlags } as Partial<GitlabJobInput>;
  if (input.projectPath === undefined) problems.push('--project is required (or CI_PROJECT_PATH)');
  if (input.ref === undefined) problems.push('--ref is required (or CI_COMMIT_REF_NAME)');
  if (problems.length === 0) problems.push(...gitlabInputProblems(input));

  const lifetimeText = str(parsed, 'lifetime') ?? '600';
  if (!/^[1-9][0-9]{0,5}$/.test(lifetimeText) || Number(lifetimeText) > 86400) problems.push(`--lifetime must be whole seconds from 1 to 86400, got ${JSON.stringify(lifetimeText)}`);
  const dataDir = str(parsed, 'data-dir') ?? env.KEYLESS_DATA_DIR ?? DEFAULT_DATA_DIR;
  const issuerUrl = str(parsed, 'issuer') ?? env.KEYLESS_DEV_ISSUER_URL ?? issuerFromDataDir(dataDir) ?? DEFAULT_DEV_ISSUER_URL;
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(issuerUrl)) problems.push(`--issuer must be an http(s) URL, got ${JSON.stringify(issuerUrl)}`);
  const audience = str(parsed, 'aud') ?? 'sigstore';
  if (audience === '') problems.push('--aud must not be empty');
  if (problems.length > 0) throw usageError(problems.join('\n'), USAGE);

  const keyPath = str(parsed, 'key') ?? join(dataDir, DEV_ISSUER_KEY_PATH);
  if (!existsSync(keyPath)) {
    throw usageError(
      `no dev issuer key at ${keyPath}: start keyless serve with the dev issuer enabled (it creates ${DEV_ISSUER_KEY_PATH} in its data directory), ` +
        'or pass --key FILE or --data-dir DIR',
      USAGE,
    );
  }
  const issuer = createDevIssuer({ issuer: issuerUrl, privateKeyPem: readFileOrFail(keyPath, 'dev issuer key', 1024 * 1024).toString('utf8') });
  const token = await issuer.mint(input as GitlabJobInput, { audience, lifetimeSeconds: Number(lifetimeText) });
  io.err(`Warning: development token from the keyless dev issuer ${issuer.issuer}; only a CA configured to trust that issuer accepts it, and no production CA should.`);
  io.out(token);
  return 0;
}
