/**
 * What a verified token puts in a certificate: the one SAN and Fulcio's extension values (by the names of
 * src/core/oids.ts FULCIO_EXTENSIONS), per issuer type. One file per CI provider; email lives here.
 */
import { KeylessError } from '../core/errors.js';
import { gitlabPrincipal } from './principal-gitlab.js';
import { githubPrincipal } from './principal-github.js';
import type { Principal } from './claims.js';
import type { VerifiedToken } from './token.js';

/** Fulcio's email principal: SAN rfc822Name, only the issuer extension. */
function emailPrincipal(token: VerifiedToken): Principal {
  // Fulcio refuses an address the identity provider has not verified ("email_verified claim was false").
  if (token.claims.email_verified !== true) {
    throw new KeylessError('ERR_TOKEN', `the identity provider has not verified the email address ${token.subject} (email_verified is not true)`);
  }
  return { san: { type: 'email', value: token.subject }, extensions: { issuer: token.issuer } };
}

export function principalFor(token: VerifiedToken): Principal {
  switch (token.type) {
    case 'gitlab-pipeline':
      return gitlabPrincipal(token);
    case 'github-workflow':
      return githubPrincipal(token);
    case 'email':
      return emailPrincipal(token);
    default:
      throw new KeylessError('ERR_REQUEST', `issuing certificates for ${token.type} identities is not supported yet (supported: gitlab-pipeline, github-workflow, email)`, {
        type: token.type,
      });
  }
}
