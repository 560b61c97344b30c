/**
 * Remembers the JSON (and text) a bundle was parsed from, so serializing a bundle we read gives back exactly what
 * we read: the signer of a bundle may have written fields we do not model, or spelled values differently.
 *
 * The remembered JSON is only used while the model still says the same thing: at serialize time, the model is
 * compared (as canonical protobuf JSON) with the model the remembered JSON parses to. That comparison is done
 * lazily, so parsing (the verifier's hot path) pays nothing for it; a bundle that was changed, or copied with a
 * spread and changed, is serialized from the model instead.
 */
import { canonicalize } from '../core/canonical-json.js';
import { KeylessError } from '../core/errors.js';
import { bundleToJson } from './to-json.js';
import type { Bundle } from './types.js';

interface Remembered {
  readonly text?: string;
  /** Fingerprint of the model the raw JSON parses to, computed on first use. */
  fingerprint?: string;
}

const remembered = new WeakMap<object, Remembered>();

export function rememberRaw(raw: object, text?: string): void {
  remembered.set(raw, text !== undefined ? { text } : {});
}

/**
 * The JSON and text the bundle was read from, when the model has not changed since. `reparse` turns the remembered
 * JSON back into a model (passed in to keep this module free of a cycle with parse.ts).
 */
export function rawIfUnchanged(bundle: Bundle, reparse: (json: unknown) => Bundle): { json: unknown; text?: string } | undefined {
  const raw = bundle.raw;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = remembered.get(raw);
  if (r === undefined) return undefined;
  r.fingerprint ??= fingerprint(reparse(raw));
  if (r.fingerprint !== fingerprint(bundle)) return undefined;
  return { json: raw, ...(r.text !== undefined ? { text: r.text } : {}) };
}

function fingerprint(bundle: Bundle): string {
  return `${bundle.version} ${canonicalize(bundleToJson(bundle))}`;
}

/**
 * A deep, frozen copy of a JSON value, so later changes to the caller's object cannot change what we remember.
 * Iterative, so hostile nesting depth cannot overflow the stack; anything that is not a JSON tree (functions,
 * class instances, shared or cyclic references) is ERR_JSON.
 */
export function frozenJsonCopy(value: unknown): unknown {
  return jsonTreeCopy(value, true);
}

/** A deep copy of a JSON tree (see frozenJsonCopy), optionally frozen. */
export function jsonTreeCopy(value: unknown, freeze: boolean): unknown {
  const seen = new WeakSet<object>();
  const root: { v?: unknown } = {};
  const work: { src: unknown; set: (v: unknown) => void }[] = [{ src: value, set: (v) => (root.v = v) }];
  const frozen: object[] = [];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const { src, set } = item;
    if (src === null || typeof src === 'string' || typeof src === 'boolean' || (typeof src === 'number' && Number.isFinite(src))) {
      set(src);
      continue;
    }
    const proto: unknown = typeof src === 'object' ? Object.getPrototypeOf(src) : undefined;
    if (typeof src !== 'object' || (!Array.isArray(src) && proto !== Object.prototype && proto !== null) || seen.has(src)) {
      throw new KeylessError('ERR_JSON', 'the bundle is not a tree of JSON values');
    }
    seen.add(src);
    const copy: Record<string, unknown> | unknown[] = Array.isArray(src) ? new Array<unknown>(src.length) : {};
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      // Define every key now, in order, so the copy keeps the original's key order; fill the values in later.
      Object.defineProperty(copy, k, { value: undefined, enumerable: true, writable: true, configurable: true });
      work.push({ src: v, set: (x) => ((copy as Record<string, unknown>)[k] = x) });
    }
    frozen.push(copy);
    set(copy);
  }
  if (freeze) for (const o of frozen) Object.freeze(o);
  return root.v;
}
