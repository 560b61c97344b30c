/**
 * Object identifiers used by keyless, in dotted form, and the Fulcio certificate extension table
 * (sigstore/fulcio docs/oid-info.md; names as in Fulcio's and sigstore-go's certificate.Extensions).
 */
export const OID = {
  // public key algorithms and curves (RFC 5480, RFC 8410)
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  secp256k1: '1.3.132.0.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',

  // signature algorithms (RFC 5758, RFC 4055, RFC 8410)
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  sha384WithRsaEncryption: '1.2.840.113549.1.1.12',
  sha512WithRsaEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',

  // digests (NIST)
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',

  // certificate extensions (RFC 5280, RFC 6962)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  ctPrecertPoison: '1.3.6.1.4.1.11129.2.4.3',
  ctSctList: '1.3.6.1.4.1.11129.2.4.2',

  // extended key usages
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',

  // CMS and RFC 3161 (RFC 5652, RFC 3161, RFC 5035)
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',

  // Fulcio: username in an otherName SAN
  fulcioOtherName: '1.3.6.1.4.1.57264.1.7',
} as const;

export interface FulcioExtension {
  readonly oid: string;
  /** camelCase key used by fulcioExtensions() and identity policies; 'issuer' is shared by .1 and .8. */
  readonly name: string;
  /** Title in Fulcio's docs/oid-info.md. */
  readonly label: string;
  /** true for .1–.6: the value is the raw string, not DER. */
  readonly legacy: boolean;
}

const ext = (n: number, name: string, label: string, legacy = false): FulcioExtension =>
  Object.freeze({ oid: `1.3.6.1.4.1.57264.1.${n}`, name, label, legacy });

/**
 * Fulcio's OIDs under 1.3.6.1.4.1.57264.1. From .8 on, values are DER UTF8Strings. .7 is not an extension but the
 * otherName type-id in the SAN, listed so the table is complete.
 */
export const FULCIO_EXTENSIONS: readonly FulcioExtension[] = Object.freeze([
  ext(1, 'issuer', 'Issuer (deprecated)', true),
  ext(2, 'githubWorkflowTrigger', 'GitHub Workflow Trigger (deprecated)', true),
  ext(3, 'githubWorkflowSHA', 'GitHub Workflow SHA (deprecated)', true),
  ext(4, 'githubWorkflowName', 'GitHub Workflow Name (deprecated)', true),
  ext(5, 'githubWorkflowRepository', 'GitHub Workflow Repository (deprecated)', true),
  ext(6, 'githubWorkflowRef', 'GitHub Workflow Ref (deprecated)', true),
  ext(7, 'otherName', 'OtherName SAN'),
  ext(8, 'issuer', 'Issuer (V2)'),
  ext(9, 'buildSignerURI', 'Build Signer URI'),
  ext(10, 'buildSignerDigest', 'Build Signer Digest'),
  ext(11, 'runnerEnvironment', 'Runner Environment'),
  ext(12, 'sourceRepositoryURI', 'Source Repository URI'),
  ext(13, 'sourceRepositoryDigest', 'Source Repository Digest'),
  ext(14, 'sourceRepositoryRef', 'Source Repository Ref'),
  ext(15, 'sourceRepositoryIdentifier', 'Source Repository Identifier'),
  ext(16, 'sourceRepositoryOwnerURI', 'Source Repository Owner URI'),
  ext(17, 'sourceRepositoryOwnerIdentifier', 'Source Repository Owner Identifier'),
  ext(18, 'buildConfigURI', 'Build Config URI'),
  ext(19, 'buildConfigDigest', 'Build Config Digest'),
  ext(20, 'buildTrigger', 'Build Trigger'),
  ext(21, 'runInvocationURI', 'Run Invocation URI'),
  ext(22, 'sourceRepositoryVisibilityAtSigning', 'Source Repository Visibility At Signing'),
  ext(23, 'deploymentEnvironment', 'Deployment Environment'),
  ext(24, 'tokenSubject', 'Token Subject'),
]);

export const FULCIO_EXTENSIONS_BY_OID: ReadonlyMap<string, FulcioExtension> = new Map(
  FULCIO_EXTENSIONS.map((e) => [e.oid, e]),
);
