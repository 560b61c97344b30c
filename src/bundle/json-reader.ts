/**
 * Reading protobuf-JSON documents (bundles, trusted roots, signing configs) defensively: every field is checked for
 * its JSON type and decoded, and every problem is recorded with its path instead of failing on the first one, so a
 * caller sees everything wrong with a document at once.
 *
 * Protobuf's JSON mapping rules applied here (https://protobuf.dev/programming-guides/json/):
 * - parsers accept the lowerCamelCase JSON name and the original proto field name; we accept both and report a
 *   field given under both names (sigstore-js reads only camelCase, sigstore-go's protojson reads both);
 * - `null` means the field is absent (its default);
 * - bytes are base64, standard or URL-safe, padded or not;
 * - 64-bit integers are decimal strings, and numbers are accepted too;
 * - enums are their value name, and their number is accepted too;
 * - unknown fields are ignored (as sigstore-js does), so newer producers stay readable.
 */
import { base64Decode } from '../core/encoding.js';
import { KeylessError, type ErrorCode } from '../core/errors.js';

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ProblemList {
  readonly problems: Problem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Throws one coded error carrying every problem, if there are any. */
  throwIfAny(code: ErrorCode, what: string): void {
    const [first] = this.problems;
    if (first === undefined) return;
    const more = this.problems.length - 1;
    const where = first.path === '' ? '' : `${first.path}: `;
    throw new KeylessError(code, `${what} is invalid: ${where}${first.message}${more > 0 ? ` (and ${more} more)` : ''}`, {
      problems: this.problems,
    });
  }
}

export interface FieldOptions {
  /** Absent, or present with its default value (empty string, empty bytes), is a problem. */
  readonly required?: boolean;
}

const INT64_DECIMAL = /^[0-9]+$/;

