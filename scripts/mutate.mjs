#!/usr/bin/env node
// Mutation testing of the verifier: does every check have a test that fails without it?
//
// Works on the compiled JS in dist/src (run `npm run build` first; `npm run mutate` does), so no mutant needs a
// recompilation. For each target file it finds mutation points with a real parser (acorn, already installed as
// eslint's), writes each mutant into a private copy of dist/ (one per worker, under the OS temp directory, so the
// checkout is never modified and an interrupted run leaves nothing behind), runs the tests that cover the file
// and records killed / survived / timeout. Lines are reported in the TypeScript source (via the source maps).
//
//   node scripts/mutate.mjs [--file src/verify/tlog.ts ...] [--list] [--jobs 2] [--timeout 60] [--json mutation-report.json]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acorn from 'acorn';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The verifier and the parts of src/core its checks rely on.
const CORE_TARGETS = ['x509', 'merkle', 'note', 'checkpoint', 'sct', 'rfc3161', 'dsse', 'keys', 'prehash', 'encoding'];

function defaultTargets() {
  const verify = readdirSync(join(ROOT, 'src', 'verify'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => `src/verify/${f}`);
  return [...verify, ...CORE_TARGETS.map((n) => `src/core/${n}.ts`)];
}

// --- options ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { files: [], list: false, jobs: 2, timeoutMs: 30_000, json: 'mutation-report.json', only: undefined, rerun: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--file') opts.files.push(value().replace(/^\.\//, ''));
    else if (a === '--list') opts.list = true;
    else if (a === '--jobs') opts.jobs = Math.max(1, Number(value()));
    else if (a === '--timeout') opts.timeoutMs = Number(value()) * 1000;
    else if (a === '--json') opts.json = value();
    else if (a === '--only') opts.only = new Set(value().split(',').map(Number));
    else if (a === '--rerun') opts.rerun = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/mutate.mjs [--file src/verify/x.ts]... [--list] [--jobs N] [--timeout SECONDS] [--json FILE] [--only ID,ID] [--rerun REPORT]');
      console.log('  --rerun REPORT  run again only the mutants that survived (or timed out) in REPORT, e.g. after adding tests,');
      console.log('                  and write REPORT\'s results with theirs replaced');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

// --- source maps: report mutants at their TypeScript line ------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** For each generated line, its segments [generatedColumn, originalLine] (0-based), from a v3 source map. */
function decodeMappings(mappings) {
  const lines = [];
  let origLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (seg === '') continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += fields[0];
      if (fields.length >= 4) {
        origLine += fields[2];
        segments.push([genCol, origLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function sourceLineMapper(jsPath) {
  const mapPath = `${jsPath}.map`;
  if (!existsSync(mapPath)) return (line) => line;
  const lines = decodeMappings(JSON.parse(readFileSync(mapPath, 'utf8')).mappings);
  return (line, column) => {
    const segments = lines[line - 1] ?? [];
    let best;
    for (const [col, orig] of segments) if (col <= column) best = orig;
    if (best === undefined && segments[0] !== undefined) best = segments[0][1];
    return best === undefined ? line : best + 1;
  };
}

// --- finding mutation points -----------------------------------------------------------------------------

const COMPARISON_FLIP = { '<': '<=', '<=': '<', '>': '>=', '>=': '>', '===': '!==', '!==': '===' };

function isNode(value) {
  return value !== null && typeof value === 'object' && typeof value.type === 'string';
}

function children(node) {
  const out = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc') continue;
    if (Array.isArray(value)) out.push(...value.filter(isNode).map((v) => [key, v]));
    else if (isNode(value)) out.push([key, value]);
  }
  return out;
}

/** A statement that does nothing but throw: forcing its `if` to false is the same mutant as removing the throw. */
function onlyThrows(stmt) {
  if (stmt.type === 'ThrowStatement') return true;
  return stmt.type === 'BlockStatement' && stmt.body.length === 1 && stmt.body[0].type === 'ThrowStatement';
}

function findMutants(code) {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  const found = [];
  const add = (node, operator, start, end, replacement) => {
    found.push({ operator, start, end, replacement, original: code.slice(start, end), line: node.loc.start.line, column: node.loc.start.column });
  };
  // `ctx.skip`: inside a loop's test or update (an iteration bound, not a check) or a throw's message.
  const visit = (node, ctx) => {
    switch (node.type) {
      case 'ThrowStatement':
        add(node, 'remove throw', node.start, node.end, '{}');
        break;
      case 'IfStatement':
        add(node.test, 'negate if', node.test.start, node.test.end, `!(${code.slice(node.test.start, node.test.end)})`);
        if (!(onlyThrows(node.consequent) && node.alternate === null)) add(node.test, 'if → false', node.test.start, node.test.end, 'false');
        break;
      case 'ReturnStatement':
        if (node.argument?.type === 'Literal' && typeof node.argument.value === 'boolean') {
          add(node, `return ${node.argument.value} → ${!node.argument.value}`, node.argument.start, node.argument.end, String(!node.argument.value));
        }
        break;
      case 'BinaryExpression':
        // `if (a === b)` flipped to `!==` is the same mutant as the negated `if`.
        if (!ctx.skip && node.operator in COMPARISON_FLIP && !(ctx.ifTest && (node.operator === '===' || node.operator === '!=='))) {
          // The operator token sits between the operands; comments never do in tsc output.
          const between = code.slice(node.left.end, node.right.start);
          const at = node.left.end + between.indexOf(node.operator);
          add(node, `${node.operator} → ${COMPARISON_FLIP[node.operator]}`, at, at + node.operator.length, COMPARISON_FLIP[node.operator]);
        }
        break;
      case 'LogicalExpression':
        if (!ctx.skip && (node.operator === '&&' || node.operator === '||')) {
          const flipped = node.operator === '&&' ? '||' : '&&';
          const between = code.slice(node.left.end, node.right.start);
          const at = node.left.end + between.indexOf(node.operator);
          add(node, `${node.operator} → ${flipped}`, at, at + 2, flipped);
        }
        break;
      case 'CallExpression':
        if (node.callee.type === 'MemberExpression' && !node.callee.computed && (node.callee.property.name === 'every' || node.callee.property.name === 'some')) {
          const p = node.callee.property;
          add(p, `.${p.name} → .${p.name === 'every' ? 'some' : 'every'}`, p.start, p.end, p.name === 'every' ? 'some' : 'every');
        }
        break;
      default:
    }
    for (const [key, child] of children(node)) {
      const loopBound = ((node.type === 'ForStatement' && (key === 'test' || key === 'update')) || ((node.type === 'WhileStatement' || node.type === 'DoWhileStatement') && key === 'test'));
      const message = node.type === 'ThrowStatement';
      visit(child, { skip: ctx.skip || loopBound || message, ifTest: node.type === 'IfStatement' && key === 'test' });
    }
  };
  visit(ast, { skip: false, ifTest: false });
  // Keep only mutants that still parse (they all should; this guards the splicing above).
  return found
    .sort((a, b) => a.start - b.start || a.operator.localeCompare(b.operator))
    .filter((m) => {
      try {
        acorn.parse(apply(code, m), { ecmaVersion: 'latest', sourceType: 'module' });
        return true;
      } catch {
        return false;
      }
    });
}

function apply(code, m) {
  return code.slice(0, m.start) + m.replacement + code.slice(m.end);
}

// --- which tests cover a file ----------------------------------------------------------------------------

/** Test files (relative to the dist root) to run for a target, fastest and most specific first. */
function testsFor(target, distRoot) {
  const files = [];
  const dirFiles = (dir) => {
    const abs = join(distRoot, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs).filter((f) => f.endsWith('.test.js')).sort().map((f) => `${dir}/${f}`);
  };
  // The fuzzer is slow and kills little that the targeted tests do not: last, so a killed mutant rarely waits for it.
  const verify = dirFiles('dist/test/unit/verify');
  // checks.test is fast and kills most mutants of core code too (a broken parser fails every bundle), so it goes
  // first; then a core file's own unit test; then the rest.
  const checks = verify.filter((f) => f.endsWith('/checks.test.js'));
  files.push(...checks);
  const core = /^src\/core\/(.+)\.ts$/.exec(target);
  if (core) {
    // The file's own unit tests: core/<name>.test.js and core/<name>-<topic>.test.js.
    files.push(...dirFiles('dist/test/unit/core').filter((f) => f.endsWith(`/${core[1]}.test.js`) || f.includes(`/${core[1]}-`)));
  }
  const rest = verify.filter((f) => !checks.includes(f));
  files.push(...rest.filter((f) => !f.endsWith('/robustness.test.js')), ...rest.filter((f) => f.endsWith('/robustness.test.js')));
  files.push(...dirFiles('dist/test/unit/realworld'));
  return files;
}

// --- workers: a private copy of the build per worker -----------------------------------------------------

function makeWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-mutate-'));
  // Everything but dist/ is linked, so the tests find package.json ("type": "module"), node_modules and test/vectors.
  for (const entry of readdirSync(ROOT)) {
    if (entry === 'dist' || entry === '.git') continue;
    symlinkSync(join(ROOT, entry), join(dir, entry));
  }
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, BAIL_REPORTER), BAIL_SOURCE);
  return dir;
}

// A node:test reporter that ends the process at the first failing test: a mutant is killed by one failure, and
// files like the Merkle or fuzz tests would otherwise run to their end first.
const BAIL_REPORTER = 'mutate-bail-reporter.mjs';
const BAIL_SOURCE = `export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail' && !event.data.todo && !event.data.skip) process.exit(1);
    yield '';
  }
}
`;

const running = new Set();

function runFile(cwd, file, timeoutMs) {
  return new Promise((resolveRun) => {
    const started = Date.now();
    // Run the test file directly (node:test sets a failing exit code): one process, no runner in between.
    const child = spawn(process.execPath, [`--test-reporter=${join(cwd, BAIL_REPORTER)}`, file], { cwd, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    running.add(child);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolveRun({ ok: code === 0 && signal === null, timedOut, ms: Date.now() - started });
    });
  });
}

/** Runs `files` in order until one fails; the budget is shared by all of them. */
async function runTests(cwd, files, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (const file of files) {
    const left = deadline - Date.now();
    if (left <= 0) return { status: 'timeout', by: file };
    const r = await runFile(cwd, file, left);
    if (r.timedOut) return { status: 'timeout', by: file };
    if (!r.ok) return { status: 'killed', by: file };
  }
  return { status: 'survived' };
}

// --- re-running the survivors of an earlier report -------------------------------------------------------

/**
 * Keys that identify mutants across runs of the same build: file, generated line, operator, and which of the equal
 * ones on that line it is (mutants are numbered in source order, so the n-th stays the n-th).
 */
function mutantKeys(list) {
  const seen = new Map();
  return [...list].sort((a, b) => a.id - b.id).map((m) => {
    const base = `${m.target ?? m.file}:${m.distLine ?? m.line}:${m.operator}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return [`${base}#${n}`, m];
  });
}

/** Every mutant of this build with its earlier result, or its new one where it ran again. */
function mergeResults(mutants, priorMutants, rerun, targets) {
  const prior = new Map(mutantKeys(priorMutants));
  const fresh = new Map(rerun.map((r) => [r.id, r]));
  const merged = mutantKeys(mutants).map(([key, m]) => {
    const r = fresh.get(m.id);
    if (r !== undefined) return r;
    const p = prior.get(key);
    return { ...m, status: p?.status ?? 'killed', ...(p?.by !== undefined ? { by: `dist/${p.by}` } : {}), ms: p?.ms ?? 0, earlier: true };
  });
  // Files this run did not target keep their earlier results, renumbered after this run's mutants.
  const others = priorMutants
    .filter((p) => !targets.includes(p.file))
    .map((p, i) => ({ ...p, id: mutants.length + i + 1, target: p.file, sourceLine: p.line, line: p.distLine, ...(p.by !== undefined ? { by: `dist/${p.by}` } : {}), earlier: true }));
  return [...merged, ...others];
}

// --- main ------------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const targets = opts.files.length > 0 ? opts.files : defaultTargets();
  const mutants = [];
  for (const target of targets) {
    const js = join(ROOT, 'dist', target.replace(/\.ts$/, '.js'));
    if (!existsSync(js)) throw new Error(`${relative(ROOT, js)} does not exist: run npm run build first`);
    const code = readFileSync(js, 'utf8');
    const toSource = sourceLineMapper(js);
    for (const m of findMutants(code)) {
      mutants.push({ id: mutants.length + 1, target, dist: relative(ROOT, js), sourceLine: toSource(m.line, m.column), ...m });
    }
  }
  let selected = opts.only === undefined ? mutants : mutants.filter((m) => opts.only.has(m.id));
  let previous;
  if (opts.rerun !== undefined) {
    previous = JSON.parse(readFileSync(resolve(ROOT, opts.rerun), 'utf8'));
    const prior = new Map(mutantKeys(previous.mutants).map(([key, p]) => [key, p.status]));
    const keyOf = new Map(mutantKeys(mutants).map(([key, m]) => [m.id, key]));
    selected = selected.filter((m) => {
      const status = prior.get(keyOf.get(m.id));
      if (status === undefined) throw new Error(`mutant #${m.id} (${m.target}:${m.sourceLine} ${m.operator}) is not in ${opts.rerun}: the build changed; run everything`);
      return status !== 'killed';
    });
  }

  if (opts.list) {
    for (const m of selected) console.log(`${String(m.id).padStart(4)}  ${m.target}:${m.sourceLine}  ${m.operator}  ${JSON.stringify(m.original.slice(0, 60))}`);
    console.log(`${selected.length} mutants in ${targets.length} files`);
    return;
  }

  const workspaces = [];
  let interrupted = false;
  const cleanup = () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const w of workspaces) rmSync(w, { recursive: true, force: true });
  };
  const onSignal = () => {
    interrupted = true;
    cleanup();
    console.error('\ninterrupted: workspaces removed, the checkout was never modified');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = Date.now();
  try {
    for (let i = 0; i < Math.min(opts.jobs, selected.length); i++) workspaces.push(makeWorkspace());
    // The unmutated build must pass, or every mutant would count as killed.
    const baselineFiles = [...new Set(targets.flatMap((t) => testsFor(t, workspaces[0] ?? ROOT)))];
    if (workspaces[0] !== undefined) {
      const base = await runTests(workspaces[0], baselineFiles, opts.timeoutMs * 4);
      if (base.status !== 'survived') throw new Error(`the unmutated build fails (${base.status} in ${base.by}); fix that first`);
      console.log(`baseline passes (${((Date.now() - started) / 1000).toFixed(1)} s); ${selected.length} mutants, ${workspaces.length} workers`);
    }

    const results = [];
    let next = 0;
    const worker = async (dir) => {
      while (!interrupted) {
        const m = selected[next++];
        if (m === undefined) return;
        const path = join(dir, m.dist);
        const original = readFileSync(path, 'utf8');
        const t0 = Date.now();
        let outcome;
        try {
          writeFileSync(path, apply(original, m));
          outcome = await runTests(dir, testsFor(m.target, dir), opts.timeoutMs);
        } finally {
          writeFileSync(path, original);
        }
        const r = { ...m, ...outcome, ms: Date.now() - t0 };
        results.push(r);
        const mark = r.status === 'killed' ? '.' : r.status === 'timeout' ? 'T' : 'S';
        process.stdout.write(r.status === 'survived' ? `\n  survived #${m.id} ${m.target}:${m.sourceLine} ${m.operator} ${JSON.stringify(m.original.slice(0, 50))}\n` : mark);
      }
    };
    await Promise.all(workspaces.map((w) => worker(w)));
    const seconds = (Date.now() - started) / 1000;
    results.sort((a, b) => a.id - b.id);
    report(previous === undefined ? results : mergeResults(mutants, previous.mutants, results, targets), seconds, opts, previous);
  } finally {
    cleanup();
  }
}

