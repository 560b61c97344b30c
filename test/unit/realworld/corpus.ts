/**
 * The real-world corpus (test/vectors/realworld/manifest.json): loading its entries, and running one through keyless
 * and through sigstore-js (@sigstore/verify 3.x and 4.x). Shared by the tests beside this file and by
 * test/vectors/realworld/build-manifest.mjs, which records the sigstore-js verdicts, so both run them the same way.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot, PublicKeyDetails, type PublicKey as ProtoPublicKey } from '@sigstore/protobuf-specs';
import * as verify3 from '@sigstore/verify';
import * as verify4 from '@sigstore/verify-latest';
import { KeylessError, type ErrorCode } from '../../../src/core/errors.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { createVerifier, type IdentityPolicy, type VerificationResult } from '../../../src/verify/verifier.js';
import { parseDigestArtifact, type Artifact } from '../../../src/verify/artifact.js';
import { publicKeyFromPem } from '../../../src/core/keys.js';
import { ROOT, type Json } from '../../helpers/vectors.js';

export const CORPUS_DIR = join(ROOT, 'test', 'vectors', 'realworld');

export type Verdict = 'accept' | 'reject';

export interface SigstoreJsVerdict {
  readonly verdict: Verdict | 'n/a';
  readonly message?: string;
}

export interface Entry {
  readonly id: string;
  readonly source: { readonly repository: string; readonly path: string; readonly commit: string; readonly line?: number };
  readonly bundle: string;
  readonly artifact?: string;
  readonly digest?: string;
  readonly key?: string;
  readonly identity?: string;
  readonly identityRegexp?: string;
  readonly issuer?: string;
  readonly trustedRoot: string;
  readonly verifierOptions?: { readonly tlogThreshold?: number; readonly ctlogThreshold?: number; readonly timestampThreshold?: number };
  readonly expected: Verdict;
  readonly expectedCode?: ErrorCode;
  readonly why: string;
  readonly note?: string;
  readonly npmPackage?: string;
  readonly categories: readonly string[];
  readonly sigstoreJs: { readonly '3.x': SigstoreJsVerdict; readonly '4.x': SigstoreJsVerdict };
  readonly disagreement?: string;
}

export interface Manifest {
  readonly description: string;
  readonly entries: readonly Entry[];
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(join(CORPUS_DIR, 'manifest.json'), 'utf8')) as Manifest;
}

const jsonCache = new Map<string, Json>();
function readJson(file: string): Json {
  let value = jsonCache.get(file);
  if (value === undefined) {
    value = JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8'));
    jsonCache.set(file, value);
  }
  return structuredClone(value);
}

export function bundleJson(entry: Pick<Entry, 'bundle'>): Json {
  return readJson(entry.bundle);
}

export function trustedRootJson(entry: Pick<Entry, 'trustedRoot'>): Json {
  return entry.trustedRoot === 'production' ? structuredClone(productionTrustedRootJson as Json) : readJson(`roots/${entry.trustedRoot}`);
}

export function artifactBytes(entry: Pick<Entry, 'artifact'>): Buffer | undefined {
  return entry.artifact === undefined ? undefined : readFileSync(join(CORPUS_DIR, entry.artifact));
}

export function keyPem(entry: Pick<Entry, 'key'>): string | undefined {
  return entry.key === undefined ? undefined : readFileSync(join(CORPUS_DIR, entry.key), 'utf8');
}

/** What keyless is asked to verify against: the artifact's bytes, its digest, or (DSSE only) nothing. */
export function keylessArtifact(entry: Pick<Entry, 'artifact' | 'digest'>): Artifact | undefined {
  const bytes = artifactBytes(entry);
  if (bytes !== undefined) return { kind: 'bytes', data: bytes };
  if (entry.digest !== undefined) {
    const artifact = parseDigestArtifact(entry.digest);
    if (artifact === undefined) throw new Error(`bad digest ${entry.digest}`);
    return artifact;
  }
  return undefined;
}

export function identityPolicy(entry: Pick<Entry, 'key' | 'identity' | 'identityRegexp' | 'issuer'>): IdentityPolicy {
  const pem = keyPem(entry);
  if (pem !== undefined) return { kind: 'key', key: publicKeyFromPem(pem) };
  if (entry.issuer === undefined || (entry.identity === undefined && entry.identityRegexp === undefined)) {
    throw new Error('a certificate entry needs an identity (or identityRegexp) and an issuer');
  }
  return {
    kind: 'certificate',
    identities: [{
      subjectAlternativeName: entry.identity !== undefined ? { kind: 'exact', value: entry.identity } : { kind: 'regexp', pattern: entry.identityRegexp ?? '' },
      issuer: { kind: 'exact', value: entry.issuer },
    }],
  };
}

export type KeylessOutcome =
  | { readonly verdict: 'accept'; readonly result: VerificationResult }
  | { readonly verdict: 'reject'; readonly code: ErrorCode; readonly message: string }
  /** Anything but a KeylessError: a bug, never a verdict. */
  | { readonly verdict: 'crash'; readonly error: unknown };

