/**
 * Check 3: each transparency log entry proves that the signature was logged.
 * 3a the body matches the bundle (tlog-body.ts); 3b the inclusion proof leads from the entry's leaf hash to the
 * root hash of a checkpoint signed by the log; 3c a Rekor v1 signed entry timestamp (SET) verifies; 3d the log's
 * key was valid when the entry was integrated.
 */
import { KeylessError } from '../core/errors.js';
import { base64Encode, bytesEqual, hexEncode, utf8Encode } from '../core/encoding.js';
import { canonicalize } from '../core/canonical-json.js';
import { parseCheckpoint } from '../core/checkpoint.js';
import { leafHash, verifyInclusion } from '../core/merkle.js';
import { noteKeyHints, parseSignedNote, verifySignedNote } from '../core/note.js';
import type { TransparencyLogEntry } from '../bundle/index.js';
import { checkTlogBody, type SignedContent } from './tlog-body.js';
import { unusableLog, verifyLogSignature, withinWindow, type LogAuthority, type TrustMaterial } from './trust-material.js';

export interface VerifiedTlogEntry {
  /** The entry's index as the bundle gives it (Rekor v1: the global index across the log's shards). */
  readonly logIndex: number;
  /** The index the inclusion proof verified, in the tree of the checkpoint (Rekor v1: the current shard's). */
  readonly treeIndex?: number;
  readonly baseUrl: string;
  /** Epoch ms; present only when a verified SET vouches for it (Rekor v1). */
  readonly integratedTime?: number;
  readonly checkpoint?: { readonly origin: string; readonly size: number };
}

/**
 * 3b: "The inclusion proof MUST verify against the checkpoint's root hash, and the checkpoint MUST be signed by
 * the log" (protobuf-specs, InclusionProof). A signature in the checkpoint that names this log's key but fails is
 * fatal; signatures by other keys (witness cosignatures) are allowed.
 */
function verifyInclusionProof(entry: TransparencyLogEntry, log: LogAuthority): { origin: string; size: number } {
  const proof = entry.inclusionProof;
  if (proof === undefined) throw new KeylessError('ERR_TLOG_INCLUSION', 'the entry has no inclusion proof');
  const note = parseSignedNote(proof.checkpoint);
  verifySignedNote(
    note,
    note.signatures
      .filter((s) => bytesEqual(s.keyHint, log.logId.subarray(0, 4)) || noteKeyHints(s.name, log.key).some((h) => bytesEqual(h, s.keyHint)))
      .map((s) => ({ name: s.name, keyHint: s.keyHint, verify: (msg: Uint8Array, sig: Uint8Array) => verifyLogSignature(log, msg, sig) })),
  );
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.size !== proof.treeSize || !bytesEqual(checkpoint.rootHash, proof.rootHash)) {
    throw new KeylessError('ERR_TLOG_INCLUSION', 'the inclusion proof and its checkpoint disagree on the tree', {
      proof: { treeSize: proof.treeSize, rootHash: hexEncode(proof.rootHash) },
      checkpoint: { size: checkpoint.size, rootHash: hexEncode(checkpoint.rootHash) },
    });
  }
  verifyInclusion(proof.logIndex, proof.treeSize, leafHash(entry.canonicalizedBody), proof.hashes, proof.rootHash);
  return { origin: checkpoint.origin, size: checkpoint.size };
}

/** 3c: Rekor v1's SET is the log's signature over the RFC 8785 JSON of {body, integratedTime, logID, logIndex}. */
function verifySet(entry: TransparencyLogEntry, set: Uint8Array, log: LogAuthority): void {
  const payload = canonicalize({
    body: base64Encode(entry.canonicalizedBody),
    integratedTime: entry.integratedTime,
    logID: hexEncode(entry.logId),
    logIndex: entry.logIndex,
  });
  if (!verifyLogSignature(log, utf8Encode(payload), set)) {
    throw new KeylessError('ERR_TLOG_SET', `the signed entry timestamp of log entry ${entry.logIndex} does not verify with ${log.baseUrl}'s key`, {
      logIndex: entry.logIndex,
      log: log.baseUrl,
    });
  }
}

export function verifyTlogEntry(entry: TransparencyLogEntry, content: SignedContent, trust: TrustMaterial, otherTimes: readonly number[]): VerifiedTlogEntry {
  const logIdHex = hexEncode(entry.logId);
  const candidates = trust.tlogs.get(logIdHex);
  if (candidates === undefined || candidates.length === 0) {
    const unusable = unusableLog(trust, 'tlog', logIdHex);
    if (unusable !== undefined) {
      throw new KeylessError('ERR_TLOG_UNKNOWN', `log entry ${entry.logIndex} is from ${unusable.name}, which the trusted root lists but keyless cannot use: ${unusable.reason}`, { logId: logIdHex, reason: unusable.reason });
    }
    throw new KeylessError('ERR_TLOG_UNKNOWN', `log entry ${entry.logIndex} is from a transparency log the trusted root does not list (log ID ${logIdHex})`, { logId: logIdHex, notInTrustedRoot: true });
  }
  checkTlogBody(entry.kind, entry.kindVersion, entry.canonicalizedBody, content);

  // 3d: the key must have been valid when the entry was integrated; a v2 entry has no integrated time, so the
  // other trusted times (RFC 3161) stand in for it.
  const integratedMs = entry.integratedTime > 0 ? entry.integratedTime * 1000 : undefined;
  const times = integratedMs !== undefined ? [integratedMs] : otherTimes;
  const log = candidates.find((l) => times.every((t) => withinWindow(l.validFor, t)));
  if (log === undefined) {
    throw new KeylessError('ERR_TLOG_UNKNOWN', `log entry ${entry.logIndex}: the log's key was not valid at the time of the entry`, {
      logId: logIdHex,
      times: times.map((t) => new Date(t).toISOString()),
    });
  }
  if (entry.inclusionPromise === undefined && entry.inclusionProof === undefined) {
    throw new KeylessError('ERR_TLOG_INCLUSION', `log entry ${entry.logIndex} has neither an inclusion proof nor a signed entry timestamp`);
  }
  const checkpoint = entry.inclusionProof !== undefined ? verifyInclusionProof(entry, log) : undefined;
  if (entry.inclusionPromise !== undefined) {
    verifySet(entry, entry.inclusionPromise, log);
  } else if (entry.inclusionProof !== undefined && entry.inclusionProof.logIndex !== entry.logIndex) {
    // Without a SET nothing signs the entry's own log index; the proof's index is the one verified. Rekor v1 is
    // sharded: the bundle's logIndex is global, the proof's is in the current shard's tree, so on a v1 entry
    // (which has an integrated time) the global index is information and can only be at least the shard's.
    // A Rekor v2 log is not sharded: there the two must be equal.
    const v1 = entry.integratedTime > 0;
    if (!v1 || entry.logIndex < entry.inclusionProof.logIndex) {
      throw new KeylessError('ERR_TLOG_INCLUSION', `log entry says index ${entry.logIndex} but its inclusion proof is for index ${entry.inclusionProof.logIndex}`, {
        logIndex: entry.logIndex,
        proofLogIndex: entry.inclusionProof.logIndex,
      });
    }
  }
  return {
    logIndex: entry.logIndex,
    ...(entry.inclusionProof !== undefined ? { treeIndex: entry.inclusionProof.logIndex } : {}),
    baseUrl: log.baseUrl,
    ...(entry.inclusionPromise !== undefined && integratedMs !== undefined ? { integratedTime: integratedMs } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  };
}
