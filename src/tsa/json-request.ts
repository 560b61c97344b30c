/**
 * sigstore/timestamp-authority also takes its request as JSON (Content-Type application/json), and that is what
 * sigstore-js's signer sends: `{"artifactHash": base64 digest, "hashAlgorithm": "sha256"}`. Upstream's JSONRequest
 * (pkg/api/timestamp.go) has `artifactHash`, `hashAlgorithm` (sha256/sha384/sha512, any case), `certificates`
 * (bool), `nonce` (integer) and `tsaPolicyOID` (dotted string); unknown fields are ignored, as Go does.
 *
 * This turns such a body into the equivalent DER TimeStampReq, so that both encodings pass through the one
 * parser and policy check of request.ts: `tsa.timestamp(timestampQueryFromJson(body))`.
 */
import { encodeBoolean, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from '../core/asn1-encode.js';
import { base64Decode, utf8Decode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { OID } from '../core/oids.js';
import { MAX_REQUEST_BYTES } from './request.js';

const HASH_OIDS: Readonly<Record<string, string>> = {
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

const OID_RE = /^[0-2](\.(0|[1-9][0-9]{0,17}))+$/;

/**
 * A JSON timestamp request (bytes or text) as a DER TimeStampReq. Over MAX_REQUEST_BYTES is ERR_TOO_LARGE; a body
 * that is not a JSON object of the right shape is ERR_REQUEST listing every problem in `details.problems`.
 */
export function timestampQueryFromJson(body: Uint8Array | string): Uint8Array {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > MAX_REQUEST_BYTES) {
    throw new KeylessError('ERR_TOO_LARGE', `timestamp request of ${size} bytes is over the ${MAX_REQUEST_BYTES}-byte limit`, {
      size,
      limit: MAX_REQUEST_BYTES,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : utf8Decode(body, 'timestamp request'));
  } catch (err) {
    throw new KeylessError('ERR_REQUEST', `timestamp request is not JSON: ${(err as Error).message}`, {}, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeylessError('ERR_REQUEST', 'timestamp request must be a JSON object');
  }
  const req = value as Record<string, unknown>;
  const problems: string[] = [];

  const alg = req['hashAlgorithm'];
  const hashOid = typeof alg === 'string' ? HASH_OIDS[alg.toLowerCase()] : undefined;
  if (hashOid === undefined) problems.push(`hashAlgorithm must be "sha256", "sha384" or "sha512", got ${JSON.stringify(alg)}`);

  let digest: Uint8Array | undefined;
  const artifactHash = req['artifactHash'];
  if (typeof artifactHash !== 'string' || artifactHash === '') {
    problems.push('artifactHash must be the base64 digest of the artifact');
  } else {
    try {
      digest = base64Decode(artifactHash, 'artifactHash');
    } catch {
      problems.push('artifactHash is not base64');
    }
  }

  const certificates = req['certificates'];
  if (certificates !== undefined && typeof certificates !== 'boolean') problems.push('certificates must be a boolean');

  // JSON.parse reads numbers as doubles; a nonce past 2^53 would be silently rounded, so it is refused instead
  const nonce = req['nonce'];
  if (nonce !== undefined && nonce !== null && !Number.isSafeInteger(nonce)) {
    problems.push('nonce must be an integer of at most 53 bits in JSON (send DER for larger nonces)');
  }

  const policy = req['tsaPolicyOID'];
  if (policy !== undefined && policy !== '' && (typeof policy !== 'string' || !OID_RE.test(policy))) {
    problems.push('tsaPolicyOID must be a dotted object identifier');
  }

  if (problems.length > 0 || hashOid === undefined || digest === undefined) {
    throw new KeylessError('ERR_REQUEST', `timestamp request refused: ${problems.join('; ')}`, { problems });
  }
  return encodeSequence(
    encodeInteger(1),
    encodeSequence(encodeSequence(encodeOid(hashOid)), encodeOctetString(digest)),
    typeof policy === 'string' && policy !== '' ? encodeOid(policy) : new Uint8Array(0),
    typeof nonce === 'number' ? encodeInteger(nonce) : new Uint8Array(0),
    certificates === true ? encodeBoolean(true) : new Uint8Array(0),
  );
}
