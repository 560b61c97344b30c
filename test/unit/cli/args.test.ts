// Usage errors: one line, a pointer to --help, and "did you mean" for typos.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeylessError } from '../../../src/core/errors.js';
import { closest, editDistance, parse, usageError } from '../../../src/cli/args.js';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('bundle', 'bundle'), 0);
  assert.equal(editDistance('bundel', 'bundle'), 1);
  assert.equal(editDistance('budle', 'bundle'), 1);
  assert.equal(editDistance('bunddle', 'bundle'), 1);
  assert.equal(editDistance('sgin-blob', 'sign-blob'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('closest: the nearest within 2 edits (1 for short words), else nothing', () => {
  assert.equal(closest('--bundel', ['--bundle', '--yes', '--instance']), '--bundle');
  assert.equal(closest('verfy', ['verify', 'verify-blob', 'sign']), 'verify');
  assert.equal(closest('sgn', ['sign']), 'sign');
  assert.equal(closest('xyz', ['sign']), undefined);
  assert.equal(closest('--completely-different', ['--bundle']), undefined);
});

test('parse errors are one line with a pointer to the command\'s --help', () => {
  const usage = 'Usage: keyless sign-blob FILE --bundle OUT\nmore lines';
  const options = { bundle: { type: 'string' }, yes: { type: 'boolean', short: 'y' } } as const;
  const cases: [string[], RegExp][] = [
    [['--bundel', 'x'], /^unknown option --bundel \(did you mean --bundle\?\); see 'keyless sign-blob --help'$/],
    [['--bundle'], /^--bundle needs a value; see/],
    [['--yes=1'], /^--yes takes no value; see/],
    [['-q'], /^unknown option -q; see/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parse(argv, options, usage), (e: unknown) => {
      assert.ok(e instanceof KeylessError && e.code === 'ERR_USAGE', String(e));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
  assert.equal(usageError('--bundle is required', usage).message, "--bundle is required; see 'keyless sign-blob --help'");
});
