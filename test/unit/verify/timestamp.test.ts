/**
 * Check 4a in isolation: an RFC 3161 timestamp counts only when it is over the bundle's signature, signed by a TSA
 * certificate with the one critical timeStamping usage that chains to a timestamp authority of the trusted root, at
 * a time within the authority's window and every certificate's own dates. Tokens are made with the TSA's encoders
 * (src/tsa/token.ts) around certificates made for each case; every refusal asserts its code.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { encodeOctetString, encodeOid, encodeSequence } from '../../../src/core/asn1-encode.js';
import { OID } from '../../../src/core/oids.js';
import { encodeExtension } from '../../../src/ca/x509-builder.js';
import { encodeGrantedResponse, encodeTimestampToken, encodeTstInfo } from '../../../src/tsa/token.js';
import { verifyRfc3161Timestamp } from '../../../src/verify/timestamp.js';
import { coded } from '../../helpers/vectors.js';
import { CA_EXTENSIONS, DAY, T0, authority, issue, newKey, trustMaterial, type Issued, type Window } from './pki.js';

const SIGNATURE = new TextEncoder().encode('the bundle signature the timestamp is over');
const GEN_TIME = T0 + 30 * DAY;
const TEN_YEARS: Window = { notBefore: T0, notAfter: T0 + 3650 * DAY };

function ekuExtension(oids: readonly string[], critical: boolean): Uint8Array {
  return encodeExtension(OID.extKeyUsage, critical, encodeSequence(...oids.map((o) => encodeOid(o))));
}

interface TsaChain {
  readonly root: Issued;
  readonly leaf: Issued;
}

function tsaChain(o: { root?: Window; leaf?: Window; issuer?: Issued; eku?: Uint8Array[] } = {}): TsaChain {
  const root = o.issuer ?? issue({ ...(o.root ?? TEN_YEARS), extensions: CA_EXTENSIONS });
  const leaf = issue({ issuer: root, ...(o.leaf ?? TEN_YEARS), extensions: o.eku ?? [ekuExtension([OID.timeStamping], true)] });
  return { root, leaf };
}

/** A granted TimeStampResp over `signature` made by `signer` at `genTime` (whole seconds). */
function stamp(signer: Issued, genTime: number, o: { signature?: Uint8Array; includeCertificate?: boolean; signWith?: Issued } = {}): Uint8Array {
  const imprint = encodeSequence(encodeSequence(encodeOid(OID.sha256)), encodeOctetString(createHash('sha256').update(o.signature ?? SIGNATURE).digest()));
  const tstInfo = encodeTstInfo({ policy: '1.3.6.1.4.1.57264.2', messageImprint: imprint, serialNumber: Uint8Array.of(7), genTime });
  const key = (o.signWith ?? signer).key;
  const token = encodeTimestampToken(tstInfo, genTime, {
    certificate: signer.cert,
    hash: 'sha256',
    sign: (data) => new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'der' })),
  }, o.includeCertificate ?? false);
  return encodeGrantedResponse(token);
}

const trustFor = (chain: readonly Issued[], validFor?: { start: number; end?: number }) =>
  trustMaterial({ tsas: [authority('https://tsa.test', chain, validFor)] });

describe('an RFC 3161 timestamp', () => {
  const tsa = tsaChain();
  const trust = trustFor([tsa.leaf, tsa.root]);

  test('from the trusted TSA over the signature verifies, and gives its time', () => {
    assert.deepEqual(verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trust), { time: GEN_TIME, authority: 'https://tsa.test' });
  });

  test('over another signature', () => {
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME, { signature: Uint8Array.of(1) }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /message imprint differs/));
  });

  test('whose signature was made with another key', () => {
    const other = tsaChain();
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME, { signWith: other.leaf }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /signature does not verify/));
  });

  test('from a TSA the trusted root does not list', () => {
    const other = tsaChain();
    assert.throws(() => verifyRfc3161Timestamp(stamp(other.leaf, GEN_TIME), SIGNATURE, trust), (err: unknown) => {
      coded('ERR_TIMESTAMP', /not signed by a timestamp authority of the trusted root/)(err);
      assert.deepEqual((err as { details: { reasons: unknown } }).details.reasons, []);
      return true;
    });
  });

  test('the matching authority is found among several', () => {
    const other = tsaChain();
    const both = trustMaterial({ tsas: [authority('https://other.test', [other.leaf, other.root]), authority('https://tsa.test', [tsa.leaf, tsa.root])] });
    assert.equal(verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, both).authority, 'https://tsa.test');
  });
});

describe('the TSA certificate\'s extended key usage (RFC 3161 §2.3)', () => {
  const cases: [string, Uint8Array[]][] = [
    ['timeStamping, but not critical', [ekuExtension([OID.timeStamping], false)]],
    ['critical, but codeSigning', [ekuExtension([OID.codeSigning], true)]],
    ['critical timeStamping and another usage', [ekuExtension([OID.timeStamping, OID.codeSigning], true)]],
    ['another usage first, then timeStamping', [ekuExtension([OID.codeSigning, OID.timeStamping], true)]],
    ['no extended key usage at all', []],
  ];
  for (const [name, eku] of cases) {
    test(name, () => {
      const tsa = tsaChain({ eku });
      assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor([tsa.leaf, tsa.root])), coded('ERR_TIMESTAMP', /lacks the critical timeStamping extended key usage/));
    });
  }
});

