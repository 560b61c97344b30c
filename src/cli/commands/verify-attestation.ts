/**
 * `keyless verify-attestation IMAGE --type T <identity>`: cosign's verify-attestation. Every attestation attached
 * to the image's digest (bundle referrers and the legacy `sha256-<hex>.att` tag) is verified with every check; the
 * statement's subject must name this digest and its predicate type must be the one asked for. Prints each verified
 * DSSE envelope as a JSON line, as cosign does.
 */
import { KeylessError } from '../../core/errors.js';
import { parseBundle } from '../../bundle/index.js';
import { COSIGN_SIGN_PREDICATE_TYPE, discover, type Candidate } from '../../oci/cosign/index.js';
import { PREDICATE_TYPES, predicateTypeUri } from '../../sign/index.js';
import type { IdentityPolicy, Verifier } from '../../verify/verifier.js';
import { parse, str } from '../args.js';
import { IDENTITY_OPTIONS, IDENTITY_USAGE, identityPolicyFromFlags } from '../identity-flags.js';
import type { Output } from '../io.js';
import { verificationSummary } from './verify-blob.js';
import {
  noneVerified, outputFormat, partition, positionalImage, REGISTRY_OPTIONS, REGISTRY_USAGE, reportChecks, resolveImage, sha256Artifact, VERIFY_OPTIONS,
  VERIFY_USAGE, verifierFromFlags, type ResolvedImage, type Verified,
} from './oci-shared.js';

export const USAGE = `Usage: keyless verify-attestation IMAGE --type TYPE <identity> [--trusted-root trusted_root.json | --instance URL]
Verifies the attestations attached to IMAGE in its registry (OCI referrers and cosign's sha256-<hex>.att tag) whose
predicate type is TYPE, and prints each verified DSSE envelope as a JSON line.
  --type TYPE           ${Object.keys(PREDICATE_TYPES).join('|')} or a predicate type URI (default custom, as cosign)
${IDENTITY_USAGE}
${VERIFY_USAGE}
${REGISTRY_USAGE}
Exit status: 0 at least one attestation verified, 1 none did (each reason is listed), 2 usage or registry error.`;

type Env = Readonly<Record<string, string | undefined>>;

function verifyAttestation(c: Candidate, image: ResolvedImage, verifier: Pick<Verifier, 'verify'>, identity: IdentityPolicy, predicateType: string): Verified {
  if (c.problem !== undefined) throw c.problem;
  const json = c.bundle as Record<string, unknown>;
  const bundle = parseBundle(json);
  if (bundle.content.kind !== 'dsseEnvelope') throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', 'the bundle holds a message signature, not an attestation (DSSE envelope)');
  // The verifier holds the statement's subjects to the image digest (ERR_SUBJECT otherwise).
  const result = verifier.verify(bundle, { artifact: sha256Artifact(image.digest), identity });
  const found = result.statement?.predicateType;
  if (found === COSIGN_SIGN_PREDICATE_TYPE) throw new KeylessError('ERR_SUBJECT', 'this is an image signature (cosign sign), not an attestation');
  if (found !== predicateType) {
    throw new KeylessError('ERR_SUBJECT', `the statement's predicate type is ${JSON.stringify(found)}, not ${predicateType} (--type)`, { expected: predicateType, actual: found });
  }
  return { source: c.source, layout: c.layout, result, payload: bundle.content.envelope.payload, bundle: json };
}

export async function verifyAttestationCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, { ...IDENTITY_OPTIONS, ...VERIFY_OPTIONS, ...REGISTRY_OPTIONS, type: { type: 'string' } }, USAGE);
  const image = positionalImage(parsed, USAGE);
  const output = outputFormat(parsed, USAGE);
  const predicateType = predicateTypeUri(str(parsed, 'type') ?? 'custom');
  const identity = identityPolicyFromFlags(parsed, USAGE);
  const verifier = await verifierFromFlags(parsed, env, io);
  const target = await resolveImage(image, parsed, env, io, { warnOnTag: false });
  const candidates = await discover(target.client, target.ref.repository, target.digest, 'attestations');
  const { ok, failed } = partition(candidates, (c) => verifyAttestation(c, target, verifier, identity, predicateType));
  if (ok.length === 0) throw noneVerified('attestations', target, failed);
  reportChecks(io, target, 'attestations');
  for (const f of failed) io.err(`WARNING: ${f.source} did not verify: ${f.reason} [${f.code}]`);
  for (const v of ok) {
    io.out(JSON.stringify(output === 'json' ? { source: v.source, layout: v.layout, ...verificationSummary(v.result) } : v.bundle['dsseEnvelope']));
  }
  return 0;
}
