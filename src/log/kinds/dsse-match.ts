/**
 * Which verifier vouches for which DSSE signature, decided the way Rekor's and rekor-tiles' `verifyEnvelope`
 * decides it. Each verifier is its own go-securesystemslib EnvelopeVerifier (threshold 1, key IDs ignored because
 * the adapters report none), which accepts the first signature in envelope order that it verifies and then stops;
 * a verifier that verifies no signature fails the request, and so does a signature no verifier accepted. When two
 * verifiers accept the same signature, the later one is recorded (Go's map assignment).
 */
import { Buffer } from 'node:buffer';
import { KeylessError } from '../../core/errors.js';
import { pae } from '../../core/dsse.js';
import { verifySignature, type HashAlgorithm } from '../../core/keys.js';
import type { VerifierMaterial } from './verifier.js';

export interface DsseVerifier {
  readonly material: VerifierMaterial;
  /** The hash the signature is over the PAE with; ignored for Ed25519. */
  readonly hash: HashAlgorithm;
  /** Where the verifier was in the request, for messages. */
  readonly path: string;
}

/**
 * `signatures` must be distinct (callers drop repeats first, as Rekor's map of signatures does). Returns, for each
 * signature, the index of the verifier recorded for it; ERR_SIGNATURE when the rules above are not met.
 */
export function matchSignatures(payloadType: string, payload: Uint8Array, signatures: readonly Uint8Array[], verifiers: readonly DsseVerifier[]): number[] {
  const message = pae(payloadType, payload);
  const recorded: (number | undefined)[] = signatures.map(() => undefined);
  verifiers.forEach((v, vi) => {
    const si = signatures.findIndex((sig) => verifySignature(v.material.key, message, sig, v.hash));
    if (si < 0) {
      throw new KeylessError('ERR_SIGNATURE', `${v.path} verifies no signature of the DSSE envelope`, { verifier: v.path });
    }
    recorded[si] = vi;
  });
  return recorded.map((vi, si) => {
    if (vi === undefined) {
      throw new KeylessError('ERR_SIGNATURE', `signature ${si} of the DSSE envelope is not verified by any verifier`, { signature: si });
    }
    return vi;
  });
}

/** Drops repeated signatures, keeping the first of each; `id` says when two are the same. */
export function distinct<T>(items: readonly T[], id: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = id(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The index of a verifier whose key an earlier one already named, with that earlier index. Rekor lets the same key
 * come twice, and then which copy is recorded depends on Go map order (rekor-tiles) or on list order (Rekor); we
 * refuse it, so that every stored signature names one verifier the request chose.
 */
export function repeatedKey(materials: readonly VerifierMaterial[]): { readonly index: number; readonly first: number } | undefined {
  const seen = new Map<string, number>();
  for (const [index, m] of materials.entries()) {
    const k = Buffer.from(m.spki).toString('hex');
    const first = seen.get(k);
    if (first !== undefined) return { index, first };
    seen.set(k, index);
  }
  return undefined;
}
