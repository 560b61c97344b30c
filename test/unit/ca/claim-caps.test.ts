// Identity values bound for a certificate are capped at MAX_CLAIM_VALUE_BYTES UTF-8 bytes each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeylessError } from '../../../src/core/errors.js';
import { checkClaimSizes, MAX_CLAIM_VALUE_BYTES } from '../../../src/ca/claim-caps.js';

const base = { san: { type: 'uri' as const, value: 'https://gitlab.example/group/project//.gitlab-ci.yml@refs/heads/main' }, extensions: { issuer: 'https://gitlab.example' } };

test('values up to the cap pass; one byte over is ERR_CLAIM_TOO_LARGE naming the field, its size and the cap', () => {
  assert.equal(MAX_CLAIM_VALUE_BYTES, 4096);
  checkClaimSizes({ ...base, san: { type: 'uri', value: `https://${'a'.repeat(4096 - 8)}` } });
  assert.throws(() => checkClaimSizes({ ...base, san: { type: 'uri', value: `https://${'a'.repeat(4097 - 8)}` } }), (err) => {
    assert.ok(err instanceof KeylessError);
    assert.equal(err.code, 'ERR_CLAIM_TOO_LARGE');
    assert.match(err.message, /SAN \(uri\) would be 4097 bytes.*at most 4096 bytes/);
    return true;
  });
});

test('bytes, not characters: multi-byte UTF-8 counts in full', () => {
  assert.throws(() => checkClaimSizes({ ...base, extensions: { ...base.extensions, sourceRepositoryRef: 'é'.repeat(2049) } }), (err) =>
    err instanceof KeylessError && err.code === 'ERR_CLAIM_TOO_LARGE' && /extension sourceRepositoryRef would be 4098 bytes/.test(err.message));
});

test('every oversized value is named in one error', () => {
  const big = 'x'.repeat(5000);
  assert.throws(() => checkClaimSizes({ san: { type: 'uri', value: big }, extensions: { issuer: 'i', buildConfigURI: big, runnerEnvironment: 'gitlab-hosted' } }), (err) => {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_CLAIM_TOO_LARGE');
    assert.deepEqual(err.details['problems'], ['SAN (uri): 5000 bytes', 'extension buildConfigURI: 5000 bytes']);
    return true;
  });
});
