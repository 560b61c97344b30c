/**
 * Rekor v2 `POST /api/v2/log/entries`: the body is a CreateEntryRequest in protojson, a oneof of
 * hashedRekordRequestV002 and dsseRequestV002 (protobuf-specs rekor/v2/entry.proto). protojson accepts each
 * field under its JSON or its proto name; rekor-tiles' gateway ignores fields it does not know, and so do we.
 */
import { KeylessError } from '../../core/errors.js';
import { dsseV002 } from './dsse-v002.js';
import { SUPPORTED_V2, type CanonicalEntry } from './entry.js';
import { hashedrekordV002 } from './hashedrekord-v002.js';
import { field, Problems } from './shape.js';

const REQUESTS = [
  { json: 'hashedRekordRequestV002', proto: 'hashed_rekord_request_v002', canonicalize: hashedrekordV002 },
  { json: 'dsseRequestV002', proto: 'dsse_request_v002', canonicalize: dsseV002 },
] as const;

/** Rekor v2 `POST /api/v2/log/entries` body: {hashedRekordRequestV002: …} or {dsseRequestV002: …}. */
export function canonicalizeV2Request(json: unknown): CanonicalEntry {
  const problems = new Problems();
  const request = problems.object(json, '$');
  problems.throwIfAny('Rekor v2 CreateEntryRequest');
  if (request === undefined) throw new TypeError('unreachable');

  const present = REQUESTS.flatMap((r) =>
    [r.json, r.proto].filter((name) => field(request, name) !== undefined && field(request, name) !== null).map((name) => ({ name, r })),
  );
  const chosen = present[0];
  if (chosen === undefined) {
    const keys = Object.keys(request).slice(0, 5);
    throw new KeylessError('ERR_ENTRY_UNSUPPORTED', `the request names no entry type this log accepts${keys.length > 0 ? ` (it has ${keys.join(', ')})` : ''}; this log accepts ${SUPPORTED_V2.join(', ')}`, {
      fields: keys,
      supported: [...SUPPORTED_V2],
    });
  }
  if (present.length > 1) {
    problems.add('$', `must set only one entry type, not ${present.map((p) => p.name).join(' and ')}`);
    problems.throwIfAny('Rekor v2 CreateEntryRequest');
  }
  const entry = chosen.r.canonicalize(field(request, chosen.name), problems, chosen.name);
  return entry;
}
