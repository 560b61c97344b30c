/**
 * Counts the public-key operations a piece of code makes through node:crypto (verify, and the ECDH and RSA
 * public-decrypt calls that src/core/prehash.ts verifies a digest with), by key kind, so that bench:verify can
 * price a verification at its crypto floor without a hand-kept list per bundle. It wraps node:crypto's exports and
 * re-syncs the ES module bindings (module.syncBuiltinESMExports), so code that imported them already is counted too.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

/** e.g. `verify ec-prime256v1`, `verify ed25519`, `verify rsa-2048`, `ecdh prime256v1`. */
export type OpCounts = Map<string, number>;

function kindOf(key: unknown): string {
  const k = (key !== null && typeof key === 'object' && 'key' in key && !('asymmetricKeyType' in key) ? (key as { key: unknown }).key : key) as KeyObject | undefined;
  const type = k?.asymmetricKeyType ?? 'unknown';
  const details = k?.asymmetricKeyDetails;
  if (type === 'ec') return `ec-${details?.namedCurve ?? '?'}`;
  if (type === 'rsa' || type === 'rsa-pss') return `${type}-${details?.modulusLength ?? '?'}`;
  return type;
}

/** Runs `fn` once with node:crypto's verify/createECDH/publicDecrypt counted; returns what it called. */
export function countCryptoOps(fn: () => unknown): OpCounts {
  const counts: OpCounts = new Map();
  const bump = (name: string): void => void counts.set(name, (counts.get(name) ?? 0) + 1);
  const mutable = crypto as unknown as Record<string, unknown>;
  const saved = { verify: crypto.verify, createECDH: crypto.createECDH, publicDecrypt: crypto.publicDecrypt };
  mutable['verify'] = (...args: Parameters<typeof crypto.verify>) => {
    bump(`verify ${kindOf(args[2])}`);
    return (saved.verify as (...a: unknown[]) => unknown)(...args);
  };
  mutable['createECDH'] = (curve: string) => {
    bump(`ecdh ${curve}`);
    return saved.createECDH(curve);
  };
  mutable['publicDecrypt'] = (key: Parameters<typeof crypto.publicDecrypt>[0], buffer: Parameters<typeof crypto.publicDecrypt>[1]) => {
    bump(`publicDecrypt ${kindOf(key)}`);
    return saved.publicDecrypt(key, buffer);
  };
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    Object.assign(mutable, saved);
    syncBuiltinESMExports();
  }
  return counts;
}
