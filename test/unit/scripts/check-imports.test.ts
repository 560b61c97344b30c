/**
 * scripts/check-imports.mjs on small trees with one planted violation of each kind: every one must be reported
 * (with its file and line), a clean tree must pass, and so must this repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const script = join(repoRoot, 'scripts', 'check-imports.mjs');

/** A tree that obeys every rule: core, a verifier that uses it, the page and its bundle's entry. */
const CLEAN: Record<string, string> = {
  'src/core/x509.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
  'src/verify/verifier.ts': "import { h } from '../core/x509.js';\nimport type { T } from '../trust/types.js';\nexport { h };\nexport type { T };\n",
  'src/trust/types.ts': 'export type T = string;\n',
  'src/server/app.ts': "import 'fastify';\nimport { h } from '../verify/verifier.js';\nexport const load = () => import('../cli/main.js');\nexport { h };\n",
  'src/cli/main.ts': 'export const main = 1;\n',
  'src/index.ts': "export * from './verify/verifier.js';\n",
  'web/app.js': "import { hex } from './dist/core.js';\nimport { h } from './dom.js';\nexport const verify = () => import('./dist/verify.js');\nexport { hex, h };\n",
  'web/dom.js': 'export const h = 1;\n',
  'web/src/core-entry.ts': "export { h } from '../../src/core/x509.js';\nexport * from './browser/buffer.js';\n",
  'web/src/browser/buffer.ts': 'export const b = 1;\n',
  'web/src/verify-entry.ts': "export { h } from '../../src/verify/verifier.js';\nexport type { T } from '../../src/trust/types.js';\n",
  'web/src/browser/crypto-full.ts': "import { sha256 } from '@noble/hashes/sha2.js';\nimport { p256 } from '@noble/curves/nist.js';\nexport { sha256, p256 };\n",
  'web/dist/core.js': "import 'anything-goes-in-a-built-bundle';\n",
};

/** The script's own function, for the many small trees (one process for all of them). */
const { checkImports } = (await import(pathToFileURL(script).href)) as { checkImports(root: string): string[] };

