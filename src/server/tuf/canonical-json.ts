/**
 * The canonical JSON that TUF signs: OLPC canonical JSON (http://wiki.laptop.org/go/Canonical_JSON) as
 * securesystemslib, go-tuf and `@tufjs/canonical-json` implement it. It is NOT RFC 8785 (src/core/canonical-json.ts):
 * - strings escape only `"` and `\`; every other character, control characters included, is written as is (RFC 8785
 *   writes `\n`, `\u001f`, …);
 * - only integers are allowed (RFC 8785 writes any finite number in ECMAScript form);
 * - object keys are sorted by UTF-16 code units (as `Array.prototype.sort` does), no whitespace anywhere.
 * A TUF client re-canonicalizes the parsed `signed` object and checks the signature over those UTF-8 bytes, so the
 * two encodings differ only where our metadata never goes (control characters, fractions), but where they differ
 * the client's is the one that counts.
 *
 * Input is metadata we build ourselves, so anything outside that dialect is a programmer error (TypeError).
 */
export function canonicalTufJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null || value === true || value === false) {
    out.push(String(value));
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(quote(value));
      return;
    case 'number':
      // OLPC: "floats are not allowed". JSON.stringify writes -0 as 0, as @tufjs/canonical-json does.
      if (!Number.isSafeInteger(value)) throw new TypeError(`${path} is ${value}; TUF canonical JSON carries only integers`);
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path} is a ${typeof value}, which TUF canonical JSON cannot represent`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, out, `${path}[${i}]`);
    });
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path} is not a plain object`);
  const keys = Object.keys(value).sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(quote(key), ':');
    write((value as Record<string, unknown>)[key], out, `${path}.${key}`);
  });
  out.push('}');
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
