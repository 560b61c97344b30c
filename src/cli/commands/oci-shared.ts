/**
 * What the image commands (sign, verify, attest, verify-attestation, tree) share: registry flags and credentials,
 * resolving IMAGE to the digest everything is about, the signature format flag, and verifying what was found in
 * the registry (both of cosign's layouts) into one list of verified items and one list of reasons.
 */
import { WITNESS_POLICY_OPTION, WITNESS_POLICY_USAGE } from '../witness-policy.js';
import { KeylessError, isKeylessError, type ErrorCode } from '../../core/errors.js';
import { hexDecode } from '../../core/encoding.js';
import { parseBundle } from '../../bundle/index.js';
import { defaultFetch } from '../../net/http.js';
import { createRegistryClient, credentialsFor, formatReference, parseReference, type ImageReference, type RegistryClient } from '../../oci/index.js';
import { buildSimpleSigningPayload, COSIGN_SIGN_PREDICATE_TYPE, parseSimpleSigningPayload, type Candidate } from '../../oci/cosign/index.js';
import type { IdentityPolicy, VerificationResult, Verifier } from '../../verify/verifier.js';
import { flag, str, usageError, type Options, type Parsed } from '../args.js';
import type { Output } from '../io.js';
import { createCliVerifier, trustSourceFromFlags, type CliVerifier } from '../trust-roots.js';
import type { SigningInstance } from './instance.js';

type Env = Readonly<Record<string, string | undefined>>;

export const REGISTRY_OPTIONS = {
  'registry-username': { type: 'string' },
  'registry-password': { type: 'string' },
  'allow-http-registry': { type: 'boolean' },
} as const satisfies Options;

export const REGISTRY_USAGE = `Registry:
  --registry-username USER --registry-password PASS   credentials for the image's registry (else CI_REGISTRY_USER/
                            CI_REGISTRY_PASSWORD for the CI_REGISTRY host in GitLab CI, else ~/.docker/config.json "auths")
  --allow-http-registry     speak plain HTTP to the registry (always so for localhost/127.0.0.1)`;

export const FORMAT_USAGE = `  --signature-format bundle|legacy   bundle (default): a Sigstore bundle v0.3 attached as an OCI 1.1 referrer (with the
                            sha256-<hex> fallback index when the registry has no referrers API), as cosign 3 writes;
                            legacy: cosign's sha256-<hex>.sig/.att tag (needs a Rekor v1 log for its SET).
                            cosign's --new-bundle-format=false means legacy`;

export type SignatureFormat = 'bundle' | 'legacy';

/** cosign spells the format `--new-bundle-format[=true|false]`, which node's parser cannot take as a boolean. */
export function translateCosignFormatFlag(argv: readonly string[]): string[] {
  return argv.flatMap((a) => {
    const m = /^--new-bundle-format(?:=(true|false))?$/.exec(a);
    if (m === null) return [a];
    return ['--signature-format', m[1] === 'false' ? 'legacy' : 'bundle'];
  });
}

export function signatureFormat(parsed: Parsed, usage: string): SignatureFormat {
  const value = str(parsed, 'signature-format') ?? 'bundle';
  if (value !== 'bundle' && value !== 'legacy') throw usageError(`--signature-format is bundle or legacy, got ${JSON.stringify(value)}`, usage);
  return value;
}

export interface ResolvedImage {
  readonly ref: ImageReference;
  readonly client: RegistryClient;
  /** registry/repository, as cosign names the repository in payloads and statements. */
  readonly repositoryName: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** registry/repository@digest */
  readonly display: string;
}

export function registryClientFor(ref: ImageReference, parsed: Parsed, env: Env): RegistryClient {
  const credentials = credentialsFor({ flags: { username: str(parsed, 'registry-username'), password: str(parsed, 'registry-password') }, env });
  // The command's environment decides the proxy and the timeout, as it does for the signer's requests.
  return createRegistryClient({ registry: ref.registry, credentials, fetch: defaultFetch(env), retry: { env }, ...(flag(parsed, 'allow-http-registry') ? { plainHttp: true } : {}) });
}

/**
 * IMAGE → its registry, repository and the manifest digest everything is about. A tag is resolved once, here; with
 * `warnOnTag`, cosign's warning that a tag may move between resolving and signing is printed.
 */
