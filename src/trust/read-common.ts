/** Readers and writers for the messages TrustedRoot and SigningConfig share (sigstore_common.proto). */
import { base64Encode } from '../core/encoding.js';
import { formatRfc3339, type ObjectReader } from '../bundle/json-reader.js';
import type { ValidityPeriod } from './types.js';

/** A TimeRange with a required start; absent when it cannot be read (the problem is recorded). */
export function readValidity(parent: ObjectReader, name: string): ValidityPeriod | undefined {
  const r = parent.object(name, { required: true });
  if (r === undefined) return undefined;
  const start = r.timestamp('start', { required: true });
  const end = r.timestamp('end');
  if (start !== undefined && end !== undefined && end < start) r.problem('end', 'is before start');
  if (start === undefined) return undefined;
  return end === undefined ? { start } : { start, end };
}

export function validityToJson(v: ValidityPeriod): Record<string, string> {
  return v.end === undefined ? { start: formatRfc3339(v.start) } : { start: formatRfc3339(v.start), end: formatRfc3339(v.end) };
}

export const logIdToJson = (id: Uint8Array) => ({ keyId: base64Encode(id) });
