/**
 * RFC 3161 client: a DER TimeStampReq over the SHA-256 of the signature bytes, with a random nonce and certReq
 * TRUE (as cosign and sigstore-js ask, so the token names its signing certificate), POSTed as
 * application/timestamp-query. The answer is checked to be the timestamp we asked for —
 * granted, our imprint, our nonce — before it goes into the bundle; its signature is checked by the verifier.
 *
 *   TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 *                               reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL,
 *                               certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
 */
import { randomBytes } from 'node:crypto';
import { encodeBoolean, encodeInteger, encodeNull, encodeOctetString, encodeOid, encodeSequence } from '../core/asn1-encode.js';
import { bytesEqual, hexEncode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { sha256 } from '../core/keys.js';
import { OID } from '../core/oids.js';
import { parseTimestamp } from '../core/rfc3161.js';
import { postToService, type FetchLike } from './http.js';
import type { RetryOptions } from '../net/http.js';

const SERVICE = 'timestamp authority';

export interface TimestampOptions {
  /** The TSA's full endpoint, as signing configs list it (e.g. https://timestamp.sigstore.dev/api/v1/timestamp). */
  readonly tsaUrl: string;
  /** The bytes to timestamp: the signature (the message signature, or the DSSE envelope's signature). */
  readonly signature: Uint8Array;
  readonly fetch: FetchLike;
  readonly retry?: RetryOptions;
  /** 64 random bits by default, as OpenSSL and sigstore-js send. */
  readonly nonce?: bigint;
}

/** The DER TimeStampReq. */
export function timestampRequest(signature: Uint8Array, nonce: bigint): Uint8Array {
  const imprint = encodeSequence(encodeSequence(encodeOid(OID.sha256), encodeNull()), encodeOctetString(sha256(signature)));
  return encodeSequence(encodeInteger(1), imprint, encodeInteger(nonce), encodeBoolean(true));
}

/** Returns the TSA's DER TimeStampResp, which the bundle carries as `signedTimestamp`. */
export async function requestTimestamp(opts: TimestampOptions): Promise<Uint8Array> {
  const nonce = opts.nonce ?? BigInt(`0x${hexEncode(randomBytes(8))}`);
  const response = await postToService({
    service: SERVICE,
    url: opts.tsaUrl,
    body: timestampRequest(opts.signature, nonce),
    contentType: 'application/timestamp-query',
    accept: 'application/timestamp-reply',
    fetch: opts.fetch,
    ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
  });
  const fail = (why: string, cause?: unknown): never => {
    throw new KeylessError('ERR_TIMESTAMP_INVALID', `the ${SERVICE} at ${opts.tsaUrl} answered ${why}`, { url: opts.tsaUrl }, { cause });
  };
  let token: ReturnType<typeof parseTimestamp>;
  try {
    token = parseTimestamp(response);
  } catch (cause) {
    return fail(`with something that is not a granted RFC 3161 timestamp: ${(cause as Error).message}`, cause);
  }
  // RFC 3161 §2.4.2: the client MUST check the imprint and, when it sent one, the nonce.
  if (token.messageImprint.hashAlgorithm !== OID.sha256 || !bytesEqual(token.messageImprint.digest, sha256(opts.signature))) {
    return fail('with a timestamp over something else than our signature');
  }
  if (token.nonce !== nonce) return fail('with a timestamp that does not echo our nonce');
  return response;
}
