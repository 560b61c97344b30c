/**
 * A log's signing identity: the key that signs its checkpoints (C2SP signed notes) and, for a Rekor v1 log, the
 * signed entry timestamps. The private key lives in a KeyObject and never leaves it.
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { noteKeyHash, type NoteKeyHintScheme, type NoteSigner } from '../core/note.js';

export type LogKeyType = 'ecdsa-p256' | 'ed25519';

export interface LogSigner {
  readonly keyType: LogKeyType;
  /** DER SubjectPublicKeyInfo of the public key. */
  readonly spki: Uint8Array;
  /**
   * The log ID clients see: SHA-256(SPKI) for Rekor v1 (RFC 6962 §3.2); for a C2SP log the full key-ID hash, which
   * rekor-tiles publishes as both log_id and checkpoint key ID.
   */
  readonly logId: Uint8Array;
  /** The name in the checkpoint's signature line. */
  readonly keyName: string;
  readonly noteSigner: NoteSigner;
  /** Signs `data` with the log key: ECDSA P-256 with SHA-256 (DER), or Ed25519 (raw 64 bytes). */
  sign(data: Uint8Array): Uint8Array;
}

export function createLogSigner(privateKey: KeyObject, keyName: string, scheme: NoteKeyHintScheme): LogSigner {
  const keyType = logKeyType(privateKey);
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  const logId = noteKeyHash(keyName, { type: keyType, spki }, scheme);
  const signData = (data: Uint8Array): Uint8Array =>
    new Uint8Array(sign(keyType === 'ed25519' ? null : 'sha256', data, privateKey));
  return {
    keyType,
    spki,
    logId,
    keyName,
    noteSigner: { name: keyName, keyHint: logId.subarray(0, 4), sign: signData },
    sign: signData,
  };
}

function logKeyType(key: KeyObject): LogKeyType {
  if (key.type !== 'private') throw new TypeError('a log signer needs a private key');
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  throw new TypeError(`log keys are Ed25519 or ECDSA P-256, not ${key.asymmetricKeyType ?? 'unknown'}`);
}
