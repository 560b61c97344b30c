/**
 * Rekor v2 `hashedrekord` 0.0.2 (rekor-tiles pkg/types/hashedrekord ToLogEntry; protobuf-specs rekor/v2).
 *
 * Request: HashedRekordRequestV002 {digest: bytes, signature: {content: bytes, verifier: Verifier}}
 * Stored:  JCS(protojson(Entry{kind "hashedrekord", apiVersion "0.0.2", spec: {hashedRekordV002:
 *          {data: {algorithm: <hash of keyDetails>, digest}, signature: <as sent>}}}))
 * rekor-tiles takes the hash from keyDetails (GetAlgorithmDetails), checks it against its algorithm registry,
 * requires the digest to be that hash's size, and verifies the signature over the digest.
 */
import { KeylessError } from '../../core/errors.js';
import { base64Encode, hexEncode } from '../../core/encoding.js';
import { canonicalEntry, LIMITS, type CanonicalEntry } from './entry.js';
import { DIGEST_BYTES } from './hashedrekord-v001.js';
import { readProtoVerifier } from './proto-verifier.js';
import { protoField, type Problems } from './shape.js';
import { failOn, verifierSearchKeys, verifyDigestSignature } from './verifier.js';

const WHAT = 'hashedRekordRequestV002';

export function hashedrekordV002(request: unknown, problems: Problems, path: string): CanonicalEntry {
  const refusals: KeylessError[] = [];
  const r = problems.object(request, path);
  const digest = r && problems.protoBytes(protoField(r, 'digest', 'digest', path, problems), `${path}.digest`, 64);
  const sig = r && problems.object(protoField(r, 'signature', 'signature', path, problems), `${path}.signature`);
  const content = sig && problems.protoBytes(protoField(sig, 'content', 'content', `${path}.signature`, problems), `${path}.signature.content`, LIMITS.signatureBytes);
  const verifier = sig && readProtoVerifier(protoField(sig, 'verifier', 'verifier', `${path}.signature`, problems), `${path}.signature.verifier`, problems, refusals);
  const hash = verifier?.details.hash;
  if (verifier !== undefined && hash === undefined) {
    refusals.push(new KeylessError('ERR_KEY_UNSUPPORTED', `${path}.signature.verifier.keyDetails: ${verifier.details.name} signs whole messages, not digests`, { keyDetails: verifier.details.name }));
  }
  if (digest !== undefined && hash !== undefined && digest.length !== DIGEST_BYTES[hash]) {
    problems.add(`${path}.digest`, `must be ${DIGEST_BYTES[hash]} bytes for ${verifier?.details.name ?? hash}, has ${digest.length}`);
  }
  failOn(problems, refusals, WHAT);
  if (digest === undefined || content === undefined || verifier === undefined || hash === undefined) {
    throw new TypeError('unreachable: a missing field was not reported');
  }

  verifyDigestSignature(verifier.material, hash, digest, content, `${path}.signature`);

  const body = {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: verifier.details.protoHash, digest: base64Encode(digest) },
        signature: { content: base64Encode(content), verifier: verifier.stored },
      },
    },
  };
  return canonicalEntry('hashedrekord', '0.0.2', body, [`${hash}:${hexEncode(digest)}`, ...verifierSearchKeys(verifier.material)]);
}
