/**
 * Which keyless instance a command talks to (`--instance URL` or KEYLESS_INSTANCE) and its served trusted root.
 * Kept apart from the signing helpers so that `verify-blob` does not load the signer at every start.
 */
import { KeylessError } from '../core/errors.js';
import { getJson, joinUrl, type FetchLike } from '../sign/http.js';
import { str, type Parsed } from './args.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The instance URL from --instance or KEYLESS_INSTANCE, checked; undefined when neither is given. */
export function instanceUrl(parsed: Parsed, env: Env): string | undefined {
  const instanceFlag = str(parsed, 'instance') ?? (env['KEYLESS_INSTANCE'] !== '' ? env['KEYLESS_INSTANCE'] : undefined);
  if (instanceFlag === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(instanceFlag);
  } catch {
    throw new KeylessError('ERR_USAGE', `--instance must be a URL such as http://127.0.0.1:3000, got ${JSON.stringify(instanceFlag)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new KeylessError('ERR_USAGE', `--instance must be an http(s) URL, got ${JSON.stringify(instanceFlag)}`);
  return instanceFlag.replace(/\/+$/, '');
}

/** A keyless instance's trusted root, from `${instance}/trusted_root.json`. */
export async function fetchInstanceTrustedRoot(instance: string, fetchFn: FetchLike = globalThis.fetch as unknown as FetchLike): Promise<unknown> {
  return getJson({ service: 'keyless instance (trusted root)', url: joinUrl(instance, '/trusted_root.json'), fetch: fetchFn });
}

