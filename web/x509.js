// Reads an X.509 certificate (RFC 5280) for display: names, validity, key, and every extension, with Fulcio's
// (sigstore/fulcio docs/oid-info.md, the same table as src/core/oids.ts) by name. It checks no signature: the page
// shows what a log entry claims; verification is keyless verify-blob's job.
import { DerError, TAG, base64Bytes, children, expect, hex, readBoolean, readDer, readOid, readString, readTime, readTlv } from './der.js';

const FULCIO = '1.3.6.1.4.1.57264.1.';

/** Fulcio's extensions: [number, label]. .1–.6 hold the raw string; from .8 on the value is a DER UTF8String. */
export const FULCIO_EXTENSIONS = new Map([
  [1, 'Issuer (deprecated)'], [2, 'GitHub Workflow Trigger (deprecated)'], [3, 'GitHub Workflow SHA (deprecated)'],
  [4, 'GitHub Workflow Name (deprecated)'], [5, 'GitHub Workflow Repository (deprecated)'], [6, 'GitHub Workflow Ref (deprecated)'],
  [8, 'Issuer (V2)'], [9, 'Build Signer URI'], [10, 'Build Signer Digest'], [11, 'Runner Environment'],
  [12, 'Source Repository URI'], [13, 'Source Repository Digest'], [14, 'Source Repository Ref'],
  [15, 'Source Repository Identifier'], [16, 'Source Repository Owner URI'], [17, 'Source Repository Owner Identifier'],
  [18, 'Build Config URI'], [19, 'Build Config Digest'], [20, 'Build Trigger'], [21, 'Run Invocation URI'],
  [22, 'Source Repository Visibility At Signing'], [23, 'Deployment Environment'], [24, 'Token Subject'],
]);

