// Proposed log entries as clients send them (Rekor v1 hashedrekord 0.0.1, Rekor v2 hashedRekordRequestV002),
// signed with a throw-away key, for service tests and benchmarks.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { hexEncode } from '../../src/core/encoding.js';
import { leafHash } from '../../src/core/merkle.js';
import { decodeEntryBundle, entriesPath, TILE_WIDTH, tileWidth } from '../../src/log/tiles.js';

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

/**
 * Asserts that each acknowledged Rekor v2 entry is in the log at its index with its leaf hash, reading it the way
 * tile clients do: the checkpoint's size, then entry bundles.
 */
export async function assertV2EntriesPresent(url: string, acks: readonly { readonly index: number; readonly leafHash: string }[]): Promise<void> {
  if (acks.length === 0) return;
  const size = Number((await (await fetch(`${url}/rekor-v2/checkpoint`)).text()).split('\n')[1]);
  const bundles = new Map<number, Uint8Array[]>();
  for (const ack of acks) {
    assert.ok(ack.index < size, `acknowledged v2 entry ${ack.index} is beyond the tree size ${size}`);
    const n = Math.floor(ack.index / TILE_WIDTH);
    if (!bundles.has(n)) {
      const res = await fetch(`${url}/rekor-v2/${entriesPath(n, tileWidth(0, n, size))}`);
      assert.equal(res.status, 200);
      bundles.set(n, decodeEntryBundle(new Uint8Array(await res.arrayBuffer())));
    }
    const body = bundles.get(n)![ack.index % TILE_WIDTH];
    assert.ok(body !== undefined, `acknowledged v2 entry ${ack.index} is missing`);
    assert.equal(hexEncode(leafHash(body)), ack.leafHash, `v2 entry ${ack.index} changed`);
  }
}
