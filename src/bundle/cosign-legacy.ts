/**
 * cosign's own bundle format, written by `cosign sign-blob --bundle` before cosign 3 (and so by the pipelines that
 * follow GitLab's documentation with cosign 2):
 *   { "base64Signature": "...", "cert": "<base64 of the PEM certificate>",
 *     "rekorBundle": { "SignedEntryTimestamp": "...", "Payload": { "body": "...", "integratedTime": 1,
 *                      "logIndex": 2, "logID": "<hex>" } } }
 * It carries what a Sigstore bundle v0.1 carries (a certificate, a Rekor v1 entry with its SET, no inclusion
 * proof), so it is read by turning it into that JSON and parsing it like any other bundle: every check applies.
 * The message digest comes from the log entry's body, which the verifier then holds to the artifact.
 */
import { KeylessError } from '../core/errors.js';
import { base64Decode, base64Encode, hexDecode, pemDecodeAll, utf8Decode } from '../core/encoding.js';
import { BUNDLE_V01_MEDIA_TYPE } from './types.js';

type JsonObject = Record<string, unknown>;

export function isCosignLegacyBundle(json: unknown): json is JsonObject {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && 'base64Signature' in json && !('mediaType' in json);
}

function invalid(problem: string): never {
  throw new KeylessError('ERR_BUNDLE_INVALID', `cosign bundle is invalid: ${problem}`, { problems: [{ path: '', message: problem }] });
}

function field(obj: unknown, name: string, path: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) invalid(`${path} is not an object`);
  const value = (obj as JsonObject)[name];
  if (value === undefined || value === null) invalid(`${path}.${name} is missing`);
  return value;
}

function text(obj: unknown, name: string, path: string): string {
  const value = field(obj, name, path);
  if (typeof value !== 'string') invalid(`${path}.${name} is not a string`);
  return value;
}

function integer(obj: unknown, name: string, path: string): string {
  const value = field(obj, name, path);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) invalid(`${path}.${name} is not a non-negative integer`);
  return String(value);
}

/** The certificate, given as base64 of PEM (what cosign writes), or as PEM or base64 DER. */
function certificateDer(value: string): Uint8Array {
  const pemText = value.startsWith('-----BEGIN') ? value : (() => {
    const decoded = base64Decode(value, 'cosign bundle cert');
    const asText = Buffer.from(decoded).toString('latin1');
    return asText.startsWith('-----BEGIN') ? utf8Decode(decoded, 'cosign bundle cert') : undefined;
  })();
  if (pemText === undefined) return base64Decode(value, 'cosign bundle cert');
  const blocks = pemDecodeAll(pemText, 'CERTIFICATE');
  if (blocks.length === 0 || blocks[0] === undefined) invalid('cert holds no PEM certificate');
  return blocks[0];
}

/** The Sigstore bundle v0.1 JSON that says what a cosign bundle says. */
export function cosignLegacyToBundleJson(json: JsonObject): JsonObject {
  const signature = text(json, 'base64Signature', '');
  if (json.cert === undefined || json.cert === null) {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', 'cosign bundle has no certificate: bundles signed with a key need the key\'s own verification, which keyless does not read in this format yet');
  }
  const cert = certificateDer(text(json, 'cert', ''));
  const rekor = field(json, 'rekorBundle', '');
  const payload = field(rekor, 'Payload', 'rekorBundle');
  const body = text(payload, 'body', 'rekorBundle.Payload');
  let entry: unknown;
  try {
    entry = JSON.parse(utf8Decode(base64Decode(body, 'rekorBundle.Payload.body')));
  } catch (cause) {
    if (cause instanceof KeylessError && cause.code !== 'ERR_ENCODING') throw cause;
    return invalid('rekorBundle.Payload.body is not a base64 JSON log entry');
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) invalid('rekorBundle.Payload.body is not a JSON log entry');
  const { kind, apiVersion } = entry as JsonObject;
  if (kind !== 'hashedrekord' || typeof apiVersion !== 'string') {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `cosign bundles of blobs log hashedrekord entries; this one is ${String(kind)} ${String(apiVersion)}`);
  }
  const hash = field(field(field(entry, 'spec', 'body'), 'data', 'body.spec'), 'hash', 'body.spec.data');
  if (text(hash, 'algorithm', 'body.spec.data.hash') !== 'sha256') invalid('the log entry\'s digest is not sha256');
  const digest = hexDecode(text(hash, 'value', 'body.spec.data.hash'), 'body.spec.data.hash.value');
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: base64Encode(cert) }] },
      tlogEntries: [{
        logIndex: integer(payload, 'logIndex', 'rekorBundle.Payload'),
        logId: { keyId: base64Encode(hexDecode(text(payload, 'logID', 'rekorBundle.Payload'), 'rekorBundle.Payload.logID')) },
        kindVersion: { kind: 'hashedrekord', version: apiVersion },
        integratedTime: integer(payload, 'integratedTime', 'rekorBundle.Payload'),
        inclusionPromise: { signedEntryTimestamp: text(rekor, 'SignedEntryTimestamp', 'rekorBundle') },
        canonicalizedBody: body,
      }],
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: base64Encode(digest) }, signature },
  };
}
