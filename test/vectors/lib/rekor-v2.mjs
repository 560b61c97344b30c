// A small Rekor v2 (rekor-tiles) stand-in: POST /api/v2/log/entries → TransparencyLogEntry with an inclusion
// proof and a C2SP signed-note checkpoint, no SET and integratedTime 0.
//
// Why not @sigstore/mock's rekorV2Handler: its logV2 stores the canonicalized *request* (CreateEntryRequest with
// Buffers) as the body, reports integratedTime, and signs a Rekor-v1-style checkpoint ("host - treeID" origin,
// ECDSA); @sigstore/verify rejects those entries (kind/version missing from the body). What this file does
// instead is what rekor-tiles does (pkg/server/service.go, pkg/types/{hashedrekord,dsse}, pkg/note):
//   body = JCS(protojson(Entry{kind, apiVersion "0.0.2", spec}))
//   hashedrekord: spec.hashedRekordV002 = {data: {algorithm SHA2_256, digest}, signature}
//   dsse:         spec.dsseV002 = {payloadHash: sha256(payload), signatures: [{content, verifier}]}
//   checkpoint:   "<origin>\n<size>\n<b64 root>\n" signed with Ed25519; key hint = first 4 bytes of
//                 logId = SHA-256(origin || "\n" || 0x01 || raw Ed25519 key) (the C2SP signed-note key ID).
import { createHash, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { spkiDer } from './keys.mjs';

const require = createRequire(import.meta.url);
const { TransparencyLogEntry, HashAlgorithm } = require('@sigstore/protobuf-specs');
const { CreateEntryRequest, Entry } = require('@sigstore/protobuf-specs/rekor/v2');
const { json } = require('@sigstore/core');

const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// RFC 6962 §2.1 Merkle tree hashing and inclusion paths.
const leafHash = (leaf) => sha256(Buffer.from([0]), leaf);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const split = (n) => 2 ** Math.floor(Math.log2(n - 1)); // largest power of two < n

export function treeHash(leaves) {
  if (leaves.length === 1) return leafHash(leaves[0]);
  const k = split(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

export function inclusionPath(m, leaves) {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...inclusionPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...inclusionPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

export function checkpointKeyId(origin, publicKey) {
  const raw = spkiDer(publicKey).subarray(-32); // Ed25519 SPKI ends with the 32-byte key
  return sha256(Buffer.from(`${origin}\n`), Buffer.from([0x01]), raw);
}

export function initializeRekorV2({ origin, keyPair, fillerEntries = 11 }) {
  const logId = checkpointKeyId(origin, keyPair.publicKey);
  // Entries that were "already in the log", so that proofs have real sibling hashes.
  const leaves = Array.from({ length: fillerEntries }, (_, i) => Buffer.from(`keyless filler entry ${i}`));

  function toEntry(request) {
    const spec = request.spec;
    if (spec?.$case === 'hashedRekordRequestV002') {
      const hr = spec.hashedRekordRequestV002;
      return {
        kind: 'hashedrekord',
        apiVersion: '0.0.2',
        spec: {
          spec: {
            $case: 'hashedRekordV002',
            hashedRekordV002: {
              data: { algorithm: HashAlgorithm.SHA2_256, digest: hr.digest },
              signature: hr.signature,
            },
          },
        },
      };
    }
    if (spec?.$case === 'dsseRequestV002') {
      const { envelope, verifiers } = spec.dsseRequestV002;
      if (envelope.signatures.length !== 1 || verifiers.length !== 1) {
        throw new Error('this mock only logs single-signature DSSE envelopes');
      }
      return {
        kind: 'dsse',
        apiVersion: '0.0.2',
        spec: {
          spec: {
            $case: 'dsseV002',
            dsseV002: {
              payloadHash: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(envelope.payload) },
              signatures: [{ content: envelope.signatures[0].sig, verifier: verifiers[0] }],
            },
          },
        },
      };
    }
    throw new Error('invalid type, must be either hashedrekord or dsse');
  }

  function checkpoint(size, root) {
    const note = `${origin}\n${size}\n${root.toString('base64')}\n`;
    const sig = sign(null, Buffer.from(note), keyPair.privateKey);
    const hintAndSig = Buffer.concat([logId.subarray(0, 4), sig]).toString('base64');
    return `${note}\n\u2014 ${origin} ${hintAndSig}\n`;
  }

  function add(request) {
    const entry = toEntry(request);
    const body = Buffer.from(json.canonicalize(Entry.toJSON(entry)), 'utf8');
    const index = leaves.length;
    leaves.push(body);
    const root = treeHash(leaves);
    return {
      logIndex: String(index),
      logId: { keyId: logId },
      kindVersion: { kind: entry.kind, version: entry.apiVersion },
      integratedTime: '0',
      inclusionPromise: undefined,
      inclusionProof: {
        logIndex: String(index),
        rootHash: root,
        treeSize: String(leaves.length),
        hashes: inclusionPath(index, leaves),
        checkpoint: { envelope: checkpoint(leaves.length, root) },
      },
      canonicalizedBody: body,
    };
  }

  return { logId, origin, publicKey: keyPair.publicKey, add };
}

/** A @sigstore/mock-style handler for POST /api/v2/log/entries. */
export function rekorV2Handler(log) {
  return async (body) => {
    try {
      const tle = log.add(CreateEntryRequest.fromJSON(JSON.parse(body)));
      return {
        statusCode: 201,
        response: JSON.stringify(TransparencyLogEntry.toJSON(tle)),
        contentType: 'application/json',
      };
    } catch (e) {
      return { statusCode: 400, response: JSON.stringify({ code: 400, message: String(e.message ?? e) }) };
    }
  };
}
