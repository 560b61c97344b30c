/** The RFC 6962 pieces and the CT service in src/log/ct, against our SCT reader and sigstore-js's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignedCertificateTimestamp } from '@sigstore/core/dist/x509/sct.js';
import { base64Encode, bytesEqual, concatBytes, hexEncode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { publicKeyFromSpki, sha256 } from '../../../src/core/keys.js';
import { Asn1Reader, TAG, decodeOctetString, parseDer } from '../../../src/core/asn1.js';
import { parseSct, parseSctList, sctSignedData, verifySctSignature, type Sct } from '../../../src/core/sct.js';
import { parseCertificate, precertificateTbs } from '../../../src/core/x509.js';
import { createCertificateAuthority } from '../../../src/ca/ca.js';
import { generateCaCertificates } from '../../../src/ca/generate.js';
import { encodePrecertMerkleTreeLeaf } from '../../../src/log/ct/leaf.js';
import { encodeSct, precertPoisonExtension, sctListExtension } from '../../../src/log/ct/sct.js';
import { sctFromAddChainResponse } from '../../../src/log/ct/add-pre-chain.js';
import { createCtLog } from '../../../src/log/ct/service.js';
import { NOW, ISSUERS, ephemeralKey, gitlabClaims, instance, proofOver, publicKeyRequest } from './fixtures.js';

const SUB = String(gitlabClaims().sub);

/** Runs one issuance and keeps the precertificate chain the CA submitted. */
async function submittedChain(): Promise<{ chain: Uint8Array[]; inst: Awaited<ReturnType<typeof instance>> }> {
  const inst = await instance();
  let chain: Uint8Array[] = [];
  const ca = createCertificateAuthority({
    tokenVerifier: inst.verifier,
    issuers: ISSUERS,
    signer: { key: inst.generated.key, chain: inst.generated.chainDer },
    ct: { addPreChain: (c) => ((chain = [...c]), inst.ctLog.addPreChain(c)) },
    now: () => NOW,
  });
  const { publicPem, privateKey } = ephemeralKey();
  await ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB)));
  return { chain, inst };
}

const refusal = (code: string, message: RegExp) => (err: unknown) => err instanceof KeylessError && err.code === code && message.test(err.message);

test('the poison and SCT-list extensions have their RFC 6962 encodings', () => {
  assert.equal(hexEncode(precertPoisonExtension()), '3013060a2b06010401d679020403' + '0101ff' + '04020500');
  const sct = Uint8Array.from({ length: 60 }, (_, i) => i);
  // Extension ::= SEQUENCE { extnID, extnValue OCTET STRING { OCTET STRING { TLS list } } }
  const der = sctListExtension([sct]);
  const tlsList = concatBytes(Uint8Array.of(0, 62, 0, 60), sct);
  assert.equal(hexEncode(der).endsWith(`0442${'0440'}${hexEncode(tlsList)}`), true, hexEncode(der));
});

test('the precert MerkleTreeLeaf is version, leaf type, timestamp, entry type 1, issuer key hash, TBS<2^24>, extensions<2^16>', () => {
  const issuerKeyHash = new Uint8Array(32).fill(0xaa);
  const tbs = Uint8Array.of(0x30, 0x01, 0x00);
  const leaf = encodePrecertMerkleTreeLeaf(0x0102030405, { issuerKeyHash, tbs });
  assert.equal(hexEncode(leaf), '0000' + '0000000102030405' + '0001' + 'aa'.repeat(32) + '000003' + '300100' + '0000');
});

test('add-pre-chain JSON: the reply is an SCT over the precertificate TBS without poison, by the log key; sigstore-js agrees', async () => {
  const { chain, inst } = await submittedChain();
  const reply = await inst.ctLog.addPreChainJson({ chain: chain.map(base64Encode) });
  assert.deepEqual(Object.keys(reply).sort(), ['extensions', 'id', 'sct_version', 'signature', 'timestamp']);
  assert.equal(reply.sct_version, 0);
  assert.equal(reply.id, base64Encode(sha256(inst.ctLog.publicKeySpki)));
  assert.equal(reply.timestamp, NOW + 1);
  assert.equal(reply.extensions, '');
  const sct = sctFromAddChainResponse(reply);
  const precert = parseCertificate(chain[0] as Uint8Array);
  const issuerKeyHash = sha256(parseCertificate(chain[1] as Uint8Array).spki);
  const tbs = precertificateTbs(precert);
  assert.ok(tbs.length < precert.tbs.length, 'the poison is stripped');
  const logKey = publicKeyFromSpki(inst.ctLog.publicKeySpki);
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, issuerKeyHash, tbs)), true);
  assert.equal(verifySctSignature(sct, logKey, sctSignedData(sct, sha256(Uint8Array.of(1)), tbs)), false);

  const theirs = SignedCertificateTimestamp.parse(Buffer.from(encodeSct(sct)));
  const preCert = Buffer.concat([Buffer.from(issuerKeyHash), Buffer.from([tbs.length >> 16, (tbs.length >> 8) & 0xff, tbs.length & 0xff]), Buffer.from(tbs)]);
  assert.equal(theirs.verify(preCert, createPublicKey({ key: Buffer.from(inst.ctLog.publicKeySpki), format: 'der', type: 'spki' })), true);
  // each submission appended one leaf (the CA's, then this one)
  assert.equal(inst.ctLeaves.length, 2);
  assert.ok(bytesEqual(inst.ctLeaves[1] as Uint8Array, encodePrecertMerkleTreeLeaf(NOW + 1, { issuerKeyHash, tbs })));
  const ext = new Asn1Reader(parseDer(sctListExtension([encodeSct(sct)])), 'Extension');
  ext.next(TAG.OID, 'extnID');
  const listed = parseSctList(decodeOctetString(ext.next(TAG.OCTET_STRING, 'extnValue')));
  assert.ok(listed.length === 1 && bytesEqual((listed[0] as Sct).signature, sct.signature));
});

