/**
 * `keyless sign-bundle`: the public sigstore-conformance CLI protocol (docs/cli_protocol.md), non-interactive.
 *   sign-bundle [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE
 * FILE is the artifact to sign, or with --in-toto an in-toto statement to sign as a DSSE envelope. Without
 * --trusted-root/--signing-config, the public-good instance.
 */
import { KeylessError } from '../../core/errors.js';
import { defaultFetch, IN_TOTO_PAYLOAD_TYPE, signBlob, signDsse, tokenSourceFromFlag, type FetchLike, type SignerOptions } from '../../sign/index.js';
import { flag, parse, str, usageError, type Parsed } from '../args.js';
import { commitOutputs, readFileOrFail, reserveOutputs, type Output, type ReservedOutputs } from '../io.js';
import { INSTANCE_OPTIONS, loadSigningInstance } from './instance.js';

export const USAGE = 'Usage: keyless sign-bundle [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE';

type Env = Readonly<Record<string, string | undefined>>;

export async function signBundle(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, {
    'signing-config': INSTANCE_OPTIONS['signing-config'],
    'trusted-root': INSTANCE_OPTIONS['trusted-root'],
    'identity-token': { type: 'string' },
    bundle: { type: 'string' },
    'in-toto': { type: 'boolean' },
    staging: { type: 'boolean' },
  }, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('give exactly one FILE to sign', USAGE);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath === undefined) throw usageError('--bundle is required', USAGE);
  if (flag(parsed, 'staging')) throw usageError('--staging is not supported: keyless ships no staging trust; pass --trusted-root and --signing-config for a non-production instance', USAGE);
  const content = readFileOrFail(file, flag(parsed, 'in-toto') ? 'in-toto statement' : 'artifact');
  // The bundle file is claimed before anything is sent: one that cannot be written must not cost a log entry.
  const outputs = reserveOutputs([{ path: bundlePath, what: 'bundle' }]);
  try {
    return await signInto(parsed, file, content, bundlePath, outputs, io, env);
  } finally {
    outputs.discard();
  }
}

async function signInto(parsed: Parsed, file: string, content: Buffer, bundlePath: string, outputs: ReservedOutputs, io: Output, env: Env): Promise<number> {
  const fetch = defaultFetch(env) as unknown as FetchLike;
  const instance = await loadSigningInstance(parsed, env, fetch);
  const common: SignerOptions = {
    tokenSource: tokenSourceFromFlag(str(parsed, 'identity-token'), env),
    signingConfig: instance.signingConfig,
    trustedRoot: instance.trustedRoot,
    fetch,
  };
  let result;
  if (flag(parsed, 'in-toto')) {
    try {
      JSON.parse(content.toString('utf8'));
    } catch (cause) {
      throw new KeylessError('ERR_JSON', `in-toto statement ${file} is not JSON: ${(cause as Error).message}`, { path: file }, { cause });
    }
    // The statement is signed byte for byte as given; verifying the new bundle checks that it is a statement.
    result = await signDsse({ ...common, payload: content, payloadType: IN_TOTO_PAYLOAD_TYPE });
  } else {
    result = await signBlob({ ...common, artifact: content });
  }
  commitOutputs(outputs, [{ path: bundlePath, data: `${JSON.stringify(result.bundle)}\n` }], io);
  io.err(`Wrote bundle to file ${bundlePath} (tlog entry ${result.tlogEntry.logIndex} in ${result.tlogEntry.logUrl})`);
  return 0;
}
