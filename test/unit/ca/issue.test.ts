/**
 * Issuing certificates: the GitLab profile extension by extension, then three independent checks that the result
 * is what a Sigstore verifier expects: ours (src/verify), sigstore-js (@sigstore/core + @sigstore/verify), OpenSSL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { verifyCertificateChain as sigstoreChain } from '@sigstore/verify/dist/key/certificate.js';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { Asn1Reader, TAG, decodeBitString, parseDer } from '../../../src/core/asn1.js';
import { bytesEqual, pemDecode, pemDecodeAll, utf8Decode } from '../../../src/core/encoding.js';
import { OID } from '../../../src/core/oids.js';
import { findExtension, fulcioExtensions, parseCertificate, type Certificate } from '../../../src/core/x509.js';
import { verifyCertificateChain } from '../../../src/verify/certificate.js';
import { verifySignedCertificateTimestamps } from '../../../src/verify/sct.js';
import { prepareTrustMaterial } from '../../../src/verify/trust-material.js';
import type { TrustedRoot } from '../../../src/trust/types.js';
import { createCertificateAuthority } from '../../../src/ca/ca.js';
import { requireInTest } from '../../helpers/requirements.js';
import type { SigningCertResponse } from '../../../src/ca/types.js';
import { createCtLog } from '../../../src/log/ct/service.js';
import { GITLAB_ISSUER, NOW, ephemeralKey, gitlabClaims, instance, proofOver, publicKeyRequest, type Instance } from './fixtures.js';

const SUB = 'project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1';
const CONFIG_URI = 'https://gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main';

/** The GitLab claim table (Fulcio config/identity/config.yaml, gitlab-pipeline) applied to the documented token. */
const EXPECTED_GITLAB: Record<string, string> = {
  issuer: GITLAB_ISSUER,
  buildSignerURI: CONFIG_URI,
  buildSignerDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  runnerEnvironment: 'self-hosted',
  sourceRepositoryURI: 'https://gitlab.example.com/my-group/my-project',
  sourceRepositoryDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  sourceRepositoryRef: 'refs/heads/feature-branch-1',
  sourceRepositoryIdentifier: '20',
  sourceRepositoryOwnerURI: 'https://gitlab.example.com/my-group',
  sourceRepositoryOwnerIdentifier: '72',
  buildConfigURI: CONFIG_URI,
  buildConfigDigest: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  buildTrigger: 'push',
  runInvocationURI: 'https://gitlab.example.com/my-group/my-project/-/jobs/302',
  sourceRepositoryVisibilityAtSigning: 'public',
  deploymentEnvironment: 'test-environment2',
  tokenSubject: SUB,
};

async function issueGitlab(inst?: Instance): Promise<{ inst: Instance; response: SigningCertResponse; leaf: Certificate; pems: string[] }> {
  const i = inst ?? (await instance());
  const { publicPem, privateKey } = ephemeralKey('P-256');
  const response = await i.ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB)));
  const pems = response.signedCertificateEmbeddedSct.chain.certificates;
  return { inst: i, response, leaf: parseCertificate(pemDecode(pems[0] as string, 'CERTIFICATE')), pems };
}

function trustedRoot(inst: Instance, ctSpki: Uint8Array = inst.ctLog.publicKeySpki): TrustedRoot {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    timestampAuthorities: [],
    certificateAuthorities: [
      { subject: { organization: 'keyless test', commonName: 'keyless' }, uri: 'https://ca.test', certChain: inst.generated.chainDer, validFor: { start: NOW - 86_400_000 } },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ct.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: ctSpki, keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: NOW - 86_400_000 } },
        logId: createHash('sha256').update(ctSpki).digest(),
      },
    ],
  };
}

test('the response has exactly the Fulcio v2 embedded-SCT shape: leaf, then the CA chain', async () => {
  const { response, inst } = await issueGitlab();
  assert.deepEqual(Object.keys(response), ['signedCertificateEmbeddedSct']);
  assert.deepEqual(Object.keys(response.signedCertificateEmbeddedSct), ['chain']);
  assert.deepEqual(Object.keys(response.signedCertificateEmbeddedSct.chain), ['certificates']);
  const [leafPem, ...chain] = response.signedCertificateEmbeddedSct.chain.certificates;
  assert.match(leafPem ?? '', /^-----BEGIN CERTIFICATE-----\n/);
  assert.deepEqual(chain, [inst.generated.intermediatePem, inst.generated.rootPem]);
});

test('a GitLab certificate carries every row of the claim table, DER UTF8Strings from .8 on, the raw issuer in .1', async () => {
  const { leaf } = await issueGitlab();
  assert.deepEqual(fulcioExtensions(leaf), EXPECTED_GITLAB);
  const legacy = findExtension(leaf, '1.3.6.1.4.1.57264.1.1');
  assert.equal(utf8Decode(legacy?.value ?? new Uint8Array()), GITLAB_ISSUER);
  for (const ext of leaf.extensions.filter((e) => e.oid.startsWith('1.3.6.1.4.1.57264.1.') && e.oid !== '1.3.6.1.4.1.57264.1.1')) {
    assert.equal(ext.value[0], TAG.UTF8_STRING, `${ext.oid} is a DER UTF8String`);
    assert.equal(ext.critical, false);
  }
  // Go's extension order, Fulcio's extensions by OID, the SCT list last.
  assert.deepEqual(
    leaf.extensions.map((e) => e.oid),
    [
      OID.keyUsage, OID.extKeyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.subjectAltName,
      ...[1, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24].map((n) => `1.3.6.1.4.1.57264.1.${n}`),
      OID.ctSctList,
    ],
  );
});

