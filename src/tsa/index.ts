/** RFC 3161 timestamp authority, compatible with sigstore/timestamp-authority's API. */
export { createTimestampAuthority, DEFAULT_TSA_POLICY } from './authority.js';
export type { TimestampAuthority, TimestampAuthorityOptions } from './authority.js';
export { generateTsaCertificates } from './certificates.js';
export type { TsaCertificateOptions, TsaCertificates } from './certificates.js';
export { MAX_NONCE_BYTES, MAX_REQUEST_BYTES, parseTimestampRequest } from './request.js';
export type { TimestampRequest } from './request.js';
export { timestampQueryFromJson } from './json-request.js';
