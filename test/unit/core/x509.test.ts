import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { initializeCA } from '@sigstore/mock';
import { contextTag, parseDer, TAG } from '../../../src/core/asn1.js';
import {
  encodeBoolean,
  encodeInteger,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../../../src/core/asn1-encode.js';
import { base64Decode, bytesEqual, concatBytes, hexDecode, hexEncode, utf8Encode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';
import { publicKeyFromSpki } from '../../../src/core/keys.js';
import { FULCIO_EXTENSIONS, OID } from '../../../src/core/oids.js';
import { parseSctList } from '../../../src/core/sct.js';
import {
  findExtension,
  fulcioExtensions,
  nameText,
  parseCertificate,
  precertificateTbs,
  verifyCertificateSignature,
  type Certificate,
} from '../../../src/core/x509.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { vector } from '../../helpers/vectors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

/**
 * A real production Fulcio leaf: the signing certificate of the sigstore@3.1.0 npm provenance, issued to the
 * sigstore-js release workflow on GitHub Actions (February 2025); see test/vectors/public/npm-provenance-intoto.
 */
const NPM_VECTOR = vector('public/npm-provenance-intoto');
const PROD_LEAF = base64Decode(NPM_VECTOR.bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes);

/** The production trusted root's chains (src/trust/production-root.ts): Fulcio CAs, then TSAs. */
function publicGoodChains(): Uint8Array[][] {
  const root = productionTrustedRootJson;
  return [...root.certificateAuthorities, ...root.timestampAuthorities].map((ca) =>
    ca.certChain.certificates.map((c) => base64Decode(c.rawBytes)),
  );
}

/** The production Fulcio intermediate, picked by its subject as node:crypto reads it (not by our parser). */
const PROD_INTERMEDIATE =
  publicGoodChains()
    .flat()
    .find((der) => new NodeX509(Buffer.from(der)).subject === 'O=sigstore.dev\nCN=sigstore-intermediate') ??
  assert.fail('no sigstore-intermediate in the production trusted root');

/** sigstore-js's fixture leaf with a Fulcio otherName SAN (packages/verify __fixtures__/certs.ts). */
const OTHERNAME_LEAF = base64Decode(
  'MIIB8TCCAXegAwIBAgIUBHcWnSa4N1K+z/dRDitfwGT6RUowCgYIKoZIzj0EAwMwMzETMBEGA1UECgwKZm9vYmFyLmRldjEcMBoG' +
  'A1UEAwwTZm9vYmFyLWludGVybWVkaWF0ZTAeFw05MDAxMDEwMDAwMDBaFw00MDAxMDEwMDAwMDBaMAAwWTATBgcqhkjOPQIBBggq' +
  'hkjOPQMBBwNCAARSG+kx7P0C96xegjJgg81uJrJf/G+yYLRKucwP3AMPQ1xFB+/8wdUqeTLZPI7AsmcGtvbT/Vr5GRPNT1NUSlFV' +
  'o4GbMIGYMB0GA1UdDgQWBBTXA23F2RNNOlWky1b9MQ1AX3NfQzAfBgNVHSMEGDAWgBSRLp/yACH4u5DoQ1HDpNZpq/1mazAOBgNV' +
  'HQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwMwMQYDVR0RBCowKIYRaHR0cDovL2Zvb2Jhci5kZXagEwYKKwYBBAGDvzAB' +
  'B6AFDANGT08wCgYIKoZIzj0EAwMDaAAwZQIwWi7Kx/jf8O3riw+dLxK2p4+JPbH92aFrq3WozDexiXb1ZTM3FhaFFrM15gMKWlVh' +
  'AjEAig8qoM7nW0cPq0x029VvJPjm4knz7ZvmnY3dVwmStvcPrB+2+tmxDfK1BKl1v5/Z',
);

// --- a small certificate builder on our own encoders, to reach shapes no CA library will produce --------------

interface Ext {
  oid: string;
  value: Uint8Array;
  critical?: boolean | 'explicit-false';
}

interface Build {
  version?: number | null; // null: no [0] field (v1)
  serial?: bigint;
  algorithm?: string;
  innerAlgorithm?: string;
  issuer?: Uint8Array;
  subject?: Uint8Array;
  extensions?: Ext[] | null;
  extraTbsField?: Uint8Array;
  signer?: KeyObject;
  subjectKey?: KeyObject;
}

const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const leafKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function name(...rdns: [string, string][][]): Uint8Array {
  return encodeSequence(
    ...rdns.map((rdn) => encodeSet(...rdn.map(([oid, value]) => encodeSequence(encodeOid(oid), encodeUtf8String(value))))),
  );
}

const CA_NAME = name([['2.5.4.10', 'keyless.test']], [['2.5.4.3', 'keyless test CA']]);

function extension({ oid, value, critical }: Ext): Uint8Array {
  const crit = critical === true ? [encodeBoolean(true)] : critical === 'explicit-false' ? [encodeBoolean(false)] : [];
  return encodeSequence(encodeOid(oid), ...crit, encodeOctetString(value));
}

function buildCert(b: Build = {}): Uint8Array {
  const alg = encodeSequence(encodeOid(b.algorithm ?? OID.ecdsaWithSha256));
  const innerAlg = b.innerAlgorithm === undefined ? alg : encodeSequence(encodeOid(b.innerAlgorithm));
  const exts = b.extensions === undefined ? defaultExtensions() : b.extensions;
  const tbs = encodeSequence(
    ...(b.version === null ? [] : [encodeTlv(contextTag(0, true), encodeInteger(b.version ?? 2))]),
    encodeInteger(b.serial ?? 0x1234n),
    innerAlg,
    b.issuer ?? CA_NAME,
    encodeSequence(encodeTime(Date.UTC(2025, 0, 1)), encodeTime(Date.UTC(2025, 0, 1, 0, 10))),
    b.subject ?? encodeSequence(),
    new Uint8Array((b.subjectKey ?? leafKeys.publicKey).export({ format: 'der', type: 'spki' })),
    ...(exts === null ? [] : [encodeTlv(contextTag(3, true), encodeSequence(...exts.map(extension)))]),
    ...(b.extraTbsField === undefined ? [] : [b.extraTbsField]),
  );
  const sig = sign('sha256', tbs, b.signer ?? caKeys.privateKey);
  return encodeSequence(tbs, alg, encodeTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), sig)));
}

