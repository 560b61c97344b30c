/**
 * cosign's Simple Signing payload (sigstore/sigstore pkg/signature/payload; containers/image
 * docs/containers-signature.5.md "JSON data format"; cosign specs/SIGNATURE_SPEC.md "Simple Signing"):
 *   {"critical":{"identity":{"docker-reference":"registry/repo"},
 *                "image":{"docker-manifest-digest":"sha256:…"},
 *                "type":"cosign container image signature"},
 *    "optional":null | {…}}
 * The signature covers these exact bytes, so a reader keeps the bytes and only reads the fields out of them.
 */
import { KeylessError } from '../../core/errors.js';
import { SIMPLE_SIGNING_TYPE } from './constants.js';
import { invalid, isSha256Digest, parseJsonBytes, type Problem } from './descriptor.js';

export interface SimpleSigningPayload {
  /** critical.identity.docker-reference: the repository the signer named (cosign: `registry/repository`). */
  readonly dockerReference: string;
  /** critical.image.docker-manifest-digest: the signed manifest's digest. */
  readonly manifestDigest: string;
  /** optional: the signer's annotations (`cosign sign -a k=v`), or null. */
  readonly optional: Readonly<Record<string, unknown>> | null;
}

/** The payload bytes, as cosign's Go encoder writes them (struct order, map keys sorted). */
export function buildSimpleSigningPayload(p: { dockerReference: string; manifestDigest: string; optional?: Record<string, unknown> | null }): Uint8Array {
  if (!isSha256Digest(p.manifestDigest)) throw new TypeError(`manifestDigest must be sha256:<hex>, got ${JSON.stringify(p.manifestDigest)}`);
  if (p.dockerReference === '') throw new TypeError('dockerReference must not be empty');
  const optional = p.optional === undefined || p.optional === null || Object.keys(p.optional).length === 0
    ? null
    : Object.fromEntries(Object.keys(p.optional).sort().map((k) => [k, (p.optional as Record<string, unknown>)[k]]));
  return new TextEncoder().encode(JSON.stringify({
    critical: { identity: { 'docker-reference': p.dockerReference }, image: { 'docker-manifest-digest': p.manifestDigest }, type: SIMPLE_SIGNING_TYPE },
    optional,
  }));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Go's encoding/json matches keys case-insensitively, and cosign's own spec example spells one key
 * `Docker-manifest-digest`; so do we. Two spellings of one key in the same object are refused: the reader could not
 * tell which one the signer meant.
 */
function member(obj: Json, key: string, path: string, problems: Problem[]): unknown {
  const matches = Object.keys(obj).filter((k) => k.toLowerCase() === key.toLowerCase());
  if (matches.length > 1) {
    problems.push({ path: `${path}.${key}`, message: `is given ${matches.length} times (${matches.join(', ')})` });
    return undefined;
  }
  return matches[0] === undefined ? undefined : obj[matches[0]];
}

export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const what = 'simple signing payload';
  const json = parseJsonBytes(bytes, what);
  if (!isObject(json)) throw invalid(what, [{ path: '', message: 'is not an object' }]);
  const problems: Problem[] = [];
  const critical = member(json, 'critical', '', problems);
  let dockerReference: unknown;
  let manifestDigest: unknown;
  if (!isObject(critical)) problems.push({ path: 'critical', message: 'is not an object' });
  else {
    const type = member(critical, 'type', 'critical', problems);
    if (type !== SIMPLE_SIGNING_TYPE) problems.push({ path: 'critical.type', message: `is ${JSON.stringify(type)}, not ${JSON.stringify(SIMPLE_SIGNING_TYPE)}` });
    const identity = member(critical, 'identity', 'critical', problems);
    if (!isObject(identity)) problems.push({ path: 'critical.identity', message: 'is not an object' });
    else {
      dockerReference = member(identity, 'docker-reference', 'critical.identity', problems);
      if (typeof dockerReference !== 'string') problems.push({ path: 'critical.identity.docker-reference', message: 'is not a string' });
    }
    const image = member(critical, 'image', 'critical', problems);
    if (!isObject(image)) problems.push({ path: 'critical.image', message: 'is not an object' });
    else {
      manifestDigest = member(image, 'docker-manifest-digest', 'critical.image', problems);
      if (!isSha256Digest(manifestDigest)) problems.push({ path: 'critical.image.docker-manifest-digest', message: 'is not sha256:<64 lowercase hex digits>' });
    }
  }
  const optional = member(json, 'optional', '', problems);
  if (optional !== undefined && optional !== null && !isObject(optional)) problems.push({ path: 'optional', message: 'is not an object or null' });
  if (problems.length > 0) throw invalid(what, problems);
  return { dockerReference: dockerReference as string, manifestDigest: manifestDigest as string, optional: isObject(optional) ? optional : null };
}

/** Throws ERR_SUBJECT unless the payload signs `digest`. */
export function checkSimpleSigningDigest(payload: SimpleSigningPayload, digest: string): void {
  if (payload.manifestDigest !== digest) {
    throw new KeylessError('ERR_SUBJECT', `the signed payload names image ${payload.manifestDigest}, not ${digest}`, { expected: digest, actual: payload.manifestDigest });
  }
}
