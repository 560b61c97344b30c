/**
 * C2SP tlog-policy (c2sp.org/tlog-policy, the Sigsum policy file format): known logs, known witnesses, groups and
 * the quorum that says whether a set of witnesses that cosigned a checkpoint is strong enough.
 *
 *     log <vkey> [<url>]
 *     witness <name> <vkey> [<url>]
 *     group <name> all|any|<k> <name>...
 *     quorum <name>|none
 *
 * Pure: parsing and quorum evaluation. Checking cosignatures is verify/witness.ts.
 */
import { KeylessError } from './errors.js';
import { cosignerKeyFromVkey, parseVkey, type CosignerKey, type Vkey } from './cosignature.js';

export interface PolicyLog {
  readonly vkey: Vkey;
  readonly url?: string;
}

export interface PolicyWitness {
  readonly name: string;
  readonly key: CosignerKey;
  readonly url?: string;
}

export interface PolicyGroup {
  readonly name: string;
  readonly threshold: number;
  readonly members: readonly string[];
}

export interface WitnessPolicy {
  readonly logs: readonly PolicyLog[];
  readonly witnesses: readonly PolicyWitness[];
  readonly groups: readonly PolicyGroup[];
  /** The name of a witness or group, or 'none'. */
  readonly quorum: string;
}

/** "It is strongly recommended that an implementation supports at least up to 32 logs, 32 witnesses, and 32 groups." */
const MAX_ITEMS = 1024;

/** Parses a policy file; ERR_USAGE naming every problem (with its line) if it is not a valid policy. */
export function parseWitnessPolicy(text: string, what = 'witness policy'): WitnessPolicy {
  if (typeof text !== 'string') throw new TypeError('policy text must be a string');
  const problems: string[] = [];
  // "the allowed octet values are 0x09 (tab), 0x0A (newline), 0x20-0x7E, and 0x80-0xFF."
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(text);
  if (control) problems.push(`a control character (0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')}) at offset ${control.index}`);
  const logs: PolicyLog[] = [];
  const witnesses: PolicyWitness[] = [];
  const groups: PolicyGroup[] = [];
  // "Witnesses and groups share a single namespace. The special name `none` is predefined".
  const names = new Set<string>();
  let quorum: string | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const where = `line ${i + 1}`;
    // "whitespace … means sequences of ASCII space and tab characters only. Leading and trailing whitespace is allowed.
    // Empty lines (whitespace only) and comment lines (lines starting with "#", possibly preceded by whitespace) are
    // allowed and ignored."
    const line = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const [keyword, ...args] = line.split(/[ \t]+/) as [string, ...string[]];
    try {
      switch (keyword) {
        case 'log': {
          if (args.length < 1 || args.length > 2) throw new Error('expected: log <vkey> [<url>]');
          const vkey = parseVkey(args[0]!);
          // "Duplicate logs, i.e., multiple log lines with the same public key, are not allowed."
          if (logs.some((l) => sameKey(l.vkey.key, vkey.key))) throw new Error(`log ${vkey.name}: the same key is listed twice`);
          logs.push({ vkey, ...(args[1] !== undefined ? { url: args[1] } : {}) });
          break;
        }
        case 'witness': {
          if (args.length < 2 || args.length > 3) throw new Error('expected: witness <name> <vkey> [<url>]');
          const name = args[0]!;
          defineName(name, names);
          const key = cosignerKeyFromVkey(args[1]!);
          // "Duplicate witnesses, i.e., multiple witness lines with the same public key, are not allowed."
          if (witnesses.some((w) => sameKey(w.key.publicKey, key.publicKey))) throw new Error(`witness ${name}: the same key is listed twice`);
          witnesses.push({ name, key, ...(args[2] !== undefined ? { url: args[2] } : {}) });
          break;
        }
        case 'group': {
          if (args.length < 3) throw new Error('expected: group <name> all|any|<k> <name>...');
          const [name, k, ...members] = args as [string, string, ...string[]];
          // "Like for the quorum definition, a group definition can only refer to names defined on preceding lines."
          // "Each defined name can be listed as a group member at most once."
          const seen = new Set<string>();
          for (const m of members) {
            if (m === 'none') throw new Error('`none` is not a valid group member');
            if (!names.has(m)) throw new Error(`group ${name}: member ${m} is not defined on a preceding line`);
            if (seen.has(m)) throw new Error(`group ${name}: member ${m} is listed twice`);
            seen.add(m);
          }
          // "The `any` variant is a shorthand for k = 1, and the `all` variant is a shorthand for k = n. If k is given
          // numerically, it must be written in decimal, and it is required that 1 <= k <= n."
          const threshold = k === 'all' ? members.length : k === 'any' ? 1 : /^[1-9][0-9]*$/.test(k) ? Number(k) : NaN;
          if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > members.length) throw new Error(`group ${name}: threshold ${k} is not all, any or a number from 1 to ${members.length}`);
          defineName(name, names);
          groups.push({ name, threshold, members });
          break;
        }
        case 'quorum': {
          if (args.length !== 1) throw new Error('expected: quorum <name>');
          // "A policy file must include exactly one quorum line."
          if (quorum !== undefined) throw new Error('a second quorum line');
          const name = args[0]!;
          if (name !== 'none' && !names.has(name)) throw new Error(`quorum ${name} is not defined on a preceding line`);
          quorum = name;
          break;
        }
        default:
          throw new Error(`unknown keyword ${JSON.stringify(keyword)} (log, witness, group, quorum)`);
      }
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  });
  if (quorum === undefined) problems.push('no quorum line (use "quorum none" to require no cosignatures)');
  if (logs.length + witnesses.length + groups.length > MAX_ITEMS) problems.push(`more than ${MAX_ITEMS} logs, witnesses and groups`);
  if (problems.length > 0) throw new KeylessError('ERR_USAGE', `${what} is invalid: ${problems.join('; ')}`, { problems });
  return { logs, witnesses, groups, quorum: quorum! };
}

function defineName(name: string, names: Set<string>): void {
  if (name === 'none') throw new Error('`none` is predefined and cannot be redefined');
  if (names.has(name)) throw new Error(`the name ${name} is defined twice`);
  names.add(name);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether the witnesses that cosigned satisfy the quorum: "the group is considered to witness a checkpoint if and
 * only if at least k of its n members have witnessed that checkpoint … for a single witness, "witnessing" is the
 * same as cosigning."
 */
export function quorumSatisfied(policy: WitnessPolicy, cosigned: ReadonlySet<string>): boolean {
  if (policy.quorum === 'none') return true;
  const groups = new Map(policy.groups.map((g) => [g.name, g]));
  const memo = new Map<string, boolean>();
  const witnessed = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const group = groups.get(name);
    const result = group === undefined ? cosigned.has(name) : group.members.filter(witnessed).length >= group.threshold;
    memo.set(name, result);
    return result;
  };
  return witnessed(policy.quorum);
}