const sanUri = (uri: string) => encodeSequence(encodeTlv(contextTag(6, false), utf8Encode(uri)));
const keyUsageDigitalSignature = hexDecode('03020780');

function defaultExtensions(): Ext[] {
  return [
    { oid: OID.keyUsage, value: keyUsageDigitalSignature, critical: true },
    { oid: OID.extKeyUsage, value: encodeSequence(encodeOid(OID.codeSigning)) },
    { oid: OID.subjectAltName, value: sanUri('https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main'), critical: true },
    { oid: '1.3.6.1.4.1.57264.1.8', value: encodeUtf8String('https://gitlab.com') },
  ];
}

// --- tests -------------------------------------------------------------------------------------------------------

test('the public-good CA and TSA chains parse, agree with node:crypto, and verify', () => {
  const chains = publicGoodChains();
  assert.ok(chains.length >= 3);
  for (const chain of chains) {
    const certs = chain.map(parseCertificate);
    certs.forEach((c, i) => {
      const node = new NodeX509(Buffer.from(chain[i] ?? assert.fail()));
      assert.equal(c.version, 3);
      assert.equal(hexEncode(c.serialNumber).replace(/^00/, '').toUpperCase(), node.serialNumber.replace(/^00/, ''));
      assert.equal(c.notBefore, Date.parse(node.validFrom));
      assert.equal(c.notAfter, Date.parse(node.validTo));
      assert.equal(c.isCA, node.ca);
      assert.equal(c.subjectText(), node.subject.split('\n').reverse().join(', '));
      assert.equal(c.issuerText(), node.issuer.split('\n').reverse().join(', '));
      assert.ok(bytesEqual(c.spki, node.publicKey.export({ format: 'der', type: 'spki' })));
      assert.deepEqual(c.unhandledCritical, []);
      assert.ok(c.keyUsage?.keyCertSign || c.extKeyUsage.includes(OID.timeStamping), 'CA or TSA');
      const issuer = certs[i + 1] ?? c; // the last one is self-signed
      assert.ok(bytesEqual(c.issuer, issuer.subject));
      assert.equal(verifyCertificateSignature(c, publicKeyFromSpki(issuer.spki)), true, c.subjectText());
    });
    const last = certs[certs.length - 1] ?? assert.fail();
    assert.ok(bytesEqual(last.issuer, last.subject), 'chains end at a self-signed root');
  }
});

