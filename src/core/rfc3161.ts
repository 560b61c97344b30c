/**
 * RFC 3161 timestamps: the TSA's TimeStampResp (what Sigstore bundles carry in `signedTimestamp`, and what
 * sigstore-js and sigstore-go parse) or a bare TimeStampToken (CMS ContentInfo with SignedData, RFC 5652).
 * Anything malformed is ERR_TIMESTAMP_INVALID; an algorithm we do not accept is ERR_KEY_UNSUPPORTED.
 */
import { KeylessError } from './errors.js';
import {
  Asn1Reader,
  TAG,
  childrenOf,
  contextTag,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeTime,
  parseDer,
  withErrorCode,
  type Asn1,
} from './asn1.js';
import { bytesEqual } from './encoding.js';
import { digest, verifySignature, verifyWithAlgorithm, type HashAlgorithm, type PublicKey } from './keys.js';
import { OID } from './oids.js';

export interface TimestampSigner {
  /** Raw Name DER of the signing certificate's issuer (IssuerAndSerialNumber). */
  readonly issuer: Uint8Array;
  readonly serialNumber: bigint;
  readonly digestAlgorithm: string;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** The signed attributes re-tagged as SET (0x31): the bytes the signature covers. */
  readonly signedAttrs?: Uint8Array;
  readonly messageDigest?: Uint8Array;
  readonly contentType?: string;
}

export interface TimestampToken {
  /** Epoch milliseconds (sub-millisecond digits truncated). */
  readonly genTime: number;
  readonly messageImprint: { readonly hashAlgorithm: string; readonly digest: Uint8Array };
  readonly nonce?: bigint;
  readonly serialNumber: bigint;
  readonly policy: string;
  /** TSTInfo accuracy in milliseconds, when the TSA states one. */
  readonly accuracy?: number;
  /** The TSTInfo DER (eContent), what messageDigest covers. */
  readonly eContent: Uint8Array;
  /** Certificates embedded in SignedData, DER, unparsed. */
  readonly certificates: readonly Uint8Array[];
  readonly signer: TimestampSigner;
}

