// One entry of either log by log index, decoded for the view; `undefined` when the log has none.
import { ApiError, entryByIndex, entryV2ByIndex } from './api.js';
import { decodeEntry } from './entry.js';
import { decodeEntryV2 } from './entry-v2.js';

/** `undefined` for a not-found answer; any other failure is the caller's. */
export const orMissing = (promise) => promise.catch((err) => (err instanceof ApiError && err.kind === 'not-found' ? undefined : Promise.reject(err)));

export async function entryAt(log, index) {
  if (log === 'v2') {
    const entry = await orMissing(entryV2ByIndex(index));
    return entry && decodeEntryV2(entry);
  }
  const found = await orMissing(entryByIndex(index));
  return found && decodeEntry(found.uuid, found.entry);
}
