/**
 * Writes a bundle as protobuf JSON. A bundle that was parsed and not changed since is written back exactly as it
 * was read (see raw.ts); anything else is written from the model in protobuf's canonical JSON form.
 */
import { parseBundle } from './parse.js';
import { jsonTreeCopy, rawIfUnchanged } from './raw.js';
import { bundleToJson } from './to-json.js';
import type { Bundle } from './types.js';

/** The bundle as a protobuf-JSON object (a fresh copy the caller may change). */
export function serializeBundle(bundle: Bundle): Record<string, unknown> {
  const raw = rawIfUnchanged(bundle, parseBundle);
  if (raw !== undefined) return jsonTreeCopy(raw.json, false) as Record<string, unknown>;
  return bundleToJson(bundle);
}

/** The bundle as JSON text: the exact text it was parsed from when unchanged, JSON.stringify otherwise. */
export function serializeBundleText(bundle: Bundle): string {
  const raw = rawIfUnchanged(bundle, parseBundle);
  if (raw?.text !== undefined) return raw.text;
  return JSON.stringify(raw !== undefined ? raw.json : bundleToJson(bundle));
}