test("URIs use the token's own GitLab server, not gitlab.com", async () => {
  const inst = await instance();
  const claims: Record<string, unknown> = { ...gitlabClaims(), iss: 'https://git.internal.example:8443', ci_config_ref_uri: 'git.internal.example:8443/g/p//.gitlab-ci.yml@refs/tags/v1', ref: 'v1', ref_type: 'tag' };
  inst.verifier.tokens.set('internal', { issuer: 'https://git.internal.example:8443', type: 'gitlab-pipeline', clientId: 'sigstore', subject: String(claims.sub), claims });
  const ca = createCertificateAuthority({
    tokenVerifier: inst.verifier,
    issuers: [{ issuerUrl: 'https://git.internal.example:8443', clientId: 'sigstore', type: 'gitlab-pipeline' }],
    signer: { key: inst.generated.key, chain: inst.generated.chainDer },
    now: () => NOW,
  });
  const { publicPem, privateKey } = ephemeralKey();
  const res = await ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, String(claims.sub)), 'internal'));
  const leaf = parseCertificate(pemDecode(res.signedCertificateEmbeddedSct.chain.certificates[0] as string, 'CERTIFICATE'));
  const ext = fulcioExtensions(leaf);
  assert.equal(ext.sourceRepositoryURI, 'https://git.internal.example:8443/my-group/my-project');
  assert.equal(ext.runInvocationURI, 'https://git.internal.example:8443/my-group/my-project/-/jobs/302');
  assert.equal(ext.sourceRepositoryRef, 'refs/tags/v1');
  assert.deepEqual(leaf.subjectAltNames, [{ type: 'uri', value: 'https://git.internal.example:8443/g/p//.gitlab-ci.yml@refs/tags/v1' }]);
  assert.equal(findExtension(leaf, OID.ctSctList), undefined, 'no CT log configured, no SCT');
});

test("Fulcio's leaf profile: one critical SAN, empty subject, 600 s, digitalSignature, codeSigning, SKI/AKI, 160-bit serial", async () => {
  const { leaf, inst } = await issueGitlab();
  const intermediate = parseCertificate(inst.generated.chainDer[0] as Uint8Array);
  assert.deepEqual(leaf.subjectAltNames, [{ type: 'uri', value: CONFIG_URI }]);
  assert.equal(findExtension(leaf, OID.subjectAltName)?.critical, true);
  assert.deepEqual([...leaf.subject], [0x30, 0x00]);
  assert.ok(bytesEqual(leaf.issuer, intermediate.subject));
  assert.equal(leaf.notBefore, Math.floor(NOW / 1000) * 1000);
  assert.equal(leaf.notAfter - leaf.notBefore, 600_000);
  assert.equal(findExtension(leaf, OID.keyUsage)?.critical, true);
  assert.deepEqual(
    Object.entries(leaf.keyUsage ?? {}).filter(([, v]) => v).map(([k]) => k),
    ['digitalSignature'],
  );
  assert.deepEqual(leaf.extKeyUsage, [OID.codeSigning]);
  assert.equal(leaf.isCA, false);
  assert.deepEqual(leaf.unhandledCritical, []);
  const spki = new Asn1Reader(parseDer(leaf.spki), 'SubjectPublicKeyInfo');
  spki.next(TAG.SEQUENCE, 'algorithm');
  const keyBits = decodeBitString(spki.next(TAG.BIT_STRING, 'subjectPublicKey'));
  assert.ok(bytesEqual(leaf.subjectKeyId ?? new Uint8Array(), createHash('sha1').update(keyBits).digest()));
  assert.ok(bytesEqual(leaf.authorityKeyId ?? new Uint8Array(), intermediate.subjectKeyId ?? new Uint8Array(1)));
  assert.ok(leaf.serialNumber.length <= 20 && (leaf.serialNumber[0] as number) < 0x80);
  assert.equal(leaf.signatureAlgorithm, OID.ecdsaWithSha384);
  const second = await issueGitlab(inst);
  assert.ok(!bytesEqual(second.leaf.serialNumber, leaf.serialNumber), 'serials are random');
});

