#!/usr/bin/env node
// Runs the whole test suite: every dist/test/**/*.test.js, found here and sorted, so a new test file is picked up
// without being listed anywhere. `node --test dist/test/` is not enough: Node 22 and later read a positional
// argument as a file or glob, not as a directory to search. Extra arguments go to `node --test` unchanged
// (e.g. `node scripts/run-tests.mjs --test-concurrency=1`). Run `npm run build` first: this reads dist/ only.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** How long one test file (and so any one test) may run before the runner cancels it. */
export const FILE_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Every `*.test.js` under `base`/dist/test, as paths relative to `base` with `/` separators, sorted. A compiled
 * test whose source (the same path under test/, `.ts`) is gone — renamed or deleted: tsc never removes what it built
 * before — is left out and listed in `stale`, so it can neither fail on an import that moved nor pass for code that
 * no longer exists.
 */
export function discoverTests(base = root) {
  const files = [];
  const stale = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) {
        const rel = relative(base, p).split(sep).join('/');
        const source = join(base, rel.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
        (existsSync(source) ? files : stale).push(rel);
      }
    }
  };
  walk(join(base, 'dist', 'test'));
  return { files: files.sort(), stale: stale.sort() };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = join(root, 'dist', 'test');
  if (!existsSync(dir)) {
    console.error('run-tests: dist/test does not exist; run `npm run build` first');
    process.exit(2);
  }
  const { files, stale } = discoverTests();
  if (stale.length > 0) console.error(`run-tests: left out ${stale.length} compiled test(s) without a source: ${stale.join(', ')}`);
  if (files.length === 0) {
    console.error('run-tests: no *.test.js under dist/test');
    process.exit(2);
  }
  const args = process.argv.slice(2);
  // A test file that never ends (seen: Node 20 deadlocked in a garbage collection inside KeyObject's RSA key details,
  // the main thread blocked in a futex, no CPU used) would hold the suite, and CI, until its 90 minutes run out.
  // With a timeout the runner cancels that file and the suite fails, naming it. No test file takes 15 minutes.
  if (!args.some((a) => a.startsWith('--test-timeout'))) args.unshift(`--test-timeout=${FILE_TIMEOUT_MS}`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...args, ...files], { cwd: root, stdio: 'inherit' });
  if (result.error !== undefined) throw result.error;
  process.exit(result.status ?? 1);
}
