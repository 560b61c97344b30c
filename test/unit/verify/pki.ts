/**
 * Certificates and trust material made on the spot for the verifier's unit tests: a CA (root and intermediate), a
 * Fulcio-like leaf, a TSA chain, each with the validity dates and extensions a test needs. Built with the CA's own
 * DER builder (src/ca/x509-builder.ts), so nothing here depends on the golden vectors' fixed dates.
 * P-256 keys throughout: they sign and verify fast.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { encodeBoolean, encodeSequence } from '../../../src/core/asn1-encode.js';
import { OID } from '../../../src/core/oids.js';
import { parseCertificate, type Certificate } from '../../../src/core/x509.js';
import {
  ATTRIBUTE,
  EMPTY_NAME,
  KEY_USAGE_BIT,
  basicConstraintsExtension,
  certificateSigner,
  encodeExtension,
  encodeName,
  encodeTbs,
  extKeyUsageExtension,
  keyUsageExtension,
  randomSerial,
  signCertificate,
  spkiOf,
  subjectAltNameExtension,
} from '../../../src/ca/x509-builder.js';
import { TRUSTED_ROOT_MEDIA_TYPE_V01, type CertificateAuthority, type TrustedRoot } from '../../../src/trust/types.js';
import { prepareTrustMaterial, type TrustMaterial } from '../../../src/verify/trust-material.js';

export const DAY = 24 * 3600 * 1000;
/** Whole seconds: certificates encode their dates in seconds, so boundary tests need round numbers. */
export const T0 = Date.UTC(2026, 0, 1);

export interface Issued {
  readonly der: Uint8Array;
  readonly cert: Certificate;
  readonly key: KeyObject;
  readonly name: Uint8Array;
}

export interface IssueOptions {
  /** The subject Name DER; a fresh O=keyless-test, CN=<random> name by default. */
  readonly name?: Uint8Array;
  /** Signs the certificate; self-signed when absent. */
  readonly issuer?: Issued;
  /** The issuer Name written into the certificate; the issuer's subject by default. */
  readonly issuerName?: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly extensions: readonly Uint8Array[];
  readonly key?: KeyObject;
}

export function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

let counter = 0;
export function testName(cn: string): Uint8Array {
  counter++;
  return encodeName([[ATTRIBUTE.organization, 'keyless-test'], [ATTRIBUTE.commonName, `${cn}-${counter}`]]);
}

export function issue(o: IssueOptions): Issued {
  const key = o.key ?? newKey();
  const name = o.name ?? testName('cert');
  const signingKey = o.issuer?.key ?? key;
  const signer = certificateSigner(signingKey);
  const der = signCertificate(
    encodeTbs({
      serial: randomSerial(),
      signer,
      issuer: o.issuerName ?? o.issuer?.name ?? name,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      subject: name,
      spki: spkiOf(key),
      extensions: o.extensions,
    }),
    signer,
  );
  return { der, cert: parseCertificate(der), key, name };
}

export const CA_EXTENSIONS = [keyUsageExtension([KEY_USAGE_BIT.keyCertSign, KEY_USAGE_BIT.cRLSign]), basicConstraintsExtension()];

/** A leaf the way Fulcio issues one: digitalSignature, codeSigning, a critical URI SAN, an empty subject. */
export function leafExtensions(opts: { eku?: readonly string[]; ca?: boolean; extra?: readonly Uint8Array[] } = {}): Uint8Array[] {
  return [
    keyUsageExtension([KEY_USAGE_BIT.digitalSignature]),
    ...(opts.eku === undefined ? [extKeyUsageExtension([OID.codeSigning])] : opts.eku.length > 0 ? [extKeyUsageExtension(opts.eku)] : []),
    ...(opts.ca === true ? [encodeExtension(OID.basicConstraints, true, encodeSequence(encodeBoolean(true)))] : []),
    subjectAltNameExtension({ type: 'uri', value: 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main' }),
    ...(opts.extra ?? []),
  ];
}

export interface CaChain {
  readonly root: Issued;
  readonly intermediate: Issued;
}

export interface Window {
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A root and an intermediate, each with its own validity (ten years from T0 by default). */
export function makeCa(o: { root?: Window; intermediate?: Window } = {}): CaChain {
  const tenYears = { notBefore: T0, notAfter: T0 + 3650 * DAY };
  const root = issue({ name: testName('root'), ...(o.root ?? tenYears), extensions: CA_EXTENSIONS });
  const intermediate = issue({ name: testName('intermediate'), issuer: root, ...(o.intermediate ?? tenYears), extensions: CA_EXTENSIONS });
  return { root, intermediate };
}

export function authority(uri: string, chain: readonly Issued[], validFor: { start: number; end?: number } = { start: T0 - 365 * DAY }): CertificateAuthority {
  return { subject: { organization: 'keyless-test', commonName: uri }, uri, certChain: chain.map((c) => c.der), validFor };
}

export function trustMaterial(parts: { cas?: CertificateAuthority[]; tsas?: CertificateAuthority[] }): TrustMaterial {
  const root: TrustedRoot = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE_V01,
    tlogs: [],
    ctlogs: [],
    certificateAuthorities: parts.cas ?? [],
    timestampAuthorities: parts.tsas ?? [],
  };
  return prepareTrustMaterial(root);
}

/** A leaf issued by `ca`'s intermediate, valid for ten minutes from `at` (Fulcio's lifetime). */
export function makeLeaf(ca: CaChain, at: number, o: { extensions?: readonly Uint8Array[]; issuerName?: Uint8Array } = {}): Issued {
  return issue({
    name: EMPTY_NAME,
    issuer: ca.intermediate,
    ...(o.issuerName !== undefined ? { issuerName: o.issuerName } : {}),
    notBefore: at,
    notAfter: at + 10 * 60 * 1000,
    extensions: o.extensions ?? leafExtensions(),
  });
}
