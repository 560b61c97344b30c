#!/usr/bin/env node
// Re-extracts every file of the real-world corpus from its sources at the pinned commits (cases.mjs):
//   - bare git snapshots of the source repositories, read with `git show <commit>:<path>`; the directory holding
//     them is given with --mirrors DIR or $REALWORLD_MIRRORS, one `<owner>+<name>/repo` git directory per
//     repository (the layout the snapshot tool produces; a plain `git clone --bare` into that name works too);
//   - npm tarballs, with `npm pack <name>@<version>` against the configured registry.
// Usage: node test/vectors/realworld/extract.mjs --mirrors DIR [--check] [--no-npm]
//   --check   compare with the committed files instead of writing them; exit 1 on any difference.
//   --no-npm  leave the npm tarballs alone (offline).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, ROOTS, SOURCES, layout } from './cases.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes('--check');
const noNpm = args.includes('--no-npm');
const mirrorsArg = args.indexOf('--mirrors');
const MIRRORS = mirrorsArg >= 0 ? args[mirrorsArg + 1] : process.env.REALWORLD_MIRRORS;
if (MIRRORS === undefined || MIRRORS === '') {
  console.error('usage: extract.mjs --mirrors DIR [--check] [--no-npm]   (or set REALWORLD_MIRRORS)');
  process.exit(2);
}

const MAX_ARTIFACT = 1024 * 1024;

function gitShow(sourceName, path, commit) {
  const src = SOURCES[sourceName];
  const gitDir = join(MIRRORS, src.repository.replace('/', '+'), 'repo');
  return execFileSync('git', ['--git-dir', gitDir, 'show', `${commit ?? src.commit}:${path}`], { maxBuffer: 64 * 1024 * 1024 });
}

function jsonlLine(buf, index) {
  const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  const line = lines[index];
  if (line === undefined) throw new Error(`no line ${index}`);
  return Buffer.from(`${line}\n`);
}

