#!/usr/bin/env node
// Builds the log explorer's bundles of keyless's own code (ESM, for the browser):
// - web/src/core-entry.ts → web/dist/core.js: src/core's readers, loaded with the page. node:buffer and node:crypto
//   are replaced by web/src/browser/ (a Uint8Array Buffer subset, a synchronous SHA-256 only);
// - web/src/verify-entry.ts → web/dist/verify.js: the complete offline verifier (src/verify) for "Check a bundle",
//   loaded only when used. node:crypto is replaced by web/src/browser/crypto-full.ts (@noble/curves and
//   @noble/hashes) and src/core/prehash.ts by web/src/browser/prehash.ts (no ECDH or publicDecrypt in a browser).
// Node keeps its own fast implementations; the page gets keyless's code without a second copy. Any other Node
// built-in reaching a bundle is an error. Run by `npm run build`; the output is not committed.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const browser = join(root, 'web', 'src', 'browser');
const CORE_SUBSTITUTES = { 'node:buffer': join(browser, 'buffer.ts'), 'node:crypto': join(browser, 'crypto.ts') };
const VERIFY_SUBSTITUTES = { 'node:buffer': join(browser, 'buffer.ts'), 'node:crypto': join(browser, 'crypto-full.ts') };
const PREHASH = join(root, 'src', 'core', 'prehash.ts');

/** @returns {import('esbuild').Plugin} */
const browserBuiltins = (substitutes, replacePrehash) => ({
  name: 'browser-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const path = substitutes[args.path];
      if (path !== undefined) return { path };
      return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser substitute: the page's bundles must not need it` }] };
    });
    if (replacePrehash) {
      b.onResolve({ filter: /prehash\.js$/ }, (args) => {
        const path = join(dirname(args.importer), args.path).replace(/\.js$/, '.ts');
        return path === PREHASH ? { path: join(browser, 'prehash.ts') } : undefined;
      });
    }
  },
});

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [join(root, 'web', 'src', 'verify-entry.ts')],
  outfile: join(root, 'web', 'dist', 'verify.js'),
  plugins: [browserBuiltins(VERIFY_SUBSTITUTES, true)],
  minify: true,
  banner: { js: '// Built by scripts/build-web.mjs from src/verify and src/core (see web/src/verify-entry.ts). Do not edit.' },
});

await build({
  entryPoints: [join(root, 'web', 'src', 'core-entry.ts')],
  outfile: join(root, 'web', 'dist', 'core.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  plugins: [browserBuiltins(CORE_SUBSTITUTES, false)],
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build-web.mjs from src/core (see web/src/core-entry.ts). Do not edit.' },
});
