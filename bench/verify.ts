/**
 * `npm run bench:verify`: the same bundles verified by keyless and by @sigstore/verify in one process.
 * Both sides parse the bundle JSON and verify it on every iteration, with trust material prepared once (as a
 * long-running verifier would). Prints verifies/s for both, the ratio, and per-bundle latency; then the CPU time
 * per verification (process.cpuUsage over the measured loop: user + system, GC threads included) as a multiple of
 * the crypto floor measured in the same run (bench/floor.ts). The floor's signature checks are counted, not listed
 * by hand: each side is run once with node:crypto counted (bench/crypto-count.ts), and per kind of check the smaller
 * count of the two is priced (a check one verifier makes and the other does not is not part of the floor).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { parseBundle } from '../src/bundle/index.js';
import { parseTrustedRoot } from '../src/trust/index.js';
import { createVerifier } from '../src/verify/verifier.js';
import { productionTrustedRootJson } from '../src/trust/production-root.js';
import { countCryptoOps } from './crypto-count.js';
import { calibrate, calibrationLine, costLine, floor, verificationFloor } from './floor.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

interface Case { name: string; label: string }
const CASES: Case[] = [
  { name: 'v1-message', label: 'P-256 chain, Rekor v1' },
  { name: 'p384-message', label: 'P-384 chain, Rekor v1' },
  { name: 'v2-message', label: 'P-256 chain, Rekor v2 + RFC 3161' },
  // A real public-good bundle: Fulcio's P-384 intermediate and root, a sharded Rekor v1 entry with its SET and
  // checkpoint, an RFC 3161 timestamp from the public-good TSA, checked with the production trusted root.
  { name: 'public/message-tsa-v03', label: 'public-good: P-384 chain, Rekor v1 + TSA' },
];

function load(name: string) {
  const dir = join(root, 'test', 'vectors', name);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { artifact?: string };
  const rootFile = join(dir, 'trusted_root.json');
  return {
    bundle: JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as unknown,
    // Public vectors have no root of their own: they use the production root keyless ships.
    trustedRoot: (existsSync(rootFile) ? JSON.parse(readFileSync(rootFile, 'utf8')) : productionTrustedRootJson) as unknown,
    artifact: readFileSync(join(dir, expected.artifact ?? 'artifact')),
  };
}

/** Runs `fn` for about SECONDS after a warm-up; returns operations per second and CPU µs per operation. */
function measure(fn: () => void): { rate: number; cpuUs: number } {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const until = start + SECONDS * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const rate = n / ((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpu0);
  return { rate, cpuUs: (cpu.user + cpu.system) / n };
}

console.log(`bench:verify — ${SECONDS}s per side per case, node ${process.version}`);
const cal = calibrate();
console.log(calibrationLine(cal));
for (const c of CASES) {
  const v = load(c.name);
  const identity = { kind: 'withoutIdentitiesUnsafe' } as const;
  const ours = createVerifier({ trustedRoot: parseTrustedRoot(v.trustedRoot) });
  const oursOnce = () => ours.verify(parseBundle(v.bundle), { artifact: { kind: 'bytes', data: v.artifact }, identity });
  const theirs = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(v.trustedRoot)));
  const theirsOnce = () => theirs.verify(toSignedEntity(bundleFromJSON(v.bundle), v.artifact));
  oursOnce();
  theirsOnce();
  const oursOps = countCryptoOps(oursOnce);
  const theirsOps = countCryptoOps(theirsOnce);
  const both = new Map([...oursOps].map(([kind, n]) => [kind, Math.min(n, theirsOps.get(kind) ?? 0)] as const).filter(([, n]) => n > 0));
  const { rate: k, cpuUs: kCpu } = measure(oursOnce);
  const { rate: s, cpuUs: sCpu } = measure(theirsOnce);
  console.log(
    `${c.label.padEnd(42)} keyless ${k.toFixed(0).padStart(6)}/s (${(1000 / k).toFixed(3)} ms)   ` +
      `@sigstore/verify ${s.toFixed(0).padStart(5)}/s (${(1000 / s).toFixed(3)} ms)   ratio ${(k / s).toFixed(1)}x`,
  );
  const f = verificationFloor(cal, both);
  const list = (ops: Map<string, number>) => [...ops].sort().map(([kind, n]) => `${n}× ${kind}`).join(', ');
  console.log(`  crypto ops: keyless ${list(oursOps)}; @sigstore/verify ${list(theirsOps)}${f.unpriced.length > 0 ? `; not priced: ${f.unpriced.join(', ')}` : ''}`);
  console.log(`  ${costLine('keyless', 'verification', kCpu, floor(f.parts))}`);
  console.log(`  ${costLine('@sigstore/verify', 'verification', sCpu, floor(f.parts))}`);
}
