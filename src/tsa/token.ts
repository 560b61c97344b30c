/**
 * Encodes the TSA's answer (RFC 3161 §2.4.2): TimeStampResp with status granted and a TimeStampToken, a CMS
 * ContentInfo holding SignedData (RFC 5652 §5) over a TSTInfo. Pure: the caller supplies the time, the serial
 * number and the signing function. Shapes follow sigstore/timestamp-authority (digitorus/timestamp): accuracy
 * 1 s, no ordering, the TSA name, and signed attributes content-type, signing-time, message-digest and
 * signingCertificateV2.
 */
import { TAG, contextTag } from '../core/asn1.js';
import {
  encodeGeneralizedTime,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
} from '../core/asn1-encode.js';
import { concatBytes } from '../core/encoding.js';
import { digest, sha256, type HashAlgorithm } from '../core/keys.js';
import { OID } from '../core/oids.js';
import type { Certificate } from '../core/x509.js';

const DIGEST_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

const ECDSA_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  sha256: OID.ecdsaWithSha256,
  sha384: OID.ecdsaWithSha384,
  sha512: OID.ecdsaWithSha512,
};

export interface TstInfoFields {
  readonly policy: string;
  /** MessageImprint DER, copied from the request. */
  readonly messageImprint: Uint8Array;
  /** Big-endian magnitude of a positive serial number. */
  readonly serialNumber: Uint8Array;
  /** Epoch milliseconds; must be whole seconds (see encodeTstInfo). */
  readonly genTime: number;
  /** The request's nonce INTEGER DER. */
  readonly nonce?: Uint8Array;
  /** Subject Name DER of the TSA certificate, for the optional `tsa` field. */
  readonly tsaName?: Uint8Array;
}

export interface TokenSigner {
  /** The TSA leaf certificate: its issuer and serial identify the signer, its hash goes in signingCertificateV2. */
  readonly certificate: Certificate;
  /** Digest for message-digest and the ECDSA signature: SHA-256 for P-256, SHA-384 for P-384. */
  readonly hash: HashAlgorithm;
  /** ECDSA over `data` with `hash`, DER-encoded signature. */
  sign(data: Uint8Array): Uint8Array;
}

/** RFC 5754 §2: SHA-2 AlgorithmIdentifiers are generated with absent parameters; RFC 5758 §3.2 likewise for ECDSA. */
function algorithmIdentifier(oid: string): Uint8Array {
  return encodeSequence(encodeOid(oid));
}

function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  return encodeTlv(TAG.INTEGER, (body[0] ?? 0) >= 0x80 ? concatBytes(Uint8Array.of(0), body) : body);
}

/** GeneralName directoryName: [4] EXPLICIT Name (Name is a CHOICE, so the tag cannot be implicit). */
function directoryName(name: Uint8Array): Uint8Array {
  return encodeTlv(contextTag(4, true), name);
}

/** The DER of a SET OF re-tagged as [n] IMPLICIT (signedAttrs, certificates). */
function implicitSet(n: number, elements: Uint8Array[]): Uint8Array {
  const set = encodeSet(...elements);
  const out = Uint8Array.from(set);
  out[0] = contextTag(n, true);
  return out;
}

/**
 * TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy, messageImprint, serialNumber, genTime GeneralizedTime,
 *   accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL,
 *   extensions [1] IMPLICIT Extensions OPTIONAL }
 */
export function encodeTstInfo(f: TstInfoFields): Uint8Array {
  // genTime MUST be whole seconds here: sigstore-js reads GeneralizedTime only as YYYYMMDDHHMMSS[.fff]Z, and a
  // token carries no more precision than the 1 s accuracy it claims
  if (f.genTime % 1000 !== 0) throw new TypeError(`genTime must be whole seconds, got ${f.genTime} ms`);
  return encodeSequence(
    encodeInteger(1),
    encodeOid(f.policy),
    f.messageImprint,
    unsignedInteger(f.serialNumber),
    encodeGeneralizedTime(f.genTime),
    // Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] …, micros [1] … }: genTime is truncated to the
    // second, so the true time is within 1 s of it
    encodeSequence(encodeInteger(1)),
    // ordering FALSE is the DEFAULT, which DER omits
    f.nonce ?? new Uint8Array(0),
    f.tsaName === undefined ? new Uint8Array(0) : encodeTlv(contextTag(0, true), directoryName(f.tsaName)),
  );
}

/** Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue } */
function attribute(oid: string, value: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(oid), encodeSet(value));
}

/**
 * RFC 5035 §5.4 SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256, certHash OCTET STRING, issuerSerial IssuerSerial }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
 * The hash is SHA-256, the DEFAULT, so hashAlgorithm is omitted as DER requires.
 */
function signingCertificateV2(cert: Certificate): Uint8Array {
  const issuerSerial = encodeSequence(
    encodeSequence(directoryName(cert.issuer)),
    encodeTlv(TAG.INTEGER, cert.serialNumber),
  );
  return encodeSequence(encodeSequence(encodeSequence(encodeOctetString(sha256(cert.der)), issuerSerial)));
}

/**
 * TimeStampToken ::= ContentInfo { contentType id-signedData, content [0] EXPLICIT SignedData }, with
 * SignedData ::= SEQUENCE { version 3 (eContentType is not id-data, RFC 5652 §5.1), digestAlgorithms,
 *   encapContentInfo { id-ct-TSTInfo, [0] EXPLICIT OCTET STRING TSTInfo }, certificates [0] IMPLICIT OPTIONAL,
 *   signerInfos SET OF SignerInfo }
 */
export function encodeTimestampToken(tstInfo: Uint8Array, genTime: number, signer: TokenSigner, includeCertificate: boolean): Uint8Array {
  const cert = signer.certificate;
  const digestAlgorithm = algorithmIdentifier(DIGEST_OIDS[signer.hash]);

  // RFC 5652 §5.3: with signed attributes, content-type and message-digest are required; RFC 3161 §2.4.2 adds
  // that the signer's certificate MUST be identified by an ESSCertID(v2) in a SigningCertificate(V2) attribute
  const attrs = [
    attribute(OID.contentType, encodeOid(OID.tstInfo)),
    attribute(OID.signingTime, encodeTime(genTime)),
    attribute(OID.messageDigest, encodeOctetString(digest(signer.hash, tstInfo))),
    attribute(OID.signingCertificateV2, signingCertificateV2(cert)),
  ];
  // RFC 5652 §5.4: the signature covers the DER of the attributes as an EXPLICIT SET OF
  const signature = signer.sign(encodeSet(...attrs));

  const signerInfo = encodeSequence(
    encodeInteger(1), // version 1: the sid is IssuerAndSerialNumber
    encodeSequence(cert.issuer, encodeTlv(TAG.INTEGER, cert.serialNumber)),
    digestAlgorithm,
    implicitSet(0, attrs),
    algorithmIdentifier(ECDSA_OIDS[signer.hash]),
    encodeOctetString(signature),
  );
  const signedData = encodeSequence(
    encodeInteger(3),
    encodeSet(digestAlgorithm),
    encodeSequence(encodeOid(OID.tstInfo), encodeTlv(contextTag(0, true), encodeOctetString(tstInfo))),
    // RFC 3161 §2.4.1: with certReq TRUE "the TSA's certificate ... MUST be provided"; upstream sends only the leaf
    includeCertificate ? implicitSet(0, [cert.der]) : new Uint8Array(0),
    encodeSet(signerInfo),
  );
  return encodeSequence(encodeOid(OID.signedData), encodeTlv(contextTag(0, true), signedData));
}

/** TimeStampResp ::= SEQUENCE { status PKIStatusInfo { status granted(0) }, timeStampToken } */
export function encodeGrantedResponse(token: Uint8Array): Uint8Array {
  return encodeSequence(encodeSequence(encodeInteger(0)), token);
}
