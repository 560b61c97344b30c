/** Loading the golden vectors of test/vectors, and small JSON-mutation helpers for tests. */
import type { KeyObject } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeylessError, type ErrorCode } from '../../src/core/errors.js';
import { parseBundle } from '../../src/bundle/index.js';
import { parseTrustedRoot } from '../../src/trust/index.js';
import { createVerifier, type IdentityPolicy, type VerificationResult, type VerifierOptions } from '../../src/verify/verifier.js';
import type { Artifact } from '../../src/verify/artifact.js';

/** The repository root (tests run from dist/test/…). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
})();

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Vector {
  readonly name: string;
  readonly dir: string;
  readonly bundle: Json;
  readonly trustedRoot: Json;
  readonly artifact: Buffer;
  readonly expected: Json;
}

export function vector(name: string): Vector {
  const dir = join(ROOT, 'test', 'vectors', name);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const trustedRootPath = join(dir, 'trusted_root.json');
  return {
    name,
    dir,
    bundle: JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')),
    trustedRoot: existsSync(trustedRootPath) ? JSON.parse(readFileSync(trustedRootPath, 'utf8')) : undefined,
    artifact: readFileSync(join(dir, expected.artifact ?? 'artifact')),
    expected,
  };
}

export const GENERATED = ['v1-message', 'v02-message', 'v01-message', 'v1-dsse', 'v1-intoto', 'v2-message', 'v2-dsse', 'tsa-message', 'p384-message'] as const;

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export const gitlabIdentity: IdentityPolicy = {
  kind: 'certificate',
  identities: [{
    subjectAlternativeName: { kind: 'exact', value: 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main' },
    issuer: { kind: 'exact', value: 'https://gitlab.com' },
  }],
};

export function verifyJson(
  bundle: Json,
  trustedRoot: Json,
  artifact: Artifact | Buffer | undefined,
  identity: IdentityPolicy = gitlabIdentity,
  options: Omit<VerifierOptions, 'trustedRoot'> = {},
): VerificationResult {
  const verifier = createVerifier({ ...options, trustedRoot: parseTrustedRoot(trustedRoot) });
  const art: Artifact | undefined = Buffer.isBuffer(artifact) ? { kind: 'bytes', data: artifact } : artifact;
  return verifier.verify(parseBundle(bundle), { ...(art !== undefined ? { artifact: art } : {}), identity });
}

/** An assert.throws matcher for a KeylessError with `code` (and, optionally, a message pattern). */
export function coded(code: ErrorCode, message?: RegExp) {
  return (err: unknown): boolean => {
    if (!(err instanceof KeylessError)) throw err;
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    if (message !== undefined && !message.test(err.message)) throw new Error(`message ${JSON.stringify(err.message)} does not match ${message}`);
    return true;
  };
}

export function flipBase64(b64: string, at = -1): string {
  const bytes = Buffer.from(b64, 'base64');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

/** The test keys of the mock instance that made the vectors (derived from public seeds; see test/vectors/lib). */
export async function testKeys(): Promise<Record<string, { privateKey: KeyObject; publicKey: KeyObject }>> {
  const lib = (await import(join(ROOT, 'test', 'vectors', 'lib', 'keys.mjs'))) as Json;
  return {
    rekorV1: lib.ecKeyPair('rekor v1 log'),
    ctlog: lib.ecKeyPair('ct log'),
    tsa: lib.ecKeyPair('timestamp authority'),
  };
}