test('a real Fulcio leaf: fields, identity, Fulcio extensions and its issuer’s signature', () => {
  const leaf = parseCertificate(PROD_LEAF);
  const intermediate = parseCertificate(PROD_INTERMEDIATE);
  assert.equal(leaf.version, 3);
  assert.equal(hexEncode(leaf.serialNumber), '379fefec5a9c854c94a3935bf86f737c408eb007');
  assert.equal(leaf.notBefore, Date.UTC(2025, 1, 4, 20, 35, 47));
  assert.equal(leaf.notAfter, Date.UTC(2025, 1, 4, 20, 45, 47));
  assert.equal(leaf.signatureAlgorithm, OID.ecdsaWithSha384);
  assert.equal(leaf.subjectText(), '');
  assert.equal(leaf.issuerText(), 'CN=sigstore-intermediate, O=sigstore.dev');
  assert.ok(bytesEqual(leaf.issuer, intermediate.subject));
  assert.equal(leaf.isCA, false);
  assert.equal(leaf.keyUsage?.digitalSignature, true);
  assert.equal(leaf.keyUsage?.keyCertSign, false);
  assert.deepEqual(leaf.extKeyUsage, [OID.codeSigning]);
  assert.deepEqual(leaf.unhandledCritical, []);
  assert.ok(leaf.authorityKeyId && intermediate.subjectKeyId && bytesEqual(leaf.authorityKeyId, intermediate.subjectKeyId));
  assert.equal(hexEncode(leaf.subjectKeyId ?? new Uint8Array()), '985982428c8000287dc63a564d2e5edd19ded9ad');
  const identity = 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main';
  assert.equal(identity, NPM_VECTOR.expected.identity);
  assert.deepEqual(leaf.subjectAltNames, [{ type: 'uri', value: identity }]);
  assert.equal(intermediate.isCA, true);
  assert.equal(intermediate.pathLen, 0);
  assert.equal(verifyCertificateSignature(leaf, publicKeyFromSpki(intermediate.spki)), true);
  assert.equal(verifyCertificateSignature(leaf, publicKeyFromSpki(leaf.spki)), false);

  const sha = '06cd267cbdc2eeaa04294995622db9f6ad2fa7cf';
  assert.deepEqual(fulcioExtensions(leaf), {
    issuer: 'https://token.actions.githubusercontent.com',
    githubWorkflowTrigger: 'push',
    githubWorkflowSHA: sha,
    githubWorkflowName: 'Release',
    githubWorkflowRepository: 'sigstore/sigstore-js',
    githubWorkflowRef: 'refs/heads/main',
    buildSignerURI: identity,
    buildSignerDigest: sha,
    runnerEnvironment: 'github-hosted',
    sourceRepositoryURI: 'https://github.com/sigstore/sigstore-js',
    sourceRepositoryDigest: sha,
    sourceRepositoryRef: 'refs/heads/main',
    sourceRepositoryIdentifier: '495574555',
    sourceRepositoryOwnerURI: 'https://github.com/sigstore',
    sourceRepositoryOwnerIdentifier: '71096353',
    buildConfigURI: identity,
    buildConfigDigest: sha,
    buildTrigger: 'push',
    runInvocationURI: 'https://github.com/sigstore/sigstore-js/actions/runs/13144357684/attempts/1',
    sourceRepositoryVisibilityAtSigning: 'public',
  });
  assert.equal(fulcioExtensions(leaf).issuer, NPM_VECTOR.expected.issuer);

  // the same reading as @sigstore/core
  const theirs = SigstoreX509.parse(Buffer.from(PROD_LEAF));
  assert.equal(hexEncode(leaf.serialNumber), hexEncode(theirs.serialNumber));
  assert.equal(leaf.notAfter, theirs.notAfter.getTime());
  assert.ok(bytesEqual(parseDer(leaf.issuer).content, theirs.issuer), '@sigstore/core gives the Name’s content');
  assert.ok(bytesEqual(leaf.spki, theirs.publicKey));
  assert.equal(theirs.subjectAltName, identity);
  assert.equal(theirs.verify(SigstoreX509.parse(Buffer.from(PROD_INTERMEDIATE))), true);
});

