// `npm run bench:cli`: wall time of whole CLI runs, as a CI job sees them.
// - `keyless sign-blob` against a local `keyless serve` (certificate, Rekor v2 entry, timestamp, verify-before-write);
// - `keyless verify-blob` next to the sigstore-js CLI (`sigstore verify`, @sigstore/cli, trust through our TUF
//   repository) on the same bundle, in the same run, with the ratio.
// Aims: signing under 0.5 s; verifying in a quarter of sigstore-js's time. Env: BENCH_RUNS (default 10).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../test/helpers/serve.js';
import { ROOT } from '../test/helpers/vectors.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const KEYLESS = join(ROOT, 'bin', 'keyless.js');
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
  const verifyArgs = (b: string) => [KEYLESS, 'verify-blob', artifact, '--bundle', b, '--trusted-root', join(served.dataDir, 'trusted_root.json'), '--certificate-identity', identity, '--certificate-oidc-issuer', served.url];
  const verifyKeylessV2 = Array.from({ length: RUNS }, () => timed(process.execPath, verifyArgs(join(work, 'v2.bundle'))));
  const verifyKeyless = Array.from({ length: RUNS }, () => timed(process.execPath, verifyArgs(bundle)));
  const cache = join(work, 'tuf-cache');
  const verifySigstore = Array.from({ length: RUNS }, () =>
    timed(SIGSTORE, ['verify', bundle, '--blob-file', artifact, '--certificate-identity-uri', identity, '--certificate-issuer', served.url,
      '--tuf-mirror-url', `${served.url}/tuf`, '--tuf-root-path', join(served.dataDir, 'tuf', 'root.json'), '--tuf-cache-path', cache]));

  const s = median(sign);
  const k = median(verifyKeyless);
  const j = median(verifySigstore);
  console.log(`bench:cli — median wall time of ${RUNS} whole CLI runs against keyless serve on loopback`);
  console.log(`keyless sign-blob (Rekor v2 + TSA)  ${s.toFixed(0).padStart(6)} ms   (aim < 500 ms)`);
  console.log(`keyless sign-blob (Rekor v1 + TSA)  ${median(signV1).toFixed(0).padStart(6)} ms`);
  console.log(`keyless verify-blob (v2 bundle)     ${median(verifyKeylessV2).toFixed(0).padStart(6)} ms`);
  console.log(`keyless verify-blob (v1 bundle)     ${k.toFixed(0).padStart(6)} ms`);
  console.log(`sigstore verify (v1 bundle; @sigstore/cli, TUF from the instance) ${j.toFixed(0).padStart(6)} ms`);
  console.log(`ratio: keyless verify-blob takes ${(k / j).toFixed(2)} of sigstore-js's time (aim ≤ 0.25); ${(j / k).toFixed(1)}x faster`);
} finally {
  await served.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(served.dataDir, { recursive: true, force: true });
}
