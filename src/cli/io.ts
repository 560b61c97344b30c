/** File and console plumbing shared by the commands; the only place the CLI reads files. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { KeylessError } from '../core/errors.js';
import { publicKeyFromPem, type PublicKey } from '../core/keys.js';
import { parseBundleText, type Bundle } from '../bundle/index.js';
import { parseTrustedRoot, type TrustedRoot } from '../trust/index.js';
import { productionTrustedRootJson } from '../trust/production-root.js';
import { parseDigestArtifact, type Artifact } from '../verify/artifact.js';

/** Largest bundle or trust file we read: real ones are a few KiB; this keeps a wrong path from eating memory. */
const MAX_JSON_FILE = 64 * 1024 * 1024;

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const consoleOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function readFileOrFail(path: string, what: string, limit = Number.POSITIVE_INFINITY): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new KeylessError('ERR_USAGE', `cannot read ${what} ${path}: no such file`);
  }
  if (size > limit) throw new KeylessError('ERR_USAGE', `${what} ${path} is ${size} bytes, more than the ${limit} bytes such a file may have`);
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new KeylessError('ERR_USAGE', `cannot read ${what} ${path}: ${(cause as Error).message}`, {}, { cause });
  }
}

export function readBundle(path: string): Bundle {
  return parseBundleText(readFileOrFail(path, 'bundle', MAX_JSON_FILE).toString('utf8'));
}

function parseJsonFile(path: string, what: string): unknown {
  const text = readFileOrFail(path, what, MAX_JSON_FILE).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `${what} ${path} is not JSON: ${(cause as Error).message}`, {}, { cause });
  }
}

/** The trusted root from `--trusted-root`, or the public-good production root built in. */
export function loadTrustedRoot(path: string | undefined): TrustedRoot {
  return parseTrustedRoot(path === undefined ? productionTrustedRootJson : parseJsonFile(path, 'trusted root'));
}

export function readPublicKey(path: string): PublicKey {
  return publicKeyFromPem(readFileOrFail(path, 'key', 1024 * 1024).toString('utf8'));
}

/** An existing file is the artifact; otherwise `sha256:<hex>` is its digest. */
export function readArtifact(pathOrDigest: string): Artifact {
  if (existsSync(pathOrDigest)) return { kind: 'bytes', data: readFileOrFail(pathOrDigest, 'artifact') };
  const digest = parseDigestArtifact(pathOrDigest);
  if (digest !== undefined) return digest;
  throw new KeylessError('ERR_USAGE', `artifact ${pathOrDigest} is neither a file nor a digest like sha256:<64 hex digits> (or sha384:, sha512:)`);
}