test('the Fulcio table lists .1 to .24 with sigstore-go’s names', () => {
  assert.deepEqual(
    FULCIO_EXTENSIONS.map((e) => e.oid),
    Array.from({ length: 24 }, (_, i) => `1.3.6.1.4.1.57264.1.${i + 1}`),
  );
  assert.deepEqual(
    FULCIO_EXTENSIONS.filter((e) => e.legacy).map((e) => e.oid.split('.').pop()),
    ['1', '2', '3', '4', '5', '6'],
  );
  assert.equal(FULCIO_EXTENSIONS.find((e) => e.oid.endsWith('.1.9'))?.name, 'buildSignerURI');
  assert.equal(FULCIO_EXTENSIONS.find((e) => e.oid.endsWith('.1.22'))?.label, 'Source Repository Visibility At Signing');
});

test('an otherName SAN carries the Fulcio username', () => {
  const cert = parseCertificate(OTHERNAME_LEAF);
  assert.deepEqual(cert.subjectAltNames, [
    { type: 'uri', value: 'http://foobar.dev' },
    { type: 'otherName', value: 'FOO' },
  ]);
  assert.equal(cert.issuerText(), 'CN=foobar-intermediate, O=foobar.dev');
});

test('a @sigstore/mock CA leaf: DER .8+ values, raw legacy values, the issuer fallback', async () => {
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const publicKey = leafKeys.publicKey.export({ format: 'der', type: 'spki' });
  const issue = async (extensions: { oid: string; value: string; legacy?: boolean }[]) =>
    parseCertificate(new Uint8Array((await ca.issueCertificate({ publicKey, subjectAltName: 'https://gitlab.com/a/b', extensions })).buffer));
  const f = (n: number) => `1.3.6.1.4.1.57264.1.${n}`;
  const cert = await issue([
    { oid: f(1), value: 'https://legacy.example', legacy: true },
    { oid: f(8), value: 'https://gitlab.com' },
    { oid: f(9), value: 'https://gitlab.com/a/b//.gitlab-ci.yml@refs/heads/main' },
    { oid: f(23), value: 'production' },
    { oid: f(24), value: 'project_path:a/b:ref_type:branch:ref:main' },
    { oid: f(99), value: 'unknown Fulcio OIDs are ignored' },
  ]);
  assert.deepEqual(fulcioExtensions(cert), {
    issuer: 'https://gitlab.com',
    buildSignerURI: 'https://gitlab.com/a/b//.gitlab-ci.yml@refs/heads/main',
    deploymentEnvironment: 'production',
    tokenSubject: 'project_path:a/b:ref_type:branch:ref:main',
  });
  assert.deepEqual(cert.subjectAltNames, [{ type: 'uri', value: 'https://gitlab.com/a/b' }]);
  assert.equal(verifyCertificateSignature(cert, publicKeyFromSpki(parseCertificate(new Uint8Array(ca.rootCertificate.buffer)).spki)), true);

  assert.deepEqual(fulcioExtensions(await issue([{ oid: f(1), value: 'https://only-legacy', legacy: true }])), {
    issuer: 'https://only-legacy',
  });
  const notDer = await issue([{ oid: f(9), value: 'raw, not DER', legacy: true }]);
  assert.throws(() => fulcioExtensions(notDer), code('ERR_CERT_INVALID'));
});