export async function resolveImage(image: string, parsed: Parsed, env: Env, io: Output, opts: { warnOnTag: boolean }): Promise<ResolvedImage> {
  let ref: ImageReference;
  try {
    ref = parseReference(image);
  } catch (err) {
    throw new KeylessError('ERR_USAGE', isKeylessError(err) ? err.message : String(err), {}, { cause: err });
  }
  const client = registryClientFor(ref, parsed, env);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  if (ref.digest === undefined && opts.warnOnTag) {
    io.err(`WARNING: Image reference ${image} uses a tag, not a digest, to identify the image to sign.
    This can lead you to sign a different image than the intended one. Please use a
    digest (example.com/ubuntu@sha256:abc123...) rather than tag
    (example.com/ubuntu:latest) for the input to cosign. The ability to refer to
    images by tag will be removed in a future release.`);
  }
  const got = await client.getManifest(ref.repository, reference);
  const repositoryName = `${ref.registry}/${ref.repository}`;
  if (got === undefined) {
    throw new KeylessError('ERR_NOT_FOUND', `image ${formatReference({ ...ref, ...(ref.digest === undefined ? { tag: reference } : {}) })} not found: the registry has no manifest ${reference} in ${repositoryName}`, { reference: image });
  }
  if (ref.digest !== undefined && got.digest !== ref.digest) {
    throw new KeylessError('ERR_SUBJECT', `the registry answered ${ref.digest} with manifest ${got.digest}`, { expected: ref.digest, actual: got.digest });
  }
  if (ref.digest === undefined) io.err(`Resolved ${image} to ${repositoryName}@${got.digest}`);
  return { ref, client, repositoryName, digest: got.digest, mediaType: got.mediaType, size: got.bytes.length, display: `${repositoryName}@${got.digest}` };
}

export function sha256Artifact(digest: string): { kind: 'digest'; algorithm: 'sha256'; digest: Uint8Array } {
  return { kind: 'digest', algorithm: 'sha256', digest: hexDecode(digest.slice('sha256:'.length), 'image digest') };
}

export interface Failure {
  readonly source: string;
  readonly code: ErrorCode;
  readonly reason: string;
}

export interface Verified {
  readonly source: string;
  readonly layout: Candidate['layout'];
  readonly result: VerificationResult;
  /** What was signed: the Simple Signing payload, or the DSSE payload (an in-toto statement). */
  readonly payload: Uint8Array;
  /** The bundle JSON as found (v0.3 for a referrer, v0.1 rebuilt for a legacy layer). */
  readonly bundle: Record<string, unknown>;
}

function failure(source: string, err: unknown): Failure {
  if (isKeylessError(err)) return { source, code: err.code, reason: err.message };
  return { source, code: 'ERR_SIGNATURE', reason: (err as Error)?.message ?? String(err) };
}

function dockerRepository(reference: string): string | undefined {
  try {
    const r = parseReference(reference);
    return `${r.registry}/${r.repository}`;
  } catch {
    return undefined;
  }
}

/**
 * Verifies one image signature candidate: the bundle with every check (artifact = the signed payload), then what
 * the payload claims: this exact digest, and for a Simple Signing payload the repository it names.
 */
export function verifySignatureCandidate(c: Candidate, image: ResolvedImage, verifier: Pick<Verifier, 'verify'>, identity: IdentityPolicy): Verified {
  if (c.problem !== undefined) throw c.problem;
  const json = c.bundle as Record<string, unknown>;
  const bundle = parseBundle(json);
  if (bundle.content.kind === 'dsseEnvelope') {
    // cosign 3: an in-toto statement about the digest; the verifier holds its subject to the digest.
    const result = verifier.verify(bundle, { artifact: sha256Artifact(image.digest), identity });
    if (result.statement?.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
      throw new KeylessError('ERR_SUBJECT', `the statement's predicate type is ${JSON.stringify(result.statement?.predicateType)}: an attestation, not an image signature (${COSIGN_SIGN_PREDICATE_TYPE})`);
    }
    return { source: c.source, layout: c.layout, result, payload: bundle.content.envelope.payload, bundle: json };
  }
  // A message signature over a Simple Signing payload: the legacy layer stores the payload; a referrer does not,
  // so the only payload it can be checked against is the one keyless and cosign write for this digest.
  const payload = c.payload ?? buildSimpleSigningPayload({ dockerReference: image.repositoryName, manifestDigest: image.digest });
  let result: VerificationResult;
  try {
    result = verifier.verify(bundle, { artifact: { kind: 'bytes', data: payload }, identity });
  } catch (err) {
    if (c.payload === undefined && isKeylessError(err) && err.code === 'ERR_SIGNATURE') {
      throw new KeylessError('ERR_SIGNATURE', `a message-signature bundle in a referrer stores no payload, and it does not sign the Simple Signing payload for ${image.display}: ${err.message}`, err.details);
    }
    throw err;
  }
  const simple = parseSimpleSigningPayload(payload);
  if (simple.manifestDigest !== image.digest) {
    throw new KeylessError('ERR_SUBJECT', `the signed payload names image ${simple.manifestDigest}, not ${image.digest}`, { expected: image.digest, actual: simple.manifestDigest });
  }
  const named = dockerRepository(simple.dockerReference);
  if (named !== image.repositoryName) {
    throw new KeylessError('ERR_SUBJECT', `the signed payload names repository ${JSON.stringify(simple.dockerReference)}, not ${image.repositoryName}`, { expected: image.repositoryName, actual: simple.dockerReference });
  }
  return { source: c.source, layout: c.layout, result, payload, bundle: json };
}

export function partition<T>(candidates: readonly Candidate[], check: (c: Candidate) => T): { ok: T[]; failed: Failure[] } {
  const ok: T[] = [];
  const failed: Failure[] = [];
  for (const c of candidates) {
    try {
      ok.push(check(c));
    } catch (err) {
      failed.push(failure(c.source, err));
    }
  }
  return { ok, failed };
}

