/** Command-line parsing on node:util's parseArgs, with cosign's flag names and our usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KeylessError } from '../core/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (cause) {
    throw new KeylessError('ERR_USAGE', `${(cause as Error).message}\n${usage}`, {}, { cause });
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

export function usageError(message: string, usage: string): KeylessError {
  return new KeylessError('ERR_USAGE', `${message}\n${usage}`);
}