test('V2 Fulcio values must be DER UTF8Strings; legacy values must be UTF-8', () => {
  const withExt = (oid: string, value: Uint8Array) => parseCertificate(buildCert({ extensions: [{ oid, value }] }));
  const v2 = '1.3.6.1.4.1.57264.1.12';
  assert.deepEqual(fulcioExtensions(withExt(v2, encodeUtf8String('https://x'))), { sourceRepositoryURI: 'https://x' });
  assert.throws(() => fulcioExtensions(withExt(v2, encodeTlv(TAG.IA5_STRING, utf8Encode('https://x')))), code('ERR_CERT_INVALID'));
  assert.throws(() => fulcioExtensions(withExt(v2, concatBytes(encodeUtf8String('a'), Uint8Array.of(0)))), code('ERR_CERT_INVALID'));
  assert.throws(() => fulcioExtensions(withExt(v2, encodeTlv(TAG.UTF8_STRING, Uint8Array.of(0xff)))), code('ERR_CERT_INVALID'));
  assert.throws(() => fulcioExtensions(withExt('1.3.6.1.4.1.57264.1.2', Uint8Array.of(0xc3))), code('ERR_CERT_INVALID'));
});

test('a hand-built certificate parses the same as node:crypto reads it', () => {
  const der = buildCert();
  const cert = parseCertificate(der);
  const node = new NodeX509(Buffer.from(der));
  const caExtensions: Ext[] = [
    { oid: OID.basicConstraints, value: encodeSequence(encodeBoolean(true)), critical: true },
    { oid: OID.keyUsage, value: hexDecode('03020106'), critical: true },
  ];
  const caCert = buildCert({ subject: CA_NAME, subjectKey: caKeys.publicKey, extensions: caExtensions });
  assert.equal(node.checkIssued(new NodeX509(Buffer.from(caCert))), true);
  assert.equal(node.verify(caKeys.publicKey), true);
  assert.equal(cert.notBefore, Date.parse(node.validFrom));
  assert.equal(cert.issuerText(), 'CN=keyless test CA, O=keyless.test');
  assert.equal(verifyCertificateSignature(cert, publicKeyFromSpki(new Uint8Array(caKeys.publicKey.export({ format: 'der', type: 'spki' })))), true);
  assert.ok(bytesEqual(cert.der, der));
  assert.equal(cert.extensions.length, 4);
  const [ku] = cert.extensions;
  assert.deepEqual([ku?.oid, ku?.critical, hexEncode(ku?.value ?? new Uint8Array())], [OID.keyUsage, true, '03020780']);
});