function rekorBodyKey(bundleBytes) {
  const bundle = JSON.parse(bundleBytes.toString('utf8'));
  const body = JSON.parse(Buffer.from(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64').toString('utf8'));
  const sig = body.spec?.content?.envelope?.signatures?.[0];
  if (sig?.publicKey === undefined) throw new Error('no public key in the intoto entry');
  return Buffer.from(sig.publicKey, 'base64');
}

const wanted = new Map(); // relative path -> () => Buffer
const provenance = new Map(); // source -> [{ file, path }]
function want(file, make, source, path) {
  if (!wanted.has(file)) wanted.set(file, make);
  if (source !== undefined) {
    const list = provenance.get(source) ?? [];
    if (!list.some((e) => e.file === file)) list.push({ file, path });
    provenance.set(source, list);
  }
}

for (const [name, src] of Object.entries(SOURCES)) {
  want(`${name}/LICENSE`, () => gitShow(name, 'LICENSE'), name, 'LICENSE');
  void src;
}
for (const root of Object.values(ROOTS)) {
  want(`roots/${root.file}`, () => {
    const raw = gitShow(root.source, root.path);
    if (root.jsonlMatch !== undefined) {
      const line = raw.toString('utf8').split('\n').find((l) => l.includes(root.jsonlMatch));
      if (line === undefined) throw new Error(`no line with ${root.jsonlMatch} in ${root.path}`);
      return Buffer.from(`${line}\n`);
    }
    if (root.timestampAuthoritiesFrom !== undefined) {
      const trustedRoot = JSON.parse(raw.toString('utf8'));
      trustedRoot.timestampAuthorities = [JSON.parse(gitShow(root.source, root.timestampAuthoritiesFrom).toString('utf8'))];
      return Buffer.from(`${JSON.stringify(trustedRoot, null, 2)}\n`);
    }
    return raw;
  }, root.source, root.path + (root.jsonlMatch !== undefined ? ` (the line naming ${root.jsonlMatch})` : root.timestampAuthoritiesFrom !== undefined ? ` (timestampAuthorities replaced by ${root.timestampAuthoritiesFrom})` : ''));
}
const npmPackages = new Set();
for (const c of CASES) {
  const out = layout(c);
  const bundleBytes = () => (c.line !== undefined ? jsonlLine(gitShow(c.source, c.bundle, c.commit), c.line) : gitShow(c.source, c.bundle, c.commit));
  want(out.bundle, bundleBytes, c.source, c.bundle + (c.line !== undefined ? ` (line ${c.line + 1})` : '') + (c.commit !== undefined ? ` at commit ${c.commit}` : ''));
  if (typeof c.artifact === 'string') {
    want(out.artifact, () => {
      const bytes = gitShow(c.source, c.artifact, c.artifactAtPinnedCommit === true ? undefined : c.commit);
      if (bytes.length > MAX_ARTIFACT) throw new Error(`${c.artifact} is over 1 MB: record a digest instead`);
      return bytes;
    }, c.source, c.artifact + (c.commit !== undefined && c.artifactAtPinnedCommit !== true ? ` at commit ${c.commit}` : ''));
  } else if (c.artifact?.text !== undefined) {
    want(out.artifact, () => Buffer.from(c.artifact.text, 'utf8'), c.source, `the literal ${JSON.stringify(c.artifact.text)} in ${c.artifact.from}`);
  } else if (c.artifact?.npm !== undefined) {
    npmPackages.add(c.artifact.npm);
  }
  if (typeof c.key === 'string') want(out.key, () => gitShow(c.source, c.key, c.commit), c.source, c.key);
  else if (c.key?.rekorBodyKey === true) want(out.key, () => rekorBodyKey(bundleBytes()), c.source, `${c.bundle} (public key of its intoto Rekor entry)`);
}

function npmPack(spec) {
  const dir = mkdtempSync(join(tmpdir(), 'realworld-npm-'));
  try {
    execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const file = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (file === undefined) throw new Error(`npm pack ${spec} wrote no tarball`);
    const bytes = readFileSync(join(dir, file));
    if (bytes.length > MAX_ARTIFACT) throw new Error(`${spec} is over 1 MB`);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!noNpm) {
  for (const spec of npmPackages) {
    const c = CASES.find((x) => x.artifact?.npm === spec);
    want(layout(c).artifact, () => npmPack(spec));
  }
}

function sourceReadme(name) {
  const src = SOURCES[name];
  const files = (provenance.get(name) ?? []).filter((e) => !e.file.endsWith('/LICENSE'));
  return Buffer.from([
    `# ${name}`,
    '',
    `Files taken unchanged from [${src.repository}](https://github.com/${src.repository}) at commit`,
    `\`${src.commit}\` (licence: ${src.license}, copied as \`LICENSE\` beside this file), except where a line says otherwise.`,
    'Regenerated by `extract.mjs`; do not edit by hand.',
    '',
    '| corpus file | source path |',
    '| --- | --- |',
    ...files.map((e) => `| \`${e.file}\` | \`${e.path}\` |`),
    '',
  ].join('\n'));
}
for (const name of Object.keys(SOURCES)) want(`${name}/SOURCE.md`, () => sourceReadme(name));
want('npm/SOURCE.md', () => Buffer.from([
  '# npm',
  '',
  'Package tarballs fetched with `npm pack <name>@<version>` from the npm registry. Each one is the artifact of the',
  'provenance/publish attestations that name it (the in-toto subject digest is the tarball\'s SHA-512). The packages\'',
  'own licences are inside the tarballs.',
  '',
  ...[...npmPackages].map((s) => `- \`${s}\``),
  '',
].join('\n')));

let differences = 0;
let written = 0;
for (const [file, make] of [...wanted.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  let bytes;
  try {
    bytes = make();
  } catch (err) {
    console.error(`FAILED ${file}: ${err.message}`);
    differences++;
    continue;
  }
  const path = join(HERE, file);
  if (check) {
    if (!existsSync(path)) { console.error(`MISSING ${file}`); differences++; } else if (!readFileSync(path).equals(bytes)) { console.error(`DIFFERS ${file}`); differences++; }
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    written++;
  }
}
// Files in the corpus that nothing produces (left over from an earlier layout) are differences too.
const OWN = new Set(['cases.mjs', 'extract.mjs', 'build-manifest.mjs', 'manifest.json', 'README.md']);
function listFiles(dir, prefix = '') {
  return readdirSync(join(HERE, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listFiles(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`]));
}
for (const file of listFiles('.')) {
  if (OWN.has(file) || wanted.has(file) || (noNpm && file.startsWith('npm/'))) continue;
  console.error(`${check ? 'UNEXPECTED' : 'STALE (delete it)'} ${file}`);
  differences++;
}
if (check) {
  console.log(differences === 0 ? `all ${wanted.size} corpus files match their sources` : `${differences} of ${wanted.size} corpus files differ`);
  process.exit(differences === 0 ? 0 : 1);
} else {
  console.log(`wrote ${written} files`);
  process.exit(differences === 0 ? 0 : 1);
}
