/** The witnessing settings of `keyless serve` and `keyless witness serve`, from flags into instance options. */
import { readFileOrFail } from '../io.js';
import { usageError } from '../args.js';
import type { InstanceOptions, ServiceName } from '../../server/instance.js';

/**
 * `--witness NAME=URL+VKEY`: the vkey is the last three `+`-separated parts (`<name>+<hex id>+<base64 key>`), so a
 * URL may itself contain `+`.
 */
export function parseWitnessFlag(value: string, usage: string): { name: string; url: string; vkey: string } {
  const eq = value.indexOf('=');
  // The vkey is `<name>+<8 hex digits>+<base64>` (base64 may hold `+`); the URL is what comes before it.
  const m = eq <= 0 ? null : /^(https?:\/\/.*?)\+([^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*)$/.exec(value.slice(eq + 1));
  if (m === null) throw usageError(`--witness ${JSON.stringify(value)} is not NAME=URL+VKEY (URL http(s), VKEY <name>+<hex id>+<base64 key>)`, usage);
  return { name: value.slice(0, eq), url: m[1]!, vkey: m[2]! };
}

export function witnessServeOptions(get: (name: 'witness' | 'witness-quorum' | 'witness-timeout' | 'witness-config' | 'witness-name' | 'reset-witness-state-unsafe') => string | undefined, only: ReadonlySet<ServiceName>, publicUrl: string, usage: string): Pick<InstanceOptions, 'witnessing' | 'witness'> {
  const witnesses = (get('witness') ?? '').split(/[\s,]+/).filter((s) => s !== '').map((v) => parseWitnessFlag(v, usage));
  const quorumText = get('witness-quorum');
  const quorum = quorumText === undefined ? undefined : Number(quorumText);
  if (quorum !== undefined && (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length)) {
    throw usageError(`--witness-quorum must be an integer from 0 to the number of --witness flags (${witnesses.length})`, usage);
  }
  const timeoutText = get('witness-timeout');
  const timeoutMs = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)) throw usageError('--witness-timeout must be a positive number of milliseconds', usage);
  const configPath = get('witness-config');
  if (only.has('witness') && configPath === undefined) throw usageError('--only witness needs --witness-config FILE (lines "log <vkey> [<url>]")', usage);
  return {
    ...(witnesses.length > 0 ? { witnessing: { witnesses, ...(quorum !== undefined ? { quorum } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) } } : {}),
    ...(only.has('witness') && configPath !== undefined ? {
      witness: {
        name: get('witness-name') ?? `${new URL(publicUrl).host}/witness`,
        config: readFileOrFail(configPath, 'witness config', 1024 * 1024).toString('utf8'),
        configLabel: `witness config ${configPath}`,
        ...(get('reset-witness-state-unsafe') === 'true' ? { resetStateUnsafe: true } : {}),
      },
    } : {}),
  };
}
