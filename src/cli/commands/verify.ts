/**
 * `keyless verify IMAGE <identity>`: cosign's verify for images. Every signature attached to the image's digest,
 * in both layouts (bundle referrers and the legacy `sha256-<hex>.sig` tag), is verified with every check (chain,
 * SCT, log entry, times, signature over the payload, identity), and what it signs is held to this exact digest.
 * Prints the verified payloads as cosign does (one JSON array on stdout); exit 1 with every reason when none verifies.
 */
import { utf8Decode } from '../../core/encoding.js';
import { discover, SIMPLE_SIGNING_TYPE } from '../../oci/cosign/index.js';
import { parse } from '../args.js';
import { IDENTITY_OPTIONS, IDENTITY_USAGE, identityPolicyFromFlags } from '../identity-flags.js';
import type { Output } from '../io.js';
import { verificationSummary } from './verify-blob.js';
import {
  noneVerified, outputFormat, partition, positionalImage, REGISTRY_OPTIONS, REGISTRY_USAGE, reportChecks, resolveImage, VERIFY_OPTIONS, VERIFY_USAGE,
  verifierFromFlags, verifySignatureCandidate, type ResolvedImage, type Verified,
} from './oci-shared.js';

export const USAGE = `Usage: keyless verify IMAGE <identity> [--trusted-root trusted_root.json | --instance URL]
Verifies the signatures attached to IMAGE (registry/repository[:tag|@sha256:<digest>]) in its registry, both as
OCI referrers (Sigstore bundles) and in cosign's sha256-<hex>.sig tag, and prints the verified payloads.
${IDENTITY_USAGE}
${VERIFY_USAGE}
${REGISTRY_USAGE}
Exit status: 0 at least one signature verified, 1 none did (each reason is listed), 2 usage or registry error.`;

type Env = Readonly<Record<string, string | undefined>>;

/** cosign's output for a verified signature: the Simple Signing payload with the signer in `optional`. */
function payloadOutput(v: Verified, image: ResolvedImage): Record<string, unknown> {
  const signer = { Issuer: v.result.signer?.issuer, Subject: v.result.signer?.subjectAlternativeNames[0] };
  if (v.layout === 'legacy' || !isStatement(v.payload)) {
    const payload = JSON.parse(utf8Decode(v.payload)) as Record<string, unknown>;
    const optional = typeof payload['optional'] === 'object' && payload['optional'] !== null ? payload['optional'] as Record<string, unknown> : {};
    return { ...payload, optional: { ...optional, ...signer } };
  }
  const subject = v.result.statement?.subject[0] as { annotations?: Record<string, unknown> } | undefined;
  return {
    critical: { identity: { 'docker-reference': image.repositoryName }, image: { 'docker-manifest-digest': image.digest }, type: SIMPLE_SIGNING_TYPE },
    optional: { ...(subject?.annotations ?? {}), ...signer },
  };
}

function isStatement(payload: Uint8Array): boolean {
  try {
    return typeof (JSON.parse(utf8Decode(payload)) as Record<string, unknown>)['_type'] === 'string';
  } catch {
    return false;
  }
}

export async function verifyCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, { ...IDENTITY_OPTIONS, ...VERIFY_OPTIONS, ...REGISTRY_OPTIONS }, USAGE);
  const image = positionalImage(parsed, USAGE);
  const output = outputFormat(parsed, USAGE);
  const identity = identityPolicyFromFlags(parsed, USAGE);
  const verifier = await verifierFromFlags(parsed, env, io);
  const target = await resolveImage(image, parsed, env, io, { warnOnTag: false });
  const candidates = await discover(target.client, target.ref.repository, target.digest, 'signatures');
  const { ok, failed } = partition(candidates, (c) => verifySignatureCandidate(c, target, verifier, identity));
  if (ok.length === 0) throw noneVerified('signatures', target, failed);
  reportChecks(io, target, 'signatures');
  for (const f of failed) io.err(`WARNING: ${f.source} did not verify: ${f.reason} [${f.code}]`);
  if (output === 'json') {
    for (const v of ok) io.out(JSON.stringify({ source: v.source, layout: v.layout, ...verificationSummary(v.result) }));
  } else {
    io.out(JSON.stringify(ok.map((v) => payloadOutput(v, target))));
  }
  return 0;
}
