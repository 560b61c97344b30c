/**
 * Check 5: the signature is over this artifact.
 * Message signatures: the bundle's message digest (when given) is the artifact's digest, and the signature verifies
 * over the artifact (or, given only a digest, over that digest). DSSE: the envelope's one signature verifies over
 * PAE(payloadType, payload) (DSSE v1 protocol), and when the payload is an in-toto statement and an artifact is
 * given, one of its subjects names the artifact's digest.
 */
import { KeylessError } from '../core/errors.js';
import { bytesEqual, hexEncode, utf8Decode } from '../core/encoding.js';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../core/dsse.js';
import { digest, verifySignature, type PublicKey } from '../core/keys.js';
import { verifyPrehashed } from '../core/prehash.js';
import type { DsseContent, MessageSignatureContent } from '../bundle/index.js';
import { artifactDigest, PROTO_HASH_NAMES, type Artifact, type HashName } from './artifact.js';

export { IN_TOTO_PAYLOAD_TYPE };

export interface InTotoStatement {
  readonly _type: string;
  readonly subject: readonly { readonly name?: string; readonly digest: Readonly<Record<string, string>> }[];
  readonly predicateType: string;
  readonly predicate?: unknown;
}

const DEFAULT_HASH: Record<PublicKey['type'], HashName | undefined> = {
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
  rsa: 'sha256',
  ed25519: undefined,
};

export function verifyMessageSignature(content: MessageSignatureContent, key: PublicKey, artifact: Artifact): void {
  const bundleHash = content.messageDigest !== undefined ? PROTO_HASH_NAMES[content.messageDigest.algorithm] : undefined;
  const hash = bundleHash ?? DEFAULT_HASH[key.type] ?? 'sha256';
  const computed = artifactDigest(artifact, hash);
  if (computed === undefined) {
    throw new KeylessError('ERR_SIGNATURE', `the bundle's digest is ${hash}, but the artifact was given as a ${artifact.kind === 'digest' ? artifact.algorithm : '?'} digest`);
  }
  if (content.messageDigest !== undefined && !bytesEqual(content.messageDigest.digest, computed)) {
    throw new KeylessError('ERR_SIGNATURE', 'the artifact is not the one that was signed: its digest differs from the bundle\'s', {
      artifact: `${hash}:${hexEncode(computed)}`,
      bundle: `${hash}:${hexEncode(content.messageDigest.digest)}`,
    });
  }
  let ok: boolean;
  if (artifact.kind === 'bytes') {
    ok = verifySignature(key, artifact.data, content.signature, key.type === 'ed25519' ? undefined : hash);
  } else if (key.type === 'ed25519') {
    throw new KeylessError('ERR_SIGNATURE', 'an Ed25519 signature covers the whole artifact and cannot be checked from its digest: give the file');
  } else {
    ok = verifyPrehashed(key.keyObject, hash, computed, content.signature);
  }
  if (!ok) throw new KeylessError('ERR_SIGNATURE', 'the signature over the artifact does not verify with the signing key');
}

function parseStatement(payload: Uint8Array): InTotoStatement {
  let statement: unknown;
  try {
    statement = JSON.parse(utf8Decode(payload, 'in-toto statement'));
  } catch (cause) {
    throw new KeylessError('ERR_SUBJECT', 'the DSSE payload is not a JSON in-toto statement', {}, { cause });
  }
  const s = statement as Partial<InTotoStatement> | null;
  if (
    typeof s !== 'object' || s === null || typeof s._type !== 'string' || typeof s.predicateType !== 'string' || !Array.isArray(s.subject) ||
    !s.subject.every((x) => typeof x === 'object' && x !== null && typeof x.digest === 'object' && x.digest !== null)
  ) {
    throw new KeylessError('ERR_SUBJECT', 'the DSSE payload is not an in-toto statement (needs _type, subject[].digest, predicateType)');
  }
  return s as InTotoStatement;
}

/** Returns the in-toto statement when the payload is one. */
export function verifyDsseSignature(content: DsseContent, key: PublicKey, artifact: Artifact | undefined): InTotoStatement | undefined {
  const { envelope } = content;
  if (envelope.signatures.length !== 1 || envelope.signatures[0] === undefined) {
    throw new KeylessError('ERR_SIGNATURE', `a Sigstore DSSE envelope has exactly one signature, this one has ${envelope.signatures.length}`);
  }
  if (!verifySignature(key, pae(envelope.payloadType, envelope.payload), envelope.signatures[0].sig)) {
    throw new KeylessError('ERR_SIGNATURE', 'the DSSE envelope\'s signature does not verify with the signing key');
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    // Not an in-toto statement, so it names no artifact: the payload itself is what was signed, and an artifact
    // given to check against must be exactly that payload.
    if (artifact !== undefined) {
      const algorithm = artifact.kind === 'digest' ? artifact.algorithm : 'sha256';
      const payloadDigest = digest(algorithm, envelope.payload);
      if (!bytesEqual(payloadDigest, artifactDigest(artifact, algorithm) ?? new Uint8Array(0))) {
        throw new KeylessError('ERR_SUBJECT', `the envelope's payload (type ${envelope.payloadType}) is not an in-toto statement and is not this artifact`, {
          payloadType: envelope.payloadType,
          payload: `${algorithm}:${hexEncode(payloadDigest)}`,
        });
      }
    }
    return undefined;
  }
  const statement = parseStatement(envelope.payload);
  if (artifact === undefined) return statement;
  for (const subject of statement.subject) {
    for (const [algorithm, value] of Object.entries(subject.digest)) {
      if (algorithm !== 'sha256' && algorithm !== 'sha384' && algorithm !== 'sha512') continue;
      const computed = artifactDigest(artifact, algorithm);
      if (computed !== undefined && typeof value === 'string' && value.toLowerCase() === hexEncode(computed)) return statement;
    }
  }
  throw new KeylessError('ERR_SUBJECT', 'no subject of the in-toto statement names this artifact', {
    subjects: statement.subject.map((s) => ({ name: s.name, digest: s.digest })),
  });
}
