/**
 * Independent oracles for the tokens: sigstore-js (@sigstore/core's RFC3161Timestamp, and @sigstore/verify's
 * timestamp check with the certificate chain, as a bundle verification runs it) and, when the binary exists,
 * OpenSSL's `ts` command, which also enforces RFC 3161's rules on the TSA certificate (critical timeStamping EKU)
 * and the ESSCertIDv2 binding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { verifyRFC3161Timestamp } from '@sigstore/verify/dist/timestamp/tsa.js';
import { pemEncode } from '../../../src/core/encoding.js';
import { OID } from '../../../src/core/oids.js';
import { createTimestampAuthority } from '../../../src/tsa/authority.js';
import type { TsaCertificates } from '../../../src/tsa/certificates.js';
import { timestampQueryFromJson } from '../../../src/tsa/json-request.js';
import { DATA, P256, P384, encodeRequest, sha256 } from './helpers.js';
import { requireInTest } from '../../helpers/requirements.js';

const CHAINS: readonly [string, TsaCertificates][] = [['P-256', P256], ['P-384', P384]];
const leafPublicKey = (c: TsaCertificates) => new NodeX509(Buffer.from(c.chainDer[0] as Uint8Array)).publicKey;

function sigstoreAuthority(c: TsaCertificates) {
  return {
    certChain: c.chainDer.map((d) => X509Certificate.parse(Buffer.from(d))),
    validFor: { start: new Date(0), end: new Date(8.64e15) },
  };
}

for (const [curve, chain] of CHAINS) {
  test(`@sigstore/core RFC3161Timestamp parses and verifies a ${curve} token, and refuses other data`, () => {
    const tsa = createTimestampAuthority({ key: chain.key, chain: chain.chainDer });
    const ts = RFC3161Timestamp.parse(Buffer.from(tsa.timestamp(encodeRequest({ nonce: 99n }))));
    assert.equal(ts.status, 0n);
    assert.equal(ts.eContentType, OID.tstInfo);
    assert.equal(ts.signingTime.getUTCMilliseconds(), 0);
    ts.verify(Buffer.from(DATA), leafPublicKey(chain));
    assert.throws(() => ts.verify(Buffer.from('other data'), leafPublicKey(chain)), /message imprint does not match/);
    const [, other] = CHAINS.find(([c]) => c !== curve) as [string, TsaCertificates];
    assert.throws(() => ts.verify(Buffer.from(DATA), leafPublicKey(other)), /signature verification failed/);
  });

  test(`@sigstore/verify accepts a ${curve} token against its chain (issuer, serial, chain, signature)`, () => {
    const tsa = createTimestampAuthority({ key: chain.key, chain: chain.chainDer });
    const ts = RFC3161Timestamp.parse(Buffer.from(tsa.timestamp(encodeRequest())));
    verifyRFC3161Timestamp(ts, Buffer.from(DATA), [sigstoreAuthority(chain)]);
    const [, other] = CHAINS.find(([c]) => c !== curve) as [string, TsaCertificates];
    assert.throws(() => verifyRFC3161Timestamp(ts, Buffer.from(DATA), [sigstoreAuthority(other)]), /timestamp could not be verified/);
    assert.throws(() => verifyRFC3161Timestamp(ts, Buffer.from('x'), [sigstoreAuthority(chain)]), /timestamp could not be verified/);
  });
}

test('the JSON request sigstore-js sends yields a token sigstore-js verifies', () => {
  // what @sigstore/sign's TSAClient posts: the base64 SHA-256 of the signature, and the hash name
  const body = JSON.stringify({ artifactHash: Buffer.from(sha256(DATA)).toString('base64'), hashAlgorithm: 'sha256' });
  const tsa = createTimestampAuthority({ key: P256.key, chain: P256.chainDer });
  const ts = RFC3161Timestamp.parse(Buffer.from(tsa.timestamp(timestampQueryFromJson(body))));
  verifyRFC3161Timestamp(ts, Buffer.from(DATA), [sigstoreAuthority(P256)]);
});

// --- OpenSSL ---------------------------------------------------------------------------------------------------

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const NO_OPENSSL = 'no openssl binary on PATH (apt-get install openssl)';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-tsa-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

for (const [curve, chain] of CHAINS) {
  test(`openssl ts -reply -text reads a ${curve} response`, (t) => {
  if (!requireInTest(t, 'openssl', hasOpenssl, NO_OPENSSL)) return;
    withDir((dir) => {
      const tsa = createTimestampAuthority({ key: chain.key, chain: chain.chainDer, now: () => Date.UTC(2026, 5, 1, 12, 0, 0, 999) });
      writeFileSync(join(dir, 'resp.der'), tsa.timestamp(encodeRequest({ nonce: 0xabcdefn, certReq: true })));
      const { ok, out } = openssl(['ts', '-reply', '-in', join(dir, 'resp.der'), '-text']);
      assert.ok(ok, out);
      assert.match(out, /Status: Granted\./);
      assert.match(out, /Policy OID: 1\.3\.6\.1\.4\.1\.57264\.2/);
      assert.match(out, /Time stamp: Jun {2}1 12:00:00 2026 GMT/);
      assert.match(out, /Accuracy: 0x01 seconds/);
      assert.match(out, /Ordering: no/);
      assert.match(out, /Nonce: 0xABCDEF/);
      assert.match(out, new RegExp(`TSA: DirName:/O=keyless/CN=${curve === 'P-256' ? 'keyless-tsa' : 'tsa-384'}`));
    });
  });

  test(`openssl ts -verify accepts a ${curve} token with and without embedded certificates`, (t) => {
  if (!requireInTest(t, 'openssl', hasOpenssl, NO_OPENSSL)) return;
    withDir((dir) => {
      const f = (name: string) => join(dir, name);
      writeFileSync(f('data'), DATA);
      writeFileSync(f('other'), 'other data');
      writeFileSync(f('root.pem'), chain.rootPem);
      writeFileSync(f('leaf.pem'), pemEncode(chain.chainDer[0] as Uint8Array, 'CERTIFICATE'));
      const tsa = createTimestampAuthority({ key: chain.key, chain: chain.chainDer });
      writeFileSync(f('with.der'), tsa.timestamp(encodeRequest({ certReq: true })));
      writeFileSync(f('without.der'), tsa.timestamp(encodeRequest()));

      const withCert = openssl(['ts', '-verify', '-data', f('data'), '-in', f('with.der'), '-CAfile', f('root.pem')]);
      assert.ok(withCert.ok && /Verification: OK/.test(withCert.out), withCert.out);
      const withoutCert = openssl(['ts', '-verify', '-data', f('data'), '-in', f('without.der'), '-CAfile', f('root.pem'), '-untrusted', f('leaf.pem')]);
      assert.ok(withoutCert.ok && /Verification: OK/.test(withoutCert.out), withoutCert.out);
      // and it can fail: other data, or no way to find the signer's certificate
      assert.equal(openssl(['ts', '-verify', '-data', f('other'), '-in', f('with.der'), '-CAfile', f('root.pem')]).ok, false);
      assert.equal(openssl(['ts', '-verify', '-data', f('data'), '-in', f('without.der'), '-CAfile', f('root.pem')]).ok, false);
    });
  });
}

test('openssl ts -query requests are accepted, and the reply verifies against the query (nonce included)', (t) => {
  if (!requireInTest(t, 'openssl', hasOpenssl, NO_OPENSSL)) return;
  withDir((dir) => {
    const f = (name: string) => join(dir, name);
    writeFileSync(f('data'), DATA);
    writeFileSync(f('root.pem'), P256.rootPem);
    const tsa = createTimestampAuthority({ key: P256.key, chain: P256.chainDer });
    for (const hash of ['-sha256', '-sha384', '-sha512']) {
      execFileSync('openssl', ['ts', '-query', '-data', f('data'), hash, '-cert', '-out', f('q.tsq')], { stdio: 'ignore' });
      writeFileSync(f('r.tsr'), tsa.timestamp(new Uint8Array(execFileSync('cat', [f('q.tsq')]))));
      const r = openssl(['ts', '-verify', '-queryfile', f('q.tsq'), '-in', f('r.tsr'), '-CAfile', f('root.pem')]);
      assert.ok(r.ok && /Verification: OK/.test(r.out), `${hash}: ${r.out}`);
    }
    // a reply to another query (other nonce) fails the check
    execFileSync('openssl', ['ts', '-query', '-data', f('data'), '-sha256', '-cert', '-out', f('q2.tsq')], { stdio: 'ignore' });
    assert.equal(openssl(['ts', '-verify', '-queryfile', f('q2.tsq'), '-in', f('r.tsr'), '-CAfile', f('root.pem')]).ok, false);
  });
});