const HASHES: Readonly<Record<string, HashAlgorithm>> = {
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** The hash named by a digest AlgorithmIdentifier OID; ERR_KEY_UNSUPPORTED for anything but SHA-2 256/384/512. */
export function hashAlgorithmName(oid: string): HashAlgorithm {
  const name = HASHES[oid];
  if (name === undefined) throw new KeylessError('ERR_KEY_UNSUPPORTED', `unsupported hash algorithm ${oid}`, { oid });
  return name;
}

function invalid(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_TIMESTAMP_INVALID', message, details);
}

export function parseTimestamp(der: Uint8Array): TimestampToken {
  return withErrorCode('ERR_TIMESTAMP_INVALID', 'RFC 3161 timestamp', () => {
    const root = parseDer(der, 'TimeStampResp or ContentInfo');
    const first = childrenOf(root, TAG.SEQUENCE, 'timestamp')[0];
    return readToken(first?.tag === TAG.SEQUENCE ? tokenOfResponse(root) : root);
  });
}

/** TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL } */
function tokenOfResponse(resp: Asn1): Asn1 {
  const r = new Asn1Reader(resp, 'TimeStampResp');
  const statusInfo = new Asn1Reader(r.next(TAG.SEQUENCE, 'status'), 'PKIStatusInfo');
  const status = decodeSmallInteger(statusInfo.next(TAG.INTEGER, 'status'));
  // 0 granted, 1 grantedWithMods; 2 rejection, 3 waiting, 4/5 revocation
  if (status !== 0 && status !== 1) throw invalid(`the TSA did not grant the timestamp (status ${status})`, { status });
  const token = r.next(TAG.SEQUENCE, 'timeStampToken');
  r.end();
  return token;
}

function algorithmOid(node: Asn1, what: string): string {
  return decodeOid(new Asn1Reader(node, what).next(TAG.OID, 'algorithm'));
}

function explicit(node: Asn1, what: string): Asn1 {
  const kids = node.children();
  if (kids.length !== 1 || kids[0] === undefined) throw invalid(`${what} must hold exactly one element`);
  return kids[0];
}

/** ContentInfo ::= SEQUENCE { contentType OID (signedData), content [0] EXPLICIT SignedData } */
function readToken(contentInfo: Asn1): TimestampToken {
  const ci = new Asn1Reader(contentInfo, 'ContentInfo');
  const contentType = decodeOid(ci.next(TAG.OID, 'contentType'));
  if (contentType !== OID.signedData) throw invalid(`timestamp token is ${contentType}, not SignedData`);
  const sd = new Asn1Reader(explicit(ci.next(contextTag(0, true), 'content'), 'content'), 'SignedData');
  ci.end();

  sd.next(TAG.INTEGER, 'version');
  sd.next(TAG.SET, 'digestAlgorithms');
  const encap = new Asn1Reader(sd.next(TAG.SEQUENCE, 'encapContentInfo'), 'EncapsulatedContentInfo');
  const eContentType = decodeOid(encap.next(TAG.OID, 'eContentType'));
  if (eContentType !== OID.tstInfo) throw invalid(`encapsulated content is ${eContentType}, not TSTInfo`);
  const eContent = decodeOctetString(explicit(encap.next(contextTag(0, true), 'eContent'), 'eContent'));
  encap.end();
  const certsNode = sd.optional(contextTag(0, true));
  sd.optional(contextTag(1, true)); // crls
  const signerInfos = childrenOf(sd.next(TAG.SET, 'signerInfos'), TAG.SET, 'signerInfos');
  sd.end();
  if (signerInfos.length !== 1 || signerInfos[0] === undefined) {
    throw invalid(`expected one SignerInfo, found ${signerInfos.length}`);
  }
  // CertificateChoices: only plain certificates (SEQUENCE); the obsolete and attribute-certificate forms are skipped
  const certificates = (certsNode?.children() ?? []).filter((c) => c.tag === TAG.SEQUENCE).map((c) => c.bytes);
  return { ...readTstInfo(eContent), eContent, certificates, signer: readSignerInfo(signerInfos[0]) };
}

/**
 * TSTInfo ::= SEQUENCE { version INTEGER (1), policy, messageImprint, serialNumber, genTime, accuracy OPTIONAL,
 *   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL, extensions [1] OPTIONAL }
 */
function readTstInfo(eContent: Uint8Array): Omit<TimestampToken, 'eContent' | 'certificates' | 'signer'> {
  const t = new Asn1Reader(parseDer(eContent, 'TSTInfo'), 'TSTInfo');
  const version = decodeSmallInteger(t.next(TAG.INTEGER, 'version'));
  if (version !== 1) throw invalid(`TSTInfo version ${version}`);
  const policy = decodeOid(t.next(TAG.OID, 'policy'));
  const mi = new Asn1Reader(t.next(TAG.SEQUENCE, 'messageImprint'), 'MessageImprint');
  const messageImprint = {
    hashAlgorithm: algorithmOid(mi.next(TAG.SEQUENCE, 'hashAlgorithm'), 'hashAlgorithm'),
    digest: decodeOctetString(mi.next(TAG.OCTET_STRING, 'hashedMessage')),
  };
  mi.end();
  const serialNumber = decodeInteger(t.next(TAG.INTEGER, 'serialNumber'));
  const genTimeNode = t.next(TAG.GENERALIZED_TIME, 'genTime');
  const genTime = decodeTime(genTimeNode);
  const accuracyNode = t.optional(TAG.SEQUENCE);
  t.optional(TAG.BOOLEAN); // ordering
  const nonceNode = t.optional(TAG.INTEGER);
  t.optional(contextTag(0, true)); // tsa
  t.optional(contextTag(1, true)); // extensions
  t.end();
  const accuracy = accuracyNode === undefined ? undefined : readAccuracy(accuracyNode);
  return {
    genTime,
    messageImprint,
    serialNumber,
    policy,
    ...(nonceNode !== undefined && { nonce: decodeInteger(nonceNode) }),
    ...(accuracy !== undefined && { accuracy }),
  };
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] … } */
function readAccuracy(node: Asn1): number {
  const a = new Asn1Reader(node, 'Accuracy');
  const seconds = a.optional(TAG.INTEGER);
  const millis = a.optional(contextTag(0, false));
  const micros = a.optional(contextTag(1, false));
  a.end();
  const field = (n: Asn1 | undefined, tag: number, max: number): number => {
    if (n === undefined) return 0;
    const v = decodeSmallInteger(n, tag);
    if (v < 0 || v > max) throw invalid('accuracy out of range');
    return v;
  };
  const s = field(seconds, TAG.INTEGER, 2 ** 31);
  return s * 1000 + field(millis, contextTag(0, false), 999) + Math.ceil(field(micros, contextTag(1, false), 999) / 1000);
}

