/**
 * Check 2: at least one signed certificate timestamp embedded in the leaf verifies against a CT log of the trusted
 * root whose key was valid at the SCT's time (RFC 6962 §3.2: the SCT signs the precertificate's TBSCertificate,
 * i.e. the leaf's TBS without the SCT list, and the SHA-256 of the issuer's public key).
 */
import { KeylessError } from '../core/errors.js';
import { hexEncode } from '../core/encoding.js';
import { sha256 } from '../core/keys.js';
import { OID } from '../core/oids.js';
import { parseSctList, sctSignedData, verifySctSignature } from '../core/sct.js';
import { precertificateTbs, type Certificate } from '../core/x509.js';
import { unusableLog, withinWindow, type TrustMaterial } from './trust-material.js';

export interface VerifiedSct {
  readonly logId: string;
  readonly baseUrl: string;
  readonly timestamp: number;
}

export function verifySignedCertificateTimestamps(leaf: Certificate, issuer: Certificate, trust: TrustMaterial, threshold: number): VerifiedSct[] {
  const extension = leaf.extensions.find((e) => e.oid === OID.ctSctList);
  // With no SCT required there is nothing to check: a certificate from a CA without CT (GitHub's) has no list.
  if (extension === undefined && threshold === 0) return [];
  if (extension === undefined) {
    throw new KeylessError('ERR_SCT', 'the signing certificate has no embedded SCT, so it was not logged to certificate transparency');
  }
  const scts = parseSctList(extension.value);
  const tbs = precertificateTbs(leaf);
  const issuerKeyHash = sha256(issuer.spki);
  const verified: VerifiedSct[] = [];
  const reasons: string[] = [];
  let unknownLogs = 0;
  for (const sct of scts) {
    const logId = hexEncode(sct.logId);
    const logs = trust.ctlogs.get(logId) ?? [];
    if (logs.length === 0) {
      const unusable = unusableLog(trust, 'ctlog', logId);
      if (unusable === undefined) unknownLogs++;
      reasons.push(unusable !== undefined ? `SCT from ${unusable.name}, which keyless cannot use: ${unusable.reason}` : `SCT from unknown CT log ${logId}`);
      continue;
    }
    const data = sctSignedData(sct, issuerKeyHash, tbs);
    const log = logs.find((l) => withinWindow(l.validFor, sct.timestamp) && verifySctSignature(sct, l.key, data));
    if (log === undefined) {
      reasons.push(`SCT from CT log ${logId} does not verify (or the log key was not valid at ${new Date(sct.timestamp).toISOString()})`);
      continue;
    }
    verified.push({ logId, baseUrl: log.baseUrl, timestamp: sct.timestamp });
  }
  if (verified.length < threshold) {
    throw new KeylessError('ERR_SCT', `${verified.length} of ${scts.length} embedded SCTs verified, ${threshold} required${reasons.length ? `: ${reasons.join('; ')}` : ''}`, {
      reasons,
      notInTrustedRoot: scts.length > 0 && unknownLogs === scts.length,
    });
  }
  return verified;
}
