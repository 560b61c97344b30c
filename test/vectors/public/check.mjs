#!/usr/bin/env node
// Verifies the real public-good bundles in test/vectors/public/<name>/ with @sigstore/verify against the
// production trusted root that keyless ships (src/trust/production-root.ts), offline: no TUF fetch, no network.
// Usage: node test/vectors/public/check.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExpect, verifyVectorDir } from '../lib/verify.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT_TS = resolve(HERE, '../../../src/trust/production-root.ts');

/** The JSON object literal of the generated TS module (it is plain JSON followed by `as const`). */
function productionTrustedRoot() {
  const ts = readFileSync(ROOT_TS, 'utf8');
  const m = /export const productionTrustedRootJson = ([\s\S]*) as const;\s*$/.exec(ts);
  if (!m) throw new Error(`cannot find productionTrustedRootJson in ${ROOT_TS}`);
  return JSON.parse(m[1]);
}

const trustedRoot = productionTrustedRoot();
let failures = 0;
let passed = 0;
for (const name of readdirSync(HERE).sort()) {
  const dir = join(HERE, name);
  if (!statSync(dir).isDirectory()) continue;
  try {
    const r = verifyVectorDir(dir, readExpect(dir), trustedRoot);
    passed++;
    console.log(`ok   ${name.padEnd(24)} ${r.content} tlog=[${r.tlog}] timestamps=[${r.timestamps}] ${r.identity}`);
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}: ${e.code ?? ''} ${e.message}${e.cause ? ` (cause: ${e.cause.message})` : ''}`);
  }
}
console.log(`${passed} passed, ${failures} failed`);
if (failures > 0) process.exit(1);
