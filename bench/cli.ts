// `npm run bench:cli`: wall time of whole CLI runs, as a CI job sees them.
// - `keyless sign-blob` against a local `keyless serve` (certificate, Rekor v2 entry, timestamp, verify-before-write);
// - `keyless verify-blob` next to the sigstore-js CLI (`sigstore verify`, @sigstore/cli, trust through our TUF
//   repository) on the same bundle, in the same run, with the ratio.
// - cold start of `verify-blob` (one new process per run) for each way keyless is installed: the npm package
//   (bin/keyless.js), the one-file CLI (dist/keyless.cjs, with and without its V8 compile cache) and the single
//   executable (dist/keyless-linux-x64), each as a ratio to `sigstore verify` and to a bare `node -e ''`.
//   The runs are interleaved (one of each per round) so that a machine whose load changes slows all alike.
// Aims: signing under 0.5 s; verify-blob in ≤ 0.25 of sigstore-js's time and ≤ 1.5 of bare node's.
// Env: BENCH_RUNS (default 10). Needs `npm run build:cli` and `npm run build:sea` (bench:cli runs them).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../test/helpers/serve.js';
import { ROOT } from '../test/helpers/vectors.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const KEYLESS = join(ROOT, 'bin', 'keyless.js');
const ONE_FILE = join(ROOT, 'dist', 'keyless.cjs');
const SEA = join(ROOT, 'dist', 'keyless-linux-x64');
const SIGSTORE = join(ROOT, 'node_modules', '.bin', 'sigstore');

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const served = await startServe(['--dev-oidc-issuer']);
const work = mkdtempSync(join(tmpdir(), 'keyless-bench-cli-'));
try {
  const minted = spawnSync(process.execPath, [KEYLESS, 'dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main'], { encoding: 'utf8' });
  if (minted.status !== 0) throw new Error(minted.stderr);
  const token = minted.stdout.trim();
  const identity = `https://${new URL(served.url).host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`;
  const artifact = join(work, 'artifact.txt');
  writeFileSync(artifact, 'This is a build artifact\n');
  const bundle = join(work, 'cosign.bundle');

  // Signing as configured by the instance: Rekor v2 and a TSA timestamp.
  const sign = Array.from({ length: RUNS }, () => timed(process.execPath, [KEYLESS, 'sign-blob', artifact, '--bundle', join(work, 'v2.bundle'), '--instance', served.url, '--yes', '--identity-token', token]));
  // The verification comparison uses a Rekor v1 bundle: @sigstore/cli 0.8 (the newest for Node 20) predates Rekor v2
  // (its verifier looks for a log valid at integratedTime 0, and finds none).
  const config = JSON.parse(readFileSync(join(served.dataDir, 'signing_config.json'), 'utf8')) as { rekorTlogUrls: { majorApiVersion: number }[] };
  config.rekorTlogUrls = config.rekorTlogUrls.filter((s) => s.majorApiVersion === 1);
  writeFileSync(join(work, 'signing_config.v1.json'), JSON.stringify(config));
  const signV1 = Array.from({ length: RUNS }, () => timed(process.execPath, [KEYLESS, 'sign-blob', artifact, '--bundle', bundle, '--signing-config', join(work, 'signing_config.v1.json'),
    '--trusted-root', join(served.dataDir, 'trusted_root.json'), '--yes', '--identity-token', token]));
  const trust = ['--trusted-root', join(served.dataDir, 'trusted_root.json'), '--certificate-identity', identity, '--certificate-oidc-issuer', served.url];
  const verifyArgs = (b: string) => [KEYLESS, 'verify-blob', artifact, '--bundle', b, ...trust];
  const verifyKeylessV2 = Array.from({ length: RUNS }, () => timed(process.execPath, verifyArgs(join(work, 'v2.bundle'))));

  // Cold starts, interleaved. The compile caches live in a directory of this run; "no cache" turns it off, which
  // is what the first run after installing (or after an upgrade of node) costs.
  const cacheDir = join(work, 'compile-cache');
  const withCache = { ...process.env, KEYLESS_COMPILE_CACHE: cacheDir };
  const noCache = { ...process.env, KEYLESS_COMPILE_CACHE: '0' };
  const oneFileArgs = [ONE_FILE, 'verify-blob', artifact, '--bundle', bundle, ...trust];
  const seaArgs = ['verify-blob', artifact, '--bundle', bundle, ...trust];
  const cache = join(work, 'tuf-cache');
  const cases: { name: string; run: () => number }[] = [
    { name: "bare node -e ''", run: () => timed(process.execPath, ['-e', '']) },
    { name: 'sigstore verify (@sigstore/cli, TUF from the instance)', run: () => timed(SIGSTORE, ['verify', bundle, '--blob-file', artifact, '--certificate-identity-uri', identity,
      '--certificate-issuer', served.url, '--tuf-mirror-url', `${served.url}/tuf`, '--tuf-root-path', join(served.dataDir, 'tuf', 'root.json'), '--tuf-cache-path', cache]) },
    { name: 'keyless verify-blob, npm package (bin/keyless.js)', run: () => timed(process.execPath, verifyArgs(bundle)) },
    { name: 'keyless verify-blob, one-file CLI, compile cache', run: () => timed(process.execPath, oneFileArgs, withCache) },
    { name: 'keyless verify-blob, one-file CLI, no compile cache', run: () => timed(process.execPath, oneFileArgs, noCache) },
    // The executable carries its compile caches (made at build time), so it has no "first run" of its own.
    { name: 'keyless verify-blob, single executable', run: () => timed(SEA, seaArgs, noCache) },
    { name: 'single executable start-up (--version)', run: () => timed(SEA, ['--version'], withCache) },
    { name: 'one-file CLI start-up (--version)', run: () => timed(process.execPath, [ONE_FILE, '--version'], withCache) },
  ];
  // One unmeasured round fills the caches (compile caches, TUF cache, the page cache).
  for (const c of cases) c.run();
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) cases.forEach((c, j) => times[j]!.push(c.run()));
  const med = times.map(median);
  const [bare, sigstore] = [med[0]!, med[1]!];

  const s = median(sign);
  console.log(`bench:cli — median wall time of ${RUNS} whole CLI runs against keyless serve on loopback (node ${process.version})`);
  console.log(`keyless sign-blob (Rekor v2 + TSA)  ${s.toFixed(0).padStart(6)} ms   (aim < 500 ms)`);
  console.log(`keyless sign-blob (Rekor v1 + TSA)  ${median(signV1).toFixed(0).padStart(6)} ms`);
  console.log(`keyless verify-blob (v2 bundle)     ${median(verifyKeylessV2).toFixed(0).padStart(6)} ms`);
  console.log('');
  console.log(`cold start, v1 bundle, ${RUNS} interleaved rounds           median ms   ÷ sigstore verify (aim ≤ 0.25)   ÷ bare node (aim ≤ 1.5)`);
  cases.forEach((c, j) => {
    const m = med[j]!;
    console.log(`${c.name.padEnd(58)}${m.toFixed(0).padStart(6)}   ${(m / sigstore).toFixed(2).padStart(8)}   ${(m / bare).toFixed(2).padStart(8)}`);
  });
} finally {
  await served.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(served.dataDir, { recursive: true, force: true });
}
