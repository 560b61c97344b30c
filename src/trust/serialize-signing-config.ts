/** Writes a SigningConfig v0.2 as protobuf JSON (camelCase, proto field order, defaults omitted). */
import { validityToJson } from './read-common.js';
import type { Service, ServiceConfiguration, SigningConfig } from './types.js';

export function serializeSigningConfig(config: SigningConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: config.mediaType };
  if (config.caUrls.length > 0) out['caUrls'] = config.caUrls.map(serviceToJson);
  if (config.oidcUrls.length > 0) out['oidcUrls'] = config.oidcUrls.map(serviceToJson);
  if (config.rekorTlogUrls.length > 0) out['rekorTlogUrls'] = config.rekorTlogUrls.map(serviceToJson);
  if (config.rekorTlogConfig !== undefined) out['rekorTlogConfig'] = configToJson(config.rekorTlogConfig);
  if (config.tsaUrls.length > 0) out['tsaUrls'] = config.tsaUrls.map(serviceToJson);
  if (config.tsaConfig !== undefined) out['tsaConfig'] = configToJson(config.tsaConfig);
  return out;
}

function serviceToJson(s: Service): Record<string, unknown> {
  return {
    url: s.url,
    ...(s.majorApiVersion !== 0 ? { majorApiVersion: s.majorApiVersion } : {}),
    validFor: validityToJson(s.validFor),
    ...(s.operator !== '' ? { operator: s.operator } : {}),
  };
}

function configToJson(c: ServiceConfiguration): Record<string, unknown> {
  return c.count !== undefined && c.count !== 0 ? { selector: c.selector, count: c.count } : { selector: c.selector };
}
