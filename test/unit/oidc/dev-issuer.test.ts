import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { KeylessError } from '../../../src/core/errors.js';
import { createDevIssuer, createTokenVerifier, generateDevIssuerKey, gitlabInputFromEnv, type DevIssuer, type GitlabJobInput } from '../../../src/oidc/index.js';

const { privateKeyPem } = await generateDevIssuerKey();

/** Serves a dev issuer's discovery document and key set at the paths GitLab uses. */
function serve(issuer: DevIssuer): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    if (url === `${issuer.issuer}/.well-known/openid-configuration`) return Response.json(issuer.discovery());
    if (url === `${issuer.issuer}/oauth/discovery/keys`) return Response.json(issuer.jwks());
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
}

/**
 * GitLab's documented example payload (docs.gitlab.com/ci/secrets/id_token_authentication, "Token payload"), less the
 * claims GitLab adds only for features a local pipeline has none of (user_identities, groups_direct, job_source,
 * job_config). One correction: the documented ci_config_ref_uri ends in @refs/heads/main while its ref is
 * feature-branch-1; GitLab writes the job's ref path there, so the golden does too.
 */
const GITLAB_DOCUMENTED = {
  namespace_id: '72',
  namespace_path: 'my-group',
  project_id: '20',
  project_path: 'my-group/my-project',
  user_id: '1',
  user_login: 'sample-user',
  user_email: 'sample-user@example.com',
  user_access_level: 'owner',
  pipeline_id: '574',
  pipeline_source: 'push',
  job_id: '302',
  ref: 'feature-branch-1',
  ref_type: 'branch',
  ref_path: 'refs/heads/feature-branch-1',
  ref_protected: 'false',
  environment: 'test-environment2',
  environment_protected: 'false',
  deployment_tier: 'testing',
  environment_action: 'start',
  runner_id: 1,
  runner_environment: 'self-hosted',
  sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  project_visibility: 'public',
  ci_config_ref_uri: 'gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/feature-branch-1',
  ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  jti: '235b3a54-b797-45c7-ae9a-f72d7bc6ef5b',
  iss: 'https://gitlab.example.com',
  iat: 1681395193,
  nbf: 1681395188,
  exp: 1681398793,
  sub: 'project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1',
  aud: 'https://vault.example.com',
};

const DOCUMENTED_INPUT: GitlabJobInput = {
  projectPath: 'my-group/my-project', ref: 'feature-branch-1', refType: 'branch', refProtected: false,
  sha: '714a629c0b401fdce83e847fc9589983fc6f46bc', projectId: 20, namespaceId: 72, pipelineId: 574, jobId: 302, pipelineSource: 'push',
  environment: 'test-environment2', environmentProtected: false, deploymentTier: 'testing', environmentAction: 'start',
  runnerId: 1, runnerEnvironment: 'self-hosted', userId: 1, userLogin: 'sample-user', userEmail: 'sample-user@example.com',
  userAccessLevel: 'owner', projectVisibility: 'public',
};

test('claims match GitLab\'s documented example payload, key for key', async () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.example.com', privateKeyPem });
  const token = await issuer.mint(DOCUMENTED_INPUT, { audience: 'https://vault.example.com', lifetimeSeconds: 3600, now: 1681395193_000, jti: '235b3a54-b797-45c7-ae9a-f72d7bc6ef5b' });
  const claims = decodeJwt(token);
  assert.deepEqual(claims, GITLAB_DOCUMENTED);
  assert.deepEqual(Object.keys(claims), Object.keys(GITLAB_DOCUMENTED), 'same claim order as GitLab');
});

test('the header is GitLab\'s: RS256, typ JWT, kid = RFC 7638 thumbprint of the key', async () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.example.com', privateKeyPem });
  const header = decodeProtectedHeader(await issuer.mint(DOCUMENTED_INPUT));
  const jwk = (issuer.jwks() as { keys: Record<string, string>[] }).keys[0]!;
  assert.deepEqual(header, { kid: await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! }), typ: 'JWT', alg: 'RS256' });
  assert.equal(createDevIssuer({ issuer: 'https://gitlab.example.com', privateKeyPem, kid: 'k1' }).kid, 'k1');
});

