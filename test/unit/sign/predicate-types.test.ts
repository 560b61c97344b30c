// cosign's --type names and the predicate type URIs they stand for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { predicateTypeUri } from '../../../src/sign/predicate-types.js';

test('cosign\'s names map to their URIs; a URI is kept; anything else is a usage error', () => {
  assert.equal(predicateTypeUri('slsaprovenance'), 'https://slsa.dev/provenance/v0.2');
  assert.equal(predicateTypeUri('slsaprovenance1'), 'https://slsa.dev/provenance/v1');
  assert.equal(predicateTypeUri('spdxjson'), 'https://spdx.dev/Document');
  assert.equal(predicateTypeUri('cyclonedx'), 'https://cyclonedx.org/bom');
  assert.equal(predicateTypeUri('custom'), 'https://cosign.sigstore.dev/attestation/v1');
  assert.equal(predicateTypeUri('https://example.com/predicate/v1'), 'https://example.com/predicate/v1');
  for (const bad of ['slsa', 'not a uri', '']) {
    assert.throws(() => predicateTypeUri(bad), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_USAGE' && e.message.includes('slsaprovenance1'));
  }
});
