/**
 * X.509 details the verifier's checks rely on, with certificates made for each case (test/unit/verify/pki.ts):
 * which Fulcio issuer extension wins, IP address SANs as text (RFC 5952), extension lookup, and EXPLICIT tags
 * that must hold exactly one element.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextTag } from '../../../src/core/asn1.js';
import { encodeInteger, encodeSequence, encodeTlv, encodeUtf8String } from '../../../src/core/asn1-encode.js';
import { OID } from '../../../src/core/oids.js';
import { findExtension, fulcioExtensions, parseCertificate } from '../../../src/core/x509.js';
import { encodeExtension, extKeyUsageExtension } from '../../../src/ca/x509-builder.js';
import { coded } from '../../helpers/vectors.js';
import { DAY, T0, issue } from '../verify/pki.js';

const validity = { notBefore: T0, notAfter: T0 + DAY };
const utf8 = (s: string) => new TextEncoder().encode(s);

test('the issuer is Fulcio\'s 1.8 extension even when the legacy 1.1 comes after it and says otherwise', () => {
  const cert = issue({
    ...validity,
    extensions: [
      encodeExtension('1.3.6.1.4.1.57264.1.8', false, encodeUtf8String('https://gitlab.com')),
      encodeExtension('1.3.6.1.4.1.57264.1.1', false, utf8('https://evil.example')),
    ],
  }).cert;
  assert.equal(fulcioExtensions(cert).issuer, 'https://gitlab.com');
  const legacyOnly = issue({ ...validity, extensions: [encodeExtension('1.3.6.1.4.1.57264.1.1', false, utf8('https://gitlab.com'))] }).cert;
  assert.equal(fulcioExtensions(legacyOnly).issuer, 'https://gitlab.com');
});

function ipSan(bytes: number[]): string | undefined {
  const san = encodeExtension(OID.subjectAltName, false, encodeSequence(encodeTlv(contextTag(7, false), Uint8Array.from(bytes))));
  return issue({ ...validity, extensions: [san] }).cert.subjectAltNames[0]?.value;
}

test('IP address SANs read as text, IPv6 compressed as RFC 5952 says', () => {
  assert.equal(ipSan([192, 0, 2, 1]), '192.0.2.1');
  const v6 = (...groups: number[]) => ipSan(groups.flatMap((g) => [g >> 8, g & 0xff]));
  assert.equal(v6(0x2001, 0xdb8, 1, 2, 3, 4, 5, 6), '2001:db8:1:2:3:4:5:6'); // no zero group
  assert.equal(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'); // one zero group stays
  assert.equal(v6(0, 0, 0, 0, 0, 0, 0, 1), '::1'); // a run at the start
  assert.equal(v6(0x2001, 0, 0, 1, 0, 0, 1, 1), '2001::1:0:0:1:1'); // the first of equally long runs
  assert.equal(v6(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'); // the longest run
  assert.throws(() => ipSan([1, 2, 3]), coded('ERR_CERT_INVALID', /iPAddress of 3 bytes/));
});

test('findExtension finds the extension with that OID', () => {
  const cert = issue({ ...validity, extensions: [encodeExtension('1.2.3.4', false, encodeSequence()), extKeyUsageExtension([OID.codeSigning])] }).cert;
  assert.equal(findExtension(cert, OID.extKeyUsage)?.oid, OID.extKeyUsage);
  assert.equal(findExtension(cert, '1.2.3.4')?.oid, '1.2.3.4');
  assert.equal(findExtension(cert, OID.basicConstraints), undefined);
});

test('an EXPLICIT version or extensions tag must hold exactly one element', () => {
  const good = issue({ ...validity, extensions: [extKeyUsageExtension([OID.codeSigning])] }).der;
  // Rebuild the certificate with the version's [0] holding two INTEGERs, then none.
  for (const [what, version] of [['two', encodeTlv(contextTag(0, true), Uint8Array.from([...encodeInteger(2), ...encodeInteger(2)]))], ['no', encodeTlv(contextTag(0, true), new Uint8Array(0))]] as const) {
    const der = replaceVersion(good, version);
    assert.throws(() => parseCertificate(der), coded('ERR_CERT_INVALID', /version must hold exactly one element/), what);
  }
});

/** `cert` with its TBSCertificate's first element (the [0] version) replaced; the signature no longer matters here. */
function replaceVersion(cert: Uint8Array, version: Uint8Array): Uint8Array {
  const outer = children(cert);
  const tbs = outer[0] as Uint8Array;
  const fields = children(tbs);
  return encodeSequence(encodeSequence(version, ...fields.slice(1)), ...outer.slice(1));
}

/** The DER elements inside a SEQUENCE (short or long definite lengths). */
function children(seq: Uint8Array): Uint8Array[] {
  const header = (at: number): [number, number] => {
    const first = seq[at + 1] as number;
    if (first < 0x80) return [2, first];
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (seq[at + 2 + i] as number);
    return [2 + n, len];
  };
  const [h, len] = header(0);
  const out: Uint8Array[] = [];
  let at = h;
  while (at < h + len) {
    const [hh, l] = header(at);
    out.push(seq.subarray(at, at + hh + l));
    at += hh + l;
  }
  return out;
}
