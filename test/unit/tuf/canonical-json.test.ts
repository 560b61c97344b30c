import { test } from 'node:test';
import assert from 'node:assert/strict';
import tufCanonical from '@tufjs/canonical-json';
import { canonicalTufJson } from '../../../src/server/tuf/index.js';
import { canonicalize as jcs } from '../../../src/core/canonical-json.js';

const tricky = {
  z: 1,
  A: [true, false, null, -0, 0, 9007199254740991, -42],
  'ключ': 'é\u2028 "q" \\ back',
  ctrl: 'line\nbreak\ttab\u0001\u001f',
  emoji: '😀\ud7ff',
  nested: { b: { a: [] }, a: {}, '': '' },
};

test('matches @tufjs/canonical-json byte for byte, control characters and unicode included', () => {
  assert.equal(canonicalTufJson(tricky), tufCanonical.canonicalize(tricky));
});

test('differs from RFC 8785 where OLPC does: control characters are written raw', () => {
  const value = { s: 'a\nb' };
  assert.equal(canonicalTufJson(value), '{"s":"a\nb"}');
  assert.notEqual(canonicalTufJson(value), jcs(value));
});

test('refuses what OLPC canonical JSON cannot carry', () => {
  assert.throws(() => canonicalTufJson({ n: 1.5 }), TypeError);
  assert.throws(() => canonicalTufJson({ n: Number.NaN }), TypeError);
  assert.throws(() => canonicalTufJson({ u: undefined }), TypeError);
  assert.throws(() => canonicalTufJson({ d: new Date(0) }), TypeError);
});
