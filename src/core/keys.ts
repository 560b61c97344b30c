/**
 * Public keys and signature checks on node:crypto. Keys are read from SubjectPublicKeyInfo DER; only the
 * algorithms Sigstore uses are accepted (ECDSA P-256/384/521, Ed25519, RSA ≥ 2048 bits with PKCS#1 v1.5).
 * ECDSA signatures are ASN.1 DER (as in X.509, CMS, SCTs, Rekor and DSSE), never raw r||s.
 */
import { constants, createPublicKey, hash as nodeHash, verify as nodeVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { KeylessError } from './errors.js';
import { Asn1Reader, TAG, decodeBitString, decodeInteger, decodeNull, decodeOid, parseDer, type Asn1 } from './asn1.js';
import { encodeBitString, encodeNull, encodeOid, encodeSequence } from './asn1-encode.js';
import { base64UrlEncode, hexDecode, hexEncode, pemDecode, toBuffer } from './encoding.js';
import { OID } from './oids.js';

export type KeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface PublicKey {
  readonly keyObject: KeyObject;
  readonly type: KeyType;
  /** SubjectPublicKeyInfo DER (a copy of the input, safe to keep). */
  readonly spki: Uint8Array;
  /** Curve size or RSA modulus length. */
  readonly bits?: number;
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384; // bounds the cost of one verification

const CURVES: Readonly<Record<string, { type: KeyType; bits: number }>> = {
  [OID.p256]: { type: 'ecdsa-p256', bits: 256 },
  [OID.p384]: { type: 'ecdsa-p384', bits: 384 },
  [OID.p521]: { type: 'ecdsa-p521', bits: 521 },
};

function unsupported(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_KEY_UNSUPPORTED', message, details);
}

/** A key from SubjectPublicKeyInfo DER: ERR_ASN1 if it is not DER, ERR_KEY_UNSUPPORTED if we do not accept it. */
export function publicKeyFromSpki(spki: Uint8Array): PublicKey {
  const reader = new Asn1Reader(parseDer(spki, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  const alg = new Asn1Reader(reader.next(TAG.SEQUENCE, 'algorithm'), 'AlgorithmIdentifier');
  const algorithm = decodeOid(alg.next(TAG.OID, 'algorithm'));
  const params = alg.done ? undefined : alg.any('parameters');
  alg.end();
  const keyBytes = decodeBitString(reader.next(TAG.BIT_STRING, 'subjectPublicKey'));
  reader.end();

  // OpenSSL 3 takes ~90 µs to decode any SPKI but ~3–5 µs to import the same RSA or Ed25519 key as a JWK, and
  // ~50 µs for P-256 (its point check); the verifier imports a key per bundle, so we hand over JWKs where it pays.
  let type: KeyType;
  let bits: number;
  let jwk: JsonWebKey | undefined;
  if (algorithm === OID.ecPublicKey) {
    const curve = params?.tag === TAG.OID ? decodeOid(params) : undefined;
    const known = curve === undefined ? undefined : CURVES[curve];
    if (known === undefined) throw unsupported(`unsupported elliptic curve ${curve ?? '(explicit parameters)'}`, { curve });
    ({ type, bits } = known);
    if (type === 'ecdsa-p256' && keyBytes.length === 65 && keyBytes[0] === 0x04) {
      jwk = { kty: 'EC', crv: 'P-256', x: base64UrlEncode(keyBytes.subarray(1, 33)), y: base64UrlEncode(keyBytes.subarray(33)) };
    }
  } else if (algorithm === OID.ed25519) {
    if (params !== undefined) throw unsupported('Ed25519 key with parameters');
    if (keyBytes.length !== 32) throw unsupported(`Ed25519 key of ${keyBytes.length} bytes`);
    type = 'ed25519';
    bits = 256;
    jwk = { kty: 'OKP', crv: 'Ed25519', x: base64UrlEncode(keyBytes) };
  } else if (algorithm === OID.rsaEncryption) {
    if (params === undefined) throw unsupported('RSA key without NULL parameters');
    decodeNull(params);
    type = 'rsa';
    const rsa = new Asn1Reader(parseDer(keyBytes, 'RSAPublicKey'), 'RSAPublicKey');
    const n = positive(rsa.next(TAG.INTEGER, 'modulus'));
    const e = positive(rsa.next(TAG.INTEGER, 'publicExponent'));
    rsa.end();
    bits = (n.length - 1) * 8 + Math.floor(Math.log2(n[0] as number)) + 1;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
      throw unsupported(`RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, this one has ${bits}`, { bits });
    }
    jwk = { kty: 'RSA', n: base64UrlEncode(n), e: base64UrlEncode(e) };
  } else {
    throw unsupported(`unsupported public key algorithm ${algorithm}`, { algorithm });
  }

  const imported = (): KeyObject => {
    try {
      return jwk === undefined
        ? createPublicKey({ key: toBuffer(spki), format: 'der', type: 'spki' })
        : createPublicKey({ key: jwk, format: 'jwk' });
    } catch (cause) {
      throw new KeylessError('ERR_KEY_UNSUPPORTED', `invalid ${type} public key`, { type }, { cause });
    }
  };
  if (type === 'ecdsa-p256' && jwk !== undefined) {
    // An uncompressed P-256 point is checked here (coordinates below p, on the curve: all that OpenSSL's import
    // checks for a curve of cofactor 1), and imported only when the KeyObject is first used. The log's write path
    // needs only the point (a signature over a digest, src/core/prehash.ts) and saves the ~60 µs import per entry.
    if (!isP256Point(keyBytes)) throw new KeylessError('ERR_KEY_UNSUPPORTED', `invalid ${type} public key`, { type }, { cause: new Error('the point is not on the curve') });
    let keyObject: KeyObject | undefined;
    return {
      get keyObject(): KeyObject {
        return (keyObject ??= imported());
      },
      type,
      spki: Uint8Array.from(spki),
      bits,
    };
  }
  return { keyObject: imported(), type, spki: Uint8Array.from(spki), bits };
}

const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** Whether 04 || x || y (65 octets) is a point of P-256: x, y < p and y² = x³ − 3x + b (mod p). */
function isP256Point(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  const x = BigInt(`0x${hexEncode(point.subarray(1, 33))}`);
  const y = BigInt(`0x${hexEncode(point.subarray(33))}`);
  if (x >= P256_P || y >= P256_P) return false;
  return (y * y - (x * x * x - 3n * x + P256_B)) % P256_P === 0n;
}

// The DER SubjectPublicKeyInfo of a P-256 key up to its point: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 },
// BIT STRING (66 octets: no unused bits, then 04 || x || y) }, as every DER encoder (Go's, OpenSSL's) writes it.
const P256_SPKI_PREFIX = hexDecode('3059301306072a8648ce3d020106082a8648ce3d030107034200');

/**
 * The key's SubjectPublicKeyInfo as a DER encoder writes it (what Go's x509.MarshalPKIXPublicKey gives back). For an
 * uncompressed P-256 point that is a fixed prefix and the point, no export needed.
 */
export function encodedSpki(key: PublicKey): Uint8Array {
  if (key.type === 'ecdsa-p256') {
    const point = key.spki.subarray(key.spki.length - 65);
    if (point[0] === 0x04) {
      const out = new Uint8Array(P256_SPKI_PREFIX.length + 65);
      out.set(P256_SPKI_PREFIX);
      out.set(point, P256_SPKI_PREFIX.length);
      return out;
    }
  }
  return new Uint8Array(key.keyObject.export({ type: 'spki', format: 'der' }));
}

/**
 * A key from a PKCS#1 RSAPublicKey (RFC 8017 A.1.1), as trusted roots list some old RSA log keys
 * (`PKCS1_RSA_PKCS1V5`): wrapped in the SubjectPublicKeyInfo that says the same thing, then read as one.
 */
export function publicKeyFromPkcs1Rsa(der: Uint8Array): PublicKey {
  return publicKeyFromSpki(encodeSequence(encodeSequence(encodeOid(OID.rsaEncryption), encodeNull()), encodeBitString(der)));
}

/** The magnitude octets of a positive INTEGER (without the sign octet). */
function positive(node: Asn1): Uint8Array {
  if (decodeInteger(node) <= 0n) throw unsupported('RSA key with a non-positive integer');
  return node.content[0] === 0 ? node.content.subarray(1) : node.content;
}

/** A key from a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo). */
export function publicKeyFromPem(pem: string): PublicKey {
  return publicKeyFromSpki(pemDecode(pem, 'PUBLIC KEY'));
}

/** The hash a key signs with when nothing says otherwise (Sigstore's key details defaults). */
export function defaultHash(type: KeyType): HashAlgorithm {
  switch (type) {
    case 'ecdsa-p384':
      return 'sha384';
    case 'ecdsa-p521':
      return 'sha512';
    default:
      return 'sha256';
  }
}

/**
 * Checks `signature` over `data`. ECDSA: DER signature, `hash` defaulting by curve; RSA: PKCS#1 v1.5 (or PSS with
 * a salt as long as the hash, when `rsaPadding` says so), default SHA-256; Ed25519: pure (`hash` ignored). False
 * for any signature that does not verify, malformed ones included.
 */
export function verifySignature(key: PublicKey, data: Uint8Array, signature: Uint8Array, hash?: HashAlgorithm, rsaPadding: 'pkcs1v15' | 'pss' = 'pkcs1v15'): boolean {
  try {
    if (key.type === 'ed25519') return nodeVerify(null, data, key.keyObject, signature);
    const alg = hash ?? defaultHash(key.type);
    if (key.type === 'rsa') {
      if (rsaPadding === 'pss') {
        return nodeVerify(alg, data, { key: key.keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
      }
      return nodeVerify(alg, data, key.keyObject, signature);
    }
    return nodeVerify(alg, data, { key: key.keyObject, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

interface SignatureAlgorithm {
  readonly family: 'ecdsa' | 'rsa' | 'ed25519';
  readonly hash?: HashAlgorithm;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  [OID.ecdsaWithSha256]: { family: 'ecdsa', hash: 'sha256' },
  [OID.ecdsaWithSha384]: { family: 'ecdsa', hash: 'sha384' },
  [OID.ecdsaWithSha512]: { family: 'ecdsa', hash: 'sha512' },
  [OID.sha256WithRsaEncryption]: { family: 'rsa', hash: 'sha256' },
  [OID.sha384WithRsaEncryption]: { family: 'rsa', hash: 'sha384' },
  [OID.sha512WithRsaEncryption]: { family: 'rsa', hash: 'sha512' },
  [OID.ed25519]: { family: 'ed25519' },
};

function family(type: KeyType): SignatureAlgorithm['family'] {
  return type === 'rsa' || type === 'ed25519' ? type : 'ecdsa';
}

/**
 * Checks a signature made with an X.509/CMS signature algorithm. An algorithm we do not accept (RSASSA-PSS,
 * SHA-1, …) is ERR_KEY_UNSUPPORTED; a key of another family than the algorithm's makes the signature false.
 * Any SHA-2 goes with any curve, as RFC 5758 allows (the Fulcio chain signs with SHA-384 on P-384 and mock CAs
 * with SHA-384 on P-256).
 */
export function verifyWithAlgorithm(key: PublicKey, algorithmOid: string, data: Uint8Array, signature: Uint8Array): boolean {
  const alg = SIGNATURE_ALGORITHMS[algorithmOid];
  if (alg === undefined) {
    throw unsupported(`unsupported signature algorithm ${algorithmOid}`, { algorithm: algorithmOid });
  }
  if (alg.family !== family(key.type)) return false;
  return verifySignature(key, data, signature, alg.hash);
}

export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return nodeHash(alg, data, 'buffer');
}

export function sha256(data: Uint8Array): Uint8Array {
  return nodeHash('sha256', data, 'buffer');
}
