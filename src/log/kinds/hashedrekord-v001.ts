/**
 * Rekor v1 `hashedrekord` 0.0.1 (sigstore/rekor pkg/types/hashedrekord/v0.0.1: Unmarshal, validate, Canonicalize).
 *
 * Proposed: {signature: {content: b64 sig, publicKey: {content: b64 PEM key or certificate}},
 *            data: {hash: {algorithm: sha256|sha384|sha512, value: hex}}}
 * Stored:   the same fields only, with the signature re-encoded and the PEM re-encoded canonically
 *           (keyObj.CanonicalValue()), then RFC 8785 (types.CanonicalizeEntry).
 */
import type { KeylessError } from '../../core/errors.js';
import { base64Encode, hexEncode, utf8Encode } from '../../core/encoding.js';
import type { HashAlgorithm } from '../../core/keys.js';
import { canonicalEntry, LIMITS, type CanonicalEntry } from './entry.js';
import { field, Problems } from './shape.js';
import { canonicalPem, failOn, takeVerifier, verifierFromPem, verifierSearchKeys, verifyDigestSignature, type VerifierMaterial } from './verifier.js';

const WHAT = 'hashedrekord 0.0.1 entry';
export const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;

export function hashedrekordV001(spec: unknown): CanonicalEntry {
  const problems = new Problems();
  const refusals: KeylessError[] = [];
  let signature: Uint8Array | undefined;
  let verifier: VerifierMaterial | undefined;
  let algorithm: HashAlgorithm | undefined;
  let digest: Uint8Array | undefined;

  const s = problems.object(spec, 'spec');
  const sig = s && problems.object(field(s, 'signature'), 'spec.signature');
  if (sig !== undefined) {
    signature = problems.stdBase64(field(sig, 'content'), 'spec.signature.content', LIMITS.signatureBytes);
    const publicKey = problems.object(field(sig, 'publicKey'), 'spec.signature.publicKey');
    const pem = publicKey && problems.stdBase64(field(publicKey, 'content'), 'spec.signature.publicKey.content', LIMITS.keyBytes);
    if (pem !== undefined) verifier = takeVerifier(verifierFromPem(pem), 'spec.signature.publicKey.content', problems, refusals);
  }
  const data = s && problems.object(field(s, 'data'), 'spec.data');
  const hash = data && problems.object(field(data, 'hash'), 'spec.data.hash');
  if (hash !== undefined) {
    algorithm = problems.oneOf(field(hash, 'algorithm'), 'spec.data.hash.algorithm', ALGORITHMS);
    if (algorithm !== undefined) digest = problems.lowerHex(field(hash, 'value'), 'spec.data.hash.value', DIGEST_BYTES[algorithm], algorithm);
  }
  failOn(problems, refusals, WHAT);
  if (signature === undefined || verifier === undefined || algorithm === undefined || digest === undefined) {
    throw new TypeError('unreachable: a missing field was not reported');
  }

  // validate(): "verifying signature" over the digest with the named hash.
  verifyDigestSignature(verifier, algorithm, digest, signature, 'spec.signature');

  const stored = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm, value: hexEncode(digest) } },
      signature: { content: base64Encode(signature), publicKey: { content: base64Encode(utf8Encode(canonicalPem(verifier))) } },
    },
  };
  return canonicalEntry('hashedrekord', '0.0.1', stored, [`${algorithm}:${hexEncode(digest)}`, ...verifierSearchKeys(verifier)]);
}
