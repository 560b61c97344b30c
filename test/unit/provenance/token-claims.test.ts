// A job step can set CI_* variables; the ID token's claims are GitLab's. Provenance is signed only when they agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { principalFor } from '../../../src/ca/index.js';
import { gitlabClaims } from '../../../src/oidc/index.js';
import { assertEnvMatchesToken, claimMismatches, gitlabProvenance, statementRepositories } from '../../../src/provenance/index.js';

const CLAIMS = { iss: 'https://gitlab.example.com', project_path: 'my-group/my-project', sha: 'a'.repeat(40), ref: 'main', pipeline_source: 'push', job_id: '42', pipeline_id: '7' };
const ENV = {
  CI_PROJECT_PATH: 'my-group/my-project', CI_COMMIT_SHA: 'a'.repeat(40), CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push', CI_JOB_ID: '42', CI_PIPELINE_ID: '7',
  CI_SERVER_URL: 'https://gitlab.example.com', CI_PROJECT_URL: 'https://gitlab.example.com/my-group/my-project',
};
const identityError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof KeylessError, String(err));
  assert.equal(err.code, 'ERR_IDENTITY');
  assert.match(err.message, pattern);
  return true;
};

test('matching environment and token: no mismatch', () => {
  assert.deepEqual(claimMismatches(ENV, CLAIMS), []);
  assertEnvMatchesToken(ENV, CLAIMS);
});