function report(results, seconds, opts, previous) {
  const byFile = new Map();
  for (const r of results) {
    const row = byFile.get(r.target) ?? { mutants: 0, killed: 0, survived: 0, timeout: 0 };
    row.mutants++;
    row[r.status]++;
    byFile.set(r.target, row);
  }
  const total = { mutants: results.length, killed: 0, survived: 0, timeout: 0 };
  for (const r of results) total[r.status]++;
  const score = (row) => (row.mutants === 0 ? '-' : `${(((row.killed + row.timeout) / row.mutants) * 100).toFixed(1)}%`);
  const pad = (s, n) => String(s).padEnd(n);
  console.log('\n');
  console.log(`${pad('file', 34)}${pad('mutants', 9)}${pad('killed', 8)}${pad('survived', 10)}${pad('timeout', 9)}score`);
  for (const [file, row] of byFile) console.log(`${pad(file, 34)}${pad(row.mutants, 9)}${pad(row.killed, 8)}${pad(row.survived, 10)}${pad(row.timeout, 9)}${score(row)}`);
  console.log(`${pad('total', 34)}${pad(total.mutants, 9)}${pad(total.killed, 8)}${pad(total.survived, 10)}${pad(total.timeout, 9)}${score(total)}`);
  console.log(`runtime ${seconds.toFixed(0)} s${previous !== undefined ? ` (re-run of ${results.filter((r) => !r.earlier).length} earlier survivors; the full run took ${previous.seconds} s)` : ''}`);
  const survivors = results.filter((r) => r.status === 'survived');
  if (survivors.length > 0) {
    console.log('\nsurvivors:');
    for (const r of survivors) console.log(`  #${r.id} ${r.target}:${r.sourceLine}  ${r.operator}  ${JSON.stringify(r.original.slice(0, 70))}`);
  }
  const json = {
    date: new Date().toISOString(),
    seconds: previous !== undefined ? previous.seconds : Math.round(seconds),
    ...(previous !== undefined ? { rerunSeconds: Math.round(seconds), rerunOf: previous.date } : {}),
    total,
    files: Object.fromEntries(byFile),
    mutants: results.map((r) => ({
      id: r.id,
      file: r.target,
      line: r.sourceLine,
      distLine: r.line,
      column: r.column,
      operator: r.operator,
      original: r.original,
      replacement: r.replacement,
      status: r.status,
      ...(r.by !== undefined ? { by: r.by.replace(/^dist\//, '') } : {}),
      ms: r.ms,
    })),
  };
  writeFileSync(resolve(ROOT, opts.json), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nreport: ${opts.json}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
