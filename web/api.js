// The log's public read API (Rekor v1), and keyless's Rekor v2 entry read and checkpoint, same origin. Every answer is checked for the shape the page uses; nothing
// else is assumed about it.

/** A failed call: `kind` is 'not-found', 'bad-input' (the log refused the query) or 'unavailable'. */
export class ApiError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** Rekor refuses more than 10 UUIDs in one retrieve call. */
const RETRIEVE_BATCH = 10;

async function call(path, init) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...(init?.body ? { 'content-type': 'application/json' } : {}) } });
  } catch (err) {
    throw new ApiError('unavailable', `the log did not answer (${err instanceof Error ? err.message : err})`);
  }
  let json;
  try {
    json = await response.json();
  } catch {
    throw new ApiError('unavailable', `the log answered ${response.status} without JSON`);
  }
  if (response.ok) return json;
  const message = typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`;
  if (response.status === 404) throw new ApiError('not-found', message);
  if (response.status === 400 || response.status === 422) throw new ApiError('bad-input', message);
  throw new ApiError('unavailable', `the log answered ${response.status}: ${message}`);
}

/** `{uuid: entry}` → `[uuid, entry]`, refusing anything else. */
function single(json) {
  const pairs = Object.entries(json ?? {});
  if (pairs.length !== 1 || typeof pairs[0][1]?.body !== 'string') throw new ApiError('unavailable', 'the log answered with something that is not one entry');
  return { uuid: pairs[0][0], entry: pairs[0][1] };
}

export const entryByIndex = async (index) => single(await call(`/api/v1/log/entries?logIndex=${encodeURIComponent(index)}`));
export const entryByUuid = async (uuid) => single(await call(`/api/v1/log/entries/${encodeURIComponent(uuid)}`));
export const logInfo = () => call('/api/v1/log');
export const consistencyProof = (firstSize, lastSize) => call(`/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}`);

/** A Rekor v2 TransparencyLogEntry (protobuf JSON) by index: keyless's own read endpoint beside the tiles. */
export async function entryV2ByIndex(index) {
  const entry = await call(`/rekor-v2/api/v2/log/entries/${encodeURIComponent(index)}`);
  if (typeof entry?.canonicalizedBody !== 'string' || typeof entry?.logIndex !== 'string') throw new ApiError('unavailable', 'the Rekor v2 log answered with something that is not one entry');
  return entry;
}

/** The Rekor v2 log's latest checkpoint (C2SP tlog-checkpoint text). */
export async function checkpointV2() {
  let response;
  try {
    response = await fetch('/rekor-v2/checkpoint', { headers: { accept: 'text/plain' } });
  } catch (err) {
    throw new ApiError('unavailable', `the Rekor v2 log did not answer (${err instanceof Error ? err.message : err})`);
  }
  if (!response.ok) throw new ApiError('unavailable', `the Rekor v2 log answered ${response.status} for its checkpoint`);
  return response.text();
}

/** POST /api/v1/index/retrieve → entry UUIDs. */
export async function searchIndex(query) {
  const uuids = await call('/api/v1/index/retrieve', { method: 'POST', body: JSON.stringify(query) });
  if (!Array.isArray(uuids) || !uuids.every((u) => typeof u === 'string')) throw new ApiError('unavailable', 'the index answered with something that is not a list of UUIDs');
  return uuids;
}

/** The entries of `uuids`, in batches the log accepts; entries it no longer finds are left out. */
export async function retrieve(uuids) {
  const out = [];
  for (let i = 0; i < uuids.length; i += RETRIEVE_BATCH) {
    const answer = await call('/api/v1/log/entries/retrieve', { method: 'POST', body: JSON.stringify({ entryUUIDs: uuids.slice(i, i + RETRIEVE_BATCH) }) });
    if (!Array.isArray(answer)) throw new ApiError('unavailable', 'the log answered a retrieve call with something that is not a list');
    out.push(...answer.map(single));
  }
  return out;
}
