/**
 * What each issuer type must put in a token for the CA to make a certificate from it, as Fulcio's
 * `pkg/identity/<type>/principal.go` requires, and the subject the caller proves possession over
 * (Fulcio's challenge claim: `email` for email issuers, `sub` for all others).
 * Every missing claim is reported at once.
 */
import { KeylessError } from '../core/errors.js';
import { describe, type IssuerConfig, type IssuerType } from './issuer-config.js';

type Claims = Readonly<Record<string, unknown>>;

/** Claims the CA maps into certificate extensions for a GitLab pipeline (Fulcio's gitlabcom principal, plus visibility). */
export const GITLAB_REQUIRED_CLAIMS = [
  'namespace_path', 'namespace_id', 'project_path', 'project_id', 'ref', 'ref_type', 'sha', 'pipeline_id', 'pipeline_source',
  'job_id', 'runner_environment', 'ci_config_ref_uri', 'ci_config_sha', 'project_visibility',
] as const;

/** Fulcio's github principal: every one of these must be a non-empty string. */
export const GITHUB_REQUIRED_CLAIMS = [
  'job_workflow_ref', 'sha', 'event_name', 'repository', 'workflow', 'ref', 'job_workflow_sha', 'runner_environment',
  'repository_id', 'repository_owner', 'repository_owner_id', 'workflow_ref', 'workflow_sha', 'run_id', 'run_attempt',
] as const;

const CI_CONFIG_HINT =
  'The CA needs ci_config_ref_uri for the certificate\'s identity (SAN https://{ci_config_ref_uri}), and GitLab leaves it ' +
  '(and ci_config_sha) empty when the pipeline\'s configuration does not come from the project itself: a config included ' +
  'from another project or URL, a child or downstream pipeline, or a custom CI config path outside the repository. ' +
  'Sign in a job of a pipeline defined by the project\'s own .gitlab-ci.yml (or a config path inside the repository).';

/** Checks the type-specific claims and returns the subject; throws ERR_TOKEN listing every problem. */
export function subjectFromClaims(type: IssuerType, claims: Claims, config: IssuerConfig): string {
  const problems: string[] = [];
  const need = (name: string): string | undefined => requireString(claims, name, problems);
  let subject: string | undefined;
  switch (type) {
    case 'gitlab-pipeline': {
      subject = need('sub');
      GITLAB_REQUIRED_CLAIMS.forEach(need);
      const refType = claims.ref_type;
      if (typeof refType === 'string' && refType !== '' && refType !== 'branch' && refType !== 'tag') {
        problems.push(`claim ref_type must be "branch" or "tag", found ${describe(refType)}`);
      }
      if (!nonEmpty(claims.ci_config_ref_uri) || !nonEmpty(claims.ci_config_sha)) problems.push(CI_CONFIG_HINT);
      break;
    }
    case 'github-workflow':
      subject = need('sub');
      GITHUB_REQUIRED_CLAIMS.forEach(need);
      break;
    case 'email': {
      subject = need('email');
      if (subject !== undefined && !/^[^@\s]+@[^@\s]+$/.test(subject)) problems.push(`claim email must be an email address, found ${describe(subject)}`);
      if (claims.email_verified !== true) problems.push(`claim email_verified must be true, found ${describe(claims.email_verified)}`);
      break;
    }
    case 'uri': {
      subject = need('sub');
      if (subject !== undefined && config.subjectDomain !== undefined && !uriUnderDomain(subject, config.subjectDomain)) {
        problems.push(`claim sub must be a URI with the scheme and domain of ${config.subjectDomain}, found ${describe(subject)}`);
      }
      break;
    }
    case 'username':
      subject = need('sub');
      if (subject?.includes('@') === true) problems.push(`claim sub must be a user name without "@", found ${describe(subject)}`);
      break;
    case 'spiffe': {
      subject = need('sub');
      const prefix = `spiffe://${config.subjectDomain ?? ''}/`;
      if (subject !== undefined && !(subject.startsWith(prefix) && subject.length > prefix.length)) {
        problems.push(`claim sub must be a SPIFFE ID in trust domain ${config.subjectDomain ?? '(unset)'} (${prefix}...), found ${describe(subject)}`);
      }
      break;
    }
    case 'kubernetes': {
      subject = need('sub');
      const k8s = claims['kubernetes.io'];
      const record = typeof k8s === 'object' && k8s !== null ? (k8s as Record<string, unknown>) : undefined;
      const sa = record?.serviceaccount;
      if (!nonEmpty(record?.namespace)) problems.push('claim kubernetes.io.namespace must be a non-empty string');
      if (!nonEmpty(typeof sa === 'object' && sa !== null ? (sa as Record<string, unknown>).name : undefined)) {
        problems.push('claim kubernetes.io.serviceaccount.name must be a non-empty string');
      }
      break;
    }
    case 'buildkite-job':
      subject = need('sub');
      need('organization_slug');
      need('pipeline_slug');
      break;
    case 'codefresh-workflow':
      subject = need('sub');
      need('account_id');
      need('pipeline_id');
      need('workflow_id');
      break;
  }
  if (problems.length > 0 || subject === undefined) {
    const missing = problems.filter((p) => p.startsWith('missing claim')).length;
    throw new KeylessError(
      'ERR_TOKEN',
      `token from ${String(claims.iss)} (${type}) lacks what the CA needs: ${problems.join('; ')}`,
      { reason: 'claims', issuer: claims.iss, type, problems, missing },
    );
  }
  return subject;
}

function requireString(claims: Claims, name: string, problems: string[]): string | undefined {
  const value = claims[name];
  if (value === undefined || value === null) {
    problems.push(`missing claim ${name}${value === null ? ' (it is null)' : ''}`);
    return undefined;
  }
  if (typeof value !== 'string' || value === '') {
    problems.push(`claim ${name} must be a non-empty string, found ${value === '' ? 'an empty string' : describe(value)}`);
    return undefined;
  }
  return value;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Fulcio's rule for uri issuers: same scheme, and the same host or the same last two DNS labels. */
function uriUnderDomain(subject: string, domain: string): boolean {
  let s: URL;
  let d: URL;
  try {
    s = new URL(subject);
    d = new URL(domain);
  } catch {
    return false;
  }
  if (s.protocol !== d.protocol) return false;
  if (s.hostname === d.hostname) return true;
  const sl = s.hostname.split('.');
  const dl = d.hostname.split('.');
  return sl.length >= 2 && dl.length >= 2 && sl.slice(-2).join('.') === dl.slice(-2).join('.');
}
