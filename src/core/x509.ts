/**
 * X.509 v3 certificates (RFC 5280) as Sigstore uses them: Fulcio leaves, CA and TSA chains.
 * parseCertificate reads the structure once and keeps views of the input; anything malformed is ERR_CERT_INVALID.
 */
import { KeylessError } from './errors.js';
import {
  Asn1Reader,
  childrenOf,
  TAG,
  contextTag,
  decodeBitFlags,
  decodeBitString,
  decodeBoolean,
  decodeIa5,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  parseDer,
  withErrorCode,
  type Asn1,
} from './asn1.js';
import { encodeSequence, encodeTlv } from './asn1-encode.js';
import { bytesEqual, concatBytes, hexEncode, utf8Decode } from './encoding.js';
import { verifyWithAlgorithm, type PublicKey } from './keys.js';
import { FULCIO_EXTENSIONS_BY_OID, OID } from './oids.js';

export interface CertExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The contents of the extnValue OCTET STRING (itself DER for every standard extension). */
  readonly value: Uint8Array;
}

export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly contentCommitment: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

export interface SubjectAltName {
  /** 'other' covers directoryName, registeredID, x400 and otherNames other than Fulcio's username; value is hex DER. */
  readonly type: 'email' | 'uri' | 'dns' | 'ip' | 'otherName' | 'other';
  readonly value: string;
}

