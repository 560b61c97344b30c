// package-lock.json v2/v3 → the registry packages to audit; untrusted input, so every bad entry is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseLockfile } from '../../../src/provenance/index.js';

const I = (c: string) => `sha512-${c.repeat(86)}==`;
const lock = (packages: Record<string, unknown>, lockfileVersion: unknown = 3) => ({ name: 'app', version: '1.0.0', lockfileVersion, packages: { '': { name: 'app' }, ...packages } });

test('every node_modules entry with a version and resolved/integrity, nested and scoped, deduplicated, sorted', () => {
  const { dependencies, skipped } = parseLockfile(lock({
    'node_modules/zeta': { version: '1.0.0', resolved: 'https://registry.npmjs.org/zeta/-/zeta-1.0.0.tgz', integrity: I('z') },
    'node_modules/@acme/widget': { version: '2.0.0', resolved: 'https://r.example/@acme/widget/-/widget-2.0.0.tgz', integrity: I('w') },
    'node_modules/zeta/node_modules/@acme/widget': { version: '1.0.0', integrity: I('v') },
    'node_modules/other/node_modules/zeta': { version: '1.0.0', resolved: 'https://registry.npmjs.org/zeta/-/zeta-1.0.0.tgz', integrity: I('z') },
    'node_modules/JSONStream': { version: '1.3.5', resolved: 'https://registry.npmjs.org/JSONStream/-/JSONStream-1.3.5.tgz' },
    'packages/workspace-a': { name: 'workspace-a', version: '0.0.1' },
  }));
  assert.deepEqual(dependencies.map((d) => `${d.name}@${d.version}`), ['@acme/widget@1.0.0', '@acme/widget@2.0.0', 'JSONStream@1.3.5', 'zeta@1.0.0']);
  assert.deepEqual(dependencies.find((d) => d.name === 'zeta')?.paths, ['node_modules/zeta', 'node_modules/other/node_modules/zeta']);
  assert.equal(dependencies[0]?.integrity, I('v'));
  assert.equal(dependencies[2]?.integrity, undefined);
  assert.deepEqual(skipped, []);
});

test('v2 is read like v3; an alias is audited under its registry name', () => {
  const { dependencies } = parseLockfile(lock({ 'node_modules/lp': { name: 'left-pad', version: '1.3.0', integrity: I('l') } }, 2));
  assert.deepEqual(dependencies.map((d) => [d.name, d.paths]), [['left-pad', ['node_modules/lp']]]);
});

test('links, bundled, git and file dependencies are skipped with the reason', () => {
  const { dependencies, skipped } = parseLockfile(lock({
    'node_modules/local': { resolved: 'packages/local', link: true },
    'node_modules/parent/node_modules/bundled': { version: '1.0.0', inBundle: true },
    'node_modules/from-git': { version: '1.0.0', resolved: 'git+ssh://git@github.com/a/b.git#abc' },
    'node_modules/from-file': { version: '1.0.0', resolved: 'file:../x.tgz', integrity: I('f') },
    'node_modules/nowhere': { version: '1.0.0' },
  }));
  assert.deepEqual(dependencies, []);
  assert.deepEqual(skipped.map((s) => s.path), ['node_modules/local', 'node_modules/parent/node_modules/bundled', 'node_modules/from-git', 'node_modules/from-file', 'node_modules/nowhere']);
  assert.match(skipped[2]!.reason, /git\+ssh:, not a registry/);
});

test('lockfile v1, a missing packages object and bad entries fail with every problem listed', () => {
  const code = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof KeylessError && e.code === 'ERR_JSON' && re.test(e.message));
  code(() => parseLockfile({ lockfileVersion: 1, dependencies: {} }), /lockfileVersion 1 is not supported/);
  code(() => parseLockfile([]), /not a JSON object/);
  code(() => parseLockfile({ lockfileVersion: 3 }), /no "packages" object/);
  assert.throws(() => parseLockfile(lock({
    'node_modules/ok': { version: '1.0.0', integrity: I('o') },
    'node_modules/bad version': { version: 'latest', integrity: I('b') },
    'node_modules/../../etc': { version: '1.0.0', integrity: I('e') },
    'node_modules/null': null,
    'node_modules/dup': { version: '1.0.0', integrity: I('1') },
    'node_modules/x/node_modules/dup': { version: '1.0.0', integrity: I('2') },
  })), (e: unknown) => {
    assert.ok(e instanceof KeylessError);
    const problems = (e.details as { problems: string[] }).problems;
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /bad version: name "bad version" is not an npm package name, version "latest" is not semver/);
    assert.match(problems[1]!, /\.\.\/\.\.\/etc: name/);
    assert.match(problems[2]!, /null: not an object/);
    assert.match(problems[3]!, /x\/node_modules\/dup: integrity differs from node_modules\/dup/);
    return true;
  });
});
