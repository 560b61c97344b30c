/** File and console plumbing shared by the commands; the only place the CLI reads files. */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** One output file, claimed before anything is sent: its temporary file already exists beside it. */
export interface ReservedOutput {
  readonly path: string;
  /** Writes the whole file to the temporary one and renames it into place; ERR_OUTPUT if that fails. */
  commit(data: string | Uint8Array): void;
}

export interface ReservedOutputs {
  /** The output for `path` (as given to `reserveOutputs`). */
  get(path: string): ReservedOutput;
  /** Removes every temporary file not committed; call it in `finally`. */
  discard(): void;
}

/**
 * Claims every output file a signing command will write, before it makes any network call: signing publishes the
 * identity in a transparency log for good, so a bundle that cannot be written afterwards is an identity published
 * for nothing. For each path a temporary file is created in the target directory now (so the directory exists and
 * is writable, and the later rename stays within one file system); a path that is a directory is refused too.
 * Any failure is ERR_OUTPUT naming the file, and nothing has been sent.
 */
export function reserveOutputs(outputs: ReadonlyArray<{ readonly path: string | undefined; readonly what: string }>): ReservedOutputs {
  const reserved = new Map<string, { tmp: string; what: string; done: boolean }>();
  const discard = (): void => {
    for (const r of reserved.values()) if (!r.done) rmSync(r.tmp, { force: true });
  };
  try {
    for (const { path, what } of outputs) {
      if (path === undefined || reserved.has(path)) continue;
      let isDirectory = false;
      try {
        isDirectory = statSync(path).isDirectory();
      } catch {
        // no such file yet: the usual case
      }
      if (isDirectory) throw new KeylessError('ERR_OUTPUT', `cannot write the ${what} to ${path}: it is a directory; nothing was signed or published`, { path });
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        closeSync(openSync(tmp, 'wx', 0o644));
      } catch (cause) {
        const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? `the directory ${dirname(path)} does not exist` : (cause as Error).message;
        throw new KeylessError('ERR_OUTPUT', `cannot write the ${what} to ${path}: ${reason}; nothing was signed or published`, { path }, { cause });
      }
      reserved.set(path, { tmp, what, done: false });
    }
  } catch (err) {
    discard();
    throw err;
  }
  return {
    get(path) {
      const r = reserved.get(path);
      if (r === undefined) throw new TypeError(`output ${path} was not reserved`);
      return {
        path,
        commit(data) {
          try {
            writeFileSync(r.tmp, data, { mode: 0o644 });
            renameSync(r.tmp, path);
            r.done = true;
          } catch (cause) {
            throw new KeylessError('ERR_OUTPUT', `cannot write the ${r.what} to ${path}: ${(cause as Error).message}`, { path }, { cause });
          }
        },
      };
    },
    discard,
  };
}

/** Commits each reserved output that was asked for, saying so on stderr. */
export function commitOutputs(outputs: ReservedOutputs, files: ReadonlyArray<{ readonly path: string | undefined; readonly data: string | Uint8Array; readonly said?: string }>, io: Output): void {
  for (const f of files) {
    if (f.path === undefined) continue;
    outputs.get(f.path).commit(f.data);
    if (f.said !== undefined) io.err(`Wrote ${f.said} to file ${f.path}`);
  }
}
