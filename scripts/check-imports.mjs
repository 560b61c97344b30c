#!/usr/bin/env node
// Checks the import rules of ARCHITECTURE.md: each folder of src/ may import only the folders listed for it,
// and src/core imports no package at all (node: built-ins that do no I/O are allowed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** folder → folders of ours it may import (besides itself). */
const allowed = {
  core: [],
  bundle: ['core'],
  trust: ['core', 'bundle'],
  verify: ['core', 'bundle', 'trust'],
  sign: ['core', 'bundle', 'trust', 'verify', 'net'],
  oidc: ['core'],
  log: ['core', 'bundle'],
  ca: ['core', 'oidc', 'log'],
  tsa: ['core'],
  oci: ['core', 'bundle', 'net'],
  provenance: ['core'],
  net: ['core'],
  witness: ['core'],
  server: ['*'],
  cli: ['*'],
  '.': ['*'],
};
const coreBuiltins = new Set(['node:crypto', 'node:buffer', 'node:util']);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of walk(src)) {
  const rel = relative(src, file).split(sep);
  const folder = rel.length > 1 ? rel[0] : '.';
  const rules = allowed[folder];
  if (!rules) {
    problems.push(`${relative(root, file)}: folder src/${folder} is not in the architecture's table`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) {
      const target = relative(src, resolve(dirname(file), spec)).split(sep);
      const targetFolder = target.length > 1 ? target[0] : '.';
      if (target[0] === '..') problems.push(`${relative(root, file)}: imports ${spec}, outside src/`);
      else if (targetFolder !== folder && !rules.includes('*') && !rules.includes(targetFolder)) {
        problems.push(`${relative(root, file)}: src/${folder} may not import src/${targetFolder} (${spec})`);
      }
    } else if (folder === 'core' && !coreBuiltins.has(spec)) {
      problems.push(`${relative(root, file)}: src/core must stay dependency-free and pure, but imports ${spec}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`import rules: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('import rules: ok');
