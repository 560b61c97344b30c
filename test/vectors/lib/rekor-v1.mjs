// Turns a Rekor v1 *proposed* entry (what sigstore-js POSTs) into the *canonical* entry Rekor stores and signs.
// @sigstore/mock's tlog logs the proposed entry verbatim, which only matches real Rekor for hashedrekord; for
// dsse and intoto the stored body differs (server-computed hashes, no payload), and verifiers read the stored
// form. The rules below follow sigstore/rekor pkg/types/{hashedrekord/v0.0.1,dsse/v0.0.1,intoto/v0.0.2}
// (Unmarshal + Canonicalize). The result is handed to the mock tlog, which adds SET, checkpoint and proof.
import { createHash } from 'node:crypto';
import { fromPem, toPem } from './keys.mjs';

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');
const b64 = (data) => Buffer.from(data).toString('base64');
const unb64 = (text) => Buffer.from(text, 'base64');

/** Rekor's canonical form of a verifier: the PEM re-encoded (certificate or public key), base64ed once more. */
function canonicalVerifier(b64Pem) {
  const { label, der } = fromPem(unb64(b64Pem).toString('utf8'));
  return b64(toPem(der, label));
}

export function canonicalizeProposedEntry(proposed) {
  const { kind, apiVersion, spec } = proposed;
  if (kind === 'hashedrekord' && apiVersion === '0.0.1') {
    return {
      apiVersion,
      kind,
      spec: {
        data: { hash: { algorithm: spec.data.hash.algorithm, value: spec.data.hash.value } },
        signature: {
          content: spec.signature.content,
          publicKey: { content: canonicalVerifier(spec.signature.publicKey.content) },
        },
      },
    };
  }
  if (kind === 'dsse' && apiVersion === '0.0.1') {
    const envelopeJson = spec.proposedContent.envelope;
    const envelope = JSON.parse(envelopeJson);
    if (envelope.signatures.length !== 1 || spec.proposedContent.verifiers.length !== 1) {
      throw new Error('this mock only logs single-signature DSSE envelopes');
    }
    return {
      apiVersion,
      kind,
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256Hex(envelopeJson) },
        payloadHash: { algorithm: 'sha256', value: sha256Hex(unb64(envelope.payload)) },
        signatures: [
          { signature: envelope.signatures[0].sig, verifier: canonicalVerifier(spec.proposedContent.verifiers[0]) },
        ],
      },
    };
  }
  if (kind === 'intoto' && apiVersion === '0.0.2') {
    const { envelope, hash } = spec.content;
    // The proposed payload is base64(base64(payload)); Rekor recomputes payloadHash over the payload itself
    // and drops the payload from what it stores.
    const payload = unb64(unb64(envelope.payload).toString('utf8'));
    return {
      apiVersion,
      kind,
      spec: {
        content: {
          envelope: { payloadType: envelope.payloadType, signatures: envelope.signatures },
          hash,
          payloadHash: { algorithm: 'sha256', value: sha256Hex(payload) },
        },
      },
    };
  }
  throw new Error(`unsupported Rekor v1 entry ${kind} ${apiVersion}`);
}

/** A @sigstore/mock-style handler for POST /api/v1/log/entries that stores the canonical entry. */
export function rekorV1Handler(tlog) {
  return async (body) => {
    try {
      const entry = await tlog.log(canonicalizeProposedEntry(JSON.parse(body)));
      return { statusCode: 201, response: JSON.stringify(entry), contentType: 'application/json' };
    } catch (e) {
      return { statusCode: 400, response: JSON.stringify({ code: 400, message: String(e.message ?? e) }) };
    }
  };
}
