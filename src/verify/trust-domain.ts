/**
 * What a trust domain can vouch for. A trusted root describes one Sigstore deployment: the public-good instance has
 * a CA with certificate transparency and transparency logs; GitHub's own trust domain (artifact attestations of
 * private repositories) has a CA without CT and an RFC 3161 timestamp authority, and no log at all. `gh attestation
 * verify` requires of each what it has: there, a signed timestamp instead of a log entry, and no SCT.
 *
 * These are the default thresholds for a root; a caller can always ask for more. Each check the root cannot
 * support is named in `notes`, so that dropping it is never silent.
 */
import type { TrustedRoot } from '../trust/index.js';

export interface DomainThresholds {
  readonly tlogThreshold: number;
  readonly ctlogThreshold: number;
  readonly timestampThreshold: number;
  /** One sentence per check the trusted root cannot support and that is therefore not required. */
  readonly notes: readonly string[];
}

export function domainThresholds(root: TrustedRoot): DomainThresholds {
  const notes: string[] = [];
  const tlogThreshold = root.tlogs.length === 0 ? 0 : 1;
  const ctlogThreshold = root.ctlogs.length === 0 ? 0 : 1;
  if (tlogThreshold === 0) {
    notes.push(root.timestampAuthorities.length > 0
      ? 'the trusted root lists no transparency log (as GitHub\'s trust domain): no log entry is required, an RFC 3161 timestamp is the trusted time'
      : 'the trusted root lists no transparency log: no log entry is required');
  }
  if (ctlogThreshold === 0 && root.certificateAuthorities.length > 0) {
    notes.push('the trusted root lists no certificate transparency log: no SCT is required');
  }
  return { tlogThreshold, ctlogThreshold, timestampThreshold: 1, notes };
}
