/** `keyless verify-blob FILE --bundle B <identity flags>`: cosign's verify-blob, offline, with our trust defaults. */
import { parse, str, usageError } from '../args.js';
import { IDENTITY_OPTIONS, IDENTITY_USAGE, identityPolicyFromFlags } from '../identity-flags.js';
import { readArtifact, readBundle, type Output } from '../io.js';
import type { VerificationResult } from '../../verify/verifier.js';
import { createCliVerifier, trustSourceFromFlags } from '../trust-roots.js';
import { WITNESS_POLICY_OPTION, WITNESS_POLICY_USAGE } from '../witness-policy.js';

export const USAGE = `Usage: keyless verify-blob FILE|sha256:<hex> --bundle BUNDLE <identity> [--trusted-root trusted_root.json] [--output json]
  (a digest may also be sha384:<hex> or sha512:<hex>)
${IDENTITY_USAGE}
  --trusted-root FILE   trust this root instead of the built-in public-good Sigstore root; several roots as JSON
                        lines (gh attestation trusted-root) verify each bundle against the root of its CA
  --instance URL        trust the root a keyless instance serves at URL/trusted_root.json (or KEYLESS_INSTANCE;
                        fetched over the network, so use https or pin the file with --trusted-root)
  --insecure-ignore-sct   do not require certificate transparency (SCT) proof
  --insecure-ignore-tlog  do not require a transparency log entry
${WITNESS_POLICY_USAGE}
Exit status: 0 verified, 1 not verified, 2 usage error.`;

export function verificationSummary(result: VerificationResult): Record<string, unknown> {
  return {
    verified: true,
    ...(result.signer !== undefined
      ? { identity: result.signer.subjectAlternativeNames, issuer: result.signer.issuer, extensions: result.signer.extensions, certificateAuthority: result.signer.certificateAuthority }
      : {}),
    times: result.times.map((t) => ({ source: t.source, time: new Date(t.time).toISOString(), by: t.by })),
    tlogEntries: result.tlogEntries.map((e) => ({ logIndex: e.logIndex, ...(e.treeIndex !== undefined && e.treeIndex !== e.logIndex ? { treeIndex: e.treeIndex } : {}), log: e.baseUrl, ...(e.integratedTime !== undefined ? { integratedTime: new Date(e.integratedTime).toISOString() } : {}) })),
    ...(result.statement !== undefined ? { predicateType: result.statement.predicateType, subjects: result.statement.subject } : {}),
    ...(result.witnesses !== undefined ? { witnesses: result.witnesses.map((w) => ({ cosigned: w.cosigned.map((c) => c.name), missing: w.missing })) } : {}),
  };
}

export async function verifyBlob(argv: string[], io: Output): Promise<number> {
  const parsed = parse(argv, {
    ...IDENTITY_OPTIONS,
    bundle: { type: 'string' },
    'trusted-root': { type: 'string' },
    instance: { type: 'string' },
    output: { type: 'string' },
    'insecure-ignore-sct': { type: 'boolean' },
    'insecure-ignore-tlog': { type: 'boolean' },
    ...WITNESS_POLICY_OPTION,
  }, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('give exactly one FILE (or sha256:<hex> digest) to verify', USAGE);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath === undefined) throw usageError('--bundle is required', USAGE);
  const output = str(parsed, 'output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw usageError('--output is text or json', USAGE);
  const identity = identityPolicyFromFlags(parsed, USAGE);
  const verifier = createCliVerifier(await trustSourceFromFlags(parsed, process.env), parsed);
  if (output === 'text') for (const note of verifier.notes) io.err(`note: ${note}`);
  const result = verifier.verify(readBundle(bundlePath), { artifact: readArtifact(file), identity });
  if (output === 'json') io.out(JSON.stringify({ ...verificationSummary(result), ...(verifier.notes.length > 0 ? { notes: verifier.notes } : {}) }, null, 2));
  io.err('Verified OK');
  return 0;
}
