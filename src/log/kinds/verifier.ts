/**
 * The key or certificate that verifies an entry's signature. Rekor v1 sends it as base64 of PEM (one PUBLIC KEY
 * or CERTIFICATE block, parsed like rekor's pkg/pki/x509.NewPublicKey); Rekor v2 as DER in a protobuf Verifier.
 */
import { KeylessError } from '../../core/errors.js';
import { bytesEqual, hexEncode, pemDecode, pemEncode, utf8Decode } from '../../core/encoding.js';
import { encodedSpki, publicKeyFromSpki, sha256, type HashAlgorithm, type PublicKey } from '../../core/keys.js';
import { fulcioExtensions, parseCertificate, type Certificate } from '../../core/x509.js';
import { verifyDigestWithKey } from '../../native/index.js';
import type { Problems } from './shape.js';

export interface VerifierMaterial {
  readonly key: PublicKey;
  /** The SubjectPublicKeyInfo as a DER encoder writes it (what Go's x509.MarshalPKIXPublicKey gives back). */
  readonly spki: Uint8Array;
  readonly certificate?: Certificate;
  /** DER of the certificate, or of the key as sent. */
  readonly der: Uint8Array;
}

/** Why a verifier could not be read: a malformed one is a request problem, an unsupported key its own error. */
export type VerifierResult = { readonly ok: VerifierMaterial } | { readonly problem: string } | { readonly unsupported: KeylessError };

const PEM_BLOCK = /^-----BEGIN (PUBLIC KEY|CERTIFICATE)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----$/;

function fromDer(kind: 'key' | 'certificate', der: Uint8Array): VerifierResult {
  let certificate: Certificate | undefined;
  let key: PublicKey;
  try {
    certificate = kind === 'certificate' ? parseCertificate(der) : undefined;
    key = publicKeyFromSpki(certificate?.spki ?? der);
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_KEY_UNSUPPORTED') return { unsupported: err };
    if (err instanceof KeylessError) return { problem: `is not a valid ${kind === 'key' ? 'DER public key' : 'DER certificate'}: ${err.message}` };
    throw err;
  }
  const spki = encodedSpki(key);
  if (kind === 'key' && !bytesEqual(spki, der)) {
    // Compressed EC points and other encodings that Go's x509.ParsePKIXPublicKey refuses, or re-encodes.
    return { problem: 'is not a public key in its DER encoding (uncompressed point, minimal integers)' };
  }
  return { ok: { key, spki, der: Uint8Array.from(der), ...(certificate !== undefined && { certificate }) } };
}

/** Rekor v2: `publicKey.rawBytes` (SPKI DER) or `x509Certificate.rawBytes` (certificate DER). */
export function verifierFromDer(kind: 'key' | 'certificate', der: Uint8Array): VerifierResult {
  return fromDer(kind, der);
}

/**
 * Rekor v1: the decoded `content` is PEM text with exactly one PUBLIC KEY or CERTIFICATE block, whitespace around
 * it allowed (NewPublicKey trims it). Rekor would also take a concatenated certificate chain and verify it; we
 * take the leaf alone, which is what cosign and sigstore-js send.
 */
export function verifierFromPem(pemBytes: Uint8Array): VerifierResult {
  let text: string;
  try {
    text = utf8Decode(pemBytes).trim();
  } catch {
    return { problem: 'is not UTF-8 PEM text' };
  }
  const m = PEM_BLOCK.exec(text);
  if (m === null) {
    return { problem: text.includes('-----BEGIN') ? 'must be exactly one PEM PUBLIC KEY or CERTIFICATE block (certificate chains are not accepted)' : 'is not PEM' };
  }
  const label = m[1] as 'PUBLIC KEY' | 'CERTIFICATE';
  let der: Uint8Array;
  try {
    der = pemDecode(text, label);
  } catch {
    return { problem: `has a PEM ${label} block that is not base64` };
  }
  return fromDer(label === 'CERTIFICATE' ? 'certificate' : 'key', der);
}

/**
 * What Rekor v1 stores for a verifier: cryptoutils.MarshalCertificateToPEM / MarshalPublicKeyToPEM, i.e. Go's
 * pem.EncodeToMemory of the certificate DER or re-marshalled SPKI (64-character lines, trailing newline).
 */
export function canonicalPem(v: VerifierMaterial): string {
  return v.certificate !== undefined ? pemEncode(v.certificate.der, 'CERTIFICATE') : pemEncode(v.spki, 'PUBLIC KEY');
}

/**
 * `key:` of the public key, `email:` / `subject:` for each rfc822Name / URI SAN of a certificate, and
 * `repository:<uri>` for a Fulcio certificate's Source Repository URI (1.3.6.1.4.1.57264.1.12), so that the
 * entries of one GitLab project can be found whatever ref or config file signed them.
 */
export function verifierSearchKeys(v: VerifierMaterial): string[] {
  const keys = [`key:${hexEncode(sha256(v.spki))}`];
  const cert = v.certificate;
  for (const san of cert?.subjectAltNames ?? []) {
    if (san.type === 'email') keys.push(`email:${san.value.toLowerCase()}`);
    else if (san.type === 'uri') keys.push(`subject:${san.value}`);
  }
  if (cert !== undefined) {
    let repository: string | undefined;
    try {
      repository = fulcioExtensions(cert)['sourceRepositoryURI'];
    } catch {
      repository = undefined; // a malformed extension is the verifier's business, not the index's
    }
    if (repository !== undefined && repository !== '') keys.push(`repository:${repository}`);
  }
  return keys;
}

/**
 * Takes a read verifier, or records why there is none: a malformed one as a problem at `path`, an unsupported key
 * in `refusals` (reported only when the request has no problems, see `failOn`).
 */
export function takeVerifier(result: VerifierResult, path: string, problems: Problems, refusals: KeylessError[]): VerifierMaterial | undefined {
  if ('ok' in result) return result.ok;
  if ('problem' in result) return problems.add(path, result.problem);
  const err = result.unsupported;
  refusals.push(new KeylessError('ERR_KEY_UNSUPPORTED', `${path}: ${err.message}`, { ...err.details, path }, { cause: err }));
  return undefined;
}

/** ERR_REQUEST with every problem; else the first unsupported key. */
export function failOn(problems: Problems, refusals: readonly KeylessError[], what: string): void {
  problems.throwIfAny(what);
  if (refusals[0] !== undefined) throw refusals[0];
}

/**
 * A hashedrekord signature over a digest the log never sees the message of (sigstore's VerifySignature with
 * WithDigest). ECDSA P-256/P-384 and RSA PKCS#1 v1.5 only: Rekor also takes Ed25519ph and P-521, which node:crypto
 * cannot check from a digest.
 */
export function verifyDigestSignature(v: VerifierMaterial, hash: HashAlgorithm, digest: Uint8Array, signature: Uint8Array, path: string): void {
  if (v.key.type === 'ed25519' || v.key.type === 'ecdsa-p521') {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `${path}: ${v.key.type} signatures over a digest are not supported; use ECDSA P-256, P-384 or RSA`, { path, keyType: v.key.type });
  }
  if (!verifyDigestWithKey(v.key, hash, digest, signature)) {
    throw new KeylessError('ERR_SIGNATURE', `${path}: the signature does not verify over the ${hash} digest with the given key`, { path, hash });
  }
}
