/**
 * The part of node:crypto that keyless's verifier uses (src/core/keys.ts, merkle, note), for the page's bundle of
 * the complete offline verifier (web/dist/verify.js; scripts/build-web.mjs substitutes this module for node:crypto
 * there). Signatures are checked with @noble/curves and hashes made with @noble/hashes, both synchronous and
 * audited, because the verifier is synchronous and WebCrypto is not; RSA PKCS#1 v1.5 is a few lines of BigInt
 * arithmetic (RFC 8017 §8.2.2), since no small library does only that. Keys and signatures keep keyless's own
 * readers (src/core); only the arithmetic is here. Node keeps node:crypto.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { Buffer } from './buffer.js';

type HashName = 'sha256' | 'sha384' | 'sha512';
interface Hasher {
  (message: Uint8Array): Uint8Array;
  create(): { update(data: Uint8Array): unknown; digest(): Uint8Array };
}
const HASHES: Readonly<Record<HashName, Hasher>> = { sha256, sha384, sha512 };

function hashFn(name: string | null | undefined): Hasher {
  const fn = HASHES[String(name).toLowerCase() as HashName];
  if (fn === undefined) throw new Error(`the page does not hash with ${name}`);
  return fn;
}

export function createHash(algorithm: string): { update(data: Uint8Array): { digest(): Uint8Array }; digest(): Uint8Array } {
  const h = hashFn(algorithm).create();
  const self = {
    update(data: Uint8Array) {
      h.update(data);
      return self;
    },
    digest: () => h.digest(),
  };
  return self;
}

export function hash(algorithm: string, data: Uint8Array): Uint8Array {
  return hashFn(algorithm)(data);
}

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;
type CurveName = keyof typeof CURVES;

// The DER SubjectPublicKeyInfo of each curve up to its uncompressed point (04 || x || y), as every encoder writes it.
const EC_SPKI_PREFIXES: readonly [CurveName, string][] = [
  ['P-256', '3059301306072a8648ce3d020106082a8648ce3d030107034200'],
  ['P-384', '3076301006072a8648ce3d020106052b81040022036200'],
  ['P-521', '30819b301006072a8648ce3d020106052b8104002303818600'],
];
const ED25519_SPKI_PREFIX = '302a300506032b6570032100';
const RSA_OID = '2a864886f70d010101';

/** What keys.ts keeps as a KeyObject: the key's kind and what the arithmetic needs. */
export class BrowserKey {
  constructor(
    readonly asymmetricKeyType: 'ec' | 'ed25519' | 'rsa',
    readonly spki: Uint8Array,
    readonly curve?: CurveName,
    readonly point?: Uint8Array,
    readonly rsa?: { readonly n: bigint; readonly e: bigint; readonly bytes: number },
  ) {}

  export(options: { type?: string; format?: string }): Uint8Array {
    if (options.type === 'spki' && options.format === 'der') return this.spki;
    throw new Error('the page exports public keys as DER SubjectPublicKeyInfo only');
  }
}