test('subject alternative names of every kind', () => {
  const otherName = (oid: string, value: Uint8Array) =>
    encodeTlv(contextTag(0, true), concatBytes(encodeOid(oid), encodeTlv(contextTag(0, true), value)));
  const dirName = encodeTlv(contextTag(4, true), CA_NAME);
  const san = encodeSequence(
    encodeTlv(contextTag(1, false), utf8Encode('dev@example.com')),
    encodeTlv(contextTag(2, false), utf8Encode('example.com')),
    encodeTlv(contextTag(7, false), Uint8Array.of(192, 0, 2, 1)),
    encodeTlv(contextTag(7, false), hexDecode('20010db8000000000000000000000001')),
    encodeTlv(contextTag(7, false), hexDecode('20010db8000000010000000000000000')),
    otherName(OID.fulcioOtherName, encodeUtf8String('octocat')),
    otherName('1.2.3.4', encodeUtf8String('x')),
    dirName,
  );
  const cert = parseCertificate(buildCert({ extensions: [{ oid: OID.subjectAltName, value: san }] }));
  assert.deepEqual(cert.subjectAltNames.slice(0, 6), [
    { type: 'email', value: 'dev@example.com' },
    { type: 'dns', value: 'example.com' },
    { type: 'ip', value: '192.0.2.1' },
    { type: 'ip', value: '2001:db8::1' },
    { type: 'ip', value: '2001:db8:0:1::' },
    { type: 'otherName', value: 'octocat' },
  ]);
  assert.equal(cert.subjectAltNames[6]?.type, 'other');
  assert.deepEqual(cert.subjectAltNames[7], { type: 'other', value: hexEncode(dirName) });
  const node = new NodeX509(Buffer.from(buildCert({ extensions: [{ oid: OID.subjectAltName, value: san }] })));
  assert.match(node.subjectAltName ?? '', /IP Address:2001:DB8:0:1:0:0:0:0/i);

  const bad = (value: Uint8Array) => () => parseCertificate(buildCert({ extensions: [{ oid: OID.subjectAltName, value }] }));
  assert.throws(bad(encodeSequence()), code('ERR_CERT_INVALID'), 'empty SAN');
  assert.throws(bad(encodeSequence(encodeTlv(contextTag(6, false), Uint8Array.of(0xe9)))), code('ERR_CERT_INVALID'), 'non-ASCII URI');
  assert.throws(bad(encodeSequence(encodeTlv(contextTag(7, false), Uint8Array.of(1, 2, 3)))), code('ERR_CERT_INVALID'), 'IP of 3 bytes');
  assert.throws(
    bad(encodeSequence(otherName(OID.fulcioOtherName, encodeTlv(TAG.IA5_STRING, utf8Encode('x'))))),
    code('ERR_CERT_INVALID'),
    'Fulcio username not a UTF8String',
  );
});

test('basicConstraints, keyUsage and extKeyUsage are read; malformed ones are ERR_CERT_INVALID', () => {
  const ca = parseCertificate(
    buildCert({
      extensions: [
        { oid: OID.basicConstraints, value: encodeSequence(encodeBoolean(true), encodeInteger(1)), critical: true },
        { oid: OID.keyUsage, value: hexDecode('03020106'), critical: true },
        { oid: OID.extKeyUsage, value: encodeSequence(encodeOid(OID.codeSigning), encodeOid(OID.timeStamping)) },
      ],
    }),
  );
  assert.equal(ca.isCA, true);
  assert.equal(ca.pathLen, 1);
  assert.equal(ca.keyUsage?.keyCertSign, true);
  assert.equal(ca.keyUsage?.cRLSign, true);
  assert.equal(ca.keyUsage?.digitalSignature, false);
  assert.deepEqual(ca.extKeyUsage, [OID.codeSigning, OID.timeStamping]);
  const plain = parseCertificate(buildCert({ extensions: [{ oid: OID.basicConstraints, value: encodeSequence() }] }));
  assert.equal(plain.isCA, false);
  assert.equal('pathLen' in plain, false);
  assert.equal('keyUsage' in plain, false);
  assert.deepEqual(plain.extKeyUsage, []);

  const bad: [string, Uint8Array][] = [
    [OID.basicConstraints, encodeSequence(encodeBoolean(true), encodeInteger(-1))],
    [OID.basicConstraints, encodeSequence(encodeInteger(1), encodeBoolean(true))],
    [OID.basicConstraints, encodeNull()],
    [OID.keyUsage, encodeOctetString(Uint8Array.of(0x80))],
    [OID.keyUsage, hexDecode('03020781')],
    [OID.extKeyUsage, encodeSequence()],
    [OID.extKeyUsage, encodeSequence(encodeNull())],
    [OID.subjectKeyIdentifier, encodeNull()],
    [OID.authorityKeyIdentifier, encodeOctetString(Uint8Array.of(1))],
  ];
  for (const [oid, value] of bad) {
    assert.throws(() => parseCertificate(buildCert({ extensions: [{ oid, value }] })), code('ERR_CERT_INVALID'), oid);
  }
});

