/**
 * The strict-CI rule: a missing requirement skips a test on a developer's machine and fails it under CI=true; and
 * no test skips any other way (a bare `t.skip`, `{ skip: … }` or `todo` would go around the rule).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingRequirement, requireInTest, requireOrSkip } from '../../helpers/requirements.js';

const ciBefore = process.env['CI'];
afterEach(() => {
  if (ciBefore === undefined) delete process.env['CI'];
  else process.env['CI'] = ciBefore;
});

function recorder(): { skip: (why?: string) => void; skipped: (string | undefined)[] } {
  const skipped: (string | undefined)[] = [];
  return { skip: (why?: string) => void skipped.push(why), skipped };
}

test('available: the test runs, locally and under CI', () => {
  for (const ci of [undefined, 'true']) {
    if (ci === undefined) delete process.env['CI'];
    else process.env['CI'] = ci;
    assert.equal(requireOrSkip('openssl', true), false);
    const t = recorder();
    assert.equal(requireInTest(t, 'openssl', true), true);
    assert.deepEqual(t.skipped, []);
  }
});

test('missing, locally: the test skips and says why', () => {
  delete process.env['CI'];
  assert.equal(requireOrSkip('Chromium', false, 'no Chromium at /usr/bin/chromium'), 'no Chromium at /usr/bin/chromium');
  const t = recorder();
  assert.equal(requireInTest(t, 'openssl', false, 'no openssl binary'), false);
  assert.deepEqual(t.skipped, ['no openssl binary']);
  process.env['CI'] = 'false';
  assert.equal(requireOrSkip('PostgreSQL', false), 'PostgreSQL is not available', 'only CI=true is strict');
});

test('missing, under CI=true: MissingRequirement naming what and why, and no skip', () => {
  process.env['CI'] = 'true';
  const named = (what: RegExp) => (err: unknown) => {
    assert.ok(err instanceof MissingRequirement, String(err));
    assert.match(err.message, what);
    assert.match(err.message, /is required under CI=true, where no test may skip/);
    return true;
  };
  assert.throws(() => requireOrSkip('PostgreSQL', false, 'KEYLESS_TEST_POSTGRES=skip'), named(/^PostgreSQL is required .*: KEYLESS_TEST_POSTGRES=skip$/));
  const t = recorder();
  assert.throws(() => requireInTest(t, 'a tmpfs mount (as root)', false, 'not running as root'), named(/^a tmpfs mount \(as root\) is required .*: not running as root$/));
  assert.deepEqual(t.skipped, []);
});

test('no test skips except through test/helpers/requirements.ts', () => {
  const testRoot = fileURLToPath(new URL('../../../../test/', import.meta.url));
  const allowed = new Set(['helpers/requirements.ts', 'unit/helpers/requirements.test.ts']);
  const raw: RegExp[] = [
    /\bt\.skip\s*\(/, // t.skip('…') inside a test
    /\b(?:test|it|describe|suite)\.(?:skip|todo)\s*\(/, // it.skip(…), describe.todo(…)
    /\bskip\s*:(?!\s*requireOrSkip\()/, // { skip: something other than requireOrSkip(…) }
    /\btodo\s*:/, // { todo: … }
    /\bt\.todo\s*\(/,
  ];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      const rel = relative(testRoot, p).split(sep).join('/');
      if (entry.isDirectory()) {
        if (rel !== 'vectors') walk(p);
      } else if (entry.name.endsWith('.ts') && !allowed.has(rel)) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          if (raw.some((re) => re.test(line))) found.push(`test/${rel}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(testRoot);
  assert.deepEqual(found, [], 'use requireOrSkip / requireInTest from test/helpers/requirements.ts');
});