const NAMES = new Map([
  ['2.5.4.3', 'CN'], ['2.5.4.10', 'O'], ['2.5.4.11', 'OU'], ['2.5.4.6', 'C'], ['2.5.4.7', 'L'], ['2.5.4.8', 'ST'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
  ['1.2.840.10045.2.1', 'ECDSA'], ['1.2.840.10045.3.1.7', 'P-256'], ['1.3.132.0.34', 'P-384'], ['1.3.132.0.35', 'P-521'],
  ['1.2.840.113549.1.1.1', 'RSA'], ['1.3.101.112', 'Ed25519'],
  ['1.2.840.10045.4.3.2', 'ECDSA with SHA-256'], ['1.2.840.10045.4.3.3', 'ECDSA with SHA-384'],
  ['1.2.840.113549.1.1.11', 'RSA with SHA-256'], ['1.3.6.1.5.5.7.3.3', 'Code Signing'], ['1.3.6.1.5.5.7.3.8', 'Time Stamping'],
  ['2.5.29.14', 'Subject Key Identifier'], ['2.5.29.15', 'Key Usage'], ['2.5.29.17', 'Subject Alternative Name'],
  ['2.5.29.19', 'Basic Constraints'], ['2.5.29.35', 'Authority Key Identifier'], ['2.5.29.37', 'Extended Key Usage'],
  ['1.3.6.1.4.1.11129.2.4.2', 'Embedded SCTs'], ['1.3.6.1.4.1.11129.2.4.3', 'CT Precertificate Poison'],
]);
const KEY_USAGE = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

export const oidName = (oid) => NAMES.get(oid) ?? oid;

/** `-----BEGIN CERTIFICATE-----` text → DER bytes; undefined when the text holds no certificate. */
export function pemCertificate(pem) {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (m === null) return undefined;
  return base64Bytes(m[1].replace(/\s+/g, ''));
}

/**
 * `{ serial, issuer, subject, notBefore, notAfter, publicKey, sans: [{type, value}], fulcio: [{oid, n, label, value}],
 * extensions: [{oid, name, critical, text}] }`. Throws DerError on anything that is not a well-formed certificate.
 */
export function parseCertificate(der) {
  const [tbs, sigAlg, signature] = children(readDer(der, TAG.SEQUENCE));
  expect(sigAlg, TAG.SEQUENCE, 'signatureAlgorithm');
  expect(signature, TAG.BIT_STRING, 'signatureValue');
  const t = children(expect(tbs, TAG.SEQUENCE, 'tbsCertificate'));
  let i = 0;
  let version = 1;
  if (t[0]?.tag === 0xa0) version = Number(readInteger(children(t[i++])[0])) + 1;
  const serial = hex(expect(t[i++], TAG.INTEGER, 'serialNumber').value);
  i++; // the inner signature algorithm repeats signatureAlgorithm
  const issuer = nameText(expect(t[i++], TAG.SEQUENCE, 'issuer'));
  const [notBefore, notAfter] = children(expect(t[i++], TAG.SEQUENCE, 'validity')).map(readTime);
  const subject = nameText(expect(t[i++], TAG.SEQUENCE, 'subject'));
  const spki = children(expect(t[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo'));
  const [keyAlg, keyParams] = children(expect(spki[0], TAG.SEQUENCE, 'algorithm'));
  const publicKey = [oidName(readOid(keyAlg)), keyParams?.tag === TAG.OID ? oidName(readOid(keyParams)) : ''].join(' ').trim();
  const cert = { version, serial, issuer, subject, notBefore, notAfter, publicKey, signatureAlgorithm: oidName(readOid(children(sigAlg)[0])), sans: [], fulcio: [], extensions: [] };
  const extensions = t.slice(i).find((n) => n.tag === 0xa3);
  if (extensions === undefined) return cert;
  for (const ext of children(children(extensions)[0] ?? expect(undefined, TAG.SEQUENCE, 'extensions'))) {
    const parts = children(expect(ext, TAG.SEQUENCE, 'extension'));
    const oid = readOid(parts[0]);
    const critical = parts.length === 3 && readBoolean(parts[1]);
    const value = expect(parts[parts.length - 1], TAG.OCTET_STRING, `extension ${oid}`).value;
    readExtension(cert, oid, critical, value);
  }
  return cert;
}

function readExtension(cert, oid, critical, value) {
  const entry = { oid, name: oidName(oid), critical, text: '' };
  if (oid.startsWith(FULCIO) && FULCIO_EXTENSIONS.has(Number(oid.slice(FULCIO.length)))) {
    const n = Number(oid.slice(FULCIO.length));
    const text = n <= 6 ? new TextDecoder('utf-8', { fatal: true }).decode(value) : readString(readDer(value, TAG.UTF8String));
    cert.fulcio.push({ oid, n, label: FULCIO_EXTENSIONS.get(n), value: text });
    return;
  }
  switch (oid) {
    case '2.5.29.17':
      cert.sans = children(readDer(value, TAG.SEQUENCE)).map(generalName);
      entry.text = cert.sans.map((s) => `${s.type}: ${s.value}`).join(', ');
      break;
    case '2.5.29.15': {
      const bits = expect(readDer(value), TAG.BIT_STRING, 'keyUsage').value;
      entry.text = KEY_USAGE.filter((_, b) => (bits[1 + (b >> 3)] ?? 0) & (0x80 >> (b & 7))).join(', ');
      break;
    }
    case '2.5.29.37':
      entry.text = children(readDer(value, TAG.SEQUENCE)).map((n) => oidName(readOid(n))).join(', ');
      break;
    case '2.5.29.19': {
      const parts = children(readDer(value, TAG.SEQUENCE));
      entry.text = parts[0]?.tag === TAG.BOOLEAN && readBoolean(parts[0]) ? 'CA' : 'not a CA';
      break;
    }
    case '2.5.29.14': case '2.5.29.35': {
      const node = readDer(value);
      const id = node.tag === TAG.OCTET_STRING ? node.value : children(node).find((n) => n.tag === 0x80)?.value;
      entry.text = id === undefined ? '' : hex(id);
      break;
    }
    case '1.3.6.1.4.1.11129.2.4.2': {
      // RFC 6962 3.3: an OCTET STRING holding a TLS vector of SCTs, each with a 2-byte length.
      const list = readDer(value, TAG.OCTET_STRING).value;
      let count = 0;
      for (let p = 2; p + 2 <= list.length; p += 2 + list[p] * 256 + list[p + 1]) count++;
      entry.text = `${count} signed certificate timestamp${count === 1 ? '' : 's'}`;
      break;
    }
    default:
      entry.text = `${value.length} bytes`;
  }
  cert.extensions.push(entry);
}

/** RFC 5280 GeneralName: the kinds Fulcio writes (URI, email, Fulcio's otherName username) and DNS. */
function generalName(node) {
  switch (node.tag) {
    case 0x81: return { type: 'email', value: String.fromCharCode(...node.value) };
    case 0x82: return { type: 'dns', value: String.fromCharCode(...node.value) };
    case 0x86: return { type: 'uri', value: String.fromCharCode(...node.value) };
    case 0xa0: {
      const [typeId, explicit] = children(node);
      const inner = explicit === undefined ? undefined : children(explicit)[0];
      return { type: `otherName ${readOid(typeId)}`, value: inner === undefined ? '' : readString(inner) };
    }
    default: return { type: `tag 0x${node.tag.toString(16)}`, value: hex(node.value) };
  }
}

function nameText(name) {
  return children(name)
    .flatMap((rdn) => children(rdn).map((atv) => {
      const [type, value] = children(atv);
      return `${oidName(readOid(type))}=${readString(value)}`;
    }))
    .join(', ');
}

function readInteger(node) {
  expect(node, TAG.INTEGER, 'integer');
  return BigInt(`0x${hex(node.value) || '0'}`);
}

export { DerError, readTlv };