test('structural problems are ERR_CERT_INVALID', () => {
  const bad: Record<string, Uint8Array> = {
    'v1 (no version field)': buildCert({ version: null }),
    v2: buildCert({ version: 1 }),
    v4: buildCert({ version: 3 }),
    'zero serial': buildCert({ serial: 0n }),
    'negative serial': buildCert({ serial: -5n }),
    'inner and outer algorithms differ': buildCert({ innerAlgorithm: OID.ecdsaWithSha384 }),
    'duplicate extension': buildCert({
      extensions: [
        { oid: OID.keyUsage, value: keyUsageDigitalSignature },
        { oid: OID.keyUsage, value: keyUsageDigitalSignature },
      ],
    }),
    'field after the extensions': buildCert({ extraTbsField: encodeNull() }),
    'trailing bytes': concatBytes(buildCert(), Uint8Array.of(0)),
    'truncated': buildCert().subarray(0, 100),
    'not a certificate': encodeSequence(encodeNull()),
    empty: new Uint8Array(),
  };
  for (const [what, der] of Object.entries(bad)) {
    assert.throws(() => parseCertificate(der), code('ERR_CERT_INVALID'), what);
  }
  // the ERR_ASN1 underneath is kept as the cause
  assert.throws(
    () => parseCertificate(Uint8Array.of(0x30, 0x80)),
    (err: unknown) => err instanceof KeylessError && err.code === 'ERR_CERT_INVALID' && (err.cause as KeylessError).code === 'ERR_ASN1',
  );
});

test('unknown critical extensions are reported, not hidden', () => {
  const cert = parseCertificate(
    buildCert({
      extensions: [
        { oid: '1.2.3.4.5', value: encodeNull(), critical: true },
        { oid: OID.ctPrecertPoison, value: encodeNull(), critical: true },
        { oid: OID.nameConstraints, value: encodeSequence(), critical: true },
        { oid: '1.2.3.4.6', value: encodeNull() },
        { oid: OID.keyUsage, value: keyUsageDigitalSignature, critical: 'explicit-false' },
      ],
    }),
  );
  assert.deepEqual(cert.unhandledCritical, ['1.2.3.4.5', OID.ctPrecertPoison, OID.nameConstraints]);
  assert.equal(cert.extensions[4]?.critical, false);
  assert.deepEqual(parseCertificate(buildCert({ extensions: null })).extensions, []);
});

test('names render as RFC 4514 text', () => {
  const tricky = encodeSequence(
    encodeSet(encodeSequence(encodeOid('2.5.4.6'), encodeTlv(TAG.PRINTABLE_STRING, utf8Encode('US')))),
    encodeSet(
      encodeSequence(encodeOid('2.5.4.10'), encodeUtf8String('Acme, Inc.')),
      encodeSequence(encodeOid('2.5.4.11'), encodeUtf8String(' lead#')),
    ),
    encodeSet(encodeSequence(encodeOid('1.2.3.4'), encodeInteger(7))),
  );
  // the SET is DER-sorted, so OU (the shorter encoding) comes first
  assert.equal(nameText(tricky), '1.2.3.4=#020107, OU=\\ lead#+O=Acme\\, Inc., C=US');
  assert.equal(nameText(encodeSequence()), '');
  assert.throws(() => nameText(encodeSequence(encodeSequence())), code('ERR_CERT_INVALID'));
});

