/**
 * Check 1: the leaf certificate chains to a certificate authority of the trusted root that was valid when the
 * signature was made. The path is built from the trusted root only: the certificates a bundle carries after the
 * leaf are untrusted hints (the Sigstore bundle spec anchors verification in the trusted root alone), so they are
 * ignored, a root certificate among them included. Many 2022–2023 v0.1 bundles (npm provenance among them) carry the whole chain,
 * root and all, and sigstore-go, sigstore-js and sigstore-python accept them; a self-signed certificate that comes
 * only from the bundle never anchors anything, because nothing from the bundle is ever looked at here.
 */
import { KeylessError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding.js';
import { OID } from '../core/oids.js';
import { verifyCertificateSignature, type Certificate } from '../core/x509.js';
import { withinWindow, type CertificateAuthority, type TrustMaterial } from './trust-material.js';

export interface ChainResult {
  readonly authority: CertificateAuthority;
  /** The certificate that signed the leaf (needed for the SCT's issuer key hash). */
  readonly issuer: Certificate;
}

function validAt(cert: Certificate, at: number): boolean {
  return at >= cert.notBefore && at <= cert.notAfter;
}

/** Fulcio's certificate profile for a signing certificate: a code-signing end entity, nothing unhandled. */
function checkLeafProfile(leaf: Certificate): void {
  if (leaf.isCA) throw new KeylessError('ERR_CERT_CHAIN', 'the signing certificate is a CA certificate');
  if (leaf.unhandledCritical.length > 0) {
    throw new KeylessError('ERR_CERT_CHAIN', `the signing certificate has unknown critical extensions: ${leaf.unhandledCritical.join(', ')}`);
  }
  if (!leaf.extKeyUsage.includes(OID.codeSigning)) {
    throw new KeylessError('ERR_CERT_CHAIN', 'the signing certificate is not for code signing (no codeSigning extended key usage)');
  }
}

export function verifyCertificateChain(leaf: Certificate, trust: TrustMaterial, signingTimes: readonly number[]): ChainResult {
  checkLeafProfile(leaf);
  const reasons: string[] = [];
  for (const authority of trust.certificateAuthorities) {
    const issuer = authority.chain[0];
    const issuerKey = authority.keys[0];
    if (issuer === undefined || issuerKey === undefined || !bytesEqual(issuer.subject, leaf.issuer)) continue;
    if (!verifyCertificateSignature(leaf, issuerKey)) {
      reasons.push(`${authority.uri}: the leaf's signature does not verify with ${issuer.subjectText()}`);
      continue;
    }
    // The CA must have been valid (in the trusted root and by its certificates' dates) at every signing time.
    const badTime = signingTimes.find((t) => !withinWindow(authority.validFor, t) || !authority.chain.every((c) => validAt(c, t)));
    if (badTime !== undefined) {
      reasons.push(`${authority.uri}: not valid at signing time ${new Date(badTime).toISOString()}`);
      continue;
    }
    return { authority, issuer };
  }
  for (const unusable of trust.unusable) {
    if (unusable.kind === 'certificate authority' && unusable.subject !== undefined && bytesEqual(unusable.subject, leaf.issuer)) {
      reasons.push(`${unusable.name}: the trusted root lists this CA but keyless cannot use it: ${unusable.reason}`);
    }
  }
  throw new KeylessError(
    'ERR_CERT_CHAIN',
    reasons.length > 0
      ? `the signing certificate does not chain to a trusted CA valid at signing time: ${reasons.join('; ')}`
      : `the signing certificate's issuer (${leaf.issuerText()}) is not a certificate authority of the trusted root`,
    { issuer: leaf.issuerText(), reasons, notInTrustedRoot: reasons.length === 0, signingTimes: signingTimes.map((t) => new Date(t).toISOString()) },
  );
}