// The page's node:buffer substitute (buffer.ts) decodes and encodes as Node does.
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (hex: string): Uint8Array => Buffer.from(hex, 'hex');
const fromB64Url = (text: string): Uint8Array => Buffer.from(text, 'base64url');
const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
const toBigInt = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${hexOf(bytes)}`));

interface JwkInput { kty?: string; crv?: string; x?: string; y?: string; n?: string; e?: string }

/** Imports what keys.ts hands over: a JWK (P-256, Ed25519, RSA) or DER SPKI (the other curves). */
export function createPublicKey(input: { key: Uint8Array | JwkInput; format: string; type?: string }): BrowserKey {
  if (input.format === 'jwk') {
    const jwk = input.key as JwkInput;
    if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
      const point = concat(Uint8Array.of(4), fromB64Url(jwk.x), fromB64Url(jwk.y));
      p256.Point.fromBytes(point).assertValidity();
      return new BrowserKey('ec', concat(fromHex(EC_SPKI_PREFIXES[0]![1]), point), 'P-256', point);
    }
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
      const point = fromB64Url(jwk.x);
      ed25519.Point.fromBytes(point);
      return new BrowserKey('ed25519', concat(fromHex(ED25519_SPKI_PREFIX), point), undefined, point);
    }
    if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
      const n = fromB64Url(jwk.n);
      // keys.ts read the SPKI and checked the size; the page needs only n and e.
      return new BrowserKey('rsa', new Uint8Array(0), undefined, undefined, { n: toBigInt(n), e: toBigInt(fromB64Url(jwk.e)), bytes: n.length - (n[0] === 0 ? 1 : 0) });
    }
    throw new Error('the page cannot import this JWK');
  }
  const der = input.key as Uint8Array;
  const hex = hexOf(der);
  for (const [curve, prefix] of EC_SPKI_PREFIXES) {
    if (hex.startsWith(prefix)) {
      const point = der.subarray(prefix.length / 2);
      CURVES[curve].Point.fromBytes(point).assertValidity();
      return new BrowserKey('ec', der, curve, point);
    }
  }
  if (hex.includes(RSA_OID)) throw new Error('RSA keys reach the page as JWKs');
  throw new Error('the page cannot import this public key');
}

export function verify(algorithm: string | null, data: Uint8Array, keyOrOptions: BrowserKey | { key: BrowserKey; padding?: number }, signature: Uint8Array): boolean {
  const key = keyOrOptions instanceof BrowserKey ? keyOrOptions : keyOrOptions.key;
  const padding = keyOrOptions instanceof BrowserKey ? undefined : keyOrOptions.padding;
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      // RFC 8032 strictly (as OpenSSL), not ZIP 215's more lenient rules.
      return ed25519.verify(signature, data, key.point!, { zip215: false });
    case 'ec':
      return verifyEcdsaDigest(key, hashFn(algorithm)(data), signature);
    case 'rsa':
      if (padding === constants.RSA_PKCS1_PSS_PADDING) throw new Error('the page does not verify RSA-PSS signatures');
      return verifyRsaPkcs1Digest(key, algorithm as HashName, hashFn(algorithm)(data), signature);
  }
}

/** ECDSA over a digest (DER signature; high S accepted, as OpenSSL does). */
export function verifyEcdsaDigest(key: BrowserKey, digest: Uint8Array, signature: Uint8Array): boolean {
  return CURVES[key.curve!].verify(signature, digest, key.point!, { prehash: false, format: 'der', lowS: false });
}

const DIGEST_INFO: Readonly<Record<HashName, string>> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** RSASSA-PKCS1-v1_5 over a digest (RFC 8017 §8.2.2): s^e mod n must be exactly EMSA-PKCS1-v1_5(digest). */
export function verifyRsaPkcs1Digest(key: BrowserKey, algorithm: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  const { n, e, bytes } = key.rsa!;
  const prefix = DIGEST_INFO[algorithm];
  if (prefix === undefined || signature.length !== bytes) return false;
  const s = toBigInt(signature);
  if (s >= n) return false;
  let m = 1n;
  let base = s;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) m = (m * base) % n;
    base = (base * base) % n;
  }
  const t = prefix + hexOf(digest);
  const expected = `0001${'ff'.repeat(bytes - 3 - t.length / 2)}00${t}`;
  return m.toString(16).padStart(bytes * 2, '0') === expected;
}

export const constants = Object.freeze({ RSA_PKCS1_PSS_PADDING: 6, RSA_PSS_SALTLEN_DIGEST: -1 });

const unavailable = (what: string) => (): never => {
  throw new Error(`${what} is not available in the page: it verifies, it does not sign`);
};
export const sign = unavailable('sign');
export const createECDH = unavailable('createECDH');
export const publicDecrypt = unavailable('publicDecrypt');
