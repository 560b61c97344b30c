import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { pemDecodeAll, pemEncode } from '../../../src/core/encoding.js';
import { publicKeyFromSpki } from '../../../src/core/keys.js';
import { OID } from '../../../src/core/oids.js';
import { findExtension, parseCertificate, verifyCertificateSignature } from '../../../src/core/x509.js';
import { generateTsaCertificates } from '../../../src/tsa/certificates.js';
import { P256, P384 } from './helpers.js';
import { requireInTest } from '../../helpers/requirements.js';

const [leafDer, rootDer] = P256.chainDer as [Uint8Array, Uint8Array];
const leaf = parseCertificate(leafDer);
const root = parseCertificate(rootDer);

test('the root is a self-signed P-384 CA', () => {
  const key = publicKeyFromSpki(root.spki);
  assert.equal(key.type, 'ecdsa-p384');
  assert.equal(root.isCA, true);
  assert.equal(root.keyUsage?.keyCertSign, true);
  assert.deepEqual(root.subject, root.issuer);
  assert.equal(root.signatureAlgorithm, OID.ecdsaWithSha384);
  assert.equal(verifyCertificateSignature(root, key), true);
  assert.deepEqual(root.unhandledCritical, []);
  assert.equal(root.subjectText(), 'CN=keyless-tsa-root, O=keyless');
});

test('the leaf is a P-256 TSA certificate: critical EKU with only timeStamping, digitalSignature, signed by the root', () => {
  assert.equal(publicKeyFromSpki(leaf.spki).type, 'ecdsa-p256');
  assert.equal(leaf.isCA, false);
  assert.deepEqual(leaf.extKeyUsage, [OID.timeStamping]);
  assert.equal(findExtension(leaf, OID.extKeyUsage)?.critical, true);
  assert.equal(leaf.extensions.filter((e) => e.oid === OID.extKeyUsage).length, 1);
  assert.equal(leaf.keyUsage?.digitalSignature, true);
  assert.equal(leaf.keyUsage?.keyCertSign, false);
  assert.equal(findExtension(leaf, OID.keyUsage)?.critical, true);
  assert.deepEqual(leaf.issuer, root.subject);
  assert.deepEqual(leaf.authorityKeyId, root.subjectKeyId);
  assert.equal(verifyCertificateSignature(leaf, publicKeyFromSpki(root.spki)), true);
  assert.equal(verifyCertificateSignature(leaf, publicKeyFromSpki(leaf.spki)), false);
  assert.deepEqual(leaf.unhandledCritical, []);
  assert.equal(leaf.subjectText(), 'CN=keyless-tsa, O=keyless');
});

test('validity starts at `now` (whole seconds) and lasts validityYears', async () => {
  assert.equal(leaf.notBefore, Date.UTC(2026, 0, 1));
  assert.equal(leaf.notAfter, Date.UTC(2036, 0, 1));
  const c = await generateTsaCertificates({ now: Date.UTC(2030, 6, 1, 1, 2, 3, 456), validityYears: 2, commonName: 'x', organization: 'Ünïcode Org' });
  const l = parseCertificate(c.chainDer[0] as Uint8Array);
  assert.equal(l.notBefore, Date.UTC(2030, 6, 1, 1, 2, 3));
  assert.equal(l.notAfter, Date.UTC(2032, 6, 1, 1, 2, 3));
  assert.equal(l.subjectText(), 'CN=x, O=Ünïcode Org');
  await assert.rejects(generateTsaCertificates({ validityYears: 0 }), TypeError);
  await assert.rejects(generateTsaCertificates({ now: Number.NaN }), TypeError);
});

test('key, keyPem, chainPem and rootPem agree with chainDer; serial numbers are fresh', async () => {
  assert.equal(createPrivateKey(P256.keyPem).export({ format: 'jwk' }).d, P256.key.export({ format: 'jwk' }).d);
  assert.deepEqual(pemDecodeAll(P256.chainPem, 'CERTIFICATE').map((b) => new Uint8Array(b)), P256.chainDer);
  assert.equal(P256.rootPem, pemEncode(rootDer, 'CERTIFICATE'));
  assert.equal(P256.key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(P384.key.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  const again = await generateTsaCertificates({ now: Date.UTC(2026, 0, 1) });
  assert.notDeepEqual(parseCertificate(again.chainDer[0] as Uint8Array).serialNumber, leaf.serialNumber);
});

test('Node and sigstore-js read the chain the same way', () => {
  const nodeLeaf = new NodeX509(Buffer.from(leafDer));
  const nodeRoot = new NodeX509(Buffer.from(rootDer));
  assert.ok(nodeLeaf.checkIssued(nodeRoot));
  assert.ok(nodeLeaf.verify(nodeRoot.publicKey));
  assert.ok(nodeRoot.verify(nodeRoot.publicKey));
  assert.deepEqual(nodeLeaf.keyUsage, ['1.3.6.1.5.5.7.3.8']);
  assert.equal(nodeRoot.ca, true);
  const sLeaf = SigstoreX509.parse(Buffer.from(leafDer));
  const sRoot = SigstoreX509.parse(Buffer.from(rootDer));
  assert.ok(sLeaf.verify(sRoot));
  assert.ok(sRoot.verify());
  assert.equal(sLeaf.extKeyUsage?.critical, true);
});

test('openssl verify accepts the leaf for the timestampsign purpose', (t) => {
  if (!requireInTest(t, 'openssl', spawnSync('openssl', ['version']).status === 0, 'no openssl binary on PATH (apt-get install openssl)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'keyless-tsa-'));
  try {
    writeFileSync(join(dir, 'root.pem'), P256.rootPem);
    writeFileSync(join(dir, 'leaf.pem'), pemEncode(leafDer, 'CERTIFICATE'));
    const run = (args: string[]) => spawnSync('openssl', ['verify', '-attime', String(Date.UTC(2027, 0, 1) / 1000), ...args], { encoding: 'utf8' });
    const ok = run(['-purpose', 'timestampsign', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')]);
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
    // and it can fail: the same leaf is no S/MIME signing certificate
    assert.notEqual(run(['-purpose', 'smimesign', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
