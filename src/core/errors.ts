/**
 * Every failure keyless reports carries a stable `code`; callers `switch (err.code)`.
 * A wrong argument from a programmer is a TypeError instead. A failed verification carries evidence in `details`.
 */
export type ErrorCode =
  // input that cannot be read
  | 'ERR_ENCODING' // bad base64, hex, PEM or UTF-8
  | 'ERR_ASN1' // malformed or truncated DER
  | 'ERR_JSON' // not JSON, or JSON of the wrong shape
  | 'ERR_BUNDLE_INVALID' // a bundle that does not follow the protobuf-specs shape
  | 'ERR_BUNDLE_UNSUPPORTED' // a bundle media type or content we do not know
  | 'ERR_TRUST_INVALID' // a trusted root or signing config that does not follow its shape
  | 'ERR_CERT_INVALID' // an X.509 certificate that cannot be parsed
  | 'ERR_KEY_UNSUPPORTED' // a key type or algorithm we do not accept
  | 'ERR_NOTE_INVALID' // a signed note or checkpoint that cannot be parsed
  | 'ERR_TIMESTAMP_INVALID' // an RFC 3161 response that cannot be parsed
  // verification failures, one per check
  | 'ERR_CERT_CHAIN' // the leaf does not chain to a trusted CA valid at signing time
  | 'ERR_SCT' // no embedded SCT verifies
  | 'ERR_TLOG_BODY' // the log entry body does not match the bundle
  | 'ERR_TLOG_INCLUSION' // the inclusion proof does not lead to the checkpoint root
  | 'ERR_TLOG_CONSISTENCY' // a consistency proof does not show that one tree head extends another
  | 'ERR_TLOG_CHECKPOINT' // the checkpoint is not signed by the log's key
  | 'ERR_TLOG_SET' // the signed entry timestamp does not verify
  | 'ERR_TLOG_UNKNOWN' // the entry names a log the trusted root does not list, or one not valid then
  | 'ERR_TLOG_THRESHOLD' // fewer verified log entries than required
  | 'ERR_TIMESTAMP' // an RFC 3161 timestamp fails to verify
  | 'ERR_TIME' // no trusted time, or a time outside the certificate's validity
  | 'ERR_SIGNATURE' // the signature over the artifact or envelope does not verify
  | 'ERR_SUBJECT' // the in-toto subject does not name the artifact
  | 'ERR_IDENTITY' // the certificate does not match the expected identity policy
  | 'ERR_KEY_MISMATCH' // managed-key mode: the bundle was not made with the given key
  | 'ERR_WITNESS' // the checkpoint lacks the witness policy's quorum of cosignatures
  // services: what a request to the log, CA, TSA or OIDC issuer did wrong, or what the service could not do
  | 'ERR_REQUEST' // a request that is malformed (not JSON, wrong shape, bad field); HTTP 400
  | 'ERR_ENTRY_UNSUPPORTED' // a log entry kind or apiVersion the log does not accept; HTTP 400
  | 'ERR_ENTRY_EXISTS' // the entry is already in the log; details carry its index and UUID; HTTP 409
  | 'ERR_TOO_LARGE' // a request body over the documented limit; HTTP 413
  | 'ERR_NOT_FOUND' // no such entry, tile or resource; HTTP 404
  | 'ERR_PUSHBACK' // the service is overloaded; retry later; HTTP 503 with Retry-After
  | 'ERR_STORE' // the storage backend failed; nothing was acknowledged; HTTP 500
  | 'ERR_STORE_ROLLBACK' // the store holds less than, or other than, a checkpoint the log already published; HTTP 500
  | 'ERR_STORE_CORRUPT' // stored data fails its integrity check (database pages, a tile, a record); HTTP 500
  | 'ERR_STORE_UNAVAILABLE' // the storage backend is out of reach for now (disk full, I/O error, database down); nothing was acknowledged; HTTP 503 with Retry-After
  | 'ERR_ISSUER_UNAVAILABLE' // a configured OIDC issuer's discovery or keys cannot be fetched (down, failing, oversized answer); HTTP 503 with Retry-After
  | 'ERR_CLAIM_TOO_LARGE' // an identity claim that would go into a certificate is longer than the CA's cap; HTTP 400
  | 'ERR_SERVICE' // a service keyless called (CA, log, TSA, issuer) is unreachable or failed (5xx); HTTP 502
  | 'ERR_TOKEN' // an OIDC ID token that is malformed, untrusted, expired or missing claims; HTTP 400/401
  | 'ERR_PROOF_OF_POSSESSION' // the signature proving the caller holds the private key does not verify; HTTP 400
  | 'ERR_CSR_INVALID' // a certificate signing request that cannot be parsed or whose signature fails; HTTP 400
  // clients (src/net, the CLI's outputs)
  | 'ERR_TIMEOUT' // a service did not answer within the client's timeout
  | 'ERR_OUTPUT' // an output file (bundle, signature, certificate) cannot be written; checked before anything is sent
  // witness (C2SP tlog-witness add-checkpoint): the statuses the spec names
  | 'ERR_WITNESS_UNKNOWN_LOG' // the checkpoint's origin is not a log this witness follows; HTTP 404
  | 'ERR_WITNESS_FORBIDDEN' // no valid signature by the log's trusted key; HTTP 403
  | 'ERR_WITNESS_CONFLICT' // the old size is not the witness's latest cosigned size; HTTP 409, text/x.tlog.size body
  | 'ERR_WITNESS_PROOF' // the consistency proof or the empty-tree/equal-size root check fails; HTTP 422
  | 'ERR_WITNESS_STATE' // the witness's durable state is missing or unusable; it refuses to start
  // CLI
  | 'ERR_USAGE'
  | 'ERR_NEEDS_PACKAGE'; // the one-file CLI or the single executable lacks this command (native packages): install the npm package

export class KeylessError extends Error {
  override readonly name = 'KeylessError';
  readonly code: ErrorCode;
  /** Evidence for the failure: what was expected, what was found. Never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isKeylessError(err: unknown): err is KeylessError {
  return err instanceof KeylessError;
}
