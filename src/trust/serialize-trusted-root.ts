/** Writes a TrustedRoot as protobuf JSON (camelCase, proto field order, defaults omitted, RFC 3339 times). */
import { base64Encode } from '../core/encoding.js';
import { logIdToJson, validityToJson } from './read-common.js';
import type { CertificateAuthority, TransparencyLogInstance, TrustedRoot } from './types.js';

export function serializeTrustedRoot(root: TrustedRoot): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: root.mediaType };
  if (root.tlogs.length > 0) out['tlogs'] = root.tlogs.map(logToJson);
  if (root.certificateAuthorities.length > 0) out['certificateAuthorities'] = root.certificateAuthorities.map(authorityToJson);
  if (root.ctlogs.length > 0) out['ctlogs'] = root.ctlogs.map(logToJson);
  if (root.timestampAuthorities.length > 0) out['timestampAuthorities'] = root.timestampAuthorities.map(authorityToJson);
  return out;
}

function logToJson(log: TransparencyLogInstance): Record<string, unknown> {
  return {
    baseUrl: log.baseUrl,
    hashAlgorithm: log.hashAlgorithm,
    publicKey: { rawBytes: base64Encode(log.publicKey.rawBytes), keyDetails: log.publicKey.keyDetails, validFor: validityToJson(log.publicKey.validFor) },
    logId: logIdToJson(log.logId),
    ...(log.checkpointKeyId !== undefined ? { checkpointKeyId: logIdToJson(log.checkpointKeyId) } : {}),
    ...(log.operator !== undefined && log.operator !== '' ? { operator: log.operator } : {}),
  };
}

function authorityToJson(ca: CertificateAuthority): Record<string, unknown> {
  const subject: Record<string, string> = {};
  if (ca.subject.organization !== '') subject['organization'] = ca.subject.organization;
  if (ca.subject.commonName !== '') subject['commonName'] = ca.subject.commonName;
  return {
    subject,
    ...(ca.uri !== '' ? { uri: ca.uri } : {}),
    certChain: { certificates: ca.certChain.map((der) => ({ rawBytes: base64Encode(der) })) },
    validFor: validityToJson(ca.validFor),
    ...(ca.operator !== undefined && ca.operator !== '' ? { operator: ca.operator } : {}),
  };
}