test('spoofed variables: ERR_IDENTITY naming every differing field with both values', () => {
  const spoofed = { ...ENV, CI_PROJECT_PATH: 'victim/project', CI_COMMIT_SHA: 'b'.repeat(40), CI_PIPELINE_SOURCE: 'web' };
  assert.throws(() => assertEnvMatchesToken(spoofed, CLAIMS), (err: unknown) => {
    assert.ok(err instanceof KeylessError);
    assert.equal(err.code, 'ERR_IDENTITY');
    assert.match(err.message, /CI_PROJECT_PATH="victim\/project" but the token's project_path="my-group\/my-project"/);
    assert.match(err.message, new RegExp(`CI_COMMIT_SHA="${'b'.repeat(40)}" but the token's sha="${'a'.repeat(40)}"`));
    assert.match(err.message, /CI_PIPELINE_SOURCE="web" but the token's pipeline_source="push"/);
    assert.doesNotMatch(err.message, /CI_JOB_ID|CI_PIPELINE_ID|CI_COMMIT_REF_NAME/);
    return true;
  });
});

test('each variable alone is checked; a missing variable or claim is a mismatch', () => {
  for (const [name, value] of Object.entries(ENV)) {
    assert.equal(claimMismatches({ ...ENV, [name]: `${value}x` }, CLAIMS).length, 1, name);
    assert.equal(claimMismatches({ ...ENV, [name]: undefined }, CLAIMS).length, 1, name);
  }
  assert.equal(claimMismatches(ENV, { ...CLAIMS, job_id: 42 }).length, 0, 'numeric claims compare as strings');
  const { ref: _ref, ...noRef } = CLAIMS;
  assert.equal(claimMismatches(ENV, noRef)[0]?.claim, 'ref');
});

test("CI_SERVER_URL must be the server the token's issuer names: ERR_IDENTITY with both values", () => {
  assert.throws(() => assertEnvMatchesToken({ ...ENV, CI_SERVER_URL: 'https://gitlab.com' }, CLAIMS),
    identityError(/CI_SERVER_URL="https:\/\/gitlab\.com" but the token's issuer gives the server "https:\/\/gitlab\.example\.com"/));
  assert.deepEqual(claimMismatches({ ...ENV, CI_SERVER_URL: 'https://gitlab.com' }, CLAIMS).map((m) => m.variable), ['CI_SERVER_URL']);
});

test("CI_PROJECT_URL must be the certificate's Source Repository URI exactly: ERR_IDENTITY for each way it can differ", () => {
  const differing = [
    'https://gitlab.example.com/victim/project', // another project
    'https://gitlab.com/my-group/my-project', // another server
    'https://gitlab.example.com/my-group/my-project/', // a trailing slash: the statement's git+URL would differ
    'http://gitlab.example.com/my-group/my-project', // another scheme
    'https://gitlab.example.com:8443/my-group/my-project', // another port
    'https://gitlab.example.com/My-Group/my-project', // GitLab paths are case-insensitive, certificates are not
    'https://gitlab.example.com/my-group/my-project.git',
  ];
  for (const url of differing) {
    assert.deepEqual(claimMismatches({ ...ENV, CI_PROJECT_URL: url }, CLAIMS).map((m) => m.variable), ['CI_PROJECT_URL'], url);
    assert.throws(() => assertEnvMatchesToken({ ...ENV, CI_PROJECT_URL: url }, CLAIMS), identityError(
      new RegExp(`CI_PROJECT_URL="${url.replace(/[.:/]/g, '\\$&')}" but the certificate's Source Repository URI \\(from the token's iss and project_path\\) is "https://gitlab\\.example\\.com/my-group/my-project"`)), url);
  }
  const { CI_PROJECT_URL: _u, CI_SERVER_URL: _s, ...unset } = ENV;
  assert.deepEqual(claimMismatches(unset, CLAIMS).map((m) => m.variable), ['CI_SERVER_URL', 'CI_PROJECT_URL'], 'unset variables are mismatches');
});

test('an instance under a path, and an issuer with a trailing slash, derive as the CA derives them', () => {
  const claims = { ...CLAIMS, iss: 'https://example.com/gitlab/' };
  const env = { ...ENV, CI_SERVER_URL: 'https://example.com/gitlab', CI_PROJECT_URL: 'https://example.com/gitlab/my-group/my-project' };
  assert.deepEqual(claimMismatches(env, claims), []);
});

test('a token whose issuer is no URL derives no server or repository: both refused', () => {
  const mismatches = claimMismatches(ENV, { ...CLAIMS, iss: 'not a url' });
  assert.deepEqual(mismatches.map((m) => [m.variable, m.token]), [['CI_SERVER_URL', undefined], ['CI_PROJECT_URL', undefined]]);
  assert.throws(() => assertEnvMatchesToken(ENV, { ...CLAIMS, iss: 'not a url' }), identityError(/CI_SERVER_URL=.* but the token's issuer gives the server null/));
});

test("what passes the check is what the certificate says: the statement's repository is the CA's Source Repository URI", () => {
  for (const issuer of ['https://gitlab.example.com', 'http://127.0.0.1:3000', 'https://example.com/gitlab/']) {
    const claims = gitlabClaims(issuer, { projectPath: 'my-group/sub/my-project', ref: 'main', sha: 'a'.repeat(40), jobId: 42, pipelineId: 7 },
      { iat: 0, nbf: 0, exp: 600 }, 'jti', 'sigstore');
    const server = issuer.replace(/\/$/, '');
    const env = {
      CI_PROJECT_PATH: 'my-group/sub/my-project', CI_COMMIT_SHA: 'a'.repeat(40), CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push', CI_JOB_ID: '42',
      CI_PIPELINE_ID: '7', CI_SERVER_URL: server, CI_PROJECT_URL: `${server}/my-group/sub/my-project`,
    };
    assert.deepEqual(claimMismatches(env, claims), [], issuer);
    const principal = principalFor({ issuer, type: 'gitlab-pipeline', clientId: 'sigstore', subject: String(claims['sub']), claims });
    for (const format of ['slsa02', 'slsa1'] as const) {
      const repositories = statementRepositories(gitlabProvenance([{ name: 'pkg:npm/x@1.0.0', digest: { sha512: '00' } }], env, format));
      assert.ok(repositories.length > 0);
      for (const r of repositories) assert.equal(r, principal.extensions.sourceRepositoryURI, `${issuer} ${format}`);
    }
  }
});