test('our verifier accepts the certificate and its embedded SCT; with another CT key it refuses the SCT', async () => {
  const { leaf, inst } = await issueGitlab();
  const trust = prepareTrustMaterial(trustedRoot(inst));
  const { issuer } = verifyCertificateChain(leaf, trust, [NOW + 5000]);
  const scts = verifySignedCertificateTimestamps(leaf, issuer, trust, 1);
  assert.equal(scts.length, 1);
  assert.equal(scts[0]?.timestamp, NOW + 1);
  assert.equal(inst.ctLeaves.length, 1, 'the precertificate was appended to the CT log');

  const otherKey = createCtLog({ key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }).publicKeySpki;
  const wrong = prepareTrustMaterial(trustedRoot(inst, otherKey));
  assert.throws(() => verifySignedCertificateTimestamps(leaf, issuer, wrong, 1), { code: 'ERR_SCT' });
});

test('sigstore-js accepts the chain and the SCT (@sigstore/core X509Certificate, @sigstore/verify checks)', async () => {
  const { pems, inst } = await issueGitlab();
  const [leaf, intermediate, root] = pems.map((p) => SigstoreX509.parse(p));
  assert.ok(leaf && intermediate && root);
  assert.equal(leaf.verify(intermediate), true);
  assert.equal(leaf.subjectAltName, CONFIG_URI);
  assert.equal(leaf.extSubjectAltName?.critical, true);
  const path = sigstoreChain(new Date(NOW + 5000), leaf, [
    { certChain: [intermediate, root], validFor: { start: new Date(NOW - 86_400_000), end: new Date(NOW + 86_400_000) } },
  ]);
  assert.equal(path.length, 3);
  const logs = [
    {
      logID: Buffer.from(inst.ctLog.logId),
      baseURL: 'https://ct.test',
      publicKey: createPublicKey({ key: Buffer.from(inst.ctLog.publicKeySpki), format: 'der', type: 'spki' }),
      validFor: { start: new Date(NOW - 1000), end: new Date(NOW + 1000) },
    },
  ];
  assert.equal(verifySCTs(leaf, intermediate, logs).length, 1);
  // The same check fails against the root as issuer: the issuer key hash is part of what the log signed.
  assert.throws(() => verifySCTs(leaf, root, logs));
});

test('OpenSSL reads the certificate as Fulcio-shaped and verifies the chain', (t) => {
  let hasOpenssl = true;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    hasOpenssl = false;
  }
  if (!requireInTest(t, 'openssl', hasOpenssl, 'no openssl binary on PATH (apt-get install openssl)')) return;
  return issueGitlab().then(({ pems }) => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: pems[0] }).toString();
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \s*\n\s+Code Signing\n/);
    assert.match(text, /X509v3 Subject Alternative Name: critical\s+URI:https:\/\/gitlab\.example\.com\/my-group\/my-project\/\/\.gitlab-ci\.yml@refs\/heads\/main\n/);
    assert.match(text, /CT Precertificate SCTs:\s+Signed Certificate Timestamp:\s+Version\s+: v1 \(0x0\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(text, /Subject: \n|Subject:\s*\n/);
    assert.match(text, /1\.3\.6\.1\.4\.1\.57264\.1\.24:\s+\.\.?[^\n]*project_path:my-group\/my-project/);
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    const write = (name: string, data: string) => execFileSync('tee', [`${dir}/${name}`], { input: data, stdio: ['pipe', 'ignore', 'ignore'] });
    write('root.pem', pems[2] as string);
    write('int.pem', pems[1] as string);
    write('leaf.pem', pems[0] as string);
    const out = execFileSync('openssl', ['verify', '-attime', String(Math.floor(NOW / 1000) + 5), '-purpose', 'any', '-CAfile', `${dir}/root.pem`, '-untrusted', `${dir}/int.pem`, `${dir}/leaf.pem`]).toString();
    assert.match(out, /leaf\.pem: OK/);
    execFileSync('rm', ['-r', dir]);
  });
});

test('the trust bundle and configuration have Fulcio v2 shapes', async () => {
  const { ca, generated } = await instance();
  assert.deepEqual(ca.trustBundle(), { chains: [{ certificates: [generated.intermediatePem, generated.rootPem] }] });
  assert.deepEqual(ca.configuration(), {
    issuers: [
      { issuerUrl: GITLAB_ISSUER, audience: 'sigstore', challengeClaim: 'sub' },
      { issuerUrl: 'https://token.actions.githubusercontent.com', audience: 'sigstore', challengeClaim: 'sub' },
      { issuerUrl: 'https://accounts.example.com', audience: 'sigstore', challengeClaim: 'email' },
      { wildcardIssuerUrl: 'https://oidc.eks.*.amazonaws.com/id/*', audience: 'sigstore', challengeClaim: 'sub' },
    ],
  });
  const [intermediate, root] = pemDecodeAll(generated.intermediatePem + generated.rootPem, 'CERTIFICATE').map((d) => parseCertificate(d));
  assert.equal(intermediate?.pathLen, 0);
  assert.equal(intermediate?.isCA, true);
  assert.equal(root?.isCA, true);
  assert.equal(intermediate?.signatureAlgorithm, OID.ecdsaWithSha384);
  assert.equal(root?.subjectText(), 'CN=keyless, O=keyless test');
  assert.equal(intermediate?.subjectText(), 'CN=keyless-intermediate, O=keyless test');
});
