/**
 * Choosing which services to use from a SigningConfig, per the selection rules of sigstore_trustroot.proto
 * (Service, ServiceConfiguration, SigningConfig comments). Deterministic: where the spec leaves the choice to the
 * client ("random or round-robin"), we take the newest services first.
 */
import { KeylessError } from '../core/errors.js';
import type { Service, ServiceConfiguration } from './types.js';

export interface SelectOptions {
  /** The major API versions this client can talk to; by default, any (the highest listed wins). */
  readonly supportedApiVersions?: readonly number[];
}

/**
 * Selects services for a list governed by a ServiceConfiguration (Rekor logs, TSAs). ERR_TRUST_INVALID when the
 * configuration cannot be satisfied at `now`.
 */
export function selectServices(services: readonly Service[], config: ServiceConfiguration, now: Date | number, options: SelectOptions = {}): Service[] {
  const at = typeof now === 'number' ? now : now.getTime();
  const fail = (message: string): never => {
    throw new KeylessError('ERR_TRUST_INVALID', message, {
      at: new Date(at).toISOString(),
      selector: config.selector,
      supportedApiVersions: options.supportedApiVersions ?? 'any',
      services: services.map((s) => s.url),
    });
  };
  // "Only select services within the specified validity period" (inclusive of the endpoints).
  const valid = services.filter((s) => s.validFor.start <= at && (s.validFor.end === undefined || at <= s.validFor.end));
  // "Use the API version hint to determine the service with the highest API version that the client is compatible
  // with." "Select services from only the highest supported API version."
  const versions = [...new Set(valid.map((s) => s.majorApiVersion))]
    .filter((v) => options.supportedApiVersions === undefined || options.supportedApiVersions.includes(v))
    .sort((a, b) => b - a);
  const version = versions[0];
  if (version === undefined) return fail('no service is valid now with a supported API version');
  // "... and that have the newest validity start date": newest first (a stable sort keeps the listed order on ties,
  // and "Client SHOULD select the first Service that meets this requirement").
  const candidates = valid.filter((s) => s.majorApiVersion === version).sort((a, b) => b.validFor.start - a.validFor.start);
  // "Group services by `operator` and select at most one service from an operator."
  const operators = new Set<string>();
  const perOperator = candidates.filter((s) => !operators.has(s.operator) && operators.add(s.operator));
  switch (config.selector) {
    // ALL - Clients SHOULD select all Services based on supported API version and validity window.
    case 'ALL':
      return perOperator;
    // ANY - Clients SHOULD select one Service ... It is up to the client implementation to decide how.
    case 'ANY':
      return perOperator.slice(0, 1);
    // EXACT - Clients SHOULD select a specific number of Services ... "Clients MUST return an error if there are not
    // enough services that meet the selection criteria."
    case 'EXACT': {
      const count = config.count ?? 0;
      if (count <= 0) return fail('EXACT service selection needs a count greater than 0');
      if (perOperator.length < count) return fail(`EXACT service selection needs ${count} services from distinct operators, ${perOperator.length} qualify`);
      return perOperator.slice(0, count);
    }
  }
}

/**
 * Selects the one service to use from a list without a configuration (CA, OIDC provider): "Clients MUST select only
 * one Service with the highest API version that the client is compatible with, that is within its validity period,
 * and has the newest validity start date. Client SHOULD select the first Service that meets this requirement."
 */
export function selectService(services: readonly Service[], now: Date | number, options: SelectOptions = {}): Service {
  const [first] = selectServices(services, { selector: 'ANY' }, now, options);
  return first as Service;
}
