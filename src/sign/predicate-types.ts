/**
 * cosign's `--type` names for attestation predicates and the predicate type URIs they stand for
 * (cmd/cosign/cli/options/predicate.go PredicateTypeMap; the URIs are in-toto's, SLSA's and cosign's own). Any other
 * value must be a URI and is used as it is.
 */
import { KeylessError } from '../core/errors.js';

export const PREDICATE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
});

/** The predicate type URI for cosign's `--type` value; ERR_USAGE when it is neither a known name nor a URI. */
export function predicateTypeUri(type: string): string {
  const known = PREDICATE_TYPES[type];
  if (known !== undefined) return known;
  // cosign: url.ParseRequestURI — an absolute URI.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(type)) {
    try {
      new URL(type);
      return type;
    } catch {
      // fall through
    }
  }
  throw new KeylessError('ERR_USAGE', `invalid predicate type ${JSON.stringify(type)}: use one of ${Object.keys(PREDICATE_TYPES).join(', ')} or a URI`, { type });
}
