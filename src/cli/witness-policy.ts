/** `--witness-policy FILE`: a C2SP tlog-policy file (witnesses, groups, quorum) that every checkpoint must satisfy. */
import { parseWitnessPolicy, type WitnessPolicy } from '../core/tlog-policy.js';
import { str, type Parsed } from './args.js';
import { readFileOrFail } from './io.js';

export const WITNESS_POLICY_OPTION = { 'witness-policy': { type: 'string' } } as const;

export const WITNESS_POLICY_USAGE = `  --witness-policy FILE   require the log checkpoints to carry witness cosignatures: a C2SP tlog-policy file
                        ("witness NAME VKEY [URL]", "group NAME K|any|all MEMBER…", "quorum NAME"); ERR_WITNESS
                        names the witnesses that did and did not cosign`;

export function witnessPolicyFromFlags(parsed: Parsed): WitnessPolicy | undefined {
  const path = str(parsed, 'witness-policy');
  if (path === undefined) return undefined;
  return parseWitnessPolicy(readFileOrFail(path, 'witness policy', 1024 * 1024).toString('utf8'), `witness policy ${path}`);
}
