/** Every refusal of signingCert: its code, and a message that says what was wrong. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeylessError } from '../../../src/core/errors.js';
import { pemDecode } from '../../../src/core/encoding.js';
import { fulcioExtensions, parseCertificate } from '../../../src/core/x509.js';
import { ephemeralKey, gitlabClaims, gitlabToken, instance, proofOver, publicKeyRequest } from './fixtures.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SUB = String(gitlabClaims().sub);

function refusal(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof KeylessError, `a KeylessError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  };
}

async function csrBody(alg: 'P-256' | 'P-384' | 'Ed25519', tamper = false): Promise<{ body: Record<string, unknown>; spki: Uint8Array }> {
  const params = alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: alg, hash: alg === 'P-256' ? 'SHA-256' : 'SHA-384' };
  const keys = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=ignored', keys, signingAlgorithm: params });
  let pem = csr.toString('pem');
  if (tamper) {
    const der = new Uint8Array(csr.rawData);
    der[der.length - 5] = (der[der.length - 5] as number) ^ 1;
    pem = new x509.Pkcs10CertificateRequest(der).toString('pem');
  }
  return { body: { credentials: { oidcIdentityToken: 'gitlab' }, certificateSigningRequest: Buffer.from(pem).toString('base64') }, spki: new Uint8Array(csr.publicKey.rawData) };
}

test('accepted keys: P-256, P-384, Ed25519, RSA 2048 with a proof of possession; CSRs from @peculiar/x509', async () => {
  const { ca } = await instance(false);
  for (const type of ['P-256', 'P-384', 'ed25519', 'rsa2048'] as const) {
    const { publicPem, privateKey } = ephemeralKey(type);
    await ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB)));
  }
  // a P-384 client that hashes by curve (SHA-384) is accepted too
  const p384 = ephemeralKey('P-384');
  await ca.signingCert(publicKeyRequest(p384.publicPem, sign('sha384', Buffer.from(SUB), p384.privateKey).toString('base64')));
  for (const alg of ['P-256', 'P-384', 'Ed25519'] as const) {
    const { body, spki } = await csrBody(alg);
    const res = await ca.signingCert(body);
    const leaf = parseCertificate(pemDecode(res.signedCertificateEmbeddedSct.chain.certificates[0] as string, 'CERTIFICATE'));
    assert.deepEqual([...leaf.spki], [...spki], `${alg}: the certificate certifies the CSR's key`);
  }
});

test('the token may come from the Authorization header; credentials win when both are given', async () => {
  const { ca, verifier } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  const body = { publicKeyRequest: { publicKey: { content: publicPem }, proofOfPossession: proofOver(privateKey, SUB) } };
  await ca.signingCert(body, 'gitlab');
  await ca.signingCert({ ...body, credentials: { oidcIdentityToken: 'gitlab' } }, 'other');
  assert.deepEqual(verifier.seen, ['gitlab', 'gitlab']);
});

test('a missing token is ERR_TOKEN saying where to put it', async () => {
  const { ca } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  const body = { publicKeyRequest: { publicKey: { content: publicPem }, proofOfPossession: proofOver(privateKey, SUB) } };
  await assert.rejects(ca.signingCert(body), refusal('ERR_TOKEN', /credentials\.oidcIdentityToken.*Bearer/));
  await assert.rejects(ca.signingCert({ ...body, credentials: { oidcIdentityToken: '' } }, ''), refusal('ERR_TOKEN', /no OIDC identity token/));
});

test("the token verifier's error passes through unchanged", async () => {
  const { ca, verifier } = await instance(false);
  const expired = new KeylessError('ERR_TOKEN', 'the token expired at 2025-01-01T00:00:00Z', { exp: 1 });
  verifier.tokens.set('expired', expired);
  const { publicPem, privateKey } = ephemeralKey();
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'expired')), (err) => err === expired);
});

test('a bad proof of possession, or one over another subject, is ERR_PROOF_OF_POSSESSION naming the subject', async () => {
  const { ca } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  const other = ephemeralKey();
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(other.privateKey, SUB))), refusal('ERR_PROOF_OF_POSSESSION', /could not be verified.*project_path:my-group/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, 'someone-else'))), refusal('ERR_PROOF_OF_POSSESSION', /over the token's subject/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, Buffer.from('junk').toString('base64'))), refusal('ERR_PROOF_OF_POSSESSION', /could not be verified/));
});

test('weak or unsupported keys are ERR_KEY_UNSUPPORTED: RSA 1024, secp256k1, P-521', async () => {
  const { ca } = await instance(false);
  const cases: [string, object, RegExp][] = [
    ['rsa', { modulusLength: 1024 }, /RSA keys must have 2048.*1024/],
    ['ec', { namedCurve: 'secp256k1' }, /unsupported elliptic curve 1\.3\.132\.0\.10/],
    ['ec', { namedCurve: 'P-521' }, /P-256 or P-384, not P-521/],
  ];
  for (const [type, options, message] of cases) {
    const pair = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await assert.rejects(ca.signingCert(publicKeyRequest(pem, proofOver(pair.privateKey, SUB))), refusal('ERR_KEY_UNSUPPORTED', message));
  }
});

test('a CSR whose signature does not verify is ERR_CSR_INVALID; so is one that is not a CSR', async () => {
  const { ca } = await instance(false);
  const { body } = await csrBody('P-256', true);
  await assert.rejects(ca.signingCert(body), refusal('ERR_CSR_INVALID', /signature does not verify/));
  const notCsr = { credentials: { oidcIdentityToken: 'gitlab' }, certificateSigningRequest: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n').toString('base64') };
  await assert.rejects(ca.signingCert(notCsr), refusal('ERR_CSR_INVALID', /could not be used/));
});

test('a GitLab token with a null ci_config_ref_uri is ERR_TOKEN explaining why and what to do', async () => {
  const { ca, verifier } = await instance(false);
  verifier.tokens.set('child', gitlabToken({ ...gitlabClaims(), ci_config_ref_uri: null }));
  const { publicPem, privateKey } = ephemeralKey();
  await assert.rejects(
    ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'child')),
    refusal('ERR_TOKEN', /ci_config_ref_uri.*null.*file in the project itself.*parent pipeline/s),
  );
});

test('GitLab tokens missing required claims are refused with every missing claim named', async () => {
  const { ca, verifier } = await instance(false);
  const claims = gitlabClaims();
  delete claims.project_path;
  delete claims.job_id;
  verifier.tokens.set('partial', gitlabToken(claims));
  verifier.tokens.set('badref', gitlabToken({ ...gitlabClaims(), ref_type: 'merge_request' }));
  verifier.tokens.set('spaces', gitlabToken({ ...gitlabClaims(), ci_config_ref_uri: 'gitlab.example.com/g/p//my ci.yml@refs/heads/main' }));
  const { publicPem, privateKey } = ephemeralKey();
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'partial')), refusal('ERR_TOKEN', /project_path, job_id/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'badref')), refusal('ERR_TOKEN', /ref_type "merge_request"/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'spaces')), refusal('ERR_TOKEN', /cannot be a certificate SAN/));
});

test('unknown fields and wrong shapes are ERR_REQUEST listing every problem', async () => {
  const { ca } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  const proof = proofOver(privateKey, SUB);
  const cases: [unknown, RegExp][] = [
    [null, /must be a JSON object/],
    [[], /must be a JSON object/],
    [{ ...publicKeyRequest(publicPem, proof), extra: 1 }, /unknown field\(s\) in the request: extra/],
    [{ credentials: { oidcIdentityToken: 'gitlab', password: 'x' }, publicKeyRequest: { publicKey: { content: publicPem, size: 1 }, proofOfPossession: proof } }, /credentials: password.*publicKeyRequest\.publicKey: size/],
    [{ credentials: { oidcIdentityToken: 'gitlab' } }, /needs publicKeyRequest .* or certificateSigningRequest/],
    [{ ...publicKeyRequest(publicPem, proof), certificateSigningRequest: 'AAAA' }, /not both/],
    [{ credentials: { oidcIdentityToken: 7 }, publicKeyRequest: 'key' }, /oidcIdentityToken must be a string.*publicKeyRequest must be an object/],
    [{ credentials: { oidcIdentityToken: 'gitlab' }, publicKeyRequest: { publicKey: { content: publicPem }, proofOfPossession: 'not base64!' } }, /proofOfPossession is not valid base64/],
    [{ credentials: { oidcIdentityToken: 'gitlab' }, publicKeyRequest: { publicKey: { algorithm: 'DSA', content: publicPem }, proofOfPossession: proof } }, /algorithm must be one of/],
    [publicKeyRequest('not a key', proof), /public key supplied in the request could not be parsed/],
  ];
  for (const [body, message] of cases) {
    await assert.rejects(ca.signingCert(body), refusal('ERR_REQUEST', message), JSON.stringify(body)?.slice(0, 80));
  }
  const huge = { credentials: { oidcIdentityToken: 'gitlab' }, certificateSigningRequest: 'A'.repeat(200_000) };
  await assert.rejects(ca.signingCert(huge), refusal('ERR_TOO_LARGE', /certificateSigningRequest is over/));
});

test('protojson field names of the proto (snake_case) are accepted, numbers for the algorithm enum too', async () => {
  const { ca } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  await ca.signingCert({
    credentials: { oidc_identity_token: 'gitlab' },
    public_key_request: { public_key: { algorithm: 2, content: publicPem }, proof_of_possession: proofOver(privateKey, SUB) },
  });
});

test('issuers the CA is not configured for, and identity types not implemented yet, are refused', async () => {
  const { ca, verifier } = await instance(false);
  const { publicPem, privateKey } = ephemeralKey();
  verifier.tokens.set('stranger', gitlabToken({ ...gitlabClaims(), iss: 'https://gitlab.evil.example' }));
  verifier.tokens.set('typo', { ...gitlabToken(), type: 'github-workflow' });
  verifier.tokens.set('k8s', { issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', type: 'kubernetes', clientId: 'sigstore', subject: 'system:serviceaccount:ns:sa', claims: {} });
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'stranger')), refusal('ERR_TOKEN', /does not issue certificates for tokens from https:\/\/gitlab\.evil\.example/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, SUB), 'typo')), refusal('ERR_TOKEN', /verified as github-workflow.*gitlab-pipeline/));
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, 'system:serviceaccount:ns:sa'), 'k8s')), refusal('ERR_REQUEST', /kubernetes identities is not supported yet/));
});

test('GitHub Actions: SAN from job_workflow_ref, deprecated 1.2–1.6 and the v2 table', async () => {
  const { ca, verifier } = await instance(false);
  const claims = {
    iss: 'https://token.actions.githubusercontent.com', sub: 'repo:octo/app:ref:refs/heads/main', repository: 'octo/app', repository_id: '42',
    repository_owner: 'octo', repository_owner_id: '7', repository_visibility: 'private', workflow: 'Release', workflow_ref: 'octo/app/.github/workflows/release.yml@refs/heads/main',
    workflow_sha: 'aaaa', job_workflow_ref: 'octo/shared/.github/workflows/build.yml@refs/tags/v2', job_workflow_sha: 'bbbb', ref: 'refs/heads/main', sha: 'cccc',
    event_name: 'push', run_id: '100', run_attempt: '2', runner_environment: 'github-hosted',
  };
  verifier.tokens.set('gh', { issuer: claims.iss, type: 'github-workflow', clientId: 'sigstore', subject: claims.sub, claims });
  const { publicPem, privateKey } = ephemeralKey();
  const res = await ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, claims.sub), 'gh'));
  const leaf = parseCertificate(pemDecode(res.signedCertificateEmbeddedSct.chain.certificates[0] as string, 'CERTIFICATE'));
  assert.deepEqual(leaf.subjectAltNames, [{ type: 'uri', value: 'https://github.com/octo/shared/.github/workflows/build.yml@refs/tags/v2' }]);
  assert.deepEqual(fulcioExtensions(leaf), {
    issuer: claims.iss, githubWorkflowTrigger: 'push', githubWorkflowSHA: 'cccc', githubWorkflowName: 'Release', githubWorkflowRepository: 'octo/app', githubWorkflowRef: 'refs/heads/main',
    buildSignerURI: 'https://github.com/octo/shared/.github/workflows/build.yml@refs/tags/v2', buildSignerDigest: 'bbbb', runnerEnvironment: 'github-hosted',
    sourceRepositoryURI: 'https://github.com/octo/app', sourceRepositoryDigest: 'cccc', sourceRepositoryRef: 'refs/heads/main', sourceRepositoryIdentifier: '42',
    sourceRepositoryOwnerURI: 'https://github.com/octo', sourceRepositoryOwnerIdentifier: '7', buildConfigURI: 'https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main',
    buildConfigDigest: 'aaaa', buildTrigger: 'push', runInvocationURI: 'https://github.com/octo/app/actions/runs/100/attempts/2', sourceRepositoryVisibilityAtSigning: 'private',
    tokenSubject: claims.sub,
  });
});

test('email: SAN rfc822Name and the issuer only; an unverified address is refused', async () => {
  const { ca, verifier } = await instance(false);
  const iss = 'https://accounts.example.com';
  verifier.tokens.set('mail', { issuer: iss, type: 'email', clientId: 'sigstore', subject: 'dev@example.com', claims: { email: 'dev@example.com', email_verified: true } });
  verifier.tokens.set('unverified', { issuer: iss, type: 'email', clientId: 'sigstore', subject: 'dev@example.com', claims: { email: 'dev@example.com', email_verified: false } });
  const { publicPem, privateKey } = ephemeralKey();
  const res = await ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, 'dev@example.com'), 'mail'));
  const leaf = parseCertificate(pemDecode(res.signedCertificateEmbeddedSct.chain.certificates[0] as string, 'CERTIFICATE'));
  assert.deepEqual(leaf.subjectAltNames, [{ type: 'email', value: 'dev@example.com' }]);
  assert.deepEqual(fulcioExtensions(leaf), { issuer: iss });
  await assert.rejects(ca.signingCert(publicKeyRequest(publicPem, proofOver(privateKey, 'dev@example.com'), 'unverified')), refusal('ERR_TOKEN', /not verified the email address/));
});
