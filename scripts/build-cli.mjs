#!/usr/bin/env node
// `npm run build:cli`: the one-file CLI, dist/keyless.cjs. src/cli/standalone.ts and everything it imports, bundled
// by esbuild and wrapped in scripts/one-file-loader.cjs (which keeps a V8 compile cache; see there). It needs
// Node.js >= 20.17 and no node_modules; the single executable (scripts/build-sea.mjs) runs the same file.
// CommonJS rather than ESM: a single executable runs only CommonJS, and Node 20 starts it faster.
// What a single file cannot carry, and what we do instead:
// - `serve`, `witness` and `log fsck` need native packages (better-sqlite3, pg): src/cli/commands/needs-package.ts
//   stands in for them (exit 2, ERR_NEEDS_PACKAGE, "install the npm package"). The build fails if any server-only
//   package (fastify, better-sqlite3, pg, prom-client) still reaches the bundle.
// - undici is only needed behind an HTTP(S) proxy (src/net/http.ts imports it on demand), yet it is larger than the
//   rest of keyless. It is stored gzipped in a string and evaluated on first use, so a start without a proxy
//   neither parses nor compiles it.
// Commands stay lazy: main.ts imports each command on demand, which esbuild keeps as lazily run module wrappers.
// It needs no `npm run build` first: esbuild reads src/ itself, stripping types without checking them (tsc does).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'standalone.ts');
const stub = join(root, 'src', 'cli', 'commands', 'needs-package.ts');
const outfile = join(root, 'dist', 'keyless.cjs');
const SERVER_ONLY = ['fastify', 'better-sqlite3', 'pg', 'prom-client'];

/** The commands replaced by the stub, as main.ts and log-audit.ts import them. */
const STUBBED = {
  [join(root, 'src', 'cli', 'main.ts')]: new Set(['./commands/serve.js', './commands/witness.js']),
  [join(root, 'src', 'cli', 'commands', 'log-audit.ts')]: new Set(['./log-fsck.js']),
};

async function undiciSource() {
  const r = await build({
    entryPoints: [join(root, 'node_modules', 'undici', 'index.js')],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, write: false, legalComments: 'none', logLevel: 'warning',
  });
  return gzipSync(r.outputFiles[0].contents, { level: 9 }).toString('base64');
}

/** @returns {import('esbuild').Plugin} */
function oneFile(undiciGz) {
  return {
    name: 'keyless-one-file',
    setup(b) {
      b.onResolve({ filter: /^\.\/(commands\/)?(serve|witness|log-fsck)\.js$/ }, (args) =>
        STUBBED[args.importer]?.has(args.path) ? { path: stub } : undefined);
      b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'gzipped' }));
      // `require` is given node's built-ins only: the bundle of undici needs nothing else, and a single executable
      // could not load anything else anyway.
      b.onLoad({ filter: /.*/, namespace: 'gzipped' }, () => ({
        loader: 'js',
        contents: `const { gunzipSync } = process.getBuiltinModule('node:zlib');
const source = gunzipSync(Buffer.from(${JSON.stringify(undiciGz)}, 'base64')).toString('utf8');
new Function('module', 'exports', 'require', source)(module, module.exports, (id) => process.getBuiltinModule(id));`,
      }));
    },
  };
}

const undiciGz = await undiciSource();
const r = await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.17',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  write: false,
  plugins: [oneFile(undiciGz)],
});
const leaked = Object.keys(r.metafile.inputs).filter((p) => SERVER_ONLY.some((name) => p.includes(`node_modules/${name}/`)));
if (leaked.length > 0) throw new Error(`server-only packages reached the one-file CLI:\n${leaked.join('\n')}`);

// The bundle becomes a function of what a CommonJS module is given, compiled by the loader (see its comment).
const code = `(function (exports, require, module, __filename, __dirname) {${r.outputFiles[0].text}\n})`;
const codeId = createHash('sha256').update(code).digest('hex').slice(0, 16);
const loader = readFileSync(join(root, 'scripts', 'one-file-loader.cjs'), 'utf8');
const out = loader.replace("'__KEYLESS_CODE__'", () => JSON.stringify(code)).replace('__KEYLESS_CODE_ID__', codeId);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(outfile, out, { mode: 0o755 });
chmodSync(outfile, 0o755);
console.log(`${relative(root, outfile)}: ${(statSync(outfile).size / 1024).toFixed(0)} KiB (of which undici, gzipped: ${(undiciGz.length / 1024).toFixed(0)} KiB)`);
