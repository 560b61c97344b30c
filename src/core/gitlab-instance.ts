/**
 * The URLs Fulcio derives from a GitLab ID token (config/identity/config.yaml, ci-issuer-metadata for
 * gitlab-pipeline: `url` is the instance, the repository is `{url}/{project_path}`). Here so that the CA, which
 * writes them into certificates, and npm provenance, which must describe the same repository before it is signed,
 * read the issuer one way: two derivations would drift apart, and a statement whose repository differs from its
 * certificate's by one character fails every audit of it.
 */
import { KeylessError } from './errors.js';

/**
 * The GitLab instance's base URL from the token's issuer (`https://gitlab.example.com`, or with a path for an
 * instance under one), without a trailing slash: what CI_SERVER_URL holds. ERR_TOKEN when the issuer is no URL.
 */
export function gitlabInstanceUrl(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new KeylessError('ERR_TOKEN', `the GitLab token's issuer ${JSON.stringify(issuer)} is not a URL`, { issuer });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Fulcio's Source Repository URI (OID 1.3.6.1.4.1.57264.1.12) for a GitLab project: what CI_PROJECT_URL holds. */
export function gitlabSourceRepositoryUri(issuer: string, projectPath: string): string {
  return `${gitlabInstanceUrl(issuer)}/${projectPath}`;
}
