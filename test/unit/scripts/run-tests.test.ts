/**
 * scripts/run-tests.mjs finds the suite by itself: every compiled *.test.js under dist/test at any depth, sorted,
 * and nothing else — not helpers, not a test whose source is gone (tsc leaves what it built before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const script = fileURLToPath(new URL('../../../../scripts/run-tests.mjs', import.meta.url));
const { discoverTests } = (await import(pathToFileURL(script).href)) as {
  discoverTests(base: string): { files: string[]; stale: string[] };
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