export interface Certificate {
  readonly der: Uint8Array;
  /** The TBSCertificate DER, the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** Always 3 (v1 and v2 certificates are refused). */
  readonly version: number;
  /** The INTEGER's content octets (big-endian, positive). */
  readonly serialNumber: Uint8Array;
  /** Raw Name DER, compare with bytesEqual. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  /** Epoch milliseconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** SubjectPublicKeyInfo DER, for publicKeyFromSpki. */
  readonly spki: Uint8Array;
  /** Signature algorithm OID (the outer one, checked equal to the TBS's). */
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly extensions: readonly CertExtension[];
  /** OIDs of critical extensions this module does not interpret; a verifier must refuse a certificate with any. */
  readonly unhandledCritical: readonly string[];
  readonly isCA: boolean;
  readonly pathLen?: number;
  readonly keyUsage?: KeyUsage;
  readonly extKeyUsage: readonly string[];
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly subjectAltNames: readonly SubjectAltName[];
  /** RFC 4514 text, most significant RDN last: "CN=sigstore-intermediate, O=sigstore.dev". */
  subjectText(): string;
  issuerText(): string;
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export function parseCertificate(der: Uint8Array): Certificate {
  return withErrorCode('ERR_CERT_INVALID', 'certificate', () => readCertificate(der));
}

function readCertificate(der: Uint8Array): Certificate {
  const cert = new Asn1Reader(parseDer(der, 'Certificate'), 'Certificate');
  const tbsNode = cert.next(TAG.SEQUENCE, 'tbsCertificate');
  const outerAlg = cert.next(TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = decodeBitString(cert.next(TAG.BIT_STRING, 'signatureValue'));
  cert.end();

  const tbs = new Asn1Reader(tbsNode, 'TBSCertificate');
  const versionNode = tbs.optional(contextTag(0, true));
  const version = versionNode === undefined ? 1 : decodeSmallInteger(single(versionNode, 'version')) + 1;
  if (version !== 3) throw new KeylessError('ERR_CERT_INVALID', `only X.509 v3 certificates are accepted, got v${version}`);
  const serialNode = tbs.next(TAG.INTEGER, 'serialNumber');
  if (decodeInteger(serialNode) <= 0n) throw new KeylessError('ERR_CERT_INVALID', 'serial number is not positive');
  const innerAlg = tbs.next(TAG.SEQUENCE, 'signature');
  if (!bytesEqual(innerAlg.bytes, outerAlg.bytes)) {
    throw new KeylessError('ERR_CERT_INVALID', 'signature algorithm differs between TBSCertificate and Certificate');
  }
  const signatureAlgorithm = decodeOid(new Asn1Reader(outerAlg, 'AlgorithmIdentifier').next(TAG.OID, 'algorithm'));
  const issuer = tbs.next(TAG.SEQUENCE, 'issuer');
  const validity = new Asn1Reader(tbs.next(TAG.SEQUENCE, 'validity'), 'Validity');
  const notBefore = decodeTime(validity.any('notBefore'));
  const notAfter = decodeTime(validity.any('notAfter'));
  validity.end();
  const subject = tbs.next(TAG.SEQUENCE, 'subject');
  const spki = tbs.next(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  tbs.optional(contextTag(1, false)); // issuerUniqueID
  tbs.optional(contextTag(2, false)); // subjectUniqueID
  const extsNode = tbs.optional(contextTag(3, true));
  tbs.end();

  const extensions = extsNode === undefined ? [] : readExtensions(single(extsNode, 'extensions'));
  return {
    der,
    tbs: tbsNode.bytes,
    version,
    serialNumber: serialNode.content,
    issuer: issuer.bytes,
    subject: subject.bytes,
    notBefore,
    notAfter,
    spki: spki.bytes,
    signatureAlgorithm,
    signature,
    extensions,
    ...interpretExtensions(extensions),
    subjectText: () => nameText(subject.bytes),
    issuerText: () => nameText(issuer.bytes),
  };
}

/** The one element inside an EXPLICIT tag. */
function single(node: Asn1, what: string): Asn1 {
  const kids = node.children();
  if (kids.length !== 1 || kids[0] === undefined) {
    throw new KeylessError('ERR_CERT_INVALID', `${what} must hold exactly one element`);
  }
  return kids[0];
}

function readExtensions(seq: Asn1): CertExtension[] {
  const reader = new Asn1Reader(seq, 'Extensions');
  const out: CertExtension[] = [];
  const seen = new Set<string>();
  while (!reader.done) {
    const ext = new Asn1Reader(reader.next(TAG.SEQUENCE, 'Extension'), 'Extension');
    const oid = decodeOid(ext.next(TAG.OID, 'extnID'));
    const criticalNode = ext.optional(TAG.BOOLEAN);
    const critical = criticalNode === undefined ? false : decodeBoolean(criticalNode);
    const value = decodeOctetString(ext.next(TAG.OCTET_STRING, 'extnValue'));
    ext.end();
    if (seen.has(oid)) throw new KeylessError('ERR_CERT_INVALID', `duplicate extension ${oid}`, { oid });
    seen.add(oid);
    out.push({ oid, critical, value });
  }
  return out;
}

type Derived = Pick<
  Certificate,
  'unhandledCritical' | 'isCA' | 'pathLen' | 'keyUsage' | 'extKeyUsage' | 'subjectKeyId' | 'authorityKeyId' | 'subjectAltNames'
>;

function interpretExtensions(extensions: readonly CertExtension[]): Derived {
  let isCA = false;
  let pathLen: number | undefined;
  let keyUsage: KeyUsage | undefined;
  let extKeyUsage: string[] = [];
  let subjectKeyId: Uint8Array | undefined;
  let authorityKeyId: Uint8Array | undefined;
  let subjectAltNames: SubjectAltName[] = [];
  const unhandledCritical: string[] = [];
  for (const { oid, critical, value } of extensions) {
    // the extensions read here are the ones whose criticality we honour; any other critical one is reported
    switch (oid) {
      case OID.basicConstraints: {
        const bc = new Asn1Reader(parseDer(value, 'basicConstraints'), 'BasicConstraints');
        const ca = bc.optional(TAG.BOOLEAN);
        isCA = ca === undefined ? false : decodeBoolean(ca);
        const len = bc.optional(TAG.INTEGER);
        bc.end();
        if (len !== undefined) {
          pathLen = decodeSmallInteger(len);
          if (pathLen < 0) throw new KeylessError('ERR_CERT_INVALID', 'negative pathLenConstraint');
        }
        break;
      }
      case OID.keyUsage: {
        const mask = decodeBitFlags(parseDer(value, 'keyUsage'));
        keyUsage = Object.fromEntries(KEY_USAGE_BITS.map((name, bit) => [name, (mask & (1 << bit)) !== 0])) as Record<
          (typeof KEY_USAGE_BITS)[number],
          boolean
        >;
        break;
      }
      case OID.extKeyUsage:
        extKeyUsage = childrenOf(parseDer(value, 'extKeyUsage'), TAG.SEQUENCE, 'ExtKeyUsage').map(decodeOid);
        if (extKeyUsage.length === 0) throw new KeylessError('ERR_CERT_INVALID', 'empty extKeyUsage');
        break;
      case OID.subjectKeyIdentifier:
        subjectKeyId = decodeOctetString(parseDer(value, 'subjectKeyIdentifier'));
        break;
      case OID.authorityKeyIdentifier: {
        const aki = new Asn1Reader(parseDer(value, 'authorityKeyIdentifier'), 'AuthorityKeyIdentifier');
        authorityKeyId = aki.optional(contextTag(0, false))?.content;
        break;
      }
      case OID.subjectAltName:
        subjectAltNames = readGeneralNames(parseDer(value, 'subjectAltName'));
        break;
      default:
        if (critical) unhandledCritical.push(oid);
    }
  }
  return {
    unhandledCritical,
    isCA,
    extKeyUsage,
    subjectAltNames,
    ...(pathLen !== undefined && { pathLen }),
    ...(keyUsage !== undefined && { keyUsage }),
    ...(subjectKeyId !== undefined && { subjectKeyId }),
    ...(authorityKeyId !== undefined && { authorityKeyId }),
  };
}

function readGeneralNames(seq: Asn1): SubjectAltName[] {
  const names = new Asn1Reader(seq, 'GeneralNames');
  const out: SubjectAltName[] = [];
  while (!names.done) {
    const gn = names.any('GeneralName');
    switch (gn.tag) {
      case contextTag(1, false):
        out.push({ type: 'email', value: decodeIa5(gn) });
        break;
      case contextTag(2, false):
        out.push({ type: 'dns', value: decodeIa5(gn) });
        break;
      case contextTag(6, false):
        out.push({ type: 'uri', value: decodeIa5(gn) });
        break;
      case contextTag(7, false):
        out.push({ type: 'ip', value: ipText(gn.content) });
        break;
      case contextTag(0, true): {
        // otherName: type-id OID, [0] EXPLICIT value
        const on = new Asn1Reader(gn, 'otherName', gn.tag);
        const typeId = decodeOid(on.next(TAG.OID, 'type-id'));
        const value = single(on.next(contextTag(0, true), 'value'), 'otherName value');
        on.end();
        if (typeId === OID.fulcioOtherName) out.push({ type: 'otherName', value: decodeUtf8(value, 'otherName') });
        else out.push({ type: 'other', value: hexEncode(gn.bytes) });
        break;
      }
      default:
        out.push({ type: 'other', value: hexEncode(gn.bytes) });
    }
  }
  if (out.length === 0) throw new KeylessError('ERR_CERT_INVALID', 'empty subjectAltName');
  return out;
}

function decodeUtf8(node: Asn1, what: string): string {
  if (node.tag !== TAG.UTF8_STRING) {
    throw new KeylessError('ERR_CERT_INVALID', `${what}: expected a DER UTF8String, got tag 0x${node.tag.toString(16)}`);
  }
  return decodeString(node);
}

function ipText(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  if (b.length !== 16) throw new KeylessError('ERR_CERT_INVALID', `iPAddress of ${b.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** RFC 4514 string of a Name DER, RDNs most-significant last, joined with ", ". */
export function nameText(nameDer: Uint8Array): string {
  return withErrorCode('ERR_CERT_INVALID', 'name', () => {
    const rdns = childrenOf(parseDer(nameDer, 'Name'), TAG.SEQUENCE, 'Name');
    const parts = rdns.map((rdn) =>
      childrenOf(rdn, TAG.SET, 'RelativeDistinguishedName')
        .map((atv) => {
          const r = new Asn1Reader(atv, 'AttributeTypeAndValue');
          const type = decodeOid(r.next(TAG.OID, 'type'));
          const value = r.any('value');
          r.end();
          const key = ATTRIBUTE_NAMES[type] ?? type;
          let text: string;
          try {
            text = escapeRdnValue(decodeString(value));
          } catch {
            text = `#${hexEncode(value.bytes)}`;
          }
          return `${key}=${text}`;
        })
        .join('+'),
    );
    return parts.reverse().join(', ');
  });
}