function run(root?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [script, ...(root === undefined ? [] : ['--root', root])], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function tree(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-imports-'));
  for (const [path, text] of Object.entries({ ...CLEAN, ...extra })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('a tree that keeps the rules passes', () => {
  const dir = tree({});
  try {
    const r = run(dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /import rules: ok/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('this repository keeps the rules', () => {
  const r = run();
  assert.equal(r.status, 0, r.out);
});

// file → [its text, what the report must say about it]
const VIOLATIONS: Record<string, [string, RegExp]> = {
  'src/verify/static.ts': ["import { x } from '../sign/x.js';\n", /src\/verify\/static\.ts:1: src\/verify may not import src\/sign \(\.\.\/sign\/x\.js\)/],
  'src/verify/side-effect.ts': ["// a comment first\nimport '../server/app.js';\n", /src\/verify\/side-effect\.ts:2: src\/verify may not import src\/server \(\.\.\/server\/app\.js\)/],
  'src/verify/type-only.ts': ["import type { S } from '../sign/types.js';\n", /src\/verify\/type-only\.ts:1: src\/verify may not import src\/sign/],
  'src/verify/reexport.ts': ["export { y } from '../oci/y.js';\n", /src\/verify\/reexport\.ts:1: src\/verify may not import src\/oci/],
  'src/trust/dynamic.ts': ["export async function f() {\n  return import('../server/app.js');\n}\n", /src\/trust\/dynamic\.ts:2: src\/trust may not import src\/server/],
  'src/bundle/require.ts': ["const { x } = require('../log/x.js');\nexport { x };\n", /src\/bundle\/require\.ts:1: src\/bundle may not import src\/log/],
  'src/bundle/import-equals.ts': ["import x = require('../ca/x.js');\nexport { x };\n", /src\/bundle\/import-equals\.ts:1: src\/bundle may not import src\/ca/],
  'src/verify/root.ts': ["import { main } from '../index.js';\nexport { main };\n", /src\/verify\/root\.ts:1: src\/verify may not import src\/\. /],
  'src/core/package.ts': ["import { z } from 'zod';\nexport { z };\n", /src\/core\/package\.ts:1: src\/core must stay dependency-free and pure, but imports zod/],
  'src/core/require-fs.ts': ["const fs = require('node:fs');\nexport { fs };\n", /src\/core\/require-fs\.ts:1: src\/core must stay dependency-free and pure, but imports node:fs/],
  'src/core/side-effect-package.ts': ["import 'reflect-metadata';\n", /src\/core\/side-effect-package\.ts:1: src\/core must stay dependency-free and pure, but imports reflect-metadata/],
  'src/core/dynamic-package.ts': ["export const f = () => import('node:child_process');\n", /src\/core\/dynamic-package\.ts:1: src\/core must stay dependency-free and pure, but imports node:child_process/],
  'src/log/outside.ts': ["import { t } from '../../test/helpers/x.js';\nexport { t };\n", /src\/log\/outside\.ts:1: imports a file outside src\/ \(\.\.\/\.\.\/test\/helpers\/x\.js\)/],
  'src/log/computed.ts': ["const name = '../server/app.js';\nexport const f = () => import(name);\n", /src\/log\/computed\.ts:2: import\(name\) has a computed specifier/],
  'src/log/computed-require.ts': ["export const f = (n: string) => require(`../${n}.js`);\n", /src\/log\/computed-require\.ts:1: require\(`\.\.\/\$\{n\}\.js`\) has a computed specifier/],
  'src/newfolder/x.ts': ['export const x = 1;\n', /src\/newfolder\/x\.ts: folder src\/newfolder is not in the architecture's table/],
  'web/package.js': ["import { html } from 'lit';\nexport { html };\n", /web\/package\.js:1: web\/ runs in the browser as served: it may not import the package or built-in lit/],
  'web/builtin.js': ["import { Buffer } from 'node:buffer';\nexport { Buffer };\n", /web\/builtin\.js:1: web\/ runs in the browser as served: it may not import the package or built-in node:buffer/],
  'web/second-copy.js': ["import { parseDer } from '../src/core/asn1.js';\nexport { parseDer };\n", /web\/second-copy\.js:1: web\/ may import only web files and the bundles in web\/dist\/ \(built from web\/src\/\) \(\.\.\/src\/core\/asn1\.js\)/],
  'web/bundle-input.js': ["import './src/core-entry.ts';\n", /web\/bundle-input\.js:1: web\/ may import only web files and the bundles in web\/dist\//],
  'web/dynamic.js': ["export const f = () => import('../src/verify/verifier.js');\n", /web\/dynamic\.js:1: web\/ may import only web files/],
  'web/src/server.ts': ["import { load } from '../../src/server/app.js';\nexport { load };\n", /web\/src\/server\.ts:1: web\/src may import only web\/src and src\/verify, src\/core, src\/bundle, src\/trust \(bundled\)/],
  'web/src/sign.ts': ["export { s } from '../../src/sign/index.js';\n", /web\/src\/sign\.ts:1: web\/src may import only web\/src and src\/verify/],
  'web/src/builtin.ts': ["import { readFileSync } from 'node:fs';\nexport { readFileSync };\n", /web\/src\/builtin\.ts:1: web\/src is bundled for the browser: it may not import the package or built-in node:fs/],
  'web/src/package.ts': ["import 'undici';\n", /web\/src\/package\.ts:1: web\/src is bundled for the browser: it may not import the package or built-in undici/],
};

test('each kind of violation is reported, with its file and line', () => {
  const dir = tree(Object.fromEntries(Object.entries(VIOLATIONS).map(([path, [text]]) => [path, text])));
  try {
    const r = run(dir);
    assert.equal(r.status, 1, r.out);
    for (const [path, [, expected]] of Object.entries(VIOLATIONS)) assert.match(r.out, expected, `${path} is not reported as expected:\n${r.out}`);
    assert.match(r.out, new RegExp(`import rules: ${Object.keys(VIOLATIONS).length} problem\\(s\\)`), r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each violation alone fails the check', () => {
  for (const [path, [text, expected]] of Object.entries(VIOLATIONS)) {
    const dir = tree({ [path]: text });
    try {
      const problems = checkImports(dir);
      assert.equal(problems.length, 1, `${path}: ${problems.join('\n')}`);
      assert.match(problems[0] ?? '', expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('text that only looks like an import is not one', () => {
  const dir = tree({
    'src/core/strings.ts': "// import '../server/app.js';\n/* require('../sign/x.js') */\nexport const s = \"import '../server/app.js'\";\n",
  });
  try {
    const r = run(dir);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
