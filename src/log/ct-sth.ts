/**
 * RFC 6962 §3.5 signed tree head for the CT log that runs on our engine: `GET /ct/v1/get-sth`.
 *   digitally-signed struct { Version version; SignatureType signature_type = tree_hash; uint64 timestamp;
 *                             uint64 tree_size; opaque sha256_root_hash[32]; } TreeHeadSignature;
 */
import { base64Encode, concatBytes } from '../core/encoding.js';
import type { LogHead } from './store/types.js';
import type { LogSigner } from './signer.js';

const V1 = 0;
const TREE_HASH = 1;
const SHA256 = 4;
const ECDSA = 3;

function uint64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export interface SignedTreeHeadJson {
  tree_size: number;
  timestamp: number;
  sha256_root_hash: string;
  tree_head_signature: string;
}

export function signedTreeHead(head: LogHead, signer: LogSigner, timestamp: number): SignedTreeHeadJson {
  if (signer.keyType !== 'ecdsa-p256') throw new TypeError('an RFC 6962 log signs with ECDSA P-256');
  const signed = concatBytes(Uint8Array.of(V1, TREE_HASH), uint64(timestamp), uint64(head.size), head.rootHash);
  const sig = signer.sign(signed);
  const digitallySigned = concatBytes(Uint8Array.of(SHA256, ECDSA, sig.length >> 8, sig.length & 0xff), sig);
  return { tree_size: head.size, timestamp, sha256_root_hash: base64Encode(head.rootHash), tree_head_signature: base64Encode(digitallySigned) };
}
