/**
 * `keyless attest IMAGE --predicate P --type T`: cosign's keyless attest. The predicate goes into an in-toto
 * Statement v1 whose subject is the image (registry/repository, sha256 digest), signed as a DSSE envelope, verified,
 * and attached: as a Sigstore bundle referrer with the predicateType annotation (default), or as a layer of
 * cosign's `sha256-<hex>.att` tag (--signature-format legacy).
 */
import { attachBundleReferrer, attachLegacyLayer, attestationStatement, envelopeBytes, legacyLayerFromBundle } from '../../oci/cosign/index.js';
import { defaultFetch, IN_TOTO_PAYLOAD_TYPE, PREDICATE_TYPES, readIdentityToken, signDsse, tokenSourceFromFlag, type FetchLike } from '../../sign/index.js';
import { parse, str, type Parsed } from '../args.js';
import { commitOutputs, reserveOutputs, type Output, type ReservedOutputs } from '../io.js';
import { loadSigningInstance, readPredicate, reportSignature, signerOptions, SIGNING_OPTIONS, SIGNING_USAGE } from './instance.js';
import { FORMAT_USAGE, legacySigningInstance, positionalImage, REGISTRY_OPTIONS, REGISTRY_USAGE, resolveImage, sha256Artifact, signatureFormat, translateCosignFormatFlag } from './oci-shared.js';

export const USAGE = `Usage: keyless attest IMAGE --predicate PREDICATE.json --type TYPE [--yes] [--identity-token TOKEN|FILE] [--instance URL]
Attests to the image IMAGE keylessly: an in-toto Statement v1 (subject: registry/repository and the image's sha256
digest; the predicate from PREDICATE.json) signed as a DSSE envelope and attached to the image in its registry.
  --predicate FILE          the predicate, JSON (required)
  --type TYPE               ${Object.keys(PREDICATE_TYPES).join('|')} or a predicate type URI (default custom)
${FORMAT_USAGE}
  --bundle FILE             also write the Sigstore bundle to FILE
${SIGNING_USAGE.replace('the signature (base64)', 'the DSSE envelope (JSON)')}
${REGISTRY_USAGE}
Exit status: 0 attested and attached, 1 the new bundle did not verify, 2 usage, token, service or registry error.`;

type Env = Readonly<Record<string, string | undefined>>;

export async function attestCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(translateCosignFormatFlag(argv), {
    ...SIGNING_OPTIONS,
    ...REGISTRY_OPTIONS,
    'signature-format': { type: 'string' },
    predicate: { type: 'string' },
    type: { type: 'string' },
  }, USAGE);
  const image = positionalImage(parsed, USAGE);
  const format = signatureFormat(parsed, USAGE);
  const { predicateType, predicate } = readPredicate(parsed, USAGE);
  const paths = { bundle: str(parsed, 'bundle'), 'DSSE envelope': str(parsed, 'output-signature'), certificate: str(parsed, 'output-certificate') };
  // Every output is claimed before anything is sent: a file that cannot be written must not cost a log entry.
  const outputs = reserveOutputs(Object.entries(paths).map(([what, path]) => ({ path, what })));
  try {
    return await attestAndAttach(parsed, image, format, predicateType, predicate, paths, outputs, io, env);
  } finally {
    outputs.discard();
  }
}

async function attestAndAttach(
  parsed: Parsed, image: string, format: 'bundle' | 'legacy', predicateType: string, predicate: unknown,
  paths: Record<'bundle' | 'DSSE envelope' | 'certificate', string | undefined>, outputs: ReservedOutputs, io: Output, env: Env,
): Promise<number> {
  const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
  const target = await resolveImage(image, parsed, env, io, { warnOnTag: true });
  const fetch = defaultFetch(env) as unknown as FetchLike;
  const loaded = await loadSigningInstance(parsed, env, fetch);
  const instance = format === 'legacy' ? legacySigningInstance(loaded) : loaded;
  const result = await signDsse({
    payload: attestationStatement(target.repositoryName, target.digest, predicateType, predicate),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    artifact: sha256Artifact(target.digest),
    ...signerOptions(instance, token.token, parsed, env, io, fetch),
  });
  reportSignature(result, instance, io);
  const bundleText = `${JSON.stringify(result.bundle)}\n`;
  commitOutputs(outputs, [
    { path: paths.bundle, data: bundleText },
    { path: paths['DSSE envelope'], data: `${JSON.stringify(result.bundle['dsseEnvelope'])}\n` },
    { path: paths.certificate, data: result.certificate.pem },
  ], io);

  if (format === 'bundle') {
    const written = await attachBundleReferrer(target.client, target.ref.repository, {
      subject: { mediaType: target.mediaType, digest: target.digest, size: target.size },
      bundle: new TextEncoder().encode(bundleText),
      content: 'dsse-envelope',
      predicateType,
      created: new Date().toISOString(),
    });
    io.err(`Attached attestation (${predicateType}) to ${target.display} as referrer ${written.manifestDigest}${written.fallbackIndex ? ` (listed in the fallback index ${target.digest.replace(':', '-')})` : ''}`);
  } else {
    const layer = legacyLayerFromBundle(result.bundle, envelopeBytes(result.bundle), { predicateType });
    const written = await attachLegacyLayer(target.client, target.ref.repository, target.digest, 'att', layer);
    io.err(written.added ? `Attached attestation (${predicateType}) to ${target.display} at ${target.repositoryName}:${written.tag}` : `${target.repositoryName}:${written.tag} already holds this attestation`);
  }
  return 0;
}
