/**
 * Check 4a: RFC 3161 timestamps. A timestamp counts as a trusted time when (RFC 3161 §2.4.2, and sigstore's
 * TimestampVerificationData): its message imprint is the hash of the bundle's signature; it is signed by a timestamp
 * authority of the trusted root (the signer certificate has the timeStamping extended key usage and chains to that
 * authority); and its time lies within the authority's validity in the trusted root and its certificates' dates.
 */
import { KeylessError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding.js';
import { digest, publicKeyFromSpki, type PublicKey } from '../core/keys.js';
import { OID } from '../core/oids.js';
import { hashAlgorithmName, parseTimestamp, verifyTimestampSignature, type TimestampToken } from '../core/rfc3161.js';
import { parseCertificate, verifyCertificateSignature, type Certificate } from '../core/x509.js';
import { withinWindow, type CertificateAuthority, type TrustMaterial } from './trust-material.js';

export interface VerifiedTimestamp {
  readonly time: number;
  readonly authority: string;
}

function bigintBytesEqual(serial: Uint8Array, value: bigint): boolean {
  let n = 0n;
  for (const b of serial) n = (n << 8n) | BigInt(b);
  // A DER INTEGER is two's complement; serial numbers are positive, so the unsigned reading is the value.
  return n === value;
}

/** The certificate that signed the timestamp, and the chain above it, from the authority's trusted chain. */
function signerPath(token: TimestampToken, authority: CertificateAuthority): { path: Certificate[]; key: PublicKey } | undefined {
  const leaf = authority.chain[0];
  const leafKey = authority.keys[0];
  if (leaf === undefined || leafKey === undefined) return undefined;
  if (bytesEqual(leaf.issuer, token.signer.issuer) && bigintBytesEqual(leaf.serialNumber, token.signer.serialNumber)) {
    return { path: [...authority.chain], key: leafKey };
  }
  // The token may embed its signer certificate; it counts only if the authority's first certificate issued it.
  for (const der of token.certificates) {
    let cert: Certificate;
    try {
      cert = parseCertificate(der);
    } catch {
      continue;
    }
    if (!bytesEqual(cert.issuer, token.signer.issuer) || !bigintBytesEqual(cert.serialNumber, token.signer.serialNumber)) continue;
    if (bytesEqual(cert.issuer, leaf.subject) && verifyCertificateSignature(cert, leafKey)) {
      return { path: [cert, ...authority.chain], key: publicKeyFromSpki(cert.spki) };
    }
  }
  return undefined;
}

export function verifyRfc3161Timestamp(der: Uint8Array, signature: Uint8Array, trust: TrustMaterial): VerifiedTimestamp {
  const token = parseTimestamp(der);
  // RFC 3161 §2.4.2: the messageImprint must be the hash of the datum, here the bundle's signature bytes.
  const hash = hashAlgorithmName(token.messageImprint.hashAlgorithm);
  if (!bytesEqual(digest(hash, signature), token.messageImprint.digest)) {
    throw new KeylessError('ERR_TIMESTAMP', 'the timestamp is not over this bundle\'s signature (message imprint differs)');
  }
  const reasons: string[] = [];
  for (const authority of trust.timestampAuthorities) {
    const signerAndPath = signerPath(token, authority);
    if (signerAndPath === undefined) continue;
    const { path, key } = signerAndPath;
    const signer = path[0] as Certificate;
    // RFC 3161 §2.3: the TSA's certificate MUST contain exactly one critical extended key usage, timeStamping.
    const eku = signer.extensions.find((e) => e.oid === OID.extKeyUsage);
    if (eku === undefined || !eku.critical || signer.extKeyUsage.length !== 1 || signer.extKeyUsage[0] !== OID.timeStamping) {
      reasons.push(`${authority.uri}: the signer certificate lacks the critical timeStamping extended key usage`);
      continue;
    }
    if (!verifyTimestampSignature(token, key)) {
      reasons.push(`${authority.uri}: the timestamp's signature does not verify`);
      continue;
    }
    if (!withinWindow(authority.validFor, token.genTime) || !path.every((c) => token.genTime >= c.notBefore && token.genTime <= c.notAfter)) {
      reasons.push(`${authority.uri}: not valid at ${new Date(token.genTime).toISOString()}`);
      continue;
    }
    return { time: token.genTime, authority: authority.uri };
  }
  throw new KeylessError(
    'ERR_TIMESTAMP',
    reasons.length > 0 ? `the RFC 3161 timestamp does not verify: ${reasons.join('; ')}` : 'the RFC 3161 timestamp is not signed by a timestamp authority of the trusted root',
    { reasons, notInTrustedRoot: reasons.length === 0, genTime: new Date(token.genTime).toISOString() },
  );
}
