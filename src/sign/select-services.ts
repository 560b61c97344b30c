/**
 * Which CA, logs and TSAs one signature uses, from a SigningConfig v0.2 (sigstore_trustroot.proto selection rules,
 * applied by src/trust). The logs' API version decides whether a timestamp is optional:
 * - Rekor v1 answers with a signed entry timestamp (SET), a trusted time on its own; a TSA is added when the config
 *   lists one, as cosign and sigstore-js do.
 * - A Rekor v2 entry carries no signed time, so a verifier has no time at which to check the certificate unless a
 *   TSA supplies one: with v2, a TSA is REQUIRED.
 */
import { KeylessError, isKeylessError } from '../core/errors.js';
import { selectService, selectServices, type Service, type SigningConfig } from '../trust/index.js';

/** The Rekor API versions this signer speaks (rekorTlogUrls' majorApiVersion). */
export const SUPPORTED_REKOR_VERSIONS: readonly number[] = [1, 2];

export interface SigningServices {
  readonly ca: Service;
  /** All of one API version (the highest valid one the config lists). */
  readonly tlogs: readonly Service[];
  readonly tlogVersion: number;
  readonly tsas: readonly Service[];
}

function because(err: unknown, message: string): never {
  if (isKeylessError(err)) throw new KeylessError(err.code, `${message}: ${err.message}`, err.details, { cause: err });
  throw err;
}

export function selectSigningServices(config: SigningConfig, now: number): SigningServices {
  let ca: Service;
  try {
    // Fulcio's v2 REST API is majorApiVersion 1 in signing configs (the proto service's version).
    ca = selectService(config.caUrls, now, { supportedApiVersions: [1] });
  } catch (err) {
    return because(err, `the signing config lists no usable certificate authority (${config.caUrls.length} listed)`);
  }
  let tlogs: Service[];
  try {
    tlogs = selectServices(config.rekorTlogUrls, config.rekorTlogConfig ?? { selector: 'ANY' }, now, { supportedApiVersions: SUPPORTED_REKOR_VERSIONS });
  } catch (err) {
    return because(err, `the signing config lists no usable transparency log (${config.rekorTlogUrls.length} listed; this signer speaks Rekor v${SUPPORTED_REKOR_VERSIONS.join(' and v')})`);
  }
  const tlogVersion = tlogs[0]?.majorApiVersion ?? 1;
  let tsas: Service[] = [];
  if (config.tsaUrls.length > 0) {
    try {
      tsas = selectServices(config.tsaUrls, config.tsaConfig ?? { selector: 'ANY' }, now, { supportedApiVersions: [1] });
    } catch (err) {
      // With Rekor v1 a timestamp is extra evidence, so an unusable TSA list is not fatal; with v2 it is (below).
      if (tlogVersion < 2) tsas = [];
      else return because(err, 'the signing config lists no usable timestamp authority, and Rekor v2 entries need one');
    }
  }
  if (tlogVersion >= 2 && tsas.length === 0) {
    throw new KeylessError('ERR_TRUST_INVALID', `the signing config selects Rekor v2 (${tlogs.map((t) => t.url).join(', ')}) but lists no timestamp authority: a Rekor v2 entry has no signed time, so the bundle needs an RFC 3161 timestamp`, {
      tlogs: tlogs.map((t) => t.url),
    });
  }
  return { ca, tlogs, tlogVersion, tsas };
}
