/**
 * Reading a proposed entry that an attacker wrote. Every reader records what is wrong under the field's path and
 * returns undefined instead of throwing, so that one request reports all its problems at once (as src/bundle's
 * validation does); `throwIfAny` then fails with ERR_REQUEST and the list.
 *
 * Only own properties of plain objects are read (a JSON `"__proto__"` key is just a key), strings are bounded
 * before they are decoded, and nothing here allocates more than a constant factor of its input.
 */
import { Buffer } from 'node:buffer';
import { KeylessError } from '../../core/errors.js';
import { base64Decode } from '../../core/encoding.js';

export type Json = Readonly<Record<string, unknown>>;

export interface Problem {
  /** Where, as a JSON path from the request root: `spec.signature.content`. */
  readonly path: string;
  readonly problem: string;
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_BASE64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const LOWER_HEX = /^[0-9a-f]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Base64 text that decodes to at most `max` bytes is at most this long (padded; unpadded is shorter). */
function maxBase64Length(max: number): number {
  return Math.ceil(max / 3) * 4;
}

export class Problems {
  readonly list: Problem[] = [];

  add(path: string, problem: string): undefined {
    this.list.push({ path, problem });
    return undefined;
  }

  get count(): number {
    return this.list.length;
  }

  /** ERR_REQUEST naming every problem, if there is any. */
  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, 5).map((p) => `${p.path}: ${p.problem}`).join('; ');
    const more = this.list.length > 5 ? ` (and ${this.list.length - 5} more)` : '';
    throw new KeylessError('ERR_REQUEST', `invalid ${what}: ${shown}${more}`, { problems: [...this.list] });
  }

  object(value: unknown, path: string): Json | undefined {
    if (value === undefined || value === null) return this.add(path, 'is required');
    if (typeof value !== 'object' || Array.isArray(value)) return this.add(path, 'must be an object');
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return this.add(path, 'must be a plain JSON object');
    return value as Json;
  }

  array(value: unknown, path: string, min: number, max: number): readonly unknown[] | undefined {
    if (value === undefined || value === null) return this.add(path, 'is required');
    if (!Array.isArray(value)) return this.add(path, 'must be an array');
    if (value.length < min) return this.add(path, min === 1 ? 'must not be empty' : `must have at least ${min} items`);
    if (value.length > max) return this.add(path, `must have at most ${max} items, has ${value.length}`);
    return value;
  }

  /** A string of at most `max` UTF-16 code units; empty only when `allowEmpty`. */
  string(value: unknown, path: string, max: number, allowEmpty = false): string | undefined {
    if (value === undefined || value === null) return this.add(path, 'is required');
    if (typeof value !== 'string') return this.add(path, 'must be a string');
    if (value.length === 0 && !allowEmpty) return this.add(path, 'must not be empty');
    if (value.length > max) return this.add(path, `must be at most ${max} characters`);
    if (LONE_SURROGATE.test(value)) return this.add(path, 'must be valid Unicode (it has an unpaired surrogate)');
    return value;
  }

  /**
   * Go's `base64.StdEncoding` as Rekor v1 decodes `format: byte` fields: the standard alphabet with padding.
   * (Go also skips CR and LF inside the text; no client sends them, so we do not.)
   */
  stdBase64(value: unknown, path: string, maxBytes: number): Uint8Array | undefined {
    const text = this.string(value, path, maxBase64Length(maxBytes) + 4);
    if (text === undefined) return undefined;
    if (!STD_BASE64.test(text)) return this.add(path, 'must be standard base64 with padding');
    return this.bounded(Buffer.from(text, 'base64'), path, maxBytes);
  }

  /**
   * go-securesystemslib's DSSE decoding of `payload` and `sig`: standard base64, or URL-safe base64 when the
   * standard decoding fails; padded either way.
   */
  dsseBase64(value: unknown, path: string, maxBytes: number, allowEmpty = false): Uint8Array | undefined {
    const text = this.string(value, path, maxBase64Length(maxBytes) + 4, allowEmpty);
    if (text === undefined) return undefined;
    if (STD_BASE64.test(text)) return this.bounded(Buffer.from(text, 'base64'), path, maxBytes);
    if (URL_BASE64.test(text)) return this.bounded(Buffer.from(text, 'base64url'), path, maxBytes);
    return this.add(path, 'must be base64 (standard or URL-safe, padded)');
  }

  /** protojson's `bytes`: standard or URL-safe base64, padded or not. */
  protoBytes(value: unknown, path: string, maxBytes: number): Uint8Array | undefined {
    const text = this.string(value, path, maxBase64Length(maxBytes) + 4);
    if (text === undefined) return undefined;
    try {
      return this.bounded(base64Decode(text, path), path, maxBytes);
    } catch {
      return this.add(path, 'must be base64');
    }
  }

  /** Lower-case hex of exactly `bytes` bytes (the form Rekor's schemas document for digests). */
  lowerHex(value: unknown, path: string, bytes: number, what: string): Uint8Array | undefined {
    const text = this.string(value, path, bytes * 2 + 2);
    if (text === undefined) return undefined;
    if (!LOWER_HEX.test(text)) return this.add(path, 'must be lower-case hex');
    if (text.length !== bytes * 2) return this.add(path, `must be ${bytes * 2} hex digits for ${what}, has ${text.length}`);
    return Buffer.from(text, 'hex');
  }

  /** One of `allowed`, reported with the list when it is not. */
  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    const text = this.string(value, path, 64);
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text)) return this.add(path, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(text)}`);
    return text as T;
  }

  private bounded(bytes: Uint8Array, path: string, maxBytes: number): Uint8Array | undefined {
    if (bytes.length > maxBytes) return this.add(path, `must be at most ${maxBytes} bytes, has ${bytes.length}`);
    return bytes;
  }
}

/** An own property, never one inherited through the prototype chain. */
export function field(obj: Json, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

/**
 * A field of a protobuf message in protojson: by its JSON name (lowerCamelCase) or its proto name (snake_case),
 * as protojson accepts either; both at once is an error, as in protojson.
 */
export function protoField(obj: Json, jsonName: string, protoName: string, path: string, problems: Problems): unknown {
  const a = field(obj, jsonName);
  const b = jsonName === protoName ? undefined : field(obj, protoName);
  if (a !== undefined && b !== undefined) return problems.add(`${path}.${jsonName}`, `is set twice (as ${jsonName} and ${protoName})`);
  return a ?? b;
}
