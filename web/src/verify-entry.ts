/**
 * "Check a bundle" on the explorer page: keyless's complete offline verification (src/verify, the same code the
 * CLI's verify-blob runs), bundled by scripts/build-web.mjs into web/dist/verify.js with node:crypto replaced by
 * @noble/curves and @noble/hashes (web/src/browser/crypto-full.ts). Nothing leaves the page: the bundle, the
 * artifact and the instance's trusted_root.json are all it reads.
 */
import { isKeylessError } from '../../src/core/errors.js';
import { digest as hashDigest } from '../../src/core/keys.js';
import { hexEncode } from '../../src/core/encoding.js';
import { parseBundleText } from '../../src/bundle/index.js';
import { parseTrustedRoot } from '../../src/trust/index.js';
import { PROTO_HASH_NAMES, type Artifact } from '../../src/verify/artifact.js';
import { domainThresholds } from '../../src/verify/trust-domain.js';
import { createVerifier, type IdentityPolicy, type VerificationResult } from '../../src/verify/verifier.js';

export interface BundleCheckInput {
  readonly bundleText: string;
  readonly trustedRoot: unknown;
  /** The artifact's bytes; absent: a message signature is checked over the digest the bundle states. */
  readonly artifact?: Uint8Array;
  /** The expected certificate identity (SAN) and OIDC issuer, exact; both absent: not checked, and said so. */
  readonly identity?: string;
  readonly issuer?: string;
}

export type BundleCheck =
  | { readonly ok: true; readonly checks: readonly Check[]; readonly notes: readonly string[] }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly notes: readonly string[] };

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly text: string;
}

export function checkBundle(input: BundleCheckInput): BundleCheck {
  const notes: string[] = [];
  try {
    const root = parseTrustedRoot(input.trustedRoot);
    const thresholds = domainThresholds(root);
    notes.push(...thresholds.notes);
    const verifier = createVerifier({ trustedRoot: root, tlogThreshold: thresholds.tlogThreshold, ctlogThreshold: thresholds.ctlogThreshold, timestampThreshold: thresholds.timestampThreshold });
    const bundle = parseBundleText(input.bundleText);
    let artifact: Artifact | undefined;
    if (input.artifact !== undefined) {
      artifact = { kind: 'bytes', data: input.artifact };
    } else if (bundle.content.kind === 'messageSignature') {
      const stated = bundle.content.messageDigest;
      const algorithm = stated === undefined ? undefined : PROTO_HASH_NAMES[stated.algorithm];
      if (stated !== undefined && algorithm !== undefined) {
        artifact = { kind: 'digest', algorithm, digest: stated.digest };
        notes.push(`no artifact given: the signature is checked over the digest the bundle states (${algorithm}:${hexEncode(stated.digest)}); drop the artifact to check that it is this one`);
      }
    }
    const wantIdentity = (input.identity ?? '') !== '' || (input.issuer ?? '') !== '';
    if (wantIdentity && (!input.identity || !input.issuer)) {
      return { ok: false, code: 'ERR_USAGE', message: 'give both the certificate identity and the OIDC issuer, or neither', notes };
    }
    const identity: IdentityPolicy = wantIdentity
      ? { kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: input.identity! }, issuer: { kind: 'exact', value: input.issuer! } }] }
      : { kind: 'withoutIdentitiesUnsafe' };
    if (!wantIdentity) notes.push('no identity given: who signed is shown below, not checked against what you expect');
    const result = verifier.verify(bundle, { identity, ...(artifact !== undefined ? { artifact } : {}) });
    return { ok: true, checks: describe(result, wantIdentity, input.artifact), notes };
  } catch (err) {
    if (isKeylessError(err)) return { ok: false, code: err.code, message: err.message, notes };
    return { ok: false, code: 'ERR_INTERNAL', message: `internal error in keyless: ${(err as Error)?.message ?? String(err)}`, notes };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function describe(result: VerificationResult, identityChecked: boolean, artifact: Uint8Array | undefined): Check[] {
  const checks: Check[] = [];
  const signer = result.signer;
  checks.push({
    name: 'signature',
    ok: true,
    text: artifact !== undefined
      ? `the signature verifies over the artifact you gave (sha256:${hexEncode(hashDigest('sha256', artifact))})`
      : result.statement !== undefined ? 'the signature verifies over the DSSE envelope' : 'the signature verifies over the digest the bundle states',
  });
  if (signer !== undefined) {
    checks.push({ name: 'certificate', ok: true, text: `the certificate chains to ${signer.certificateAuthority} in the trusted root, and was valid when it signed` });
    checks.push({
      name: 'identity',
      ok: true,
      text: `${identityChecked ? 'matches what you expect' : 'NOT checked (you gave none)'}: ${signer.subjectAlternativeNames.join(', ')}, issued by ${signer.issuer ?? '(no issuer extension)'}`,
    });
  }
  for (const sct of result.scts) checks.push({ name: 'sct', ok: true, text: `certificate transparency: logged by ${sct.baseUrl} at ${iso(sct.timestamp)}` });
  for (const e of result.tlogEntries) {
    checks.push({
      name: 'tlog',
      ok: true,
      text: `transparency log ${e.baseUrl}: entry ${e.logIndex} is in the tree of size ${e.checkpoint?.size ?? '?'} its signed checkpoint names${e.integratedTime !== undefined ? `, integrated at ${iso(e.integratedTime)} (signed entry timestamp verified)` : ''}`,
    });
  }
  for (const t of result.times) checks.push({ name: 'time', ok: true, text: `trusted time ${iso(t.time)} from ${t.source === 'timestamp-authority' ? 'the timestamp authority' : 'the transparency log'} ${t.by}` });
  if (result.statement !== undefined) {
    const subjects = result.statement.subject.map((s) => `${s.name} ${Object.entries(s.digest).map(([k, v]) => `${k}:${v}`).join(' ')}`);
    checks.push({ name: 'statement', ok: true, text: `in-toto statement of type ${result.statement.predicateType} about ${subjects.join('; ')}` });
  }
  return checks;
}
