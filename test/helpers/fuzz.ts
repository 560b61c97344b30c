/** Shared pieces of the robustness suites (golden vectors and the real-world corpus). */
import { parseSignedNote } from '../../src/core/note.js';

/** Deterministic PRNG (mulberry32): a failure names its seed and replays. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const hex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));

/** A checkpoint as what its signatures vouch for: the text and the signatures, in any order. */
export function noteFingerprint(checkpoint: string): string {
  try {
    const note = parseSignedNote(checkpoint);
    return note.text + note.signatures.map((s) => hex(s.keyHint) + hex(s.signature)).sort().join(',');
  } catch {
    return `unparsed:${checkpoint}`;
  }
}
