/**
 * Rekor entry kinds for the transparency log: validate a proposed entry, verify its signatures, and produce the
 * exact leaf bytes upstream Rekor (v1) or rekor-tiles (v2) stores for it. Pure: no I/O, no clock.
 */
export { canonicalizeV1Entry } from './v1.js';
export { canonicalizeV2Request } from './v2.js';
export { LIMITS, SUPPORTED_V1, SUPPORTED_V2 } from './entry.js';
export type { CanonicalEntry, EntryKind } from './entry.js';
export type { Problem } from './shape.js';