test('discovery and key set in GitLab\'s shape, with no private key members', () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.example.com/', privateKeyPem });
  const discovery = issuer.discovery() as Record<string, unknown>;
  assert.equal(issuer.issuer, 'https://gitlab.example.com');
  assert.equal(discovery.issuer, 'https://gitlab.example.com');
  assert.equal(discovery.jwks_uri, 'https://gitlab.example.com/oauth/discovery/keys');
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
  assert.deepEqual(discovery.subject_types_supported, ['public']);
  assert.ok((discovery.claims_supported as string[]).includes('ci_config_ref_uri'));
  const { keys } = issuer.jwks() as { keys: Record<string, unknown>[] };
  assert.equal(keys.length, 1);
  assert.deepEqual(Object.keys(keys[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
  assert.equal(keys[0]!.kty, 'RSA');
});

test('dev issuer tokens verify with createTokenVerifier configured for the dev issuer', async () => {
  const issuer = createDevIssuer({ issuer: 'http://localhost:8080', privateKeyPem });
  const now = 1_750_000_000_000;
  const verifier = createTokenVerifier({ issuers: [{ issuerUrl: issuer.issuer, clientId: 'sigstore', type: 'gitlab-pipeline' }], fetch: serve(issuer), now: () => now });
  const result = await verifier.verify(await issuer.mint({ projectPath: 'my-group/my-project', ref: 'main' }, { now }));
  assert.equal(result.subject, 'project_path:my-group/my-project:ref_type:branch:ref:main');
  assert.equal(result.claims.ci_config_ref_uri, 'localhost:8080/my-group/my-project//.gitlab-ci.yml@refs/heads/main');
  assert.equal(result.claims.aud, 'sigstore');
  assert.equal(result.claims.exp, now / 1000 + 600);
  // A verifier that trusts only gitlab.com refuses the same token: the dev issuer is never trusted by default.
  const strict = createTokenVerifier({ issuers: [{ issuerUrl: 'https://gitlab.com', clientId: 'sigstore', type: 'gitlab-pipeline' }], fetch: serve(issuer), now: () => now });
  await assert.rejects(strict.verify(await issuer.mint({ projectPath: 'g/p', ref: 'main' }, { now })), /issuer "http:\/\/localhost:8080" is not one this CA trusts/);
});

test('ci_config_ref_uri and sub: self-managed host with port, subgroups, tags, config path', async () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.internal:8443', privateKeyPem });
  const claims = decodeJwt(await issuer.mint({ projectPath: 'grp/sub/app', ref: 'refs/tags/v1.2.0', ciConfigPath: 'ci/release.yml' }));
  assert.equal(claims.ci_config_ref_uri, 'gitlab.internal:8443/grp/sub/app//ci/release.yml@refs/tags/v1.2.0');
  assert.equal(claims.sub, 'project_path:grp/sub/app:ref_type:tag:ref:v1.2.0');
  assert.equal(claims.ref, 'v1.2.0');
  assert.equal(claims.ref_type, 'tag');
  assert.equal(claims.ref_path, 'refs/tags/v1.2.0');
  assert.equal(claims.namespace_path, 'grp/sub');
  assert.equal(claims.iss, 'https://gitlab.internal:8443');
  assert.equal(claims.environment, undefined, 'environment claims only when the job has one');
});

test('missing values get deterministic GitLab-typed defaults', async () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.example', privateKeyPem });
  const opts = { now: 1_750_000_000_000, jti: 'fixed' };
  const a = await issuer.mint({ projectPath: 'g/p', ref: 'main' }, opts);
  assert.equal(a, await issuer.mint({ projectPath: 'g/p', ref: 'main' }, opts), 'same input, same token (RS256 is deterministic)');
  const claims = decodeJwt(a);
  assert.match(String(claims.sha), /^[0-9a-f]{40}$/);
  assert.equal(claims.ci_config_sha, claims.sha);
  for (const id of ['namespace_id', 'project_id', 'user_id', 'pipeline_id', 'job_id']) assert.match(String(claims[id]), /^[1-9][0-9]*$/, id);
  assert.equal(typeof claims.project_id, 'string');
  assert.equal(claims.runner_id, 1);
  assert.equal(claims.ref_protected, 'false');
  assert.equal(claims.pipeline_source, 'push');
  assert.notEqual(decodeJwt(await issuer.mint({ projectPath: 'g/other', ref: 'main' }, opts)).sha, claims.sha);
  assert.match(String(decodeJwt(await issuer.mint({ projectPath: 'g/p', ref: 'main' })).jti), /^[0-9a-f-]{36}$/);
});

