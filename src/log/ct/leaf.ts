/**
 * RFC 6962 §3.4 MerkleTreeLeaf for a precertificate: the bytes a CT log appends to its tree (and hashes with the
 * 0x00 leaf prefix, as any RFC 6962 tree does).
 *
 *   struct { Version version; MerkleLeafType leaf_type; TimestampedEntry timestamped_entry; } MerkleTreeLeaf;
 *   struct { uint64 timestamp; LogEntryType entry_type; PreCert signed_entry; CtExtensions extensions; } TimestampedEntry;
 *   struct { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate<1..2^24-1>; } PreCert;
 */
import { concatBytes } from '../../core/encoding.js';
import type { PrecertEntry } from './sct.js';
import { uint, vector } from './tls.js';

const V1 = 0;
const TIMESTAMPED_ENTRY = 0;
const PRECERT_ENTRY = 1;

export function encodePrecertTimestampedEntry(timestamp: number, entry: PrecertEntry, extensions: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (entry.issuerKeyHash.length !== 32) throw new TypeError('issuer_key_hash is a 32-byte SHA-256');
  return concatBytes(uint(timestamp, 8), uint(PRECERT_ENTRY, 2), entry.issuerKeyHash, vector(entry.tbs, 3), vector(extensions, 2));
}

export function encodePrecertMerkleTreeLeaf(timestamp: number, entry: PrecertEntry, extensions: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes(uint(V1, 1), uint(TIMESTAMPED_ENTRY, 1), encodePrecertTimestampedEntry(timestamp, entry, extensions));
}