/**
 * SignerInfo ::= SEQUENCE { version, sid IssuerAndSerialNumber, digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL,
 *   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
 */
function readSignerInfo(node: Asn1): TimestampSigner {
  const si = new Asn1Reader(node, 'SignerInfo');
  si.next(TAG.INTEGER, 'version');
  const sidNode = si.any('sid');
  if (sidNode.tag !== TAG.SEQUENCE) throw invalid('only IssuerAndSerialNumber signer identifiers are supported');
  const sid = new Asn1Reader(sidNode, 'IssuerAndSerialNumber');
  const issuer = sid.next(TAG.SEQUENCE, 'issuer').bytes;
  const serialNumber = decodeInteger(sid.next(TAG.INTEGER, 'serialNumber'));
  sid.end();
  const digestAlgorithm = algorithmOid(si.next(TAG.SEQUENCE, 'digestAlgorithm'), 'digestAlgorithm');
  const attrsNode = si.optional(contextTag(0, true));
  const signatureAlgorithm = algorithmOid(si.next(TAG.SEQUENCE, 'signatureAlgorithm'), 'signatureAlgorithm');
  const signature = decodeOctetString(si.next(TAG.OCTET_STRING, 'signature'));
  si.optional(contextTag(1, true)); // unsignedAttrs
  si.end();
  const base = { issuer, serialNumber, digestAlgorithm, signatureAlgorithm, signature };
  if (attrsNode === undefined) return base;

  // RFC 5652 §5.3: signedAttrs MUST hold exactly one content-type and one message-digest attribute
  let messageDigest: Uint8Array | undefined;
  let contentType: string | undefined;
  const seen = new Set<string>();
  for (const attr of attrsNode.children()) {
    const a = new Asn1Reader(attr, 'Attribute');
    const type = decodeOid(a.next(TAG.OID, 'attrType'));
    const values = childrenOf(a.next(TAG.SET, 'attrValues'), TAG.SET, 'attrValues');
    a.end();
    if (seen.has(type)) throw invalid(`signed attribute ${type} appears twice`);
    seen.add(type);
    if (type !== OID.messageDigest && type !== OID.contentType) continue;
    if (values.length !== 1 || values[0] === undefined) throw invalid(`signed attribute ${type} must have one value`);
    if (type === OID.messageDigest) messageDigest = decodeOctetString(values[0]);
    else contentType = decodeOid(values[0]);
  }
  if (messageDigest === undefined || contentType === undefined) {
    throw invalid('signed attributes lack the content-type or message-digest attribute');
  }
  const signedAttrs = Uint8Array.from(attrsNode.bytes);
  signedAttrs[0] = TAG.SET; // RFC 5652 §5.4: the signature covers the EXPLICIT SET OF encoding
  return { ...base, signedAttrs, messageDigest, contentType };
}

/**
 * RFC 5652 §5.4/§5.6: with signed attributes, the content type must be id-ct-TSTInfo, the message digest must be
 * the hash of eContent with the signer's digest algorithm, and the signature covers the SET-encoded attributes;
 * without them, the signature covers eContent. Checks the signature only, not the certificate or the imprint.
 */
export function verifyTimestampSignature(token: TimestampToken, tsaKey: PublicKey): boolean {
  const { signer } = token;
  const hash = hashAlgorithmName(signer.digestAlgorithm);
  let signed = token.eContent;
  if (signer.signedAttrs !== undefined) {
    if (signer.contentType !== OID.tstInfo) return false;
    if (signer.messageDigest === undefined || !bytesEqual(signer.messageDigest, digest(hash, token.eContent))) return false;
    signed = signer.signedAttrs;
  }
  // RFC 5652 lets signatureAlgorithm name just the key algorithm; the hash then comes from digestAlgorithm
  if (signer.signatureAlgorithm === OID.ecPublicKey || signer.signatureAlgorithm === OID.rsaEncryption) {
    const rsa = signer.signatureAlgorithm === OID.rsaEncryption;
    if (rsa ? tsaKey.type !== 'rsa' : !tsaKey.type.startsWith('ecdsa')) return false;
    return verifySignature(tsaKey, signed, signer.signature, hash);
  }
  return verifyWithAlgorithm(tsaKey, signer.signatureAlgorithm, signed, signer.signature);
}