test('the log refuses what is not a precertificate chain it accepts', async () => {
  const { chain, inst } = await submittedChain();
  const [precert, intermediate, root] = chain as [Uint8Array, Uint8Array, Uint8Array];
  const other = await generateCaCertificates({ now: NOW - 1000 });
  const tampered = Uint8Array.from(precert);
  tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 1;
  await assert.rejects(inst.ctLog.addPreChain([intermediate, root]), refusal('ERR_REQUEST', /not a precertificate/));
  // The intermediate→root link of this chain was verified (and remembered) when it was submitted; an intermediate
  // with the same key but a broken signature is another certificate, and is verified afresh.
  const badIntermediate = Uint8Array.from(intermediate);
  badIntermediate[badIntermediate.length - 5] = (badIntermediate[badIntermediate.length - 5] as number) ^ 1;
  await assert.rejects(inst.ctLog.addPreChain([precert, badIntermediate, root]), refusal('ERR_REQUEST', /chain\[1\] is not signed by chain\[2\]/));
  await assert.rejects(inst.ctLog.addPreChain([precert]), refusal('ERR_REQUEST', /at least its issuer/));
  await assert.rejects(inst.ctLog.addPreChain([tampered, intermediate, root]), refusal('ERR_REQUEST', /chain\[0\] is not signed by chain\[1\]/));
  await assert.rejects(inst.ctLog.addPreChain([precert, other.chainDer[0] as Uint8Array, other.chainDer[1] as Uint8Array]), refusal('ERR_REQUEST', /not signed by chain\[1\]/));
  const elsewhere = createCtLog({ key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, acceptedRoots: [other.chainDer[1] as Uint8Array] });
  await assert.rejects(elsewhere.addPreChain(chain), refusal('ERR_REQUEST', /does not end at a root this log accepts/));
  await assert.rejects(inst.ctLog.addPreChainJson({ chain: [base64Encode(precert)], extra: true }), refusal('ERR_REQUEST', /unknown field\(s\) extra.*at least its issuer/));
  await assert.rejects(inst.ctLog.addPreChainJson({ chain: ['%%%', base64Encode(root)] }), refusal('ERR_REQUEST', /chain\[0\] is not valid base64/));
  await assert.rejects(inst.ctLog.addPreChainJson({ chain: Array(11).fill('AA==') }), refusal('ERR_TOO_LARGE', /at most 10/));
  await assert.rejects(inst.ctLog.addPreChainJson('chain'), refusal('ERR_REQUEST', /JSON object/));
  assert.equal(inst.ctLeaves.length, 1, 'nothing refused was appended');
});

test('no SCT without a stored leaf: an append failure fails the submission and the issuance', async () => {
  const inst = await instance();
  const failing = createCtLog({
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    append: () => Promise.reject(new KeylessError('ERR_STORE', 'disk full')),
  });
  const ca = createCertificateAuthority({ tokenVerifier: inst.verifier, issuers: ISSUERS, signer: { key: inst.generated.key, chain: inst.generated.chainDer }, ct: failing, now: () => NOW });
  const { publicPem, privateKey } = ephemeralKey();
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB))), refusal('ERR_STORE', /disk full/));
});

test('a CA refuses an SCT source that returns garbage rather than embedding it, and reports log refusals as its own failure', async () => {
  const inst = await instance();
  const ca = createCertificateAuthority({
    tokenVerifier: inst.verifier, issuers: ISSUERS, signer: { key: inst.generated.key, chain: inst.generated.chainDer },
    ct: { addPreChain: () => Promise.resolve(Uint8Array.of(0, 1, 2)) }, now: () => NOW,
  });
  const { publicPem, privateKey } = ephemeralKey();
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB))), (err: unknown) => !(err instanceof KeylessError) && /CT log returned a malformed SCT/.test(String(err)));
  // a log that refuses the CA's own precertificate is a server failure (500), not the caller's ERR_REQUEST
  const refusing = createCertificateAuthority({
    tokenVerifier: inst.verifier, issuers: ISSUERS, signer: { key: inst.generated.key, chain: inst.generated.chainDer },
    ct: { addPreChain: () => Promise.reject(new KeylessError('ERR_REQUEST', 'add-pre-chain: not a root this log accepts')) }, now: () => NOW,
  });
  await assert.rejects(refusing.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB))), (err: unknown) => !(err instanceof KeylessError) && /Error entering certificate in CTL: add-pre-chain/.test(String(err)));
});

test('a CT log signs only with ECDSA P-256; its log ID is the SHA-256 of its SPKI; encodeSct inverts parseSct', () => {
  assert.throws(() => createCtLog({ key: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey }), TypeError);
  assert.throws(() => createCtLog({ key: generateKeyPairSync('ed25519').publicKey }), TypeError);
  const log = createCtLog({ key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
  assert.ok(bytesEqual(log.logId, sha256(log.publicKeySpki)));
  const sct = { version: 0, logId: log.logId, timestamp: NOW, extensions: Uint8Array.of(9), hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(1, 2, 3) };
  const back = parseSct(encodeSct(sct));
  assert.deepEqual({ ...back, logId: [...back.logId], extensions: [...back.extensions], signature: [...back.signature] }, { ...sct, logId: [...sct.logId], extensions: [9], signature: [1, 2, 3] });
});
