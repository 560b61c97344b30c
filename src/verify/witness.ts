/**
 * Check 3e (optional, with a witness policy): the checkpoint an inclusion proof leads to carries a quorum of
 * witness cosignatures (C2SP tlog-cosignature, quorum per C2SP tlog-policy), so that the log cannot show this
 * client a history it did not show the witnesses.
 */
import { KeylessError } from '../core/errors.js';
import { verifyCosignature } from '../core/cosignature.js';
import { parseSignedNote } from '../core/note.js';
import { quorumSatisfied, type WitnessPolicy } from '../core/tlog-policy.js';

export interface WitnessVerdict {
  /** Policy witnesses whose cosignature verified, with the time they vouched for (POSIX seconds). */
  readonly cosigned: readonly { readonly name: string; readonly timestamp: number }[];
  /** Policy witnesses with no valid cosignature on this checkpoint. */
  readonly missing: readonly string[];
}

export interface WitnessCheckOptions {
  /** Clock in milliseconds; cosignatures more than `maxFutureSeconds` ahead of it do not count. */
  readonly now?: () => number;
  readonly maxFutureSeconds?: number;
}

/**
 * Counts the policy witnesses that cosigned `checkpoint` (a signed note) and throws ERR_WITNESS, naming those that
 * did and did not, when they do not satisfy the policy's quorum.
 */
export function verifyWitnessQuorum(checkpoint: string, policy: WitnessPolicy, opts: WitnessCheckOptions = {}): WitnessVerdict {
  const note = parseSignedNote(checkpoint);
  const now = Math.floor((opts.now ?? Date.now)() / 1000);
  const maxFuture = opts.maxFutureSeconds ?? 600;
  const cosigned: { name: string; timestamp: number }[] = [];
  const invalid: string[] = [];
  const future: string[] = [];
  for (const witness of policy.witnesses) {
    let found: { name: string; timestamp: number } | undefined;
    for (const sig of note.signatures) {
      // "The client MUST ignore any cosignatures from unknown keys" — and a line that names this witness's key but
      // does not verify is not a cosignature (it counts as missing, and is reported).
      const result = verifyCosignature(witness.key, note.text, sig);
      if (result === undefined) continue;
      if (result === false) {
        invalid.push(witness.name);
        continue;
      }
      // "verifiers MAY reject cosignatures with timestamps in the future."
      if (result.timestamp > now + maxFuture) {
        future.push(witness.name);
        continue;
      }
      found = { name: witness.name, timestamp: result.timestamp };
      break;
    }
    if (found !== undefined) cosigned.push(found);
  }
  const missing = policy.witnesses.map((w) => w.name).filter((n) => !cosigned.some((c) => c.name === n));
  if (!quorumSatisfied(policy, new Set(cosigned.map((c) => c.name)))) {
    const reasons = [
      ...(invalid.length > 0 ? [`invalid cosignature by ${[...new Set(invalid)].join(', ')}`] : []),
      ...(future.length > 0 ? [`cosignature dated in the future by ${[...new Set(future)].join(', ')}`] : []),
    ];
    throw new KeylessError(
      'ERR_WITNESS',
      `the checkpoint lacks the witness quorum ${policy.quorum}: cosigned by ${cosigned.length > 0 ? cosigned.map((c) => c.name).join(', ') : 'no policy witness'}; not by ${missing.join(', ') || 'none'}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`,
      { quorum: policy.quorum, cosigned: cosigned.map((c) => c.name), missing, invalid: [...new Set(invalid)], future: [...new Set(future)], checkpoint: note.text },
    );
  }
  return { cosigned, missing };
}
