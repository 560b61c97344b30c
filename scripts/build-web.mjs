#!/usr/bin/env node
// Builds the log explorer's bundle of src/core: web/src/core-entry.ts → web/dist/core.js (ESM, for the browser).
// node:buffer and node:crypto are replaced by web/src/browser/ (a Uint8Array Buffer subset, a synchronous SHA-256),
// so Node keeps its own fast implementations and the page gets core's readers without a second copy. Any other
// Node built-in reaching the bundle is an error. Run by `npm run build`; the output is not committed.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const browser = join(root, 'web', 'src', 'browser');
const SUBSTITUTES = { 'node:buffer': join(browser, 'buffer.ts'), 'node:crypto': join(browser, 'crypto.ts') };

/** @type {import('esbuild').Plugin} */
const browserBuiltins = {
  name: 'browser-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const path = SUBSTITUTES[args.path];
      if (path !== undefined) return { path };
      return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser substitute: the page's bundle of src/core must not need it` }] };
    });
  },
};

await build({
  entryPoints: [join(root, 'web', 'src', 'core-entry.ts')],
  outfile: join(root, 'web', 'dist', 'core.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  plugins: [browserBuiltins],
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build-web.mjs from src/core (see web/src/core-entry.ts). Do not edit.' },
});
