// The log's public read API (Rekor v1), keyless's Rekor v2 entry read, index and checkpoint, and the explorer's
// home-page data (/api/explorer/…), same origin. Every answer is checked for the shape the page uses; nothing
// else is assumed about it.
/* global URLSearchParams */

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

/** POST /rekor-v2/api/v2/index/retrieve (keyless's index of its Rekor v2 log) → log indexes, ascending. */
export async function searchIndexV2(query) {
  const indexes = await call('/rekor-v2/api/v2/index/retrieve', { method: 'POST', body: JSON.stringify(query) });
  if (!Array.isArray(indexes) || !indexes.every((i) => typeof i === 'string' && /^(?:0|[1-9][0-9]{0,15})$/.test(i))) throw new ApiError('unavailable', 'the Rekor v2 index answered with something that is not a list of log indexes');
  return indexes.map(Number);
}

/** Every log's name, label, origin, size, root, checkpoint and newest entry time. */
export async function explorerLogs() {
  const json = await call('/api/explorer/logs');
  if (!Array.isArray(json?.logs)) throw new ApiError('unavailable', 'the instance answered its log list with something that is not one');
  return json.logs;
}

/** A page of the newest entries across logs: `{entries: [{log, logIndex, integratedTime, kind, apiVersion}], next}`. */
export async function recentEntries(before, limit = 20) {
  const params = new URLSearchParams({ limit: String(limit), ...(before ? { before } : {}) });
  const json = await call(`/api/explorer/recent?${params}`);
  if (!Array.isArray(json?.entries) || (json.next !== null && typeof json.next !== 'string')) throw new ApiError('unavailable', 'the instance answered its recent entries with something that is not a page of them');
  return json;
}

/** Appends per hour over the last day: `{end, bucketSeconds, logs: [{name, label, counts, complete}]}`. */
export async function activity() {
  const json = await call('/api/explorer/activity');
  if (!Array.isArray(json?.logs) || !json.logs.every((l) => Array.isArray(l.counts))) throw new ApiError('unavailable', 'the instance answered its activity with something that is not one');
  return json;
}
