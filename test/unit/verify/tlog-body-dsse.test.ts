/**
 * Rekor v2 spec §6.1.4 (2026): a DSSE envelope is logged as a hashedrekord 0.0.2 whose digest is
 * Hash(PAE(payloadType, payload)) with the signing algorithm's hash, and whose signature is the envelope's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pae } from '../../../src/core/dsse.js';
import { checkTlogBody, type SignedContent } from '../../../src/verify/tlog-body.js';
import { coded } from '../../helpers/vectors.js';

const payloadType = 'application/vnd.in-toto+json';
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const signature = Buffer.from('a signature');
const cert = Buffer.from('certificate DER');
const content: SignedContent = {
  kind: 'dsseEnvelope',
  signature,
  digest: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest() },
  verifier: { kind: 'certificate', der: cert },
  dsse: { payloadType, payload, signatureCount: 1 },
};

function body(algorithm: string, digest: Buffer): Uint8Array {
  return Buffer.from(JSON.stringify({
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: { hashedRekordV002: { data: { algorithm, digest: digest.toString('base64') }, signature: { content: signature.toString('base64'), verifier: { x509Certificate: { rawBytes: cert.toString('base64') }, keyDetails: 'PKIX_ECDSA_P384_SHA_384' } } } },
  }));
}

const paeDigest = (alg: string) => createHash(alg).update(pae(payloadType, payload)).digest();

test('a DSSE envelope logged as hashedrekord 0.0.2 matches with the hash the entry names (SHA-384 for a P-384 signer)', () => {
  assert.doesNotThrow(() => checkTlogBody('hashedrekord', '0.0.2', body('SHA2_384', paeDigest('sha384')), content));
  assert.doesNotThrow(() => checkTlogBody('hashedrekord', '0.0.2', body('SHA2_256', paeDigest('sha256')), content));
});

test('the digest must be of the PAE with that hash: another hash\'s digest, or the payload\'s, does not match', () => {
  assert.throws(() => checkTlogBody('hashedrekord', '0.0.2', body('SHA2_384', paeDigest('sha256')), content), coded('ERR_TLOG_BODY'));
  assert.throws(() => checkTlogBody('hashedrekord', '0.0.2', body('SHA2_256', createHash('sha256').update(payload).digest()), content), coded('ERR_TLOG_BODY', /envelope digest/));
  assert.throws(() => checkTlogBody('hashedrekord', '0.0.2', body('SHA3_256', paeDigest('sha256')), content), coded('ERR_TLOG_BODY', /algorithm/));
});
