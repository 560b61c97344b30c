/**
 * The bundle model as protobuf JSON (camelCase names, int64 as decimal strings, bytes as standard base64), in
 * proto field order and omitting default values, as protobuf's JSON printers (and sigstore-js) do.
 */
import { base64Encode } from '../core/encoding.js';
import type { Bundle, TransparencyLogEntry, VerificationMaterial } from './types.js';

type Json = Record<string, unknown>;

export function bundleToJson(bundle: Bundle): Json {
  const out: Json = { mediaType: bundle.mediaType, verificationMaterial: materialToJson(bundle.verificationMaterial) };
  const c = bundle.content;
  if (c.kind === 'messageSignature') {
    out['messageSignature'] = {
      ...(c.messageDigest !== undefined ? { messageDigest: { algorithm: c.messageDigest.algorithm, digest: base64Encode(c.messageDigest.digest) } } : {}),
      signature: base64Encode(c.signature),
    };
  } else {
    out['dsseEnvelope'] = {
      payload: base64Encode(c.envelope.payload),
      payloadType: c.envelope.payloadType,
      signatures: c.envelope.signatures.map((s) => ({ sig: base64Encode(s.sig), ...(s.keyid !== '' ? { keyid: s.keyid } : {}) })),
    };
  }
  return out;
}

function materialToJson(vm: VerificationMaterial): Json {
  const out: Json = {};
  const c = vm.content;
  if (c.kind === 'publicKey') out['publicKey'] = c.hint !== '' ? { hint: c.hint } : {};
  else if (c.kind === 'x509CertificateChain') out['x509CertificateChain'] = { certificates: c.certificates.map((der) => ({ rawBytes: base64Encode(der) })) };
  else out['certificate'] = { rawBytes: base64Encode(c.certificate) };
  if (vm.tlogEntries.length > 0) out['tlogEntries'] = vm.tlogEntries.map(entryToJson);
  if (vm.rfc3161Timestamps.length > 0) {
    out['timestampVerificationData'] = { rfc3161Timestamps: vm.rfc3161Timestamps.map((t) => ({ signedTimestamp: base64Encode(t) })) };
  }
  return out;
}

function entryToJson(e: TransparencyLogEntry): Json {
  const out: Json = {};
  if (e.logIndex !== 0) out['logIndex'] = String(e.logIndex);
  out['logId'] = { keyId: base64Encode(e.logId) };
  out['kindVersion'] = { kind: e.kind, version: e.kindVersion };
  if (e.integratedTime !== 0) out['integratedTime'] = String(e.integratedTime);
  if (e.inclusionPromise !== undefined) out['inclusionPromise'] = { signedEntryTimestamp: base64Encode(e.inclusionPromise) };
  if (e.inclusionProof !== undefined) {
    const p = e.inclusionProof;
    out['inclusionProof'] = {
      ...(p.logIndex !== 0 ? { logIndex: String(p.logIndex) } : {}),
      rootHash: base64Encode(p.rootHash),
      ...(p.treeSize !== 0 ? { treeSize: String(p.treeSize) } : {}),
      ...(p.hashes.length > 0 ? { hashes: p.hashes.map((h) => base64Encode(h)) } : {}),
      checkpoint: { envelope: p.checkpoint },
    };
  }
  out['canonicalizedBody'] = base64Encode(e.canonicalizedBody);
  return out;
}
