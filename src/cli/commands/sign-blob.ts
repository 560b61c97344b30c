/**
 * `keyless sign-blob FILE --bundle OUT`: cosign's keyless sign-blob. Gets a certificate for the CI job's identity,
 * signs FILE with an ephemeral key, logs the signature (and timestamps it), verifies the bundle, then writes it.
 */
import { base64Encode } from '../../core/encoding.js';
import { defaultFetch, readIdentityToken, signBlob, tokenSourceFromFlag, type FetchLike } from '../../sign/index.js';
import { parse, str, usageError } from '../args.js';
import { commitOutputs, readFileOrFail, reserveOutputs, type Output } from '../io.js';
import { loadSigningInstance, reportSignature, signerOptions, SIGNING_OPTIONS, SIGNING_USAGE } from './instance.js';

export const USAGE = `Usage: keyless sign-blob FILE --bundle OUT [--identity-token TOKEN|FILE] [--yes] [--instance URL | --signing-config FILE --trusted-root FILE]
Signs FILE keylessly: a short-lived certificate for the identity in the OIDC token, the signature logged in a
transparency log, all in a Sigstore bundle (v0.3) that is verified before it is written.
  --bundle FILE             where to write the bundle (required)
${SIGNING_USAGE}
Exit status: 0 signed, 1 the new bundle did not verify, 2 usage, token or service error.`;

type Env = Readonly<Record<string, string | undefined>>;

export async function signBlobCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, SIGNING_OPTIONS, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('give exactly one FILE to sign', USAGE);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath === undefined) throw usageError('--bundle is required', USAGE);
  const artifact = readFileOrFail(file, 'artifact');
  const [sigPath, certPath] = [str(parsed, 'output-signature'), str(parsed, 'output-certificate')];
  // Every output is claimed before anything is sent: a bundle that cannot be written must not cost a log entry.
  const outputs = reserveOutputs([{ path: bundlePath, what: 'bundle' }, { path: sigPath, what: 'signature' }, { path: certPath, what: 'certificate' }]);
  try {
    // The token first: without one nothing else is worth fetching, and the error says how to get one.
    const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
    const fetch = defaultFetch(env) as unknown as FetchLike;
    const instance = await loadSigningInstance(parsed, env, fetch);
    const result = await signBlob({
      artifact,
      ...signerOptions(instance, token.token, parsed, env, io, fetch),
    });
    reportSignature(result, instance, io);
    commitOutputs(outputs, [
      { path: bundlePath, data: `${JSON.stringify(result.bundle)}\n`, said: 'bundle' },
      { path: sigPath, data: `${base64Encode(result.signature)}\n`, said: 'signature' },
      { path: certPath, data: result.certificate.pem, said: 'certificate' },
    ], io);
    return 0;
  } finally {
    outputs.discard();
  }
}
