// `npm run build:native` (and npm's install step): builds native/build/Release/keyless_native.node, keyless's one
// native function (an ECDSA check from a digest through Node's own OpenSSL; see native/digest_verify.c), with
// node-gyp against the running Node's headers. The addon is optional: without it the log checks signatures in
// JavaScript (src/core/prehash.ts), at about a third more CPU per entry. So on install a failed build warns and
// exits 0 (`--optional`); run directly, it fails.
// node-gyp is npm's own (npm passes its path in npm_config_node_gyp), else the one on PATH. Headers come from
// npm_config_nodedir when npm is configured with one, else from the running Node's own include/node; neither needs
// the network.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const optional = process.argv.includes('--optional');
const dir = join(root, 'native');

function fail(message) {
  if (optional) {
    console.warn(`keyless: the native addon was not built (${message}); signatures over digests are checked in JavaScript instead (slower). \`npm run build:native\` retries.`);
    process.exit(0);
  }
  console.error(`build:native: ${message}`);
  process.exit(1);
}

if (process.env.KEYLESS_NATIVE === '0') fail('KEYLESS_NATIVE=0');
if (!existsSync(join(dir, 'binding.gyp'))) fail('native/binding.gyp is missing');
/** npm's bundled node-gyp: from npm's environment, else beside the npm on PATH. */
function npmNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  for (const d of (process.env.PATH ?? '').split(':')) {
    const npm = join(d, 'npm');
    if (!existsSync(npm)) continue;
    const candidate = join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
const gyp = npmNodeGyp();
const [command, args] = gyp !== undefined ? [process.execPath, [gyp]] : ['node-gyp', []];
// The headers: npm's nodedir, else the ones installed with this Node (Debian's and the official tarballs carry them).
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const r = spawnSync(command, [...args, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : []), '--loglevel=warn'], { stdio: 'inherit' });
if (r.error !== undefined) fail(`node-gyp could not run: ${r.error.message}`);
if (r.status !== 0) fail(`node-gyp exited with ${r.status}`);
// The loader's own smoke test: the addon must load into this Node and answer a known verdict.
const check = spawnSync(process.execPath, ['-e', `
const m = { exports: {} };
process.dlopen(m, ${JSON.stringify(join(dir, 'build', 'Release', 'keyless_native.node'))});
if (m.exports.verifyDigest(256, new Uint8Array(65), new Uint8Array(32), new Uint8Array(8)) !== false) process.exit(3);
`], { stdio: 'inherit' });
if (check.status !== 0) fail(`the built addon does not load or answer (exit ${check.status})`);
console.log('build:native: native/build/Release/keyless_native.node');
