// A Fulcio /api/v2/signingCert handler for GitLab CI identity tokens, in front of @sigstore/mock's CA.
//
// @sigstore/mock's own fulcioHandler maps only GitHub Actions claims to certificate extensions (and prefixes
// URIs with https://github.com). This handler reads the same request shape, checks proof of possession, and
// maps GitLab claims exactly as Fulcio's `gitlab-pipeline` CI provider does (sigstore/fulcio
// config/identity/config.yaml, ci-issuer-metadata), then lets the mock CA issue the certificate (with its
// precertificate SCT from the mock CT log).
import { createPublicKey, verify } from 'node:crypto';
import { fromPem, toPem } from './keys.mjs';

const OID = (n) => `1.3.6.1.4.1.57264.1.${n}`;

/** An unsigned JWT (alg "none"): the mock CA, like @sigstore/mock's, does not check the token's signature. */
export function unsignedJwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export function decodeJwtClaims(jwt) {
  const payload = jwt.split('.')[1];
  if (payload === undefined) throw new Error('malformed JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** The claims GitLab puts in a CI job's id_token (docs.gitlab.com ci/secrets/id_token_authentication). */
export function gitlabClaims({ now, audience = 'sigstore' }) {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    namespace_id: '72',
    namespace_path: 'my-group',
    project_id: '20',
    project_path: 'my-group/my-project',
    user_id: '1',
    user_login: 'sample-user',
    user_email: 'sample-user@example.com',
    user_access_level: 'developer',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'main',
    ref_type: 'branch',
    ref_path: 'refs/heads/main',
    ref_protected: 'true',
    runner_id: 1,
    runner_environment: 'gitlab-hosted',
    sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    project_visibility: 'public',
    ci_config_ref_uri: 'gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main',
    ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    jti: '235b3a54-b797-45c7-ae9a-f72d7bc6ef5b',
    iss: 'https://gitlab.com',
    iat,
    nbf: iat - 5,
    exp: iat + 300,
    sub: 'project_path:my-group/my-project:ref_type:branch:ref:main',
    aud: audience,
  };
}

/** Fulcio's gitlab-pipeline templates: SAN and extensions (in OID order, as Fulcio renders them). */
export function gitlabCertificateProfile(claims) {
  const url = claims.url ?? 'https://gitlab.com'; // Fulcio's default-template-values for gitlab-pipeline
  const ref = `refs/${claims.ref_type === 'branch' ? 'heads' : 'tags'}/${claims.ref}`;
  const extensions = [
    { oid: OID(1), value: claims.iss, legacy: true }, // Issuer (deprecated): raw bytes, not DER
    { oid: OID(8), value: claims.iss },
    { oid: OID(9), value: `https://${claims.ci_config_ref_uri}` },
    { oid: OID(10), value: claims.ci_config_sha },
    { oid: OID(11), value: claims.runner_environment },
    { oid: OID(12), value: `${url}/${claims.project_path}` },
    { oid: OID(13), value: claims.sha },
    { oid: OID(14), value: ref },
    { oid: OID(15), value: claims.project_id },
    { oid: OID(16), value: `${url}/${claims.namespace_path}` },
    { oid: OID(17), value: claims.namespace_id },
    { oid: OID(18), value: `https://${claims.ci_config_ref_uri}` },
    { oid: OID(19), value: claims.ci_config_sha },
    { oid: OID(20), value: claims.pipeline_source },
    { oid: OID(21), value: `${url}/${claims.project_path}/-/jobs/${claims.job_id}` },
    { oid: OID(22), value: claims.project_visibility },
  ];
  if (claims.environment) extensions.push({ oid: OID(23), value: claims.environment });
  return {
    subjectAltName: `https://${claims.ci_config_ref_uri}`,
    extensions: extensions.filter((e) => e.value !== undefined && e.value !== ''),
  };
}

export function fulcioGitlabHandler(ca) {
  return async (body) => {
    try {
      const req = JSON.parse(body);
      const token = req.credentials.oidcIdentityToken;
      const claims = decodeJwtClaims(token);
      const keyPem = req.publicKeyRequest.publicKey.content;
      const pop = Buffer.from(req.publicKeyRequest.proofOfPossession, 'base64');
      // Proof of possession: a signature over the token's subject with the key being certified.
      if (!verify('sha256', Buffer.from(claims.sub), createPublicKey(keyPem), pop)) {
        return { statusCode: 400, response: JSON.stringify({ code: 400, message: 'invalid proof of possession' }) };
      }
      const profile = gitlabCertificateProfile(claims);
      const leaf = await ca.issueCertificate({ publicKey: fromPem(keyPem).der, ...profile });
      const response = {
        signedCertificateEmbeddedSct: {
          chain: { certificates: [toPem(leaf, 'CERTIFICATE'), toPem(ca.rootCertificate, 'CERTIFICATE')] },
        },
      };
      return { statusCode: 201, response: JSON.stringify(response), contentType: 'application/json' };
    } catch (e) {
      return { statusCode: 400, response: JSON.stringify({ code: 400, message: String(e.message ?? e) }) };
    }
  };
}
