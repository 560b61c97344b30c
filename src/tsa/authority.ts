/**
 * The timestamp authority behind sigstore/timestamp-authority's API: `POST /api/v1/timestamp` (DER TimeStampReq in,
 * DER TimeStampResp out) and `GET /api/v1/timestamp/certchain` (PEM chain, leaf first). Domain logic only; the
 * HTTP routes live in src/server and map ERR_REQUEST to 400 and ERR_TOO_LARGE to 413.
 *
 * Life of a request: size check → strict DER parse and policy checks (request.ts) → genTime = the clock truncated
 * to the second → random serial → TSTInfo → signed attributes → ECDSA signature → TimeStampResp (token.ts).
 */
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeOid } from '../core/asn1-encode.js';
import { bytesEqual, pemEncode } from '../core/encoding.js';
import type { HashAlgorithm } from '../core/keys.js';
import { OID } from '../core/oids.js';
import { findExtension, parseCertificate, type Certificate } from '../core/x509.js';
import { parseTimestampRequest } from './request.js';
import { encodeGrantedResponse, encodeTimestampToken, encodeTstInfo, type TokenSigner } from './token.js';

/** sigstore/timestamp-authority's default TSA policy (pkg/api/timestamp.go). */
export const DEFAULT_TSA_POLICY = '1.3.6.1.4.1.57264.2';

/** RFC 5280 §4.1.2.2 bounds serial numbers to 20 octets; TSTInfo serials follow the same habit. */
const MAX_SERIAL_BYTES = 20;

export interface TimestampAuthority {
  /**
   * Parses a DER TimeStampReq and returns a DER TimeStampResp. Malformed or unacceptable requests throw
   * KeylessError('ERR_REQUEST', clear message) — the HTTP layer turns that into 400; a body over
   * MAX_REQUEST_BYTES is ERR_TOO_LARGE (413).
   */
  timestamp(requestDer: Uint8Array): Uint8Array;
  /** The certificate chain, leaf first, as concatenated PEM blocks. */
  certChainPem(): string;
}

export interface TimestampAuthorityOptions {
  /** ECDSA P-256 or P-384 private key of the TSA leaf certificate. */
  readonly key: KeyObject;
  /** DER certificates, TSA leaf first. */
  readonly chain: readonly Uint8Array[];
  /** Epoch milliseconds; Date.now by default. */
  readonly now?: () => number;
  /** The one policy this TSA serves; DEFAULT_TSA_POLICY by default. */
  readonly policyOid?: string;
  /** Big-endian serial number bytes, at most 20 once encoded, positive; 20 random bytes (159 bits) by default. */
  readonly serial?: () => Uint8Array;
}

const CURVE_HASH: Readonly<Record<string, HashAlgorithm>> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
};

function randomSerial(): Uint8Array {
  const bytes = randomBytes(MAX_SERIAL_BYTES);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01; // positive in 20 octets, never zero
  return bytes;
}

function checkSerial(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new TypeError('serial() must return a non-empty Uint8Array');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const magnitude = bytes.subarray(start);
  if (magnitude.length === 0) throw new TypeError('serial() returned zero; serial numbers must be positive');
  const encoded = magnitude.length + ((magnitude[0] as number) >= 0x80 ? 1 : 0);
  if (encoded > MAX_SERIAL_BYTES) throw new TypeError(`serial() returned a number of ${encoded} octets; the limit is ${MAX_SERIAL_BYTES}`);
  return magnitude;
}

/**
 * RFC 3161 §2.3: "The TSA MUST sign each time-stamp message with a key reserved specifically for that purpose. …
 * The corresponding certificate MUST contain only one instance of the extended key usage field extension … with
 * KeyPurposeID having value id-kp-timeStamping. This extension MUST be critical."
 */
function checkTsaCertificate(leaf: Certificate, key: KeyObject): void {
  const eku = findExtension(leaf, OID.extKeyUsage);
  const ekuCount = leaf.extensions.filter((e) => e.oid === OID.extKeyUsage).length;
  if (eku === undefined || ekuCount !== 1 || !eku.critical || leaf.extKeyUsage.length !== 1 || leaf.extKeyUsage[0] !== OID.timeStamping) {
    throw new TypeError('the TSA certificate must have one critical extendedKeyUsage extension with only id-kp-timeStamping (RFC 3161 §2.3)');
  }
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.digitalSignature) {
    throw new TypeError('the TSA certificate has a keyUsage without digitalSignature');
  }
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  if (!bytesEqual(spki, leaf.spki)) throw new TypeError('the TSA key does not match the public key of the first certificate in the chain');
}

export function createTimestampAuthority(opts: TimestampAuthorityOptions): TimestampAuthority {
  const { key, chain } = opts;
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'ec') throw new TypeError('the TSA key must be an ECDSA private KeyObject');
  const hash = CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (hash === undefined) throw new TypeError(`the TSA key must be on P-256 or P-384, not ${key.asymmetricKeyDetails?.namedCurve}`);
  if (!Array.isArray(chain) || chain.length === 0) throw new TypeError('the TSA certificate chain must hold at least the leaf');
  const certs = chain.map((der) => parseCertificate(der));
  const leaf = certs[0] as Certificate;
  checkTsaCertificate(leaf, key);
  const policy = opts.policyOid ?? DEFAULT_TSA_POLICY;
  encodeOid(policy); // a TypeError now rather than on the first request
  const now = opts.now ?? Date.now;
  const serial = opts.serial ?? randomSerial;
  const chainPem = certs.map((c) => pemEncode(c.der, 'CERTIFICATE')).join('');
  const signer: TokenSigner = {
    certificate: leaf,
    hash,
    sign: (data) => new Uint8Array(sign(hash, data, { key, dsaEncoding: 'der' })),
  };

  return {
    timestamp(requestDer: Uint8Array): Uint8Array {
      const req = parseTimestampRequest(requestDer, policy);
      const ms = now();
      if (!Number.isFinite(ms)) throw new TypeError(`the clock returned ${ms}`);
      const genTime = Math.floor(ms / 1000) * 1000;
      const tstInfo = encodeTstInfo({
        policy,
        messageImprint: req.messageImprint,
        serialNumber: checkSerial(serial()),
        genTime,
        ...(req.nonce !== undefined && { nonce: req.nonce }),
        tsaName: leaf.subject,
      });
      return encodeGrantedResponse(encodeTimestampToken(tstInfo, genTime, signer, req.certReq));
    },
    certChainPem: () => chainPem,
  };
}
