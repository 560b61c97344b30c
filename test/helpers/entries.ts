// Proposed log entries as clients send them (Rekor v1 hashedrekord 0.0.1, Rekor v2 hashedRekordRequestV002),
// signed with a throw-away key, for service tests and benchmarks.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface EntryKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly spkiDer: Buffer;
}

export function entryKey(): EntryKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    spkiDer: publicKey.export({ format: 'der', type: 'spki' }),
  };
}

export interface SignedArtifact {
  readonly artifact: Buffer;
  readonly digest: Buffer;
  readonly signature: Buffer;
}

export function signedArtifact(key: EntryKey, artifact: Buffer = randomBytes(32)): SignedArtifact {
  return { artifact, digest: createHash('sha256').update(artifact).digest(), signature: sign('sha256', artifact, key.privateKey) };
}

export function hashedRekordV1(key: EntryKey, s: SignedArtifact = signedArtifact(key)): Record<string, unknown> {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      signature: { content: s.signature.toString('base64'), publicKey: { content: Buffer.from(key.publicKeyPem).toString('base64') } },
      data: { hash: { algorithm: 'sha256', value: s.digest.toString('hex') } },
    },
  };
}

export function hashedRekordV2(key: EntryKey, s: SignedArtifact = signedArtifact(key)): Record<string, unknown> {
  return {
    hashedRekordRequestV002: {
      digest: s.digest.toString('base64'),
      signature: {
        content: s.signature.toString('base64'),
        verifier: { publicKey: { rawBytes: key.spkiDer.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
      },
    },
  };
}