function escapeRdnValue(s: string): string {
  return s
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ')
    .replace(/\0/g, '\\00');
}

/**
 * Fulcio's extensions as { name: value } (names from FULCIO_EXTENSIONS): .1–.6 are raw strings, .8 onwards DER
 * UTF8Strings (anything else is ERR_CERT_INVALID). 'issuer' comes from .8 when present, else from the legacy .1.
 */
export function fulcioExtensions(cert: Certificate): Record<string, string> {
  const out: Record<string, string> = {};
  let legacyIssuer: string | undefined;
  for (const ext of cert.extensions) {
    const known = FULCIO_EXTENSIONS_BY_OID.get(ext.oid);
    if (known === undefined || known.oid === OID.fulcioOtherName) continue;
    if (known.legacy) {
      const value = withErrorCode('ERR_CERT_INVALID', `extension ${ext.oid}`, () => utf8Decode(ext.value));
      if (known.name === 'issuer') legacyIssuer = value;
      else out[known.name] = value;
    } else {
      out[known.name] = withErrorCode('ERR_CERT_INVALID', `extension ${ext.oid} (${known.label})`, () =>
        decodeUtf8(parseDer(ext.value, known.label), `extension ${ext.oid} (${known.label})`),
      );
    }
  }
  if (out.issuer === undefined && legacyIssuer !== undefined) out.issuer = legacyIssuer;
  return out;
}

