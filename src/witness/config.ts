/**
 * The logs a witness follows, from a text file of C2SP tlog-policy `log` lines (c2sp.org/tlog-policy):
 *
 *     # origin = the vkey's key name
 *     log example.com/rekor-v2+1a2b3c4d+AX… [<url>]
 *
 * "The log's vkey includes a "key name". This name MUST correspond to the log's origin line". Several lines with
 * one origin give that log several trusted keys (key rotation). Comments and blank lines as in tlog-policy.
 */
import { noteVerifierFromVkey, parseVkey } from '../core/cosignature.js';
import { KeylessError } from '../core/errors.js';
import type { WitnessedLog } from './witness.js';

export function parseWitnessConfig(text: string, what = 'witness config'): WitnessedLog[] {
  const byOrigin = new Map<string, WitnessedLog['verifiers'][number][]>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const [keyword, ...args] = line.split(/[ \t]+/);
    if (keyword !== 'log' || args.length < 1 || args.length > 2) {
      problems.push(`line ${i + 1}: expected "log <vkey> [<url>]"`);
      return;
    }
    try {
      const vkey = parseVkey(args[0]!);
      const list = byOrigin.get(vkey.name) ?? [];
      list.push(noteVerifierFromVkey(vkey));
      byOrigin.set(vkey.name, list);
    } catch (err) {
      problems.push(`line ${i + 1}: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0) throw new KeylessError('ERR_USAGE', `${what} is invalid: ${problems.join('; ')}`, { problems });
  if (byOrigin.size === 0) throw new KeylessError('ERR_USAGE', `${what} lists no log ("log <vkey>" lines)`);
  return [...byOrigin].map(([origin, verifiers]) => ({ origin, verifiers }));
}
