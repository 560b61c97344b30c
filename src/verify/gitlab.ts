/**
 * The identity GitLab CI signs with, built from what a user knows about their pipeline.
 * Fulcio makes the SAN of a GitLab token `https://{ci_config_ref_uri}` whatever the server's scheme, and GitLab
 * writes ci_config_ref_uri as `{server host}/{project path}//{config path}@{ref}`: note the double slash between
 * project and path. The issuer is the server's URL as it is (a local instance's is `http://127.0.0.1:3000`).
 */
import { KeylessError } from '../core/errors.js';
import type { CertificateIdentity } from './identity.js';

export interface GitLabIdentityOptions {
  /** `group/project` or `group/subgroup/project`. */
  readonly project: string;
  /** A full ref (`refs/heads/main`, `refs/tags/v1.0.0`); a bare name is taken as a branch. */
  readonly ref: string;
  /** Path of the CI configuration in the project; `.gitlab-ci.yml` by default. */
  readonly configPath?: string;
  /** The GitLab server, which is also the OIDC issuer; `https://gitlab.com` by default. */
  readonly server?: string;
}

export function gitlabIdentity(options: GitLabIdentityOptions): CertificateIdentity {
  const server = (options.server ?? 'https://gitlab.com').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new KeylessError('ERR_USAGE', `--gitlab-server must be a URL such as https://gitlab.com, got ${JSON.stringify(server)}`, {}, { cause });
  }
  const project = options.project.replace(/^\/+|\/+$/g, '');
  if (!/^[^/\s]+(\/[^/\s]+)+$/.test(project)) {
    throw new KeylessError('ERR_USAGE', `--gitlab-project must be GROUP/PROJECT (with any subgroups), got ${JSON.stringify(options.project)}`);
  }
  const configPath = (options.configPath ?? '.gitlab-ci.yml').replace(/^\/+/, '');
  const ref = options.ref.startsWith('refs/') ? options.ref : `refs/heads/${options.ref}`;
  return {
    subjectAlternativeName: { kind: 'exact', value: `https://${url.host}/${project}//${configPath}@${ref}` },
    issuer: { kind: 'exact', value: `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}` },
  };
}
