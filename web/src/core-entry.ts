/**
 * What the log explorer page reads with src/core, bundled by scripts/build-web.mjs into web/dist/core.js: the page
 * has no DER, X.509, Merkle or checkpoint reader of its own (issue 15: two readers of one format drift apart, and
 * the page once displayed the second of two SANs that core refuses). This module only shapes core's results for
 * display; every decision — what is a certificate, what a proof proves — is core's.
 *
 * In the bundle, node:buffer and node:crypto are replaced by web/src/browser/ (a Uint8Array Buffer subset and a
 * synchronous SHA-256); in Node this module runs on core unchanged, which is how the tests compare the two.
 */
import { Asn1Reader, TAG, decodeOctetString, decodeOid, parseDer } from '../../src/core/asn1.js';
import { parseCheckpoint as parseCheckpointBody, type Checkpoint } from '../../src/core/checkpoint.js';
import { base64Decode, bytesEqual, hexDecode, hexEncode, pemDecodeAll } from '../../src/core/encoding.js';
import { KeylessError, isKeylessError } from '../../src/core/errors.js';
import { leafHash, nodeHash, rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { parseSignedNote } from '../../src/core/note.js';
import { FULCIO_EXTENSIONS_BY_OID, OID } from '../../src/core/oids.js';
import { fulcioExtensions, parseCertificate as parseCoreCertificate, type Certificate, type SubjectAltName } from '../../src/core/x509.js';

export { KeylessError, bytesEqual, isKeylessError, leafHash, nodeHash, rootFromInclusionProof, verifyConsistency, verifyInclusion };

/** A check the page makes itself failed (as opposed to core refusing what it was given). */
export class ProofError extends Error {}

export interface FulcioField {
  readonly oid: string;
  readonly n: number;
  readonly label: string;
  readonly value: string;
}
export interface ExtensionField {
  readonly oid: string;
  readonly name: string;
  readonly critical: boolean;
  readonly text: string;
}
/** A certificate as the page shows it. */
export interface CertificateView {
  readonly version: number;
  readonly serial: string;
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: string;
  readonly signatureAlgorithm: string;
  readonly sans: readonly SubjectAltName[];
  readonly fulcio: readonly FulcioField[];
  readonly extensions: readonly ExtensionField[];
}

const NAMES: Readonly<Record<string, string>> = {
  [OID.ecPublicKey]: 'ECDSA', [OID.p256]: 'P-256', [OID.p384]: 'P-384', [OID.p521]: 'P-521', [OID.rsaEncryption]: 'RSA',
  [OID.ed25519]: 'Ed25519', [OID.ecdsaWithSha256]: 'ECDSA with SHA-256', [OID.ecdsaWithSha384]: 'ECDSA with SHA-384',
  [OID.ecdsaWithSha512]: 'ECDSA with SHA-512', [OID.sha256WithRsaEncryption]: 'RSA with SHA-256',
  '1.3.6.1.5.5.7.3.3': 'Code Signing', '1.3.6.1.5.5.7.3.8': 'Time Stamping',
  '2.5.29.14': 'Subject Key Identifier', '2.5.29.15': 'Key Usage', '2.5.29.17': 'Subject Alternative Name',
  '2.5.29.19': 'Basic Constraints', '2.5.29.35': 'Authority Key Identifier', '2.5.29.37': 'Extended Key Usage',
  '1.3.6.1.4.1.11129.2.4.2': 'Embedded SCTs', '1.3.6.1.4.1.11129.2.4.3': 'CT Precertificate Poison',
};
export const oidName = (oid: string): string => NAMES[oid] ?? oid;

/**
 * core's parseCertificate, and Fulcio's extensions as core reads them, laid out for display. Throws what core
 * throws (ERR_CERT_INVALID): a certificate core refuses is never shown as if it named someone.
 */
export function parseCertificate(der: Uint8Array): CertificateView {
  const cert = parseCoreCertificate(der);
  const named = fulcioExtensions(cert);
  const fulcio: FulcioField[] = [];
  const extensions: ExtensionField[] = [];
  for (const ext of cert.extensions) {
    const known = FULCIO_EXTENSIONS_BY_OID.get(ext.oid);
    if (known !== undefined && known.oid !== OID.fulcioOtherName) {
      const value = known.legacy ? new TextDecoder('utf-8', { fatal: true }).decode(ext.value) : (named[known.name] ?? '');
      fulcio.push({ oid: ext.oid, n: Number(ext.oid.slice(ext.oid.lastIndexOf('.') + 1)), label: known.label, value });
    } else {
      const understood = !cert.unhandledCritical.includes(ext.oid);
      extensions.push({ oid: ext.oid, name: oidName(ext.oid), critical: ext.critical, text: understood ? describe(cert, ext.oid, ext.value) : `${ext.value.length} bytes (critical, and not understood: a verifier refuses this certificate)` });
    }
  }
  return {
    version: cert.version,
    serial: hexEncode(cert.serialNumber),
    issuer: cert.issuerText(),
    subject: cert.subjectText(),
    notBefore: new Date(cert.notBefore),
    notAfter: new Date(cert.notAfter),
    publicKey: keyText(cert.spki),
    signatureAlgorithm: oidName(cert.signatureAlgorithm),
    sans: cert.subjectAltNames,
    fulcio,
    extensions,
  };
}

function describe(cert: Certificate, oid: string, value: Uint8Array): string {
  switch (oid) {
    case OID.subjectAltName:
      return cert.subjectAltNames.map((s) => `${s.type}: ${s.value}`).join(', ');
    case OID.keyUsage:
      return Object.entries(cert.keyUsage ?? {}).filter(([, on]) => on).map(([name]) => name).join(', ');
    case OID.extKeyUsage:
      return cert.extKeyUsage.map(oidName).join(', ');
    case OID.basicConstraints:
      return cert.isCA ? `CA${cert.pathLen === undefined ? '' : `, path length ${cert.pathLen}`}` : 'not a CA';
    case OID.subjectKeyIdentifier:
      return cert.subjectKeyId === undefined ? '' : hexEncode(cert.subjectKeyId);
    case OID.authorityKeyIdentifier:
      return cert.authorityKeyId === undefined ? '' : hexEncode(cert.authorityKeyId);
    case OID.ctSctList:
      return sctCount(value);
    default:
      return `${value.length} bytes`;
  }
}

/** RFC 6962 3.3: an OCTET STRING holding a TLS vector of SCTs, each with a 2-byte length. */
function sctCount(value: Uint8Array): string {
  try {
    const list = decodeOctetString(parseDer(value, 'SignedCertificateTimestampList'));
    let count = 0;
    for (let p = 2; p + 2 <= list.length; p += 2 + (list[p] as number) * 256 + (list[p + 1] as number)) count++;
    return `${count} signed certificate timestamp${count === 1 ? '' : 's'}`;
  } catch {
    return `${value.length} bytes (not an SCT list)`;
  }
}

function keyText(spki: Uint8Array): string {
  try {
    const alg = new Asn1Reader(new Asn1Reader(parseDer(spki, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo').next(TAG.SEQUENCE, 'algorithm'), 'AlgorithmIdentifier');
    const name = oidName(decodeOid(alg.next(TAG.OID, 'algorithm')));
    const params = alg.optional(TAG.OID);
    return params === undefined ? name : `${name} ${oidName(decodeOid(params))}`;
  } catch {
    return 'unreadable key';
  }
}

/** The first CERTIFICATE block of PEM text, or undefined when there is none; ERR_ENCODING for a damaged one. */
export function pemCertificate(pem: string): Uint8Array | undefined {
  return pemDecodeAll(pem, 'CERTIFICATE')[0];
}

/** Standard or URL-safe base64, as core reads it (strict). */
export const base64Bytes = (text: string): Uint8Array => base64Decode(text);
export const hex = (bytes: Uint8Array): string => hexEncode(bytes);

/** Hex text → bytes; ProofError naming `what` otherwise. */
export function hexBytes(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new ProofError(`${what} is not hex`);
  try {
    return hexDecode(text, what);
  } catch {
    throw new ProofError(`${what} is not hex`);
  }
}

/**
 * A checkpoint as a log serves it — a C2SP signed note — read with core's signed-note and checkpoint parsers.
 * Its signatures are not verified here.
 */
export function parseCheckpoint(text: unknown): Checkpoint & { readonly signatures: number } {
  if (typeof text !== 'string') throw new ProofError('the checkpoint is missing');
  const note = parseSignedNote(text);
  return { ...parseCheckpointBody(note.text), signatures: note.signatures.length };
}
