/**
 * What the log explorer page reads with src/core, bundled by scripts/build-web.mjs into web/dist/core.js: the page
 * has no DER, X.509, Merkle or checkpoint reader of its own (issue 15: two readers of one format drift apart, and
 * the page once displayed the second of two SANs that core refuses). This module only shapes core's results for
 * display; every decision — what is a certificate, what a proof proves — is core's.
 *
 * In the bundle, node:buffer and node:crypto are replaced by web/src/browser/ (a Uint8Array Buffer subset and a
 * synchronous SHA-256); in Node this module runs on core unchanged, which is how the tests compare the two.
 */
import { Asn1Reader, TAG, decodeInteger, decodeOctetString, decodeOid, parseDer } from '../../src/core/asn1.js';
import { parseCheckpoint as parseCheckpointBody, type Checkpoint } from '../../src/core/checkpoint.js';
import { canonicalize } from '../../src/core/canonical-json.js';
import { base64Decode, base64Encode, bytesEqual, hexDecode, hexEncode, pemDecodeAll, utf8Encode } from '../../src/core/encoding.js';
import { KeylessError, isKeylessError } from '../../src/core/errors.js';
import { leafHash, nodeHash, rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { noteKeyHints, parseSignedNote, type NoteKey } from '../../src/core/note.js';
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

/** A transparency log's key from a TrustedRoot (`tlogs[]`), as the page verifies checkpoints with it. */
export interface LogKey {
  readonly baseUrl: string;
  readonly type: NoteKey['type'];
  /** The TrustedRoot's keyDetails, e.g. PKIX_ED25519. */
  readonly details: string;
  readonly spki: Uint8Array;
  readonly logId: Uint8Array;
}

const KEY_TYPES: Readonly<Record<string, NoteKey['type']>> = {
  PKIX_ECDSA_P256_SHA_256: 'ecdsa-p256',
  PKIX_ECDSA_P384_SHA_384: 'ecdsa-p384',
  PKIX_ED25519: 'ed25519',
};

/** The log keys of a TrustedRoot's JSON that the page can verify with (ECDSA P-256/P-384, Ed25519); others are left out. */
export function logKeys(trustedRoot: unknown): LogKey[] {
  const tlogs = (trustedRoot as { tlogs?: unknown } | null)?.tlogs;
  if (!Array.isArray(tlogs)) throw new ProofError('the trusted root lists no transparency logs');
  const out: LogKey[] = [];
  for (const log of tlogs as { baseUrl?: unknown; publicKey?: { rawBytes?: unknown; keyDetails?: unknown }; logId?: { keyId?: unknown } }[]) {
    const details = String(log?.publicKey?.keyDetails);
    const type = KEY_TYPES[details];
    if (type === undefined || typeof log.publicKey?.rawBytes !== 'string' || typeof log.logId?.keyId !== 'string') continue;
    try {
      out.push({ baseUrl: String(log.baseUrl), type, details, spki: base64Decode(log.publicKey.rawBytes), logId: base64Decode(log.logId.keyId) });
    } catch {
      // a key the page cannot read verifies nothing
    }
  }
  return out;
}

export interface NoteSignatureView {
  readonly name: string;
  /** The 4-byte key ID, hex. */
  readonly keyHint: string;
  readonly signature: Uint8Array;
  /** The trusted log keys this signature names (by its key ID, as C2SP or Rekor v1 computes it); none for a witness. */
  readonly keys: readonly LogKey[];
}

/**
 * A checkpoint (C2SP signed note) read by core: its body, the bytes its signatures cover, and each signature with
 * the trusted log keys it names. The page verifies those signatures with WebCrypto (asynchronous, so not through
 * core's synchronous verifySignedNote), following the same rule: a signature that names a trusted key must verify.
 */
export function checkpointSignatures(text: unknown, keys: readonly LogKey[]): { checkpoint: Checkpoint; message: Uint8Array; signatures: NoteSignatureView[] } {
  if (typeof text !== 'string') throw new ProofError('the checkpoint is missing');
  const note = parseSignedNote(text);
  const checkpoint = parseCheckpointBody(note.text);
  const signatures = note.signatures.map((s) => ({
    name: s.name,
    keyHint: hexEncode(s.keyHint),
    signature: s.signature,
    keys: keys.filter((k) => bytesEqual(s.keyHint, k.logId.subarray(0, 4)) || hintsOf(s.name, k).some((h) => bytesEqual(h, s.keyHint))),
  }));
  return { checkpoint, message: utf8Encode(note.text), signatures };
}

function hintsOf(name: string, key: LogKey): Uint8Array[] {
  try {
    return noteKeyHints(name, key);
  } catch {
    return [];
  }
}

/** An ECDSA signature in DER (what notes carry) as WebCrypto's r || s of `size` bytes each; ERR_ASN1 if it is not one. */
export function ecdsaSignatureToP1363(der: Uint8Array, size: number): Uint8Array {
  const seq = new Asn1Reader(parseDer(der, 'ECDSA-Sig-Value'), 'ECDSA-Sig-Value');
  const r = decodeInteger(seq.next(TAG.INTEGER, 'r'));
  const s = decodeInteger(seq.next(TAG.INTEGER, 's'));
  seq.end();
  const out = new Uint8Array(size * 2);
  for (const [i, v] of [r, s].entries()) {
    if (v <= 0n || v >= 1n << BigInt(size * 8)) throw new KeylessError('ERR_ASN1', 'ECDSA signature value out of range');
    const bytes = hexDecode(v.toString(16).padStart(size * 2, '0'));
    out.set(bytes, i * size);
  }
  return out;
}

/**
 * What a Rekor v1 signed entry timestamp signs: the RFC 8785 JSON of {body, integratedTime, logID, logIndex}, built
 * as src/verify/tlog.ts builds it, from the entry as the log's API returns it.
 */
export function setPayload(entry: unknown): Uint8Array {
  const e = entry as { body?: unknown; integratedTime?: unknown; logID?: unknown; logIndex?: unknown } | null;
  if (typeof e?.body !== 'string' || !Number.isSafeInteger(e.integratedTime) || typeof e.logID !== 'string' || !Number.isSafeInteger(e.logIndex)) {
    throw new ProofError('the entry lacks a field its signed entry timestamp covers (body, integratedTime, logID, logIndex)');
  }
  return utf8Encode(canonicalize({ body: base64Encode(base64Decode(e.body)), integratedTime: e.integratedTime, logID: hexEncode(hexDecode(e.logID)), logIndex: e.logIndex }));
}