export interface KeylessInputs {
  readonly bundle: Json;
  readonly trustedRoot: Json;
  readonly artifact: Artifact | undefined;
  readonly identity: IdentityPolicy;
}

export function keylessInputs(entry: Entry): KeylessInputs {
  return { bundle: bundleJson(entry), trustedRoot: trustedRootJson(entry), artifact: keylessArtifact(entry), identity: identityPolicy(entry) };
}

/** Runs keyless end to end (parse the root, parse the bundle, verify), turning its outcome into a verdict. */
export function runKeyless(entry: Pick<Entry, 'verifierOptions'>, inputs: KeylessInputs): KeylessOutcome {
  try {
    const verifier = createVerifier({ ...(entry.verifierOptions ?? {}), trustedRoot: parseTrustedRoot(inputs.trustedRoot) });
    const result = verifier.verify(parseBundle(inputs.bundle), { ...(inputs.artifact !== undefined ? { artifact: inputs.artifact } : {}), identity: inputs.identity });
    return { verdict: 'accept', result };
  } catch (error) {
    if (error instanceof KeylessError) return { verdict: 'reject', code: error.code, message: error.message };
    return { verdict: 'crash', error };
  }
}

export function describe(outcome: KeylessOutcome): string {
  if (outcome.verdict === 'accept') return 'accept';
  if (outcome.verdict === 'reject') return `reject ${outcome.code}: ${outcome.message}`;
  const e = outcome.error;
  return `CRASH ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

/** sigstore-js takes a managed key as a protobuf PublicKey keyed by the bundle's hint. */
function sigstoreJsKeys(bundle: Json, pem: string): Record<string, ProtoPublicKey> {
  const key = createPublicKey(pem);
  const spki = key.export({ type: 'spki', format: 'der' });
  const hint: string = bundle?.verificationMaterial?.publicKey?.hint ?? createHash('sha256').update(spki).digest('base64');
  const details = key.asymmetricKeyType === 'ec'
    ? ({ 'prime256v1': PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, secp384r1: PublicKeyDetails.PKIX_ECDSA_P384_SHA_384, secp521r1: PublicKeyDetails.PKIX_ECDSA_P521_SHA_512 } as Record<string, PublicKeyDetails>)[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? PublicKeyDetails.PKIX_ECDSA_P256_SHA_256
    : key.asymmetricKeyType === 'ed25519' ? PublicKeyDetails.PKIX_ED25519 : PublicKeyDetails.PKIX_RSA_PKCS1V15_2048_SHA256;
  return { [hint]: { rawBytes: spki, keyDetails: details, validFor: { start: new Date(0) } } };
}

/**
 * Runs one @sigstore/verify major over a bundle: the same trusted root, thresholds and identity as keyless, the
 * artifact's bytes when the corpus has them. With only a digest, a DSSE bundle is verified without an artifact
 * (the envelope and log entry still are) and a message signature cannot be: 'n/a'.
 */
export function runSigstoreJs(major: '3.x' | '4.x', entry: Omit<Entry, 'sigstoreJs' | 'expected' | 'why' | 'categories' | 'source' | 'id'>, bundle: Json = bundleJson(entry), trustedRoot: Json = trustedRootJson(entry), artifactOverride?: Buffer): SigstoreJsVerdict {
  // The two majors' types differ only in private details; both are driven through 3.x's declarations.
  const lib = (major === '3.x' ? verify3 : verify4) as unknown as typeof verify3;
  const artifact = artifactOverride ?? artifactBytes(entry);
  if (artifact === undefined && bundle?.messageSignature !== undefined) return { verdict: 'n/a', message: 'sigstore-js verifies a message signature only against the artifact\'s bytes, and the corpus keeps only its digest' };
  try {
    const pem = keyPem(entry);
    const material = lib.toTrustMaterial(TrustedRoot.fromJSON(trustedRoot), pem !== undefined ? sigstoreJsKeys(bundle, pem) : undefined);
    const options = entry.verifierOptions ?? {};
    const verifier = new lib.Verifier(material, {
      ...(options.tlogThreshold !== undefined ? { tlogThreshold: options.tlogThreshold } : {}),
      ...(options.ctlogThreshold !== undefined ? { ctlogThreshold: options.ctlogThreshold } : {}),
      ...(options.timestampThreshold !== undefined ? { timestampThreshold: options.timestampThreshold } : {}),
    });
    const entity = lib.toSignedEntity(bundleFromJSON(bundle), artifact);
    const policy = pem !== undefined ? undefined : {
      ...(entry.identity !== undefined ? { subjectAlternativeName: entry.identity } : {}),
      extensions: { issuer: entry.issuer ?? '' },
    };
    const signer = verifier.verify(entity, policy);
    if (pem === undefined && entry.identityRegexp !== undefined && !new RegExp(`^(?:${entry.identityRegexp})$`, 'u').test(signer.identity?.subjectAlternativeName ?? '')) {
      return { verdict: 'reject', message: 'identity does not match the expected pattern' };
    }
    return { verdict: 'accept' };
  } catch (error) {
    return { verdict: 'reject', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}
