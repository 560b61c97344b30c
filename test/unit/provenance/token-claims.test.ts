// A job step can set CI_* variables; the ID token's claims are GitLab's. Provenance is signed only when they agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { assertEnvMatchesToken, claimMismatches } from '../../../src/provenance/index.js';

const CLAIMS = { project_path: 'my-group/my-project', sha: 'a'.repeat(40), ref: 'main', pipeline_source: 'push', job_id: '42', pipeline_id: '7' };
const ENV = { CI_PROJECT_PATH: 'my-group/my-project', CI_COMMIT_SHA: 'a'.repeat(40), CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push', CI_JOB_ID: '42', CI_PIPELINE_ID: '7' };

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
