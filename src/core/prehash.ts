/**
 * Signature verification over a digest the caller already has (`verify-blob sha256:<hex>`, the conformance
 * protocol's digest form). node:crypto can only verify over a message it hashes itself, so for ECDSA we do the
 * verification equation here with bigint arithmetic (FIPS 186-5 §6.4.2); for RSA PKCS#1 v1.5 we recover the
 * DigestInfo with the public key and compare it. Speed does not matter on this path; correctness does.
 */
import { Buffer } from 'node:buffer';
import { publicDecrypt, constants, type KeyObject } from 'node:crypto';

interface Curve { p: bigint; a: bigint; n: bigint; gx: bigint; gy: bigint; bytes: number }

const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bytes: 32,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bytes: 48,
  },
};

type Point = { x: bigint; y: bigint } | null;

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function add(c: Curve, P: Point, Q: Point): Point {
  if (P === null) return Q;
  if (Q === null) return P;
  if (P.x === Q.x) {
    if (mod(P.y + Q.y, c.p) === 0n) return null;
    const l = mod((3n * P.x * P.x + c.a) * inverse(2n * P.y, c.p), c.p);
    const x = mod(l * l - 2n * P.x, c.p);
    return { x, y: mod(l * (P.x - x) - P.y, c.p) };
  }
  const l = mod((Q.y - P.y) * inverse(Q.x - P.x, c.p), c.p);
  const x = mod(l * l - P.x - Q.x, c.p);
  return { x, y: mod(l * (P.x - x) - P.y, c.p) };
}

function multiply(c: Curve, k: bigint, P: Point): Point {
  let result: Point = null;
  let addend = P;
  while (k > 0n) {
    if (k & 1n) result = add(c, result, addend);
    addend = add(c, addend, addend);
    k >>= 1n;
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

/** Reads the DER ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER }; undefined when malformed. */
function readEcdsaSignature(sig: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (sig.length < 8 || sig[0] !== 0x30 || sig[1] !== sig.length - 2 || sig[1] > 0x7f) return undefined;
  const ints: bigint[] = [];
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (sig[at] !== 0x02) return undefined;
    const len = sig[at + 1] ?? 0;
    if (len === 0 || len > 0x7f || at + 2 + len > sig.length) return undefined;
    const body = sig.subarray(at + 2, at + 2 + len);
    if ((body[0] ?? 0) & 0x80) return undefined; // negative
    if (len > 1 && body[0] === 0 && !((body[1] ?? 0) & 0x80)) return undefined; // not minimal
    ints.push(toBigInt(body));
    at += 2 + len;
  }
  if (at !== sig.length) return undefined;
  return { r: ints[0] ?? 0n, s: ints[1] ?? 0n };
}

function verifyEcdsaPrehashed(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const jwk = key.export({ format: 'jwk' });
  const c = jwk.crv === undefined ? undefined : CURVES[jwk.crv];
  if (c === undefined || jwk.x === undefined || jwk.y === undefined) return false;
  const sig = readEcdsaSignature(signature);
  if (sig === undefined) return false;
  const { r, s } = sig;
  // FIPS 186-5 6.4.2 step 1: r and s must be in [1, n-1].
  if (r < 1n || r >= c.n || s < 1n || s >= c.n) return false;
  // Step 2-3: e is the leftmost bits of the hash, as many as the order has.
  let e = toBigInt(digest);
  const excess = digest.length * 8 - c.n.toString(2).length;
  if (excess > 0) e >>= BigInt(excess);
  // Step 4-6: R = (e/s)G + (r/s)Q, and the signature holds when R.x mod n equals r.
  const w = inverse(s, c.n);
  const Q = { x: toBigInt(Buffer.from(jwk.x, 'base64url')), y: toBigInt(Buffer.from(jwk.y, 'base64url')) };
  const R = add(c, multiply(c, mod(e * w, c.n), { x: c.gx, y: c.gy }), multiply(c, mod(r * w, c.n), Q));
  return R !== null && mod(R.x, c.n) === r;
}

const DIGEST_INFO_PREFIX: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function verifyRsaPrehashed(key: KeyObject, digest: Uint8Array, signature: Uint8Array, hash: string): boolean {
  const prefix = DIGEST_INFO_PREFIX[hash];
  if (prefix === undefined) return false;
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(Buffer.concat([Buffer.from(prefix, 'hex'), digest]));
  } catch {
    return false;
  }
}

/**
 * Verifies `signature` over a message of which only `digest` (made with `hash`) is known. ECDSA (P-256, P-384)
 * and RSA PKCS#1 v1.5 only: Ed25519 signs the whole message, so it cannot be checked from a digest.
 */
export function verifyPrehashed(key: KeyObject, hash: 'sha256' | 'sha384' | 'sha512', digest: Uint8Array, signature: Uint8Array): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsaPrehashed(key, digest, signature);
    case 'rsa':
      return verifyRsaPrehashed(key, digest, signature, hash);
    default:
      return false;
  }
}
