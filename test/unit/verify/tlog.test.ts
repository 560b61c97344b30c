/**
 * Check 3b–3d beyond checks.test: the inclusion proof must lead to the root of the *signed* checkpoint, and an
 * entry must carry a proof or a SET even when a caller builds the Bundle object itself (skipping the parser).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafHash, rootFromInclusionProof } from '../../../src/core/merkle.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { createVerifier } from '../../../src/verify/verifier.js';
import { clone, coded, flipBase64, gitlabIdentity, vector, verifyJson } from '../../helpers/vectors.js';

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
