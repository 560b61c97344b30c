#!/usr/bin/env node
// Writes manifest.json from cases.mjs and the extracted files: the signer identity read from each bundle's
// certificate (unless the case names one), the artifact digest where only a digest is kept, and the verdicts of
// @sigstore/verify 3.x and 4.x measured now. Needs `npm run build` first (it runs the compiled corpus helpers, the
// same code the tests run). Prints keyless's current verdicts next to `expected` (not recorded: keyless is what is
// under test).
// Usage: npm run build && node test/vectors/realworld/build-manifest.mjs [--check]
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, ROOTS, SOURCES, layout } from './cases.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..');
const dist = (p) => import(join(REPO, 'dist', p));
const lib = await dist('test/unit/realworld/corpus.js');
const { parseCertificate } = await dist('src/core/x509.js');
const { signerIdentity } = await dist('src/verify/verifier.js');
const check = process.argv.includes('--check');

const HASHES = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

function certificateOf(bundle) {
  const vm = bundle?.verificationMaterial ?? {};
  const b64 = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates?.[0]?.rawBytes;
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
}

function digestOf(c, bundle) {
  if (c.digest === 'fromBundle') {
    const d = bundle.messageSignature.messageDigest;
    return `${HASHES[d.algorithm]}:${Buffer.from(d.digest, 'base64').toString('hex')}`;
  }
  if (c.digest === 'fromSubject') {
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const d = statement.subject[0].digest;
    return d.sha256 !== undefined ? `sha256:${d.sha256}` : `sha512:${d.sha512}`;
  }
  return c.digest;
}

const entries = [];
const report = [];
for (const c of CASES) {
  const out = layout(c);
  const src = SOURCES[c.source];
  const bundle = JSON.parse(readFileSync(join(HERE, out.bundle), 'utf8'));
  let identity = c.identity;
  let issuer = c.issuer;
  const der = certificateOf(bundle);
  if (c.key === undefined && der !== undefined && (identity === undefined || issuer === undefined)) {
    const signer = signerIdentity(parseCertificate(der));
    identity ??= signer.subjectAlternativeNames[0];
    issuer ??= signer.issuer;
  }
  const digest = digestOf(c, bundle);
  const artifactPath = out.artifact !== undefined && existsSync(join(HERE, out.artifact)) ? out.artifact : undefined;
  const entry = {
    id: c.id,
    source: { repository: src.repository, path: c.bundle, commit: c.commit ?? src.commit, ...(c.line !== undefined ? { line: c.line } : {}) },
    bundle: out.bundle,
    ...(artifactPath !== undefined ? { artifact: artifactPath } : {}),
    ...(artifactPath === undefined && digest !== undefined ? { digest } : {}),
    ...(c.artifact?.npm !== undefined ? { npmPackage: c.artifact.npm } : {}),
    ...(out.key !== undefined ? { key: out.key } : {}),
    ...(c.key === undefined ? { identity, issuer } : {}),
    trustedRoot: c.root === 'production' ? 'production' : ROOTS[c.root].file,
    ...(c.options !== undefined ? { verifierOptions: c.options } : {}),
    expected: c.expected,
    ...(c.expectedCode !== undefined ? { expectedCode: c.expectedCode } : {}),
    why: c.why,
    ...(c.note !== undefined ? { note: c.note } : {}),
    categories: c.categories,
  };
  const sigstoreJs = { '3.x': lib.runSigstoreJs('3.x', entry), '4.x': lib.runSigstoreJs('4.x', entry) };
  const disagreements = [];
  if (c.disagreement !== undefined) disagreements.push(c.disagreement);
  const off = Object.entries(sigstoreJs).filter(([, v]) => v.verdict !== 'n/a' && v.verdict !== c.expected);
  if (off.length > 0) {
    const majors = off.map(([major]) => major);
    const note = off.length === 2 ? c.jsNote?.all : c.jsNote?.[majors[0]] ?? c.jsNote?.all;
    const verb = off[0][1].verdict === 'accept' ? 'accept' : 'reject';
    disagreements.push(`@sigstore/verify ${majors.join(' and ')} ${off.length === 2 ? verb : `${verb}s`} it${note !== undefined ? `: ${note}` : ' (unexplained)'}`);
  }
  const full = { ...entry, sigstoreJs, ...(disagreements.length > 0 ? { disagreement: disagreements.join('; ') } : {}) };
  entries.push(full);
  const keyless = lib.runKeyless(full, lib.keylessInputs(full));
  const k = lib.describe(keyless);
  const ok = keyless.verdict === c.expected && (keyless.verdict !== 'reject' || keyless.code === c.expectedCode);
  report.push(`${ok ? 'ok  ' : 'DIFF'} ${c.id.padEnd(44)} expected=${c.expected}${c.expectedCode ? `/${c.expectedCode}` : ''} js3=${sigstoreJs['3.x'].verdict} js4=${sigstoreJs['4.x'].verdict} keyless=${k.slice(0, 200)}`);
}

const manifest = {
  description: 'Real Sigstore bundles made by other implementations, taken from public repositories at pinned commits (see README.md). Paths are relative to this directory. Generated by build-manifest.mjs from cases.mjs.',
  entries,
};
const text = `${JSON.stringify(manifest, null, 2)}\n`;
console.log(report.join('\n'));
const path = join(HERE, 'manifest.json');
if (check) {
  const same = existsSync(path) && readFileSync(path, 'utf8') === text;
  console.log(same ? 'manifest.json is up to date' : 'manifest.json differs from what cases.mjs and the measurements give');
  process.exit(same ? 0 : 1);
}
writeFileSync(path, text);
console.log(`wrote ${entries.length} entries`);
