// The CA checks each certificate it signs before it hands it out (ca.ts step 7). A signature made wrong by the
// signer is injected by replacing node:crypto's sign for the final certificate's TBS only (syncBuiltinESMExports
// makes the ES module bindings follow), so the CT log still accepts the precertificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { bytesEqual, pemDecodeAll } from '../../../src/core/encoding.js';
import { parseCertificate, precertificateTbs } from '../../../src/core/x509.js';
import { createCertificateAuthority } from '../../../src/ca/ca.js';
import type { SctSource } from '../../../src/ca/types.js';
import { ISSUERS, NOW, ephemeralKey, instance, proofOver, publicKeyRequest } from './fixtures.js';

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

// Step 7's other half: the final certificate must be the one the log signed (its TBS, SCT list removed, equals the
// TBS in the SCT). Our CT service says what it signed; a log that signed something else must stop the issuance.
test('a final certificate whose TBS is not the one the CT log signed is never handed out', async () => {
  const inst = await instance();
  const { publicPem, privateKey } = ephemeralKey();
  const request = publicKeyRequest(publicPem, proofOver(privateKey, 'project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1'));
  const ca = (addPreChainSigned: NonNullable<SctSource['addPreChainSigned']>) =>
    createCertificateAuthority({
      tokenVerifier: inst.verifier,
      issuers: ISSUERS,
      signer: { key: inst.generated.key, chain: inst.generated.chainDer },
      ct: { addPreChain: (c) => inst.ctLog.addPreChain(c), addPreChainSigned },
      now: () => NOW,
    });
  let signed: Uint8Array | undefined;
  const honest = await ca(async (c) => {
    const r = await inst.ctLog.addPreChainSigned(c);
    signed = r.signedTbs;
    return r;
  }).signingCert(request);
  const final = parseCertificate(pemDecodeAll(honest.signedCertificateEmbeddedSct.chain.certificates[0]!, 'CERTIFICATE')[0]!);
  assert.ok(signed !== undefined && bytesEqual(precertificateTbs(final), signed), 'the log signed the final certificate\'s precertificate TBS');
  const lying = ca(async (c) => {
    const r = await inst.ctLog.addPreChainSigned(c);
    const tbs = Uint8Array.from(r.signedTbs);
    tbs[tbs.length - 1]! ^= 0x01;
    return { sct: r.sct, signedTbs: tbs };
  });
  await assert.rejects(lying.signingCert(request), /internal: the final certificate does not match the precertificate/);
});
