/** The issuers a CA accepts, and the Fulcio v2 `configuration` view of them. */
import { KeylessError } from '../core/errors.js';
import type { CaIssuer, ConfigurationResponse } from './types.js';
import type { VerifiedToken } from './token.js';

/** Fulcio's meta-issuer matching: each `*` stands for one non-empty run of [-_a-zA-Z0-9] (no dots, no slashes). */
function metaIssuerRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[-_a-zA-Z0-9]+')}$`);
}

export interface IssuerTable {
  /** Throws ERR_TOKEN unless the token's issuer is configured with the type the verifier reported. */
  check(token: VerifiedToken): CaIssuer;
  configuration(): ConfigurationResponse;
}

export function issuerTable(issuers: readonly CaIssuer[]): IssuerTable {
  const entries = issuers.map((issuer) => {
    if ((issuer.issuerUrl === undefined) === (issuer.metaIssuer === undefined)) {
      throw new TypeError('each CA issuer needs exactly one of issuerUrl and metaIssuer');
    }
    const match = issuer.issuerUrl !== undefined ? (iss: string) => iss === issuer.issuerUrl : (iss: string) => metaIssuerRegExp(issuer.metaIssuer as string).test(iss);
    return { issuer, match };
  });
  return {
    check(token) {
      const found = entries.find((e) => e.match(token.issuer));
      if (found === undefined) {
        throw new KeylessError('ERR_TOKEN', `this CA does not issue certificates for tokens from ${token.issuer}`, { issuer: token.issuer });
      }
      if (found.issuer.type !== token.type || found.issuer.clientId !== token.clientId) {
        throw new KeylessError('ERR_TOKEN', `the token from ${token.issuer} was verified as ${token.type} for ${token.clientId}, but the CA has that issuer as ${found.issuer.type} for ${found.issuer.clientId}`, {
          issuer: token.issuer,
        });
      }
      return found.issuer;
    },
    configuration: () => ({
      issuers: issuers.map((i) => ({
        ...(i.issuerUrl !== undefined ? { issuerUrl: i.issuerUrl } : { wildcardIssuerUrl: i.metaIssuer as string }),
        audience: i.clientId,
        challengeClaim: i.type === 'email' ? 'email' : 'sub',
      })),
    }),
  };
}