/** Reads the fields of one JSON object, recording problems under `path`. */
export class ObjectReader {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
    readonly problems: ProblemList,
  ) {}

  static root(value: JsonObject, problems: ProblemList): ObjectReader {
    return new ObjectReader(value, '', problems);
  }

  pathOf(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  problem(name: string, message: string): void {
    this.problems.add(this.pathOf(name), message);
  }

  /** The raw value under the JSON name or the proto name; undefined when absent or null. */
  value(name: string): unknown {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const camel = own(this.obj, name);
    const proto = snake === name ? undefined : own(this.obj, snake);
    if (camel !== undefined && proto !== undefined) this.problem(name, `is given twice, as ${name} and as ${snake}`);
    return camel ?? proto;
  }

  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  object(name: string, opts: FieldOptions = {}): ObjectReader | undefined {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return undefined;
    }
    if (!isJsonObject(v)) {
      this.problem(name, 'must be an object');
      return undefined;
    }
    return new ObjectReader(v, this.pathOf(name), this.problems);
  }

  string(name: string, opts: FieldOptions = {}): string {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return '';
    }
    if (typeof v !== 'string') {
      this.problem(name, 'must be a string');
      return '';
    }
    if (opts.required && v === '') this.problem(name, 'must not be empty');
    return v;
  }

  bytes(name: string, opts: FieldOptions = {}): Uint8Array {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return new Uint8Array(0);
    }
    const bytes = decodeBytes(v, this.pathOf(name), this.problems);
    if (opts.required && bytes !== undefined && bytes.length === 0) this.problem(name, 'must not be empty');
    return bytes ?? new Uint8Array(0);
  }

  /** A non-negative int64 that fits a JS safe integer; absent is 0 (the protobuf default). */
  int64(name: string, opts: FieldOptions = {}): number {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return 0;
    }
    return decodeCount(v, this.pathOf(name), this.problems, Number.MAX_SAFE_INTEGER);
  }

  uint32(name: string): number {
    const v = this.value(name);
    return v === undefined ? 0 : decodeCount(v, this.pathOf(name), this.problems, 0xffffffff);
  }

  /** An enum by name (or number, mapped through `byNumber`); a name not in `byNumber` is kept as is. */
  enumName(name: string, byNumber: readonly string[], opts: FieldOptions = {}): string {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return byNumber[0] ?? '';
    }
    if (typeof v === 'number') {
      const named = Number.isInteger(v) ? byNumber[v] : undefined;
      if (named === undefined || named === '') this.problem(name, `has an unknown enum number ${v}`);
      return named ?? '';
    }
    if (typeof v !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(v)) {
      this.problem(name, 'must be an enum value name');
      return '';
    }
    if (opts.required && v === byNumber[0]) this.problem(name, `must not be ${v}`);
    return v;
  }

  /** Each element of an array field read by `each`; elements it returns undefined for are dropped. */
  array<T>(name: string, each: (value: unknown, path: string) => T | undefined, opts: FieldOptions = {}): T[] {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'must have at least one element');
      return [];
    }
    if (!Array.isArray(v)) {
      this.problem(name, 'must be an array');
      return [];
    }
    if (opts.required && v.length === 0) this.problem(name, 'must have at least one element');
    const out: T[] = [];
    v.forEach((item: unknown, i) => {
      const read = each(item, `${this.pathOf(name)}[${i}]`);
      if (read !== undefined) out.push(read);
    });
    return out;
  }

  /** Reads an array of objects. */
  objects<T>(name: string, each: (r: ObjectReader) => T, opts: FieldOptions = {}): T[] {
    return this.array(
      name,
      (item, path) => {
        if (!isJsonObject(item)) {
          this.problems.add(path, 'must be an object');
          return undefined;
        }
        return each(new ObjectReader(item, path, this.problems));
      },
      opts,
    );
  }

  /** A google.protobuf.Timestamp (RFC 3339) as epoch milliseconds; undefined when absent or invalid. */
  timestamp(name: string, opts: FieldOptions = {}): number | undefined {
    const v = this.value(name);
    if (v === undefined) {
      if (opts.required) this.problem(name, 'is required');
      return undefined;
    }
    const ms = typeof v === 'string' ? parseRfc3339(v) : undefined;
    if (ms === undefined) this.problem(name, 'must be an RFC 3339 timestamp');
    return ms;
  }
}

export function decodeBytes(v: unknown, path: string, problems: ProblemList): Uint8Array | undefined {
  if (typeof v !== 'string') {
    problems.add(path, 'must be a base64 string');
    return undefined;
  }
  try {
    return base64Decode(v, path);
  } catch {
    problems.add(path, 'is not valid base64');
    return undefined;
  }
}

function decodeCount(v: unknown, path: string, problems: ProblemList, max: number): number {
  let n: number;
  if (typeof v === 'string' && INT64_DECIMAL.test(v)) n = Number(v);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = v;
  else {
    problems.add(path, typeof v === 'string' && /^-[0-9]+$/.test(v) ? 'must not be negative' : 'must be a non-negative decimal integer');
    return 0;
  }
  if (!Number.isSafeInteger(n) || n > max) {
    problems.add(path, `is larger than ${max}`);
    return 0;
  }
  return n;
}

function own(obj: JsonObject, key: string): unknown {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined;
  return v === null ? undefined : v;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * google.protobuf.Timestamp's JSON form: "{year}-{month}-{day}T{hour}:{min}:{sec}[.{frac_sec}]Z", where frac_sec
 * has up to 9 digits; offsets other than "Z" are also accepted. Years 0001 to 9999. Sub-millisecond digits are
 * dropped (rounded down). Undefined when not a valid timestamp.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (day > daysInMonth) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  let ms = date.getTime();
  if (m[8] === undefined) {
    const sign = m[9] === '-' ? -1 : 1;
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    ms -= sign * (offHours * 60 + offMinutes) * 60_000;
  }
  return ms;
}

/** Protobuf's canonical Timestamp JSON: UTC, "Z", and 0 or 3 fractional digits (we keep milliseconds). */
export function formatRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
