/**
 * `keyless npm publish-provenance TARBALL --registry URL`: what `npm publish --provenance` does in a GitLab job,
 * with the CI_* variables checked against the ID token first. `keyless npm audit PKG@VERSION --registry URL`: fetch
 * a published version's tarball and provenance, and check that the provenance names that tarball, is signed by a
 * trusted certificate and, with --expect-repository, comes from that repository.
 */
import { WITNESS_POLICY_OPTION, WITNESS_POLICY_USAGE, witnessPolicyFromFlags } from '../witness-policy.js';
import { KeylessError } from '../../core/errors.js';
import { parseBundle } from '../../bundle/index.js';
import {
  assertEnvMatchesToken, auditNpmPackage, escapedName, gitlabProvenance, IN_TOTO_PAYLOAD_TYPE, npmPublishDocument, npmSubject, parseLockfile,
  parseNpmPolicy, policyFor, provenanceRequired, readTarballManifest, serializeStatement, type PackageExpectation, type ProvenanceFormat,
} from '../../provenance/index.js';
import { decodeTokenClaims, defaultFetch, readIdentityToken, signDsse, tokenSourceFromFlag, withRetries, type FetchLike } from '../../sign/index.js';
import { createVerifier } from '../../verify/verifier.js';
import { closest, flag, parse, str, usageError, type Parsed } from '../args.js';
import { commitOutputs, readFileOrFail, reserveOutputs, type Output, type ReservedOutputs } from '../io.js';
import { instanceUrl, loadSigningInstance, reportSignature, signerOptions, SIGNING_OPTIONS, SIGNING_USAGE } from './instance.js';

export const USAGE = `Usage: keyless npm publish-provenance TARBALL --registry URL [--format slsa02|slsa1] [signing options]
       keyless npm audit (PKG@VERSION | --lockfile package-lock.json) --registry URL (--instance URL | --trusted-root FILE)
                         [--policy FILE] [--certificate-oidc-issuer URL] [--expect-repository URL] [--require-provenance] [--json]

publish-provenance: builds the provenance statement for TARBALL from this GitLab job's CI_* variables (npm's shape),
refuses if CI_PROJECT_PATH, CI_COMMIT_SHA, CI_COMMIT_REF_NAME, CI_PIPELINE_SOURCE, CI_JOB_ID or CI_PIPELINE_ID
disagree with the ID token, or CI_SERVER_URL or CI_PROJECT_URL with the server and repository the certificate will
name (from the token's issuer and project_path), signs it keylessly, and publishes the tarball with the bundle as npm does
(_attachments["<name>-<version>.sigstore"]). A registry that takes one attachment only (Verdaccio: 400 "unsupported
registry call") gets the tarball alone, with the bundle in the version's manifest under "_keylessProvenance".
  --registry URL            the npm registry (required)
  --registry-token TOKEN    bearer token for the registry (default: env NPM_TOKEN)
  --bundle FILE             also write the bundle to FILE
  --tag TAG                 dist-tag (default latest)
${SIGNING_USAGE}

audit: fetches the packument, the tarball and the provenance (dist.attestations.url, as registry.npmjs.org serves it,
else the "_keylessProvenance" manifest field); checks dist.integrity, the subject's purl and sha512, the bundle's
signature chain against the trusted root, the issuer, and the repository. Exit 0 all good, 1 a check failed.
  --certificate-oidc-issuer URL   the issuer the certificate must name (default: the --instance URL)
  --expect-repository URL   the statement and the certificate's sourceRepositoryURI must name this repository
  --lockfile FILE           audit every registry package of a package-lock.json (lockfileVersion 2 or 3), one row
                            each, also checking that the tarball has the lockfile's integrity. A package without
                            provenance is reported as "no provenance" and passes, unless --require-provenance or
                            the policy requires it; any failed check exits 1
  --require-provenance      with --lockfile: a package without provenance fails (a consumer's policy)
  --policy FILE             the expected builder per package (npm checks signatures, never who built a package):
      { "packages": {
          "@acme/*":  { "repository": "https://gitlab.example.com/acme/widget", "issuer": "https://gitlab.example.com" },
          "left-pad": { "provenance": "optional" } } }
    keys are names or globs (* matches within a name part: "@acme/*" is the scope, "*" every unscoped package); an
    exact name wins, then the glob with the most literal characters. repository: the statement and the
    certificate's sourceRepositoryURI must name it; issuer: the certificate's OIDC issuer (default
    --certificate-oidc-issuer or the --instance URL); provenance: "required" (the default when repository or issuer
    is set) or "optional" (passes without provenance, even with --require-provenance). For PKG@VERSION the
    --expect-repository and --certificate-oidc-issuer flags win over the policy; with --lockfile, pin in the policy.
  --json                    print the result as JSON
${WITNESS_POLICY_USAGE}`;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The registry's publish PUT: retried on 503/429 (not taken) but not after a connection failure, since the
 * registry may have published the version before the connection broke, and a repeat would then be refused.
 */