describe('the time must lie within the TSA\'s validity', () => {
  test('a TSA leaf certificate that expired before genTime (the trusted root\'s window still open)', () => {
    const tsa = tsaChain({ leaf: { notBefore: T0, notAfter: GEN_TIME - DAY } });
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor([tsa.leaf, tsa.root])), coded('ERR_TIMESTAMP', /not valid at/));
  });

  test('a TSA leaf certificate not yet valid at genTime', () => {
    const tsa = tsaChain({ leaf: { notBefore: GEN_TIME + DAY, notAfter: GEN_TIME + 100 * DAY } });
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor([tsa.leaf, tsa.root])), coded('ERR_TIMESTAMP', /not valid at/));
  });

  test('a TSA root that expired before genTime', () => {
    const tsa = tsaChain({ root: { notBefore: T0, notAfter: GEN_TIME - DAY } });
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor([tsa.leaf, tsa.root])), coded('ERR_TIMESTAMP', /not valid at/));
  });

  test('certificate dates are inclusive at both ends', () => {
    const window = { notBefore: GEN_TIME, notAfter: GEN_TIME + DAY };
    const tsa = tsaChain({ leaf: window });
    const trust = trustFor([tsa.leaf, tsa.root]);
    for (const t of [window.notBefore, window.notAfter]) assert.equal(verifyRfc3161Timestamp(stamp(tsa.leaf, t), SIGNATURE, trust).time, t);
    for (const t of [window.notBefore - 1000, window.notAfter + 1000]) {
      assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, t), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not valid at/), new Date(t).toISOString());
    }
  });

  test('the trusted root\'s window for the TSA, inclusive at both ends', () => {
    const tsa = tsaChain();
    const chain = [tsa.leaf, tsa.root];
    verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor(chain, { start: GEN_TIME, end: GEN_TIME }));
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor(chain, { start: GEN_TIME + 1000 })), coded('ERR_TIMESTAMP', /not valid at/));
    assert.throws(() => verifyRfc3161Timestamp(stamp(tsa.leaf, GEN_TIME), SIGNATURE, trustFor(chain, { start: T0, end: GEN_TIME - 1000 })), coded('ERR_TIMESTAMP', /not valid at/));
  });
});

describe('which certificate signed the token', () => {
  test('another TSA certificate from the same root, embedded, is not the trusted one', () => {
    const tsa = tsaChain();
    const sibling = tsaChain({ issuer: tsa.root }).leaf;
    const trust = trustFor([tsa.leaf, tsa.root]);
    assert.throws(() => verifyRfc3161Timestamp(stamp(sibling, GEN_TIME, { includeCertificate: true }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not signed by a timestamp authority of the trusted root/));
  });
});

describe('a signer certificate embedded in the token', () => {
  // The trusted root lists an issuing CA (and its root); the TSA's own certificate travels in the token.
  const ca = tsaChain({ eku: CA_EXTENSIONS }); // `leaf` here is an intermediate CA under `root`
  const trust = trustFor([ca.leaf, ca.root]);

  test('issued by the authority\'s first certificate: accepted', () => {
    const signer = tsaChain({ issuer: ca.leaf }).leaf;
    assert.equal(verifyRfc3161Timestamp(stamp(signer, GEN_TIME, { includeCertificate: true }), SIGNATURE, trust).time, GEN_TIME);
  });

  test('an embedded certificate the token\'s signer identifier does not name', () => {
    // sid names `named`; the token embeds and is signed by `other`, also issued by the authority.
    const named = tsaChain({ issuer: ca.leaf }).leaf;
    const other = tsaChain({ issuer: ca.leaf }).leaf;
    const imposter = { ...named, cert: { ...named.cert, der: other.der } };
    assert.throws(() => verifyRfc3161Timestamp(stamp(imposter, GEN_TIME, { includeCertificate: true, signWith: other }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not signed by a timestamp authority/));
  });

  test('the same token without the certificate does not chain', () => {
    const signer = tsaChain({ issuer: ca.leaf }).leaf;
    assert.throws(() => verifyRfc3161Timestamp(stamp(signer, GEN_TIME), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not signed by a timestamp authority/));
  });

  test('naming the authority as issuer but signed by another key', () => {
    const impostorCa = issue({ name: ca.leaf.name, ...TEN_YEARS, extensions: CA_EXTENSIONS, key: newKey() });
    const signer = tsaChain({ issuer: impostorCa }).leaf;
    assert.throws(() => verifyRfc3161Timestamp(stamp(signer, GEN_TIME, { includeCertificate: true }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not signed by a timestamp authority/));
  });

  test('whose own validity ended before genTime', () => {
    const signer = tsaChain({ issuer: ca.leaf, leaf: { notBefore: T0, notAfter: GEN_TIME - DAY } }).leaf;
    assert.throws(() => verifyRfc3161Timestamp(stamp(signer, GEN_TIME, { includeCertificate: true }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /not valid at/));
  });

  test('without the timeStamping usage', () => {
    const signer = tsaChain({ issuer: ca.leaf, eku: [ekuExtension([OID.codeSigning], true)] }).leaf;
    assert.throws(() => verifyRfc3161Timestamp(stamp(signer, GEN_TIME, { includeCertificate: true }), SIGNATURE, trust), coded('ERR_TIMESTAMP', /timeStamping/));
  });
});