test('precertificateTbs drops the SCT list and poison extensions and re-encodes lengths', () => {
  const sctList = { oid: OID.ctSctList, value: encodeOctetString(new Uint8Array(200)) };
  const poison = { oid: OID.ctPrecertPoison, value: encodeNull(), critical: true };
  const base = defaultExtensions();
  const tbsOf = (der: Uint8Array) => parseCertificate(der).tbs;
  const expected = tbsOf(buildCert({ extensions: base }));
  const leaf = parseCertificate(buildCert({ extensions: [...base.slice(0, 2), sctList, ...base.slice(2)] }));
  assert.ok(bytesEqual(precertificateTbs(leaf), expected));
  const precert = parseCertificate(buildCert({ extensions: [...base, poison] }));
  assert.ok(bytesEqual(precertificateTbs(precert), expected));
  const plain = parseCertificate(buildCert({ extensions: base }));
  assert.ok(bytesEqual(precertificateTbs(plain), plain.tbs));
  // an extensions field left empty disappears, as Go's x509 and the CT libraries encode it
  const only = parseCertificate(buildCert({ extensions: [sctList] }));
  assert.ok(bytesEqual(precertificateTbs(only), tbsOf(buildCert({ extensions: null }))));
});

test('verifyCertificateSignature: an algorithm we refuse is ERR_KEY_UNSUPPORTED', () => {
  const issuerKey = publicKeyFromSpki(new Uint8Array(caKeys.publicKey.export({ format: 'der', type: 'spki' })));
  const pss = parseCertificate(buildCert({ algorithm: OID.rsassaPss }));
  assert.throws(() => verifyCertificateSignature(pss, issuerKey), code('ERR_KEY_UNSUPPORTED'));
  const wrongHash = parseCertificate(buildCert({ algorithm: OID.ecdsaWithSha384 }));
  assert.equal(verifyCertificateSignature(wrongHash, issuerKey), false, 'signed with SHA-256, labelled SHA-384');
});

function mutate(input: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  switch (randomInt(5)) {
    case 0:
      b[randomInt(b.length)] = randomInt(256);
      return b;
    case 1: {
      const i = randomInt(b.length);
      b[i] = (b[i] ?? 0) ^ (1 << randomInt(8));
      return b;
    }
    case 2:
      return b.subarray(0, randomInt(b.length));
    case 3: {
      const i = randomInt(b.length);
      return concatBytes(b.subarray(0, i), Uint8Array.of(randomInt(256)), b.subarray(i));
    }
    default: {
      const i = randomInt(b.length);
      return concatBytes(b.subarray(0, i), b.subarray(i + 1 + randomInt(4)));
    }
  }
}

test('fuzz: 2,000 mutations of a real Fulcio leaf only ever raise KeylessError', () => {
  const issuerKey = publicKeyFromSpki(parseCertificate(PROD_INTERMEDIATE).spki);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    const der = mutate(PROD_LEAF);
    let cert: Certificate;
    try {
      cert = parseCertificate(der);
    } catch (err) {
      assert.ok(err instanceof KeylessError && err.code === 'ERR_CERT_INVALID', String(err));
      continue;
    }
    parsed++;
    const uses = [
      () => fulcioExtensions(cert),
      () => cert.subjectText(),
      () => cert.issuerText(),
      () => precertificateTbs(cert),
      () => verifyCertificateSignature(cert, issuerKey),
      () => publicKeyFromSpki(cert.spki),
      () => parseSctList(findExtension(cert, OID.ctSctList)?.value ?? new Uint8Array()),
    ];
    for (const use of uses) {
      try {
        use();
      } catch (err) {
        assert.ok(err instanceof KeylessError, String(err));
      }
    }
  }
  assert.ok(parsed > 50, `some mutations still parse (${parsed})`);
});