/** The extension that holds embedded SCTs, if any. */
export function findExtension(cert: Certificate, oid: string): CertExtension | undefined {
  return cert.extensions.find((e) => e.oid === oid);
}

/**
 * RFC 6962 §3.2: the TBSCertificate the CT log signed for an embedded SCT, i.e. the leaf's TBS without the SCT
 * list extension (and without the poison extension, so a precertificate gives the same bytes), lengths
 * re-encoded. Assumes the precertificate was signed by the leaf's own issuer (no Precertificate Signing
 * Certificate), as Fulcio does.
 */
export function precertificateTbs(cert: Certificate): Uint8Array {
  return withErrorCode('ERR_CERT_INVALID', 'precertificate TBS', () => {
    const parts: Uint8Array[] = [];
    for (const field of parseDer(cert.tbs, 'TBSCertificate').children()) {
      if (field.tag !== contextTag(3, true)) {
        parts.push(field.bytes);
        continue;
      }
      const kept = single(field, 'extensions')
        .children()
        .filter((ext) => {
          const oid = decodeOid(new Asn1Reader(ext, 'Extension').next(TAG.OID, 'extnID'));
          return oid !== OID.ctSctList && oid !== OID.ctPrecertPoison;
        })
        .map((ext) => ext.bytes);
      if (kept.length > 0) parts.push(encodeTlv(contextTag(3, true), encodeSequence(...kept)));
    }
    return encodeTlv(TAG.SEQUENCE, concatBytes(...parts));
  });
}

/** Whether `issuerKey` signed this certificate, with the algorithm the certificate names. */
export function verifyCertificateSignature(cert: Certificate, issuerKey: PublicKey): boolean {
  return verifyWithAlgorithm(issuerKey, cert.signatureAlgorithm, cert.tbs, cert.signature);
}