test('invalid input and keys are refused', async () => {
  const issuer = createDevIssuer({ issuer: 'https://gitlab.example', privateKeyPem });
  await assert.rejects(issuer.mint({ projectPath: 'no-group', ref: 'main', sha: 'xyz' }), (err: unknown) => {
    assert.ok(err instanceof TypeError);
    assert.match(err.message, /project path must be GROUP\/PROJECT .* found "no-group"; sha must be 40 lowercase hex digits, found "xyz"/);
    return true;
  });
  await assert.rejects(issuer.mint({ projectPath: 'g/p', ref: 'main' }, { lifetimeSeconds: 0 }), TypeError);
  assert.throws(() => createDevIssuer({ issuer: 'gitlab.example', privateKeyPem }), TypeError);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.throws(() => createDevIssuer({ issuer: 'https://gitlab.example', privateKeyPem: ec }), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_KEY_UNSUPPORTED' && /must be RSA of at least 2048 bits .* found ec/.test(err.message));
  assert.throws(() => createDevIssuer({ issuer: 'https://gitlab.example', privateKeyPem: 'not a key' }), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_ENCODING');
});

test('gitlabInputFromEnv reads GitLab\'s predefined variables', () => {
  assert.deepEqual(gitlabInputFromEnv({
    CI_PROJECT_PATH: 'my-group/my-project', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    CI_PIPELINE_ID: '574', CI_JOB_ID: '302', CI_PIPELINE_SOURCE: 'web', CI_CONFIG_PATH: 'ci/main.yml', GITLAB_USER_LOGIN: 'sample-user',
    CI_ENVIRONMENT_NAME: 'production', CI_ENVIRONMENT_TIER: 'production', CI_PROJECT_ID: '20', CI_PROJECT_NAMESPACE_ID: '72',
    CI_PROJECT_VISIBILITY: 'internal', CI_COMMIT_REF_PROTECTED: 'true', CI_RUNNER_ID: '9', GITLAB_USER_ID: '1', GITLAB_USER_EMAIL: 'u@example.com',
    HOME: '/root',
  }), {
    projectPath: 'my-group/my-project', ref: 'main', refType: 'branch', refProtected: true, sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    projectId: 20, namespaceId: 72, pipelineId: 574, jobId: 302, pipelineSource: 'web', ciConfigPath: 'ci/main.yml', environment: 'production',
    deploymentTier: 'production', runnerId: 9, userId: 1, userLogin: 'sample-user', userEmail: 'u@example.com', projectVisibility: 'internal',
  });
  assert.deepEqual(gitlabInputFromEnv({ CI_COMMIT_TAG: 'v1.0.0', CI_COMMIT_REF_NAME: 'v1.0.0' }), { ref: 'v1.0.0', refType: 'tag' });
  assert.deepEqual(gitlabInputFromEnv({ CI_PROJECT_PATH: '' }), {});
  assert.throws(() => gitlabInputFromEnv({ CI_PIPELINE_ID: '12abc', CI_JOB_ID: '-1' }), (err: unknown) =>
    err instanceof KeylessError && err.code === 'ERR_USAGE' && /CI_PIPELINE_ID must be a positive decimal integer, found "12abc"; CI_JOB_ID/.test(err.message));
});