/**
 * The error when nothing verified: every reason, one per line. Its code is the shared code when all failures agree
 * (so `switch (err.code)` still works), ERR_SIGNATURE otherwise or when nothing was found at all (exit status 1).
 */
export function noneVerified(what: string, image: ResolvedImage, failed: readonly Failure[]): KeylessError {
  if (failed.length === 0) {
    return new KeylessError('ERR_SIGNATURE', `no ${what} found for ${image.display} (looked for OCI referrers and the ${image.digest.replace(':', '-')}.${what === 'signatures' ? 'sig' : 'att'} tag)`, { image: image.display });
  }
  const codes = new Set(failed.map((f) => f.code));
  const code: ErrorCode = codes.size === 1 && isVerificationCode([...codes][0]!) ? [...codes][0]! : 'ERR_SIGNATURE';
  return new KeylessError(code, `none of the ${failed.length} ${what} found for ${image.display} verified:\n${failed.map((f) => `  - ${f.source}: (${f.code}) ${f.reason}`).join('\n')}`, { image: image.display, failures: failed });
}

function isVerificationCode(code: ErrorCode): boolean {
  return ['ERR_CERT_CHAIN', 'ERR_SCT', 'ERR_TLOG_CONSISTENCY', 'ERR_TLOG_BODY', 'ERR_TLOG_INCLUSION', 'ERR_TLOG_CHECKPOINT', 'ERR_TLOG_SET', 'ERR_TLOG_UNKNOWN',
    'ERR_TLOG_THRESHOLD', 'ERR_TIMESTAMP', 'ERR_TIME', 'ERR_SIGNATURE', 'ERR_SUBJECT', 'ERR_IDENTITY', 'ERR_KEY_MISMATCH'].includes(code);
}

/** cosign's summary of the checks, on stderr. */
export function reportChecks(io: Output, image: ResolvedImage, what: string): void {
  io.err(`\nVerification for ${image.display} --\nThe following checks were performed on each of these ${what}:\n  - The cosign claims were validated\n  - Existence of the claims in the transparency log was verified offline\n  - The code-signing certificate was verified using trusted certificate authority certificates`);
}

export function positionalImage(parsed: Parsed, usage: string): string {
  const [image, ...extra] = parsed.positionals;
  if (image === undefined || extra.length > 0) throw usageError('give exactly one IMAGE (registry/repository[:tag|@sha256:digest])', usage);
  return image;
}

/** `-a key=value` annotations (cosign sign --annotations). */
export function annotationFlags(values: readonly string[], usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usageError(`--annotations wants KEY=VALUE, got ${JSON.stringify(item)}`, usage);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export const VERIFY_OPTIONS = {
  'trusted-root': { type: 'string' },
  instance: { type: 'string' },
  'insecure-ignore-sct': { type: 'boolean' },
  'insecure-ignore-tlog': { type: 'boolean' },
  output: { type: 'string' },
  ...WITNESS_POLICY_OPTION,
} as const satisfies Options;

export const VERIFY_USAGE = `  --trusted-root FILE   trust this root instead of the built-in public-good Sigstore root
  --instance URL        trust the root a keyless instance serves at URL/trusted_root.json (or KEYLESS_INSTANCE)
  --insecure-ignore-sct   do not require certificate transparency (SCT) proof
  --insecure-ignore-tlog  do not require a transparency log entry
  --output text|json    json: one summary per verified item on stdout instead of cosign's payload list
${WITNESS_POLICY_USAGE}`;

/**
 * The legacy `.sig`/`.att` layout carries a Rekor v1 entry with its SET and nothing else from the log, so a legacy
 * signature is logged only in the signing config's Rekor v1 logs.
 */
export function legacySigningInstance(instance: SigningInstance): SigningInstance {
  const v1 = instance.signingConfig.rekorTlogUrls.filter((s) => s.majorApiVersion === 1);
  if (v1.length === 0) {
    throw new KeylessError('ERR_USAGE', 'the legacy signature format stores a Rekor v1 entry with its signed entry timestamp, and the signing config lists no Rekor v1 log: use --signature-format bundle, or a signing config with a Rekor v1 log');
  }
  return { ...instance, signingConfig: { ...instance.signingConfig, rekorTlogUrls: v1 } };
}

/** The verifier from --trusted-root (one root, or several as JSON lines), --instance (or KEYLESS_INSTANCE), or the built-in public-good root. */
export async function verifierFromFlags(parsed: Parsed, env: Env, io?: Output): Promise<CliVerifier> {
  const verifier = createCliVerifier(await trustSourceFromFlags(parsed, env), parsed);
  if (io !== undefined) for (const note of verifier.notes) io.err(`note: ${note}`);
  return verifier;
}

export function outputFormat(parsed: Parsed, usage: string): 'text' | 'json' {
  const output = str(parsed, 'output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw usageError('--output is text or json', usage);
  return output;
}
