/**
 * The key the certificate will certify, and the caller's proof that it holds the private half: a signature over the
 * token's subject (publicKeyRequest), or the self-signature of a PKCS#10 CSR (RFC 2986).
 *
 * The CSR is read with our strict DER reader (src/core/asn1.ts) and checked with the same signature-algorithm
 * table the verifier uses (src/core/keys.ts), not with @peculiar/x509: that library needs a global
 * `reflect-metadata` polyfill loaded before it (a side effect on a global, from a package we do not declare) and
 * parses BER leniently, while a CSR is attacker input that only DER should pass. pkijs is not a dependency.
 */
import { Asn1Reader, TAG, contextTag, decodeBitString, decodeOid, decodeSmallInteger, parseDer } from '../core/asn1.js';
import { KeylessError, isKeylessError } from '../core/errors.js';
import { pemDecodeAll, utf8Decode, utf8Encode } from '../core/encoding.js';
import { defaultHash, publicKeyFromSpki, verifyWithAlgorithm, type HashAlgorithm, type PublicKey } from '../core/keys.js';
import type { KeyRequest } from './request.js';
import { verifyMessageWithKey } from '../native/index.js';

/** Fulcio (sigstore cryptoutils.ValidatePubKey) accepts RSA moduli of 2048 to 4096 bits. */
const MAX_RSA_BITS = 4096;

/** ECDSA P-256/P-384, Ed25519 and RSA 2048–4096: what Fulcio issues for. Anything else is ERR_KEY_UNSUPPORTED. */
export function acceptedKey(spki: Uint8Array): PublicKey {
  let key: PublicKey;
  try {
    key = publicKeyFromSpki(spki);
  } catch (err) {
    if (isKeylessError(err) && err.code === 'ERR_KEY_UNSUPPORTED') {
      throw new KeylessError('ERR_KEY_UNSUPPORTED', `The public key supplied in the request is not accepted: ${err.message}`, err.details);
    }
    throw new KeylessError('ERR_REQUEST', `The public key supplied in the request could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (key.type === 'ecdsa-p521') {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', 'The public key supplied in the request is not accepted: ECDSA keys must be on P-256 or P-384, not P-521', { type: key.type });
  }
  if (key.type === 'rsa' && (key.bits ?? 0) > MAX_RSA_BITS) {
    throw new KeylessError('ERR_KEY_UNSUPPORTED', `The public key supplied in the request is not accepted: RSA keys must have 2048 to ${MAX_RSA_BITS} bits, this one has ${key.bits}`, { bits: key.bits });
  }
  return key;
}

/** A PEM "PUBLIC KEY" (SubjectPublicKeyInfo); one block, nothing else. */
function publicKeyFromContent(content: string): PublicKey {
  let blocks: Uint8Array[];
  try {
    blocks = pemDecodeAll(content, 'PUBLIC KEY');
  } catch (err) {
    throw new KeylessError('ERR_REQUEST', `The public key supplied in the request could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (blocks.length !== 1 || blocks[0] === undefined) {
    throw new KeylessError('ERR_REQUEST', `The public key supplied in the request could not be parsed: expected one PEM "PUBLIC KEY" block, found ${blocks.length}`);
  }
  return acceptedKey(blocks[0]);
}

/**
 * The proof of possession is a signature over the token's subject (`sub`, or `email` for email issuers), made as
 * sigstore clients make it: ECDSA over SHA-256 (Fulcio's check) or over the curve's own hash (what clients that
 * pick the hash by key size send), RSA PKCS#1 v1.5 with SHA-256, pure Ed25519.
 */
export function verifyProofOfPossession(key: PublicKey, proof: Uint8Array, subject: string): void {
  const data = utf8Encode(subject);
  const hashes: HashAlgorithm[] = key.type === 'rsa' || key.type === 'ed25519' ? ['sha256'] : [...new Set<HashAlgorithm>(['sha256', defaultHash(key.type)])];
  if (!hashes.some((h) => verifyMessageWithKey(key, data, proof, h))) {
    throw new KeylessError(
      'ERR_PROOF_OF_POSSESSION',
      `The signature supplied in the request could not be verified: proofOfPossession must be a signature, by the private key of the public key sent, over the token's subject "${subject}"`,
      { subject, keyType: key.type },
    );
  }
}

/** RFC 2986 CertificationRequest: returns the subject public key once the self-signature verifies. */
export function keyFromCsr(bytes: Uint8Array): PublicKey {
  let der = bytes;
  // certificateSigningRequest is the bytes of a PEM CSR; raw DER is taken too.
  if (bytes[0] !== 0x30) {
    let text: string;
    try {
      text = utf8Decode(bytes, 'certificateSigningRequest');
    } catch {
      throw csrInvalid('it is neither PEM nor DER');
    }
    const blocks = [...pemDecodeAllSafe(text, 'CERTIFICATE REQUEST'), ...pemDecodeAllSafe(text, 'NEW CERTIFICATE REQUEST')];
    if (blocks.length !== 1 || blocks[0] === undefined) throw csrInvalid(`expected one PEM "CERTIFICATE REQUEST" block, found ${blocks.length}`);
    der = blocks[0];
  }
  let info: Uint8Array;
  let spki: Uint8Array;
  let algorithm: string;
  let signature: Uint8Array;
  try {
    const csr = new Asn1Reader(parseDer(der, 'CertificationRequest'), 'CertificationRequest');
    const infoNode = csr.next(TAG.SEQUENCE, 'certificationRequestInfo');
    const alg = new Asn1Reader(csr.next(TAG.SEQUENCE, 'signatureAlgorithm'), 'AlgorithmIdentifier');
    algorithm = decodeOid(alg.next(TAG.OID, 'algorithm'));
    signature = decodeBitString(csr.next(TAG.BIT_STRING, 'signature'));
    csr.end();
    const r = new Asn1Reader(infoNode, 'CertificationRequestInfo');
    const version = decodeSmallInteger(r.next(TAG.INTEGER, 'version'));
    if (version !== 0) throw new Error(`version must be 0 (v1), got ${version}`);
    r.next(TAG.SEQUENCE, 'subject'); // ignored, as Fulcio ignores every CSR field but the key
    spki = r.next(TAG.SEQUENCE, 'subjectPKInfo').bytes;
    r.optional(contextTag(0, true)); // attributes: ignored
    r.end();
    info = infoNode.bytes;
  } catch (err) {
    throw csrInvalid(err instanceof Error ? err.message : String(err));
  }
  const key = acceptedKey(spki);
  let ok: boolean;
  try {
    ok = verifyWithAlgorithm(key, algorithm, info, signature);
  } catch (err) {
    throw csrInvalid(err instanceof Error ? err.message : String(err));
  }
  if (!ok) throw csrInvalid('its signature does not verify with the public key it carries (it must be self-signed by the key to certify)');
  return key;
}

function pemDecodeAllSafe(text: string, label: string): Uint8Array[] {
  try {
    return pemDecodeAll(text, label);
  } catch (err) {
    throw csrInvalid(err instanceof Error ? err.message : String(err));
  }
}

function csrInvalid(reason: string): KeylessError {
  return new KeylessError('ERR_CSR_INVALID', `The certificate signing request could not be used: ${reason}`, { reason });
}

/** The key to certify, proven held by the caller. `subject` is what the proof of possession signs. */
export function provenKey(request: KeyRequest, subject: string): PublicKey {
  if (request.kind === 'csr') return keyFromCsr(request.csr);
  const key = publicKeyFromContent(request.content);
  verifyProofOfPossession(key, request.proofOfPossession, subject);
  return key;
}
