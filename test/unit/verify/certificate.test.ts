/**
 * Check 1 in isolation: the signing certificate's profile, and the chain to a trusted CA valid at every signing time,
 * with certificates made for each case (test/unit/verify/pki.ts). Every refusal asserts its code.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OID } from '../../../src/core/oids.js';
import { encodeExtension } from '../../../src/ca/x509-builder.js';
import { encodeSequence } from '../../../src/core/asn1-encode.js';
import { verifyCertificateChain } from '../../../src/verify/certificate.js';
import { coded } from '../../helpers/vectors.js';
import { DAY, T0, authority, leafExtensions, makeCa, makeLeaf, testName, trustMaterial, type CaChain } from './pki.js';

const SIGNED_AT = T0 + 30 * DAY;

function trustFor(ca: CaChain, validFor?: { start: number; end?: number }) {
  return trustMaterial({ cas: [authority('https://ca.test', [ca.intermediate, ca.root], validFor)] });
}

describe('the signing certificate\'s profile', () => {
  const ca = makeCa();
  const trust = trustFor(ca);

  test('a Fulcio-shaped leaf chains to its CA', () => {
    const leaf = makeLeaf(ca, SIGNED_AT);
    const result = verifyCertificateChain(leaf.cert, trust, [SIGNED_AT]);
    assert.equal(result.authority.uri, 'https://ca.test');
    assert.deepEqual(result.issuer.der, ca.intermediate.der);
  });

  test('a leaf that is itself a CA certificate', () => {
    const leaf = makeLeaf(ca, SIGNED_AT, { extensions: leafExtensions({ ca: true }) });
    assert.equal(leaf.cert.isCA, true);
    assert.throws(() => verifyCertificateChain(leaf.cert, trust, [SIGNED_AT]), coded('ERR_CERT_CHAIN', /is a CA certificate/));
  });

  test('a leaf with a critical extension the verifier does not know', () => {
    const unknown = encodeExtension('1.3.6.1.4.1.99999.1', true, encodeSequence());
    const leaf = makeLeaf(ca, SIGNED_AT, { extensions: leafExtensions({ extra: [unknown] }) });
    assert.deepEqual(leaf.cert.unhandledCritical, ['1.3.6.1.4.1.99999.1']);
    assert.throws(() => verifyCertificateChain(leaf.cert, trust, [SIGNED_AT]), coded('ERR_CERT_CHAIN', /unknown critical extensions: 1\.3\.6\.1\.4\.1\.99999\.1/));
  });

  test('the same unknown extension, not critical, is accepted', () => {
    const unknown = encodeExtension('1.3.6.1.4.1.99999.1', false, encodeSequence());
    const leaf = makeLeaf(ca, SIGNED_AT, { extensions: leafExtensions({ extra: [unknown] }) });
    verifyCertificateChain(leaf.cert, trust, [SIGNED_AT]);
  });

  test('a leaf without the codeSigning extended key usage (another usage, or none)', () => {
    for (const eku of [[OID.timeStamping], []]) {
      const leaf = makeLeaf(ca, SIGNED_AT, { extensions: leafExtensions({ eku }) });
      assert.throws(() => verifyCertificateChain(leaf.cert, trust, [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not for code signing/), JSON.stringify(eku));
    }
  });
});

describe('the chain to a trusted CA', () => {
  test('a leaf that names the CA as issuer but is signed by another key', () => {
    const ca = makeCa();
    const impostor = makeCa();
    const leaf = makeLeaf(impostor, SIGNED_AT, { issuerName: ca.intermediate.name });
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /does not verify with/));
  });

  test('a leaf signed by the CA\'s key but naming another issuer is not chained by signature alone', () => {
    // Chaining is by name, then signature: a certificate whose issuer field is not the CA's subject does not chain,
    // even if the CA's key signed it.
    const ca = makeCa();
    const leaf = makeLeaf(ca, SIGNED_AT, { issuerName: testName('elsewhere') });
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]), (err: unknown) => {
      coded('ERR_CERT_CHAIN', /is not a certificate authority of the trusted root/)(err);
      assert.deepEqual((err as { details: { reasons: unknown } }).details.reasons, []);
      return true;
    });
  });

  test('of several CAs, the one that issued the leaf is chosen', () => {
    const other = makeCa();
    const ca = makeCa();
    const trust = trustMaterial({ cas: [authority('https://other.test', [other.intermediate, other.root]), authority('https://ca.test', [ca.intermediate, ca.root])] });
    const result = verifyCertificateChain(makeLeaf(ca, SIGNED_AT).cert, trust, [SIGNED_AT]);
    assert.equal(result.authority.uri, 'https://ca.test');
  });

  test('an intermediate whose own validity ended before the signing time (the trusted root\'s window still open)', () => {
    const ca = makeCa({ intermediate: { notBefore: T0, notAfter: T0 + 10 * DAY } });
    const leaf = makeLeaf(ca, SIGNED_AT);
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });

  test('an intermediate not yet valid at the signing time', () => {
    const ca = makeCa({ intermediate: { notBefore: SIGNED_AT + DAY, notAfter: SIGNED_AT + 100 * DAY } });
    const leaf = makeLeaf(ca, SIGNED_AT);
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });

  test('a root whose own validity ended before the signing time', () => {
    const ca = makeCa({ root: { notBefore: T0, notAfter: T0 + 10 * DAY } });
    const leaf = makeLeaf(ca, SIGNED_AT);
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });

  test('a CA certificate is valid from its notBefore to its notAfter, both inclusive', () => {
    const window = { notBefore: SIGNED_AT, notAfter: SIGNED_AT + DAY };
    const ca = makeCa({ intermediate: window });
    const trust = trustFor(ca);
    for (const t of [window.notBefore, window.notAfter]) verifyCertificateChain(makeLeaf(ca, SIGNED_AT).cert, trust, [t]);
    for (const t of [window.notBefore - 1000, window.notAfter + 1000]) {
      assert.throws(() => verifyCertificateChain(makeLeaf(ca, SIGNED_AT).cert, trust, [t]), coded('ERR_CERT_CHAIN', /not valid at signing time/), new Date(t).toISOString());
    }
  });

  test('every signing time must fall in the CA\'s validity, not just one', () => {
    const ca = makeCa({ intermediate: { notBefore: T0, notAfter: SIGNED_AT + DAY } });
    const leaf = makeLeaf(ca, SIGNED_AT);
    verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT]);
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca), [SIGNED_AT, SIGNED_AT + 2 * DAY]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });

  test('the trusted root\'s validity window for the CA, inclusive at both ends', () => {
    const ca = makeCa();
    const leaf = makeLeaf(ca, SIGNED_AT);
    verifyCertificateChain(leaf.cert, trustFor(ca, { start: SIGNED_AT, end: SIGNED_AT }), [SIGNED_AT]);
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca, { start: SIGNED_AT + 1 }), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
    assert.throws(() => verifyCertificateChain(leaf.cert, trustFor(ca, { start: T0, end: SIGNED_AT - 1 }), [SIGNED_AT]), coded('ERR_CERT_CHAIN', /not valid at signing time/));
  });
});
