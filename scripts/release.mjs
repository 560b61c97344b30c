#!/usr/bin/env node
// `npm run release`: the release's files, in release/ (gitignored):
//   keyless-linux-x64       the single executable (no Node.js needed)   ← npm run build:sea
//   keyless.cjs             the one-file CLI (Node.js >= 20.17)          ← npm run build:cli
//   keyless-<version>.tgz   the npm package (all commands, with serve)   ← npm pack
//   SHA256SUMS              `sha256sum -c SHA256SUMS` checks the files above before any keyless is installed
//   <file>.sigstore.json    a Sigstore bundle per file above and for SHA256SUMS, made by the one-file CLI just
//                           built (`keyless sign-blob`), so `keyless verify-blob` checks who built the release.
// Signing needs an OIDC token as sign-blob takes it: SIGSTORE_ID_TOKEN (what a GitLab release job with
// `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` has) or --identity-token; and an instance: public-good Sigstore by
// default, or --instance URL / --signing-config and --trusted-root, passed to sign-blob unchanged.
// --no-build uses what dist/ already holds (the tests do, after building once); --out DIR writes elsewhere.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string' }, 'no-build': { type: 'boolean' },
    instance: { type: 'string' }, 'signing-config': { type: 'string' }, 'trusted-root': { type: 'string' }, 'identity-token': { type: 'string' },
  },
});
const out = resolve(values.out ?? join(root, 'release'));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

if (!values['no-build']) {
  run('npm', ['run', 'build']);
  run(process.execPath, [join(root, 'scripts', 'build-cli.mjs')]);
  run(process.execPath, [join(root, 'scripts', 'build-sea.mjs')]);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = [];
for (const name of ['keyless-linux-x64', 'keyless.cjs']) {
  copyFileSync(join(root, 'dist', name), join(out, name));
  files.push(name);
}
// --ignore-scripts: `prepare` would rebuild what was just built (and --no-build means: do not build).
const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: root, encoding: 'utf8' }));
files.push(basename(packed[0].filename));

const sums = files.map((name) => `${createHash('sha256').update(readFileSync(join(out, name))).digest('hex')}  ${name}\n`).join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);
files.push('SHA256SUMS');

const passed = ['instance', 'signing-config', 'trusted-root', 'identity-token'].flatMap((k) => (values[k] !== undefined ? [`--${k}`, values[k]] : []));
for (const name of files) {
  // The one-file CLI signs: the release is signed by the code it ships.
  run(process.execPath, [join(out, 'keyless.cjs'), 'sign-blob', join(out, name), '--bundle', join(out, `${name}.sigstore.json`), '--yes', ...passed]);
}
console.log(`release: ${files.length} files and their Sigstore bundles in ${out}`);