async function http(url: string, init: RequestInit = {}, env: Env = process.env): Promise<Response> {
  try {
    return await withRetries(defaultFetch(env), { env, retryNetworkErrors: false })(url, init);
  } catch (cause) {
    const code = cause instanceof KeylessError && cause.code === 'ERR_TIMEOUT' ? 'ERR_TIMEOUT' : 'ERR_SERVICE';
    const reason = cause instanceof KeylessError && typeof cause.details['reason'] === 'string' ? cause.details['reason'] : (cause as Error).message;
    throw new KeylessError(code, `npm registry ${url} is unreachable: ${reason}`, { url }, { cause });
  }
}

const registryBase = (s: string | undefined, usage: string): string => {
  if (s === undefined) throw usageError('--registry is required', usage);
  if (!/^https?:\/\//.test(s)) throw usageError(`--registry must be an http(s) URL, got ${JSON.stringify(s)}`, usage);
  return s.replace(/\/+$/, '');
};

async function publishProvenance(argv: string[], io: Output, env: Env): Promise<number> {
  const parsed = parse(argv, { ...SIGNING_OPTIONS, registry: { type: 'string' }, 'registry-token': { type: 'string' }, format: { type: 'string' }, tag: { type: 'string' } }, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError('give exactly one TARBALL', USAGE);
  const registry = registryBase(str(parsed, 'registry'), USAGE);
  const format = str(parsed, 'format') ?? 'slsa02';
  if (format !== 'slsa02' && format !== 'slsa1') throw usageError(`--format must be slsa02 or slsa1, got ${JSON.stringify(format)}`, USAGE);
  const tarball = readFileOrFail(file, 'tarball', 512 * 1024 * 1024);
  const manifest = readTarballManifest(tarball);
  const statement = gitlabProvenance([npmSubject(manifest, tarball)], env, format as ProvenanceFormat);
  const bundlePath = str(parsed, 'bundle');
  // The bundle file is claimed before anything is sent: one that cannot be written must not cost a log entry.
  const outputs = reserveOutputs([{ path: bundlePath, what: 'bundle' }]);
  try {
    return await signAndPublish({ parsed, io, env, registry, manifest, tarball, statement, bundlePath, outputs });
  } finally {
    outputs.discard();
  }
}

async function signAndPublish(a: {
  parsed: Parsed; io: Output; env: Env; registry: string; manifest: ReturnType<typeof readTarballManifest>; tarball: Buffer;
  statement: ReturnType<typeof gitlabProvenance>; bundlePath: string | undefined; outputs: ReservedOutputs;
}): Promise<number> {
  const { parsed, io, env, registry, manifest, tarball, statement, bundlePath, outputs } = a;
  const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
  assertEnvMatchesToken(env, decodeTokenClaims(token.token));
  const fetch = defaultFetch(env) as unknown as FetchLike;
  const instance = await loadSigningInstance(parsed, env, fetch);
  const result = await signDsse({
    payload: serializeStatement(statement),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    ...signerOptions(instance, token.token, parsed, env, io, fetch),
  });
  reportSignature(result, instance, io);
  const bundleJson = JSON.stringify(result.bundle);
  commitOutputs(outputs, [{ path: bundlePath, data: `${bundleJson}\n` }], io);

  const authToken = str(parsed, 'registry-token') ?? env['NPM_TOKEN'];
  const put = async (placement: 'attachment' | 'manifest') => {
    const doc = npmPublishDocument({ manifest, tarball, registry, bundleJson, predicateType: statement.predicateType, placement, ...(str(parsed, 'tag') !== undefined ? { tag: str(parsed, 'tag')! } : {}) });
    return http(`${registry}/${escapedName(manifest.name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(authToken ? { authorization: `Bearer ${authToken}` } : {}) },
      body: JSON.stringify(doc),
    }, env);
  };
  let r = await put('attachment');
  let text = await r.text();
  if (r.status === 400 && /unsupported registry call/i.test(text)) {
    io.err(`Warning: ${registry} takes one attachment per publish (answered ${r.status} ${text.trim().replace(/\s+/g, ' ')}); publishing the tarball with the bundle in the version's manifest ("_keylessProvenance")`);
    r = await put('manifest');
    text = await r.text();
  }
  if (!r.ok) throw new KeylessError('ERR_SERVICE', `npm registry refused the publish of ${manifest.name}@${manifest.version}: ${r.status} ${text.trim().slice(0, 300)}`, { status: r.status });
  io.err(`Published ${manifest.name}@${manifest.version} to ${registry} with provenance`);
  return 0;
}

function readJson(path: string, what: string): unknown {
  const text = readFileOrFail(path, what, 64 * 1024 * 1024).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `${what} ${path} is not JSON: ${(cause as Error).message}`, { path }, { cause });
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in the items' order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const table = (rows: readonly string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
};

async function audit(argv: string[], io: Output, env: Env): Promise<number> {
  const parsed = parse(argv, {
    registry: { type: 'string' }, instance: { type: 'string' }, 'trusted-root': { type: 'string' }, 'certificate-oidc-issuer': { type: 'string' },
    'expect-repository': { type: 'string' }, json: { type: 'boolean' }, lockfile: { type: 'string' }, policy: { type: 'string' },
    'require-provenance': { type: 'boolean' }, ...WITNESS_POLICY_OPTION,
  }, USAGE);
  const witnessPolicy = witnessPolicyFromFlags(parsed);
  const lockfilePath = str(parsed, 'lockfile');
  const [spec, ...extra] = parsed.positionals;
  const m = spec === undefined ? null : /^(@?[^@]+)@([^@]+)$/.exec(spec);
  if (lockfilePath !== undefined ? parsed.positionals.length > 0 : m === null || extra.length > 0) throw usageError('give exactly one PKG@VERSION, or --lockfile FILE', USAGE);
  const registry = registryBase(str(parsed, 'registry'), USAGE);
  const policy = str(parsed, 'policy') !== undefined ? parseNpmPolicy(readJson(str(parsed, 'policy')!, 'policy')) : undefined;
  const defaultIssuer = str(parsed, 'certificate-oidc-issuer') ?? instanceUrl(parsed, env);
  const expectRepository = str(parsed, 'expect-repository');
  if (lockfilePath !== undefined && expectRepository !== undefined) throw usageError('--expect-repository is for one package; with --lockfile, pin repositories per package in --policy', USAGE);
  if (lockfilePath === undefined && policy === undefined && defaultIssuer === undefined) throw usageError('give --certificate-oidc-issuer (or --instance URL, whose issuer is expected)', USAGE);
  const rootPath = str(parsed, 'trusted-root');
  const instance = instanceUrl(parsed, env);
  if (rootPath === undefined && instance === undefined) throw usageError('give --instance URL or --trusted-root FILE', USAGE);

  // The verifier once per run; the expected identity per package.
  let verifier: ReturnType<typeof createVerifier> | undefined;
  const loadVerifier = async () => {
    const signing = await loadSigningInstance({ values: { ...(rootPath !== undefined ? { 'trusted-root': rootPath } : {}), ...(instance !== undefined ? { instance } : {}) }, positionals: [] }, env);
    verifier = createVerifier({ trustedRoot: signing.trustedRoot, ...(witnessPolicy !== undefined ? { witnessPolicy } : {}) });
  };
  const verifySignature = (bundle: unknown, expected: { issuer: string; repository?: string }): string => {
    const result = verifier!.verify(parseBundle(bundle), {
      identity: { kind: 'certificate', identities: [{
        subjectAlternativeName: { kind: 'regexp', pattern: '.*' },
        issuer: { kind: 'exact', value: expected.issuer },
        ...(expected.repository !== undefined ? { extensions: { sourceRepositoryURI: expected.repository } } : {}),
      }] },
    });
    return `signed by ${result.signer?.subjectAlternativeNames[0] ?? '?'} (issuer ${result.signer?.issuer ?? '?'}), logged at index ${result.tlogEntries[0]?.logIndex ?? '?'}`;
  };
  const expectationFor = (name: string, requireByDefault: boolean): PackageExpectation => {
    const rule = policy !== undefined ? policyFor(policy, name)?.rule : undefined;
    // For one package, the flags win over the policy file.
    const repository = (lockfilePath === undefined ? expectRepository?.replace(/\/+$/, '') : undefined) ?? rule?.repository;
    const issuer = (lockfilePath === undefined ? str(parsed, 'certificate-oidc-issuer') : undefined) ?? rule?.issuer ?? defaultIssuer;
    return { ...(repository !== undefined ? { repository } : {}), ...(issuer !== undefined ? { issuer } : {}), provenanceRequired: provenanceRequired(rule, requireByDefault) };
  };

  if (lockfilePath === undefined) {
    const [, name, version] = m as unknown as [string, string, string];
    await loadVerifier();
    // One named package: provenance is what was asked for, so its absence fails unless the policy says optional.
    const a = await auditNpmPackage({ registry, name, version, fetch: withRetries(defaultFetch(env), { env }), verifySignature, ...expectationFor(name, true) });
    if (flag(parsed, 'json')) io.out(JSON.stringify({ package: `${name}@${version}`, verified: a.result === 'verified', result: a.result, checks: a.checks }, null, 2));
    else io.out(a.checks.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check.padEnd(12)} ${r.detail}`).join('\n'));
    return a.result === 'failed' ? 1 : 0;
  }

  const lock = parseLockfile(readJson(lockfilePath, 'lockfile'));
  await loadVerifier();
  const audits = await pool(lock.dependencies, 8, (d) => auditNpmPackage({
    registry, name: d.name, version: d.version, fetch: withRetries(defaultFetch(env), { env }), verifySignature,
    ...expectationFor(d.name, flag(parsed, 'require-provenance')), ...(d.integrity !== undefined ? { lockfileIntegrity: d.integrity } : {}),
  }));
  const failed = audits.filter((a) => a.result === 'failed').length;
  const missing = audits.filter((a) => a.result === 'no provenance').length;
  if (flag(parsed, 'json')) {
    io.out(JSON.stringify({
      lockfile: lockfilePath, verified: failed === 0,
      summary: { packages: audits.length, verified: audits.length - failed - missing, noProvenance: missing, failed },
      packages: audits.map((a) => ({ package: a.name, version: a.version, result: a.result, checks: a.checks })),
      skipped: lock.skipped,
    }, null, 2));
  } else {
    const rows = audits.map((a) => {
      const bad = a.checks.find((c) => !c.ok);
      const result = a.result === 'failed' ? `FAIL ${bad?.check ?? ''}: ${bad?.detail ?? ''}` : a.result === 'no provenance' ? 'no provenance' : 'verified';
      return [a.name, a.version, a.checks.map((c) => (c.ok ? c.check : `!${c.check}`)).join(','), result];
    });
    io.out(table([['PACKAGE', 'VERSION', 'CHECKS', 'RESULT'], ...rows]));
    for (const s of lock.skipped) io.err(`Skipped ${s.path}: ${s.reason}`);
    io.err(`${audits.length} packages: ${audits.length - failed - missing} verified, ${missing} without provenance${missing > 0 && !flag(parsed, 'require-provenance') ? ' (allowed; --require-provenance to fail)' : ''}, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}

export async function npmCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'publish-provenance') return publishProvenance(rest, io, env);
  if (sub === 'audit') return audit(rest, io, env);
  if (sub === undefined) throw usageError('give an npm command: publish-provenance or audit', USAGE);
  const guess = closest(sub, ['publish-provenance', 'audit']);
  throw usageError(`unknown npm command ${JSON.stringify(sub)}${guess !== undefined ? ` (did you mean ${guess}?)` : ''}`, USAGE);
}
