/**
 * scripts/run-tests.mjs finds the suite by itself: every compiled *.test.js under dist/test at any depth, sorted,
 * and nothing else — not helpers, not a test whose source is gone (tsc leaves what it built before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const script = fileURLToPath(new URL('../../../../scripts/run-tests.mjs', import.meta.url));
const { discoverTests, FILE_TIMEOUT_MS } = (await import(pathToFileURL(script).href)) as {
  discoverTests(base: string): { files: string[]; stale: string[] };
  FILE_TIMEOUT_MS: number;
};

test('every compiled test at any depth, sorted; helpers and stale tests left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-run-tests-'));
  try {
    const files = [
      'test/unit/b.test.ts', 'test/unit/a.test.ts', 'test/e2e/deep/er/x.test.ts', 'test/faults/z.test.ts', 'test/helpers/serve.ts',
    ];
    for (const f of files) {
      for (const p of [join(dir, f), join(dir, 'dist', f.replace(/\.ts$/, '.js'))]) {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, '');
      }
    }
    mkdirSync(join(dir, 'dist', 'test', 'unit', 'gone'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'test', 'unit', 'gone', 'renamed.test.js'), '');
    writeFileSync(join(dir, 'dist', 'test', 'unit', 'a.test.js.map'), '');
    assert.deepEqual(discoverTests(dir), {
      files: ['dist/test/e2e/deep/er/x.test.js', 'dist/test/faults/z.test.js', 'dist/test/unit/a.test.js', 'dist/test/unit/b.test.js'],
      stale: ['dist/test/unit/gone/renamed.test.js'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('this repository: this file is part of the suite', () => {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  assert.ok(discoverTests(root).files.includes('dist/test/unit/scripts/run-tests.test.js'));
});

// The runner passes --test-timeout (FILE_TIMEOUT_MS) so that a file whose main thread never comes back (a native
// deadlock, as Node 20 once had here) is cancelled and fails the suite instead of holding CI. That relies on the
// parent runner killing the file's process, which cannot run a timer of its own: checked on this Node.
test('a test file blocked for good is cancelled by --test-timeout, and the rest still run', () => {
  assert.ok(FILE_TIMEOUT_MS >= 5 * 60 * 1000 && FILE_TIMEOUT_MS <= 30 * 60 * 1000, `${FILE_TIMEOUT_MS} ms`);
  const dir = mkdtempSync(join(tmpdir(), 'keyless-run-tests-'));
  try {
    writeFileSync(join(dir, 'blocked.test.mjs'), "import { test } from 'node:test';\ntest('blocked', () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });\n");
    writeFileSync(join(dir, 'fine.test.mjs'), "import { test } from 'node:test';\ntest('fine', () => {});\n");
    const started = Date.now();
    // Run as a top-level runner: inside a test, NODE_TEST_CONTEXT would make `node --test` report to its parent.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, ['--test', '--test-timeout=1500', '--test-reporter=tap', 'blocked.test.mjs', 'fine.test.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(run.status, 0, 'the suite fails');
    assert.match(run.stdout, /# cancelled 1/);
    assert.match(run.stdout, /# pass 1/);
    assert.ok(Date.now() - started < 30_000, 'ended long before the outer timeout');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
