#!/usr/bin/env node
// Checks the import rules of ARCHITECTURE.md: each folder of src/ may import only the folders listed for it,
// src/core imports no package at all (node: built-ins that do no I/O are allowed), and web/ is browser code: the
// page imports only its own files and the bundles scripts/build-web.mjs makes in web/dist/ from web/src/, and
// web/src/ takes src/ code only through src/verify (and what src/verify may import).
//
// Every import is read by TypeScript's own scanner (ts.preProcessFile), not by a regular expression, so none can
// hide: `import … from`, `export … from`, side-effect `import './x.js'`, `import type`, `import x = require()`,
// `require()` and `import()`. An `import()` or `require()` whose specifier is computed cannot be checked, so it is a
// problem too.
//
// Usage: node scripts/check-imports.mjs [--root DIR]   (default: this repository). Exit 1 lists every problem.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** src folder → folders of ours it may import (besides itself). */
const allowed = {
  core: [],
  bundle: ['core'],
  trust: ['core', 'bundle'],
  verify: ['core', 'bundle', 'trust'],
  sign: ['core', 'bundle', 'trust', 'verify', 'net'],
  oidc: ['core'],
  log: ['core', 'bundle', 'native'],
  ca: ['core', 'oidc', 'log', 'native'],
  tsa: ['core'],
  oci: ['core', 'bundle', 'net'],
  provenance: ['core'],
  net: ['core'],
  witness: ['core'],
  // The optional addon's loader (native/digest_verify.c): the log's digest checks and the CA's proof of possession.
  native: ['core'],
  server: ['*'],
  cli: ['*'],
  '.': ['*'],
};
const coreBuiltins = new Set(['node:crypto', 'node:buffer', 'node:util']);
/**
 * What web/src (the bundler's input for the page) may take from src/: ARCHITECTURE.md's "core, verify (bundled)",
 * and so what src/verify itself may import, which a bundle of it carries along.
 */
const webBundled = ['verify', ...allowed.verify];
/**
 * Packages web/src may bundle: pure-JS crypto for the page's verifier, in place of node:crypto
 * (web/src/browser/crypto-full.ts). Anything else the page would run is a decision to add here.
 */
const webPackages = new Set(['@noble/curves', '@noble/hashes']);
const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

function* walk(dir, skip = () => false) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (skip(p)) continue;
    if (entry.isDirectory()) yield* walk(p, skip);
    else if (entry.isFile() && SOURCE.test(entry.name)) yield p;
  }
}

/** Every import of a file as written, with its line; a computed import() or require() as `{ computed: true }`. */
export function readImports(text, fileName = 'file.ts') {
  const lineOf = (pos) => text.slice(0, pos).split('\n').length;
  const info = ts.preProcessFile(text, true, true);
  const found = info.importedFiles.map((f) => ({ spec: f.fileName, line: lineOf(f.pos) }));
  // `/// <reference path="x.ts" />` names a file relative to this one, with or without `./`.
  for (const f of info.referencedFiles) found.push({ spec: f.fileName.startsWith('.') ? f.fileName : `./${f.fileName}`, line: lineOf(f.pos) });
  // preProcessFile passes over what it cannot name; only a parse finds `import(name)` and `require(name)`.
  if (/\b(?:import|require)\s*\(/.test(text)) {
    const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
    const visit = (node) => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
        const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
        const arg = node.arguments[0];
        if ((isImport || isRequire) && !(arg !== undefined && ts.isStringLiteralLike(arg))) {
          found.push({ computed: true, spec: text.slice(node.getStart(source), node.end), line: lineOf(node.getStart(source)) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** The import rules' problems in the tree at `root` (its src/ and web/), as `path:line: what` lines. */
export function checkImports(root) {
  const problems = [];
  const rel = (p) => relative(root, p).split(sep).join('/');
  const src = join(root, 'src');
  const web = join(root, 'web');

  const check = (file, judge) => {
    const text = readFileSync(file, 'utf8');
    for (const imp of readImports(text, file)) {
      const where = `${rel(file)}:${imp.line}`;
      if (imp.computed) {
        problems.push(`${where}: ${imp.spec} has a computed specifier, which the import rules cannot check`);
        continue;
      }
      const target = imp.spec.startsWith('.') ? rel(resolve(dirname(file), imp.spec)) : undefined;
      const reason = judge(imp.spec, target);
      if (reason !== undefined) problems.push(`${where}: ${reason} (${imp.spec})`);
    }
  };

  if (existsSync(src)) {
    for (const file of walk(src)) {
      const parts = relative(src, file).split(sep);
      const folder = parts.length > 1 ? parts[0] : '.';
      const rules = allowed[folder];
      if (rules === undefined) {
        problems.push(`${rel(file)}: folder src/${folder} is not in the architecture's table`);
        continue;
      }
      check(file, (spec, target) => {
        if (target === undefined) {
          if (folder === 'core' && !coreBuiltins.has(spec)) return `src/core must stay dependency-free and pure, but imports ${spec}`;
          return undefined;
        }
        if (!target.startsWith('src/')) return 'imports a file outside src/';
        const tparts = target.split('/');
        const targetFolder = tparts.length > 2 ? tparts[1] : '.';
        if (targetFolder === folder || rules.includes('*') || rules.includes(targetFolder)) return undefined;
        return `src/${folder} may not import src/${targetFolder}`;
      });
    }
  }

  if (existsSync(web)) {
    // web/dist is built (the bundle); web/src is the bundler's input; the rest is the page, served as is.
    for (const file of walk(web, (p) => rel(p) === 'web/dist')) {
      const bundleInput = rel(file).startsWith('web/src/');
      check(file, (spec, target) => {
        if (bundleInput) {
          if (target === undefined) {
            if (webPackages.has(packageName(spec))) return undefined;
            return `web/src is bundled for the browser: it may not import the package or built-in ${spec}`;
          }
          if (target.startsWith('web/src/')) return undefined;
          const tparts = target.split('/');
          if (tparts[0] === 'src' && tparts.length > 2 && webBundled.includes(tparts[1])) return undefined;
          return `web/src may import only web/src and ${webBundled.map((f) => `src/${f}`).join(', ')} (bundled)`;
        }
        if (target === undefined) return `web/ runs in the browser as served: it may not import the package or built-in ${spec}`;
        if (target.startsWith('web/') && !target.startsWith('web/src/')) return undefined;
        return 'web/ may import only web files and the bundles in web/dist/ (built from web/src/)';
      });
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const root = at >= 0 ? resolve(process.argv[at + 1] ?? '.') : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkImports(root);
  if (problems.length > 0) {
    console.error(`import rules: ${problems.length} problem(s)\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log('import rules: ok');
}
