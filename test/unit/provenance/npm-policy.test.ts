// The consumer's policy: which repository and issuer each package must come from, by name or glob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseNpmPolicy, policyFor, provenanceRequired } from '../../../src/provenance/index.js';

const policy = parseNpmPolicy({ packages: {
  '@acme/*': { repository: 'https://gitlab.example.com/acme/all/', issuer: 'https://gitlab.example.com' },
  '@acme/widget': { repository: 'https://gitlab.example.com/acme/widget' },
  '@acme/widget-*': { repository: 'https://gitlab.example.com/acme/widgets' },
  'left-pad': { provenance: 'optional' },
  '*': { provenance: 'required' },
} });
const key = (name: string) => policyFor(policy, name)?.key;

test('an exact name wins, then the glob with the most literal characters; * stays within a name part', () => {
  assert.equal(key('@acme/widget'), '@acme/widget');
  assert.equal(key('@acme/widget-pro'), '@acme/widget-*');
  assert.equal(key('@acme/gadget'), '@acme/*');
  assert.equal(key('left-pad'), 'left-pad');
  assert.equal(key('lodash'), '*');
  assert.equal(key('@other/widget'), undefined, '"*" is unscoped names only');
  assert.equal(key('@acme/a/b'), undefined);
  assert.equal(policyFor(policy, '@acme/gadget')?.rule.repository, 'https://gitlab.example.com/acme/all', 'trailing slash dropped');
  assert.equal(policyFor(parseNpmPolicy({ packages: { 'a.b': {} } }), 'aXb'), undefined, '. is literal');
});

test('provenance: the rule, else required when pinned, else the command line', () => {
  assert.equal(provenanceRequired(policyFor(policy, 'left-pad')?.rule, true), false);
  assert.equal(provenanceRequired(policyFor(policy, 'lodash')?.rule, false), true);
  assert.equal(provenanceRequired(policyFor(policy, '@acme/gadget')?.rule, false), true);
  assert.equal(provenanceRequired(undefined, false), false);
  assert.equal(provenanceRequired(undefined, true), true);
  assert.equal(provenanceRequired({}, true), true);
});

test('a bad policy fails with every problem, misspelt fields included', () => {
  assert.throws(() => parseNpmPolicy({ packages: [] }), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_JSON');
  assert.throws(() => parseNpmPolicy({ packages: {
    '@acme/*': { repo: 'https://gitlab.example.com/acme/x' },
    'left-pad': { provenance: 'maybe', issuer: 'gitlab.example.com' },
    'bad name!': {},
    'x': { provenance: 'optional', repository: 'https://gitlab.example.com/x' },
  }, extra: 1 }), (e: unknown) => {
    assert.ok(e instanceof KeylessError);
    const problems = (e.details as { problems: string[] }).problems;
    assert.deepEqual(problems.map((p) => p.replace(/:.*/, '')), ['unknown field "extra" (only "packages")', 'packages["@acme/*"]', 'packages["left-pad"].issuer', 'packages["left-pad"].provenance', 'packages["bad name!"]', 'packages["x"]']);
    return true;
  });
});
