/**
 * Parses a SigningConfig v0.2 (sigstore_trustroot.proto) from protobuf JSON, collecting every problem before
 * failing with one ERR_TRUST_INVALID. (v0.1, with single caUrl/oidcUrl strings, is not supported.)
 */
import { KeylessError } from '../core/errors.js';
import { isJsonObject, ObjectReader, ProblemList } from '../bundle/json-reader.js';
import { readValidity } from './read-common.js';
import { SIGNING_CONFIG_MEDIA_TYPE_V02, type Service, type ServiceConfiguration, type ServiceSelector, type SigningConfig } from './types.js';

const SELECTORS = ['SERVICE_SELECTOR_UNDEFINED', 'ALL', 'ANY', 'EXACT'];

export function parseSigningConfig(json: unknown): SigningConfig {
  if (!isJsonObject(json)) throw new KeylessError('ERR_JSON', 'a signing config must be a JSON object');
  const problems = new ProblemList();
  const r = ObjectReader.root(json, problems);
  // "MUST be application/vnd.dev.sigstore.signingconfig.v0.2+json"
  const mediaType = r.string('mediaType', { required: true });
  if (mediaType !== '' && mediaType !== SIGNING_CONFIG_MEDIA_TYPE_V02) {
    throw new KeylessError('ERR_TRUST_INVALID', `unsupported signing config media type ${JSON.stringify(mediaType)}`, { mediaType });
  }
  const caUrls = readServices(r, 'caUrls');
  const oidcUrls = readServices(r, 'oidcUrls');
  const rekorTlogUrls = readServices(r, 'rekorTlogUrls');
  const rekorTlogConfig = readConfig(r, 'rekorTlogConfig', rekorTlogUrls.length);
  const tsaUrls = readServices(r, 'tsaUrls');
  const tsaConfig = readConfig(r, 'tsaConfig', tsaUrls.length);
  problems.throwIfAny('ERR_TRUST_INVALID', 'signing config');
  return {
    mediaType,
    caUrls,
    oidcUrls,
    rekorTlogUrls,
    ...(rekorTlogConfig !== undefined ? { rekorTlogConfig } : {}),
    tsaUrls,
    ...(tsaConfig !== undefined ? { tsaConfig } : {}),
  };
}

function readServices(r: ObjectReader, name: string): Service[] {
  return r
    .objects(name, (s): Service | undefined => {
      // "URL of the service. MUST include scheme and authority. MAY include path."
      const url = s.string('url', { required: true });
      if (url !== '' && !/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+/i.test(url)) s.problem('url', 'must include a scheme and an authority');
      const majorApiVersion = s.uint32('majorApiVersion');
      const validFor = readValidity(s, 'validFor');
      const operator = s.string('operator');
      return validFor === undefined ? undefined : { url, majorApiVersion, validFor, operator };
    })
    .filter((s): s is Service => s !== undefined);
}

function readConfig(r: ObjectReader, name: string, services: number): ServiceConfiguration | undefined {
  // "Clients MUST select Services based on the selector value"; "A client SHOULD throw an error if the value is
  // SERVICE_SELECTOR_UNDEFINED." So a list of services needs its configuration.
  const c = r.object(name, { required: services > 0 });
  if (c === undefined) return undefined;
  const selector = c.enumName('selector', SELECTORS, { required: true });
  if (selector !== '' && !SELECTORS.includes(selector)) c.problem('selector', `${selector} is not a service selector`);
  const count = c.uint32('count');
  if (selector === 'EXACT') {
    // "count ... Only used when selector is set to EXACT, and count MUST be greater than 0. count MUST be less than or
    // equal to the number of Services."
    if (count === 0) c.problem('count', 'must be greater than 0 for EXACT');
    else if (count > services) c.problem('count', `is ${count}, but only ${services} services are listed`);
    return { selector, count };
  }
  return selector === 'ALL' || selector === 'ANY' ? { selector: selector as ServiceSelector } : undefined;
}
