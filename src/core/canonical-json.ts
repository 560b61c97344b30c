/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Used for Rekor's signed entry timestamps and anything else that is
 * signed as JSON: the same value always serializes to the same bytes.
 *
 * Input is a JSON value as JSON.parse returns it (plain objects, arrays, strings, finite numbers, booleans, null).
 * Anything else is a programmer error (TypeError); values JSON cannot carry faithfully (NaN, Infinity, strings with
 * unpaired surrogates) are ERR_JSON, since they can come from attacker-controlled input.
 */
import { KeylessError } from './errors.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  // 3.2.2.1: JSON literals (null, true, false) MUST be serialized as null, true, false.
  if (value === null || value === true || value === false) {
    out.push(String(value));
    return;
  }
  switch (typeof value) {
    case 'number':
      // 3.2.2.3: Numbers MUST be serialized as ECMAScript's Number.prototype.toString (with -0 as 0); NaN and
      // Infinity MUST cause an error.
      if (!Number.isFinite(value)) throw new KeylessError('ERR_JSON', `${path} is not a finite number`, { path });
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'string':
      out.push(quote(value, path));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path} is a ${typeof value}, which JSON cannot represent`);
  }
  if (Array.isArray(value)) {
    // 3.2.4: array element order is preserved.
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) throw new TypeError(`${path}[${i}] is undefined`);
      write(item, out, `${path}[${i}]`);
    });
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path} is not a plain object`);
  // 3.2.3: object properties MUST be sorted by their names as arrays of UTF-16 code units, compared as unsigned
  // integers, independent of locale. (JS string comparison is exactly that.) Properties that are undefined are
  // absent, as in JSON.stringify.
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.push('{');
  entries.forEach(([k, v], i) => {
    if (i > 0) out.push(',');
    out.push(quote(k, path), ':');
    write(v, out, `${path}.${k}`);
  });
  out.push('}');
}

/**
 * 3.2.2.2: strings are serialized with '"' and '\' escaped, U+0008/09/0A/0C/0D as \b \t \n \f \r, other
 * characters below U+0020 as \u00hh in lowercase hex, and every other character as is. That is exactly what
 * JSON.stringify does for a well-formed string; unpaired surrogates are not valid I-JSON (RFC 7493) and are rejected.
 */
function quote(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new KeylessError('ERR_JSON', `${path} has a string with an unpaired surrogate`, { path });
  return JSON.stringify(s);
}
