/**
 * Check 3b–3d beyond checks.test: the inclusion proof must lead to the root of the *signed* checkpoint, and an
 * entry must carry a proof or a SET even when a caller builds the Bundle object itself (skipping the parser).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicKeyFromSpki } from '../../../src/core/keys.js';
import { leafHash, rootFromInclusionProof } from '../../../src/core/merkle.js';
import { noteKeyHints, parseSignedNote } from '../../../src/core/note.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { createVerifier } from '../../../src/verify/verifier.js';
import { clone, coded, flipBase64, gitlabIdentity, vector, verifyJson, type Json } from '../../helpers/vectors.js';

test('an inclusion proof into a tree of the bundle\'s own making, beside an untouched signed checkpoint', () => {
  // The proof's hashes and root hash are the bundle's to choose; only the checkpoint is signed. A proof that is
  // consistent with itself but not with the checkpoint's root proves nothing.
  const v = vector('v2-message');
  const b = clone(v.bundle);
  const entry = b.verificationMaterial.tlogEntries[0];
  const proof = entry.inclusionProof;
  proof.hashes[0] = flipBase64(proof.hashes[0]);
  const hashes = proof.hashes.map((h: string) => Buffer.from(h, 'base64'));
  const leaf = leafHash(Buffer.from(entry.canonicalizedBody, 'base64'));
  proof.rootHash = Buffer.from(rootFromInclusionProof(Number(proof.logIndex), Number(proof.treeSize), leaf, hashes)).toString('base64');
  assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_INCLUSION', /the inclusion proof and its checkpoint disagree on the tree/));
});

test('a checkpoint for another tree size than the proof\'s', () => {
  const v = vector('v2-message');
  const b = clone(v.bundle);
  const proof = b.verificationMaterial.tlogEntries[0].inclusionProof;
  proof.treeSize = String(Number(proof.treeSize) + 1);
  assert.throws(() => verifyJson(b, v.trustedRoot, v.artifact), coded('ERR_TLOG_INCLUSION', /disagree on the tree/));
});

test('an entry with neither an inclusion proof nor a SET, in a Bundle built without the parser', () => {
  for (const name of ['v1-message', 'v2-message']) {
    const v = vector(name);
    const bundle = parseBundle(v.bundle);
    const entries = bundle.verificationMaterial.tlogEntries.map((e) => {
      const { inclusionProof: _proof, inclusionPromise: _promise, ...rest } = e;
      return rest;
    });
    const stripped = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: entries } };
    const verifier = createVerifier({ trustedRoot: parseTrustedRoot(v.trustedRoot) });
    assert.throws(
      () => verifier.verify(stripped, { artifact: { kind: 'bytes', data: v.artifact }, identity: gitlabIdentity }),
      coded('ERR_TLOG_INCLUSION', /has neither an inclusion proof nor a signed entry timestamp/),
      name,
    );
  }
});

/** The v2-message bundle with its checkpoint's signature line carrying `hint` instead of its key hint. */
function withCheckpointHint(hint: (name: string, key: ReturnType<typeof publicKeyFromSpki>) => Uint8Array): { bundle: Json; v: ReturnType<typeof vector> } {
  const v = vector('v2-message');
  const b = clone(v.bundle);
  const entry = b.verificationMaterial.tlogEntries[0];
  const note = parseSignedNote(entry.inclusionProof.checkpoint.envelope);
  const sig = note.signatures[0]!;
  const log = v.trustedRoot.tlogs.find((l: Json) => l.logId.keyId === entry.logId.keyId);
  const key = publicKeyFromSpki(Buffer.from(log.publicKey.rawBytes, 'base64'));
  const line = `\u2014 ${sig.name} ${Buffer.concat([hint(sig.name, key), sig.signature]).toString('base64')}\n`;
  entry.inclusionProof.checkpoint.envelope = `${note.text}\n${line}`;
  return { bundle: b, v };
}

test('a checkpoint signature may carry either key hint a log uses (C2SP, or Rekor v1\'s SHA-256 of the key)', () => {
  // The v2 log's ID is its C2SP key hint; the same Ed25519 signature under the Rekor v1 style hint still counts.
  const rekorV1Style = withCheckpointHint((name, key) => {
    const hints = noteKeyHints(name, key);
    assert.equal(hints.length, 2);
    return hints[1]!;
  });
  verifyJson(rekorV1Style.bundle, rekorV1Style.v.trustedRoot, rekorV1Style.v.artifact);
  const unknown = withCheckpointHint(() => Uint8Array.of(1, 2, 3, 4));
  assert.throws(() => verifyJson(unknown.bundle, unknown.v.trustedRoot, unknown.v.artifact), coded('ERR_TLOG_CHECKPOINT', /no signature by a trusted key/));
});
