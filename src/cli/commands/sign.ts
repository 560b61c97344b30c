/**
 * `keyless sign IMAGE`: cosign's keyless image signing. IMAGE is resolved to its manifest digest (a tag, with
 * cosign's warning), the signature is made over that digest only, verified, and attached in the registry:
 *   - bundle format (default, as cosign 3): an in-toto statement {subject: the digest, predicateType
 *     https://sigstore.dev/cosign/sign/v1} in a DSSE envelope, in a Sigstore bundle v0.3 attached as an OCI referrer;
 *   - legacy format: cosign's Simple Signing payload, message-signed, as a layer of the `sha256-<hex>.sig` tag.
 */
import { base64Encode } from '../../core/encoding.js';
import { attachBundleReferrer, COSIGN_SIGN_PREDICATE_TYPE, attachLegacyLayer, buildSimpleSigningPayload, legacyLayerFromBundle, signatureStatement } from '../../oci/cosign/index.js';
import { defaultFetch, readIdentityToken, signBlob, signDsse, tokenSourceFromFlag, IN_TOTO_PAYLOAD_TYPE, type FetchLike } from '../../sign/index.js';
import { list, parse, str, type Parsed } from '../args.js';
import { commitOutputs, reserveOutputs, type Output, type ReservedOutputs } from '../io.js';
import { loadSigningInstance, reportSignature, signerOptions, SIGNING_OPTIONS, SIGNING_USAGE } from './instance.js';
import { annotationFlags, FORMAT_USAGE, legacySigningInstance, positionalImage, REGISTRY_OPTIONS, REGISTRY_USAGE, resolveImage, sha256Artifact, signatureFormat, translateCosignFormatFlag } from './oci-shared.js';

export const USAGE = `Usage: keyless sign IMAGE [--yes] [--identity-token TOKEN|FILE] [--instance URL] [--signature-format bundle|legacy]
Signs the image IMAGE (registry/repository@sha256:<digest>; a tag is resolved to its digest, with a warning)
keylessly and attaches the signature to it in its registry.
${FORMAT_USAGE}
  -a, --annotations KEY=VALUE   add to the signed payload (repeatable)
  --bundle FILE             also write the Sigstore bundle to FILE
  --output-payload FILE     also write the signed payload to FILE
${SIGNING_USAGE}
${REGISTRY_USAGE}
Exit status: 0 signed and attached, 1 the new bundle did not verify, 2 usage, token, service or registry error.`;

type Env = Readonly<Record<string, string | undefined>>;

export async function signCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(translateCosignFormatFlag(argv), {
    ...SIGNING_OPTIONS,
    ...REGISTRY_OPTIONS,
    'signature-format': { type: 'string' },
    annotations: { type: 'string', short: 'a', multiple: true },
    'output-payload': { type: 'string' },
  }, USAGE);
  const image = positionalImage(parsed, USAGE);
  const format = signatureFormat(parsed, USAGE);
  const annotations = annotationFlags(list(parsed, 'annotations'), USAGE);
  const paths = { bundle: str(parsed, 'bundle'), payload: str(parsed, 'output-payload'), signature: str(parsed, 'output-signature'), certificate: str(parsed, 'output-certificate') };
  // Every output is claimed before anything is sent: a file that cannot be written must not cost a log entry.
  const outputs = reserveOutputs(Object.entries(paths).map(([what, path]) => ({ path, what })));
  try {
    return await signAndAttach(parsed, image, format, annotations, paths, outputs, io, env);
  } finally {
    outputs.discard();
  }
}

async function signAndAttach(
  parsed: Parsed, image: string, format: 'bundle' | 'legacy', annotations: Record<string, string>,
  paths: Record<'bundle' | 'payload' | 'signature' | 'certificate', string | undefined>, outputs: ReservedOutputs, io: Output, env: Env,
): Promise<number> {
  // The token first: without one nothing else is worth fetching, and the error says how to get one.
  const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
  const target = await resolveImage(image, parsed, env, io, { warnOnTag: true });
  const fetch = defaultFetch(env) as unknown as FetchLike;
  const loaded = await loadSigningInstance(parsed, env, fetch);
  const instance = format === 'legacy' ? legacySigningInstance(loaded) : loaded;
  const signer = {
    ...signerOptions(instance, token.token, parsed, env, io, fetch),
  };

  let payload: Uint8Array;
  let result;
  if (format === 'bundle') {
    payload = signatureStatement(target.digest, annotations);
    result = await signDsse({ ...signer, payload, payloadType: IN_TOTO_PAYLOAD_TYPE, artifact: sha256Artifact(target.digest) });
  } else {
    payload = buildSimpleSigningPayload({ dockerReference: target.repositoryName, manifestDigest: target.digest, optional: annotations });
    result = await signBlob({ ...signer, artifact: payload });
  }
  reportSignature(result, instance, io);
  const bundleText = `${JSON.stringify(result.bundle)}\n`;
  commitOutputs(outputs, [
    { path: paths.bundle, data: bundleText },
    { path: paths.payload, data: payload },
    { path: paths.signature, data: `${base64Encode(result.signature)}\n` },
    { path: paths.certificate, data: result.certificate.pem },
  ], io);

  io.err(`Pushing signature to: ${target.repositoryName}`);
  if (format === 'bundle') {
    const written = await attachBundleReferrer(target.client, target.ref.repository, {
      subject: { mediaType: target.mediaType, digest: target.digest, size: target.size },
      bundle: new TextEncoder().encode(bundleText),
      content: 'dsse-envelope',
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      created: new Date().toISOString(),
    });
    io.err(`Attached signature to ${target.display} as referrer ${written.manifestDigest}${written.fallbackIndex ? ` (the registry has no referrers API: listed in the fallback index ${target.digest.replace(':', '-')})` : ''}`);
  } else {
    const written = await attachLegacyLayer(target.client, target.ref.repository, target.digest, 'sig', legacyLayerFromBundle(result.bundle, payload));
    io.err(written.added ? `Attached signature to ${target.display} at ${target.repositoryName}:${written.tag} (${written.layers} signature(s))` : `${target.repositoryName}:${written.tag} already holds this signature`);
  }
  return 0;
}
