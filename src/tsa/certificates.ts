/**
 * A TSA certificate chain for `keyless serve`'s first start and for tests: a self-signed ECDSA P-384 root and an
 * ECDSA P-256 TSA leaf with what RFC 3161 §2.3 demands (one critical extendedKeyUsage, id-kp-timeStamping only)
 * and a critical keyUsage digitalSignature, like sigstore/timestamp-authority's own leaf. The root's private key
 * is used once and dropped: nothing else is ever signed with it; an operator who wants a managed root brings a chain.
 *
 * Encoded with src/core's DER encoders rather than @peculiar/x509: v2 of that library needs a Reflect polyfill
 * (reflect-metadata) imported before it, which keyless does not declare as a dependency; two fixed certificate
 * shapes are short to write out (RFC 5280 §4.1).
 */
import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TAG, contextTag } from '../core/asn1.js';
import {
  encodeBitString,
  encodeBoolean,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../core/asn1-encode.js';
import { pemEncode } from '../core/encoding.js';
import { OID } from '../core/oids.js';

export interface TsaCertificateOptions {
  /** Leaf subject CN; the root's is `<commonName>-root`. Default 'keyless-tsa'. */
  readonly commonName?: string;
  /** Subject O of both certificates. Default 'keyless'. */
  readonly organization?: string;
  /** notBefore of both certificates, epoch milliseconds (truncated to the second). Default now. */
  readonly now?: number;
  /** Validity of both certificates. Default 10 years. */
  readonly validityYears?: number;
  /** Curve of the TSA leaf key. Default P-256 (the TSA then signs with SHA-256; with P-384, SHA-384). */
  readonly leafCurve?: 'P-256' | 'P-384';
}

export interface TsaCertificates {
  /** The leaf's private key (P-256 unless `leafCurve` says otherwise), for createTimestampAuthority. */
  readonly key: KeyObject;
  /** The same key as PKCS#8 PEM, to store with file mode 0600. */
  readonly keyPem: string;
  /** Leaf then root, PEM. */
  readonly chainPem: string;
  /** Leaf then root, DER. */
  readonly chainDer: Uint8Array[];
  /** The root alone, PEM: the trust anchor for trusted_root.json's timestampAuthorities. */
  readonly rootPem: string;
}

const ATTR_ORGANIZATION = '2.5.4.10';
const ATTR_COMMON_NAME = '2.5.4.3';

const generateEcKeyPair = promisify(generateKeyPair);

/** Name ::= SEQUENCE OF RDN, most significant first: O, then CN (as upstream's "O=sigstore.dev, CN=sigstore-tsa"). */
function encodeName(organization: string, commonName: string): Uint8Array {
  const rdn = (oid: string, value: string) => encodeSet(encodeSequence(encodeOid(oid), encodeUtf8String(value)));
  return encodeSequence(rdn(ATTR_ORGANIZATION, organization), rdn(ATTR_COMMON_NAME, commonName));
}

/** A named-bit BIT STRING (KeyUsage) of one octet, trailing zero bits counted as unused (X.690 §11.2.2). */
function encodeBitFlags(octet: number): Uint8Array {
  let unused = 0;
  while (unused < 7 && (octet & (1 << unused)) === 0) unused++;
  return encodeTlv(TAG.BIT_STRING, Uint8Array.of(unused, octet));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(oid), critical ? encodeBoolean(true) : new Uint8Array(0), encodeOctetString(value));
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

/** RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Uint8Array {
  const spki = spkiOf(publicKey);
  // the P-256/P-384 SPKI ends with the BIT STRING's uncompressed point; its length is fixed by the curve
  const pointLength = publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 97 : 65;
  return new Uint8Array(createHash('sha256').update(spki.subarray(spki.length - pointLength)).digest().subarray(0, 20));
}

function serialNumber(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01; // positive, never zero, 16 octets
  return encodeTlv(TAG.INTEGER, bytes);
}

interface CertificateFields {
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly publicKey: KeyObject;
  readonly extensions: Uint8Array[];
  /** The issuer's P-384 key; signatures are ecdsa-with-SHA384. */
  readonly signingKey: KeyObject;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (RFC 5280 §4.1) */
function encodeCertificate(f: CertificateFields): Uint8Array {
  const algorithm = encodeSequence(encodeOid(OID.ecdsaWithSha384));
  const tbs = encodeSequence(
    encodeTlv(contextTag(0, true), encodeInteger(2)), // v3
    serialNumber(),
    algorithm,
    f.issuer,
    encodeSequence(encodeTime(f.notBefore), encodeTime(f.notAfter)),
    f.subject,
    spkiOf(f.publicKey),
    encodeTlv(contextTag(3, true), encodeSequence(...f.extensions)),
  );
  const signature = sign('sha384', tbs, { key: f.signingKey, dsaEncoding: 'der' });
  return encodeSequence(tbs, algorithm, encodeBitString(signature));
}

export async function generateTsaCertificates(opts: TsaCertificateOptions = {}): Promise<TsaCertificates> {
  const commonName = opts.commonName ?? 'keyless-tsa';
  const organization = opts.organization ?? 'keyless';
  const start = opts.now ?? Date.now();
  const years = opts.validityYears ?? 10;
  const leafCurve = opts.leafCurve ?? 'P-256';
  if (leafCurve !== 'P-256' && leafCurve !== 'P-384') throw new TypeError(`leafCurve must be P-256 or P-384, got ${String(leafCurve)}`);
  if (!Number.isFinite(start)) throw new TypeError(`now must be epoch milliseconds, got ${start}`);
  if (!Number.isInteger(years) || years < 1 || years > 100) throw new TypeError(`validityYears must be an integer from 1 to 100, got ${years}`);
  const notBefore = Math.floor(start / 1000) * 1000;
  const end = new Date(notBefore);
  end.setUTCFullYear(end.getUTCFullYear() + years);
  const notAfter = end.getTime();

  const [root, leaf] = await Promise.all([
    generateEcKeyPair('ec', { namedCurve: 'P-384' }),
    generateEcKeyPair('ec', { namedCurve: leafCurve }),
  ]);
  const rootName = encodeName(organization, `${commonName}-root`);
  const rootKeyId = keyIdentifier(root.publicKey);

  const rootDer = encodeCertificate({
    issuer: rootName,
    subject: rootName,
    notBefore,
    notAfter,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    extensions: [
      extension(OID.basicConstraints, true, encodeSequence(encodeBoolean(true), encodeInteger(0))),
      extension(OID.keyUsage, true, encodeBitFlags(0x06)), // keyCertSign (bit 5), cRLSign (bit 6)
      extension(OID.subjectKeyIdentifier, false, encodeOctetString(rootKeyId)),
    ],
  });
  const leafDer = encodeCertificate({
    issuer: rootName,
    subject: encodeName(organization, commonName),
    notBefore,
    notAfter,
    publicKey: leaf.publicKey,
    signingKey: root.privateKey,
    extensions: [
      extension(OID.keyUsage, true, encodeBitFlags(0x80)), // digitalSignature (bit 0)
      // RFC 3161 §2.3: "only one instance of the extended key usage field extension … id-kp-timeStamping. This
      // extension MUST be critical."
      extension(OID.extKeyUsage, true, encodeSequence(encodeOid(OID.timeStamping))),
      extension(OID.subjectKeyIdentifier, false, encodeOctetString(keyIdentifier(leaf.publicKey))),
      extension(OID.authorityKeyIdentifier, false, encodeSequence(encodeTlv(contextTag(0, false), rootKeyId))),
    ],
  });

  const rootPem = pemEncode(rootDer, 'CERTIFICATE');
  return {
    key: leaf.privateKey,
    keyPem: leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    chainPem: pemEncode(leafDer, 'CERTIFICATE') + rootPem,
    chainDer: [leafDer, rootDer],
    rootPem,
  };
}
