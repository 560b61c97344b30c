/**
 * keyless's optional native addon (native/digest_verify.c, built by `npm run build:native` and on install): an
 * ECDSA check from a digest at the cost of OpenSSL's own verify, where the JavaScript path (src/core/prehash.ts,
 * two ECDH multiplications) costs about 2.5 times as much. The log checks every hashedrekord entry's signature this
 * way, so it is the largest cryptographic cost of an append.
 *
 * Both paths give the same verdict for every input (test/unit/native/digest-verify.test.ts checks them against each
 * other and against node:crypto). The addon is used when it loads; `KEYLESS_NATIVE=0` turns it off, and
 * `nativeStatus()` says which path is in use and why (`keyless serve` notes at start when the addon is not in use,
 * and reports it in /healthz).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hash as nodeHash } from 'node:crypto';
import { verifySignature, type HashAlgorithm, type PublicKey } from '../core/keys.js';
import { ecdsaPublicPoint, verifyPrehashedKey } from '../core/prehash.js';

type VerifyDigest = (curveBits: number, point: Uint8Array, digest: Uint8Array, signature: Uint8Array) => boolean;

export interface NativeStatus {
  /** True when signatures over digests are checked by the addon. */
  readonly loaded: boolean;
  /** Why not, when not. */
  readonly reason?: string;
}

function load(): { verifyDigest?: VerifyDigest; status: NativeStatus } {
  if (process.env['KEYLESS_NATIVE'] === '0') return { status: { loaded: false, reason: 'KEYLESS_NATIVE=0' } };
  let path: string;
  try {
    // From dist/src/native/index.js to the package's native/ directory.
    path = fileURLToPath(new URL('../../../native/build/Release/keyless_native.node', import.meta.url));
  } catch {
    return { status: { loaded: false, reason: 'no package directory to load it from (one-file CLI)' } };
  }
  if (!existsSync(path)) return { status: { loaded: false, reason: 'not built (npm run build:native)' } };
  try {
    const module = { exports: {} as { verifyDigest?: unknown } };
    process.dlopen(module, path);
    const fn = module.exports.verifyDigest;
    if (typeof fn !== 'function') return { status: { loaded: false, reason: 'the addon has no verifyDigest' } };
    return { verifyDigest: fn as VerifyDigest, status: { loaded: true } };
  } catch (err) {
    return { status: { loaded: false, reason: `the addon does not load: ${(err as Error).message}` } };
  }
}

const native = load();

export function nativeStatus(): NativeStatus {
  return native.status;
}

/** An ECDSA key's curve size and uncompressed point, when the addon is loaded and can take the key. */
function nativeKey(key: PublicKey): { bits: number; point: Uint8Array } | undefined {
  return native.verifyDigest === undefined ? undefined : ecdsaPublicPoint(key);
}

/**
 * `verifyPrehashedKey` (src/core/prehash.ts), through the addon for an ECDSA key with an uncompressed point when
 * it is loaded. `key` must come from `publicKeyFromSpki`, which checked that the point is on its curve; the addon
 * checks it again.
 */
export function verifyDigestWithKey(key: PublicKey, hash: HashAlgorithm, digest: Uint8Array, signature: Uint8Array): boolean {
  const k = nativeKey(key);
  return k !== undefined ? native.verifyDigest!(k.bits, k.point, digest, signature) : verifyPrehashedKey(key, hash, digest, signature);
}

/**
 * `verifySignature` (src/core/keys.ts) over a message, ECDSA with DER signatures through the addon on the
 * message's digest when it is loaded. That spares importing a key that is used once, which node:crypto makes cost
 * about as much as the verify itself: every certificate request brings a fresh key and its proof of possession.
 */
export function verifyMessageWithKey(key: PublicKey, data: Uint8Array, signature: Uint8Array, hash: HashAlgorithm): boolean {
  const k = nativeKey(key);
  return k !== undefined ? native.verifyDigest!(k.bits, k.point, nodeHash(hash, data, 'buffer'), signature) : verifySignature(key, data, signature, hash);
}
