/**
 * RFC 3161 §2.4.1 TimeStampReq: what a client asks the TSA to timestamp. The body is attacker-controlled, so it is
 * read with the strict DER reader of src/core, under a hard size limit, and every semantic problem is collected
 * before the request is refused with one ERR_REQUEST (the HTTP layer's 400).
 *
 *   TimeStampReq ::= SEQUENCE {
 *     version         INTEGER { v1(1) },
 *     messageImprint  MessageImprint,
 *     reqPolicy       TSAPolicyId              OPTIONAL,
 *     nonce           INTEGER                  OPTIONAL,
 *     certReq         BOOLEAN                  DEFAULT FALSE,
 *     extensions      [0] IMPLICIT Extensions  OPTIONAL }
 *   MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 */
import {
  Asn1Reader,
  TAG,
  contextTag,
  decodeBoolean,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  parseDer,
  withErrorCode,
  type Asn1,
} from '../core/asn1.js';
import { KeylessError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/keys.js';
import { OID } from '../core/oids.js';

/** A TimeStampReq is ~100 bytes; anything near this limit is not a timestamp request. */
export const MAX_REQUEST_BYTES = 10 * 1024;

/**
 * Nonces are 64 to 160 bits in practice (OpenSSL 64, sigstore-js 64, Go clients up to 160). They are echoed as
 * bytes, so any length would work; the bound only keeps a request from making us sign arbitrary filler.
 */
export const MAX_NONCE_BYTES = 64;

/** The message imprint hashes we accept, with their digest lengths (upstream refuses SHA-1 as weak too). */
const HASHES: Readonly<Record<string, { readonly name: HashAlgorithm; readonly length: number }>> = {
  [OID.sha256]: { name: 'sha256', length: 32 },
  [OID.sha384]: { name: 'sha384', length: 48 },
  [OID.sha512]: { name: 'sha512', length: 64 },
};

export interface TimestampRequest {
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  /** The MessageImprint DER as sent: RFC 3161 §2.4.2 says TSTInfo's messageImprint MUST have the same value. */
  readonly messageImprint: Uint8Array;
  readonly policy?: string;
  /** The nonce INTEGER's DER (tag, length, value) as sent, to be echoed bit for bit whatever its size. */
  readonly nonce?: Uint8Array;
  readonly certReq: boolean;
}

interface RawRequest {
  readonly version: bigint;
  readonly hashOid: string;
  readonly hashParams?: Asn1;
  readonly hashedMessage: Uint8Array;
  readonly messageImprint: Uint8Array;
  readonly policy?: string;
  readonly nonce?: Asn1;
  readonly certReq: boolean;
  readonly extensions: boolean;
}

function refuse(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_REQUEST', message, details);
}

/** The structure alone; any DER or shape problem becomes ERR_ASN1, turned into ERR_REQUEST by the caller. */
function readRequest(der: Uint8Array): RawRequest {
  const req = new Asn1Reader(parseDer(der, 'TimeStampReq'), 'TimeStampReq');
  const version = decodeInteger(req.next(TAG.INTEGER, 'version'));
  const imprintNode = req.next(TAG.SEQUENCE, 'messageImprint');
  const imprint = new Asn1Reader(imprintNode, 'MessageImprint');
  const alg = new Asn1Reader(imprint.next(TAG.SEQUENCE, 'hashAlgorithm'), 'hashAlgorithm');
  const hashOid = decodeOid(alg.next(TAG.OID, 'algorithm'));
  const hashParams = alg.done ? undefined : alg.any('parameters');
  alg.end();
  const hashedMessage = decodeOctetString(imprint.next(TAG.OCTET_STRING, 'hashedMessage'));
  imprint.end();
  const policyNode = req.optional(TAG.OID);
  const nonce = req.optional(TAG.INTEGER);
  if (nonce !== undefined) decodeInteger(nonce); // checks the INTEGER is DER; its value is never needed
  const certReqNode = req.optional(TAG.BOOLEAN);
  // DER omits a DEFAULT value, but Go's encoding/asn1 (upstream's parser) reads an explicit FALSE, and so do we
  const certReq = certReqNode === undefined ? false : decodeBoolean(certReqNode);
  const extensions = req.optional(contextTag(0, true)) !== undefined;
  req.end();
  return {
    version,
    hashOid,
    ...(hashParams !== undefined && { hashParams }),
    hashedMessage,
    messageImprint: imprintNode.bytes,
    ...(policyNode !== undefined && { policy: decodeOid(policyNode) }),
    ...(nonce !== undefined && { nonce }),
    certReq,
    extensions,
  };
}

/**
 * Parses and checks a DER TimeStampReq for a TSA serving `policy`. Oversize is ERR_TOO_LARGE (413); anything
 * malformed or unacceptable is one ERR_REQUEST whose `details.problems` lists every reason. The result holds
 * copies, never views of `der`.
 */
export function parseTimestampRequest(der: Uint8Array, policy: string): TimestampRequest {
  if (!(der instanceof Uint8Array)) throw new TypeError('the timestamp request must be a Uint8Array');
  if (der.length > MAX_REQUEST_BYTES) {
    throw new KeylessError('ERR_TOO_LARGE', `timestamp request of ${der.length} bytes is over the ${MAX_REQUEST_BYTES}-byte limit`, {
      size: der.length,
      limit: MAX_REQUEST_BYTES,
    });
  }
  const raw = withErrorCode('ERR_REQUEST', 'TimeStampReq', () => readRequest(der));

  const problems: string[] = [];
  // RFC 3161 §2.4.1: "The version field (currently v1) describes the version of the Time-Stamp request."
  if (raw.version !== 1n) problems.push(`version must be 1, got ${raw.version}`);
  // §2.4.1: "The TSA SHOULD check whether or not the given hash algorithm is known to be 'sufficient'" and
  // "check whether or not the length of the hashed message is correct for the hash algorithm".
  const hash = HASHES[raw.hashOid];
  if (hash === undefined) {
    problems.push(`unsupported hash algorithm ${raw.hashOid}: use SHA-256, SHA-384 or SHA-512`);
  } else if (raw.hashedMessage.length !== hash.length) {
    problems.push(`hashedMessage is ${raw.hashedMessage.length} bytes, a ${hash.name} digest is ${hash.length}`);
  }
  // RFC 5754 §2: SHA-2 AlgorithmIdentifier parameters are absent or NULL
  if (raw.hashParams !== undefined && !(raw.hashParams.tag === TAG.NULL && raw.hashParams.content.length === 0)) {
    problems.push('hashAlgorithm parameters must be absent or NULL');
  }
  // §2.4.1: "If the TSA does not support the requested policy, it SHOULD return an error."
  if (raw.policy !== undefined && raw.policy !== policy) {
    problems.push(`policy ${raw.policy} is not served here (this TSA serves ${policy})`);
  }
  if (raw.nonce !== undefined && raw.nonce.content.length > MAX_NONCE_BYTES) {
    problems.push(`nonce of ${raw.nonce.content.length} bytes is over the ${MAX_NONCE_BYTES}-byte limit`);
  }
  // §2.4.1: "If an extension ... is not recognized by the server, the server SHALL not issue a token"; we know none
  if (raw.extensions) problems.push('request extensions are not supported');
  if (problems.length > 0 || hash === undefined) {
    throw refuse(`timestamp request refused: ${problems.join('; ')}`, { problems });
  }

  return {
    hashAlgorithm: hash.name,
    hashedMessage: Uint8Array.from(raw.hashedMessage),
    messageImprint: Uint8Array.from(raw.messageImprint),
    ...(raw.policy !== undefined && { policy: raw.policy }),
    ...(raw.nonce !== undefined && { nonce: Uint8Array.from(raw.nonce.bytes) }),
    certReq: raw.certReq,
  };
}
