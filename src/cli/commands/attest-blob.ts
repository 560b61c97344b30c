/**
 * `keyless attest-blob FILE --predicate P --type T --bundle OUT`: cosign's keyless attest-blob. Wraps the predicate
 * in an in-toto Statement v1 about FILE (its name and SHA-256), signs it as a DSSE envelope, logs and timestamps it,
 * verifies the bundle, then writes it.
 */
import { basename } from 'node:path';
import { attestBlob, defaultFetch, PREDICATE_TYPES, readIdentityToken, tokenSourceFromFlag, type FetchLike } from '../../sign/index.js';
import { parse, str, usageError } from '../args.js';
import { commitOutputs, readFileOrFail, reserveOutputs, type Output } from '../io.js';
import { loadSigningInstance, readPredicate, reportSignature, signerOptions, SIGNING_OPTIONS, SIGNING_USAGE } from './instance.js';

export const USAGE = `Usage: keyless attest-blob FILE --predicate PREDICATE.json --type TYPE --bundle OUT [--identity-token TOKEN|FILE] [--yes] [--instance URL]
Attests to FILE keylessly: an in-toto Statement v1 (subject: FILE's name and sha256; the predicate from
PREDICATE.json) signed as a DSSE envelope in a Sigstore bundle (v0.3) that is verified before it is written.
  --predicate FILE          the predicate, JSON (required)
  --type TYPE               ${Object.keys(PREDICATE_TYPES).join('|')} or a predicate type URI (default custom)
  --bundle FILE             where to write the bundle (required)
${SIGNING_USAGE.replace('the signature (base64)', 'the DSSE envelope (JSON)')}
Exit status: 0 signed, 1 the new bundle did not verify, 2 usage, token or service error.`;

type Env = Readonly<Record<string, string | undefined>>;

export async function attestBlobCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, { ...SIGNING_OPTIONS, predicate: { type: 'string' }, type: { type: 'string' } }, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('give exactly one FILE to attest to', USAGE);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath === undefined) throw usageError('--bundle is required', USAGE);
  const { predicateType, predicate } = readPredicate(parsed, USAGE);
  const artifact = readFileOrFail(file, 'artifact');
  const [envelopePath, certPath] = [str(parsed, 'output-signature'), str(parsed, 'output-certificate')];
  // Every output is claimed before anything is sent: a bundle that cannot be written must not cost a log entry.
  const outputs = reserveOutputs([{ path: bundlePath, what: 'bundle' }, { path: envelopePath, what: 'DSSE envelope' }, { path: certPath, what: 'certificate' }]);
  try {
    const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
    const fetch = defaultFetch(env) as unknown as FetchLike;
    const instance = await loadSigningInstance(parsed, env, fetch);
    const result = await attestBlob({
      artifact,
      artifactName: basename(file),
      predicateType,
      predicate,
      ...signerOptions(instance, token.token, parsed, env, io, fetch),
    });
    reportSignature(result, instance, io);
    commitOutputs(outputs, [
      { path: bundlePath, data: `${JSON.stringify(result.bundle)}\n`, said: 'bundle' },
      { path: envelopePath, data: `${JSON.stringify(result.bundle['dsseEnvelope'])}\n`, said: 'signature' },
      { path: certPath, data: result.certificate.pem, said: 'certificate' },
    ], io);
    return 0;
  } finally {
    outputs.discard();
  }
}
