/**
 * Command-line parsing on node:util's parseArgs, with cosign's flag names and our usage errors: one line, ending
 * (in main.ts) in [ERR_USAGE], with "did you mean" for a mistyped option. The usage text is printed only for --help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KeylessError } from '../core/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions): the typos people make in
 * flags are a missing, extra, wrong or swapped character.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest of `candidates` to `word`, when it is close enough to be a typo of it (at most 2 edits, 1 for short words). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** "see 'keyless sign-blob --help'", from the first line of a command's usage. */
function helpPointer(usage: string): string {
  const m = /^Usage: (keyless(?: [a-z][a-z0-9-]*)?)/.exec(usage);
  return `see '${m?.[1] ?? 'keyless'} --help'`;
}

/** parseArgs's multi-line advice, as one line of ours. */
function describeParseError(cause: unknown, options: Options): string {
  const code = (cause as { code?: string }).code;
  const text = (cause as Error).message ?? String(cause);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'([^']+)'/.exec(text)?.[1] ?? text.split('\n')[0] ?? text;
    const longs = Object.keys(options).map((name) => `--${name}`);
    const name = given.split('=')[0] ?? given;
    const guess = name.startsWith('--') ? closest(name, longs) : undefined;
    return `unknown option ${name}${guess !== undefined ? ` (did you mean ${guess}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flagName = /--([a-z0-9-]+)/i.exec(text)?.[0] ?? /'([^']+)'/.exec(text)?.[1] ?? 'an option';
    if (/does not take an argument/.test(text)) return `${flagName} takes no value`;
    if (/ambiguous/.test(text)) return `${flagName} needs a value (to give one that starts with a dash, write ${flagName}=-VALUE)`;
    return `${flagName} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const given = /'([^']+)'/.exec(text)?.[1];
    return given !== undefined ? `unexpected argument ${JSON.stringify(given)}` : 'unexpected argument';
  }
  return (text.split('\n')[0] ?? text).replace(/\.$/, '');
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (cause) {
    throw new KeylessError('ERR_USAGE', `${describeParseError(cause, options)}; ${helpPointer(usage)}`, {}, { cause });
  }
}

export function str(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A usage error: the problem in one line, and where to read the usage (`usage` is not printed). */
export function usageError(message: string, usage: string): KeylessError {
  return new KeylessError('ERR_USAGE', `${message}; ${helpPointer(usage)}`);
}
