// The CA checks each certificate it signs before it hands it out (ca.ts step 7). A signature made wrong by the
// signer is injected by replacing node:crypto's sign for the final certificate's TBS only (syncBuiltinESMExports
// makes the ES module bindings follow), so the CT log still accepts the precertificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { ephemeralKey, instance, proofOver, publicKeyRequest } from './fixtures.js';

// The SCT list extension's OID, DER-encoded: only the final certificate's TBS carries it.
const SCT_LIST_OID = Buffer.from('060a2b06010401d679020402', 'hex');

test('a final certificate whose signature does not verify is never handed out', async () => {
  const inst = await instance();
  const { publicPem, privateKey } = ephemeralKey();
  const request = publicKeyRequest(publicPem, proofOver(privateKey, 'project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1'));
  const original = crypto.sign;
  let corrupted = 0;
  crypto.sign = ((alg: string | null, data: Uint8Array, key: crypto.KeyLike) => {
    const sig = original(alg, data, key as never);
    if (Buffer.from(data).includes(SCT_LIST_OID)) {
      corrupted++;
      sig[sig.length - 1]! ^= 0x01; // still DER, another s
    }
    return sig;
  }) as typeof crypto.sign;
  syncBuiltinESMExports();
  try {
    await assert.rejects(inst.ca.signingCert(request), /internal: the issued certificate does not verify/);
    assert.equal(corrupted, 1);
  } finally {
    crypto.sign = original;
    syncBuiltinESMExports();
  }
  const ok = await inst.ca.signingCert(request);
  assert.equal(ok.signedCertificateEmbeddedSct.chain.certificates.length, 3);
});
