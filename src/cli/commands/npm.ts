/**
 * `keyless npm publish-provenance TARBALL --registry URL`: what `npm publish --provenance` does in a GitLab job,
 * with the CI_* variables checked against the ID token first. `keyless npm audit PKG@VERSION --registry URL`: fetch
 * a published version's tarball and provenance, and check that the provenance names that tarball, is signed by a
 * trusted certificate and, with --expect-repository, comes from that repository.
 */
import { KeylessError } from '../../core/errors.js';
import { base64Decode, utf8Decode } from '../../core/encoding.js';
import { parseBundle } from '../../bundle/index.js';
import {
  assertEnvMatchesToken, checkProvenanceStatement, escapedName, gitlabProvenance, IN_TOTO_PAYLOAD_TYPE, npmIntegrity, npmPublishDocument,
  npmSubject, provenanceFrom, readTarballManifest, serializeStatement, type ProvenanceFormat, type Statement,
} from '../../provenance/index.js';
import { decodeTokenClaims, readIdentityToken, signDsse, staticTokenSource, tokenSourceFromFlag } from '../../sign/index.js';
import { createVerifier } from '../../verify/verifier.js';
import { flag, parse, str, usageError } from '../args.js';
import { readFileOrFail, type Output } from '../io.js';
import { consentGate, instanceUrl, loadSigningInstance, reportSignature, SIGNING_OPTIONS, SIGNING_USAGE, writeFileAtomic, yesFlag } from './instance.js';

export const USAGE = `Usage: keyless npm publish-provenance TARBALL --registry URL [--format slsa02|slsa1] [signing options]
       keyless npm audit PKG@VERSION --registry URL (--instance URL | --trusted-root FILE) [--certificate-oidc-issuer URL] [--expect-repository URL] [--json]

publish-provenance: builds the provenance statement for TARBALL from this GitLab job's CI_* variables (npm's shape),
refuses if CI_PROJECT_PATH, CI_COMMIT_SHA, CI_COMMIT_REF_NAME, CI_PIPELINE_SOURCE, CI_JOB_ID or CI_PIPELINE_ID
disagree with the ID token, signs it keylessly, and publishes the tarball with the bundle as npm does
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
  --json                    print the result as JSON`;

type Env = Readonly<Record<string, string | undefined>>;

async function http(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (cause) {
    throw new KeylessError('ERR_SERVICE', `npm registry ${url} is unreachable: ${(cause as Error).message}`, { url }, { cause });
  }
}

async function json(url: string): Promise<unknown> {
  const r = await http(url, { headers: { accept: 'application/json' } });
  if (r.status === 404) throw new KeylessError('ERR_NOT_FOUND', `npm registry: ${url} not found (404)`, { url });
  if (!r.ok) throw new KeylessError('ERR_SERVICE', `npm registry: GET ${url} answered ${r.status}`, { url, status: r.status });
  try {
    return await r.json();
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `npm registry: ${url} is not JSON`, { url }, { cause });
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

  const token = await readIdentityToken(tokenSourceFromFlag(str(parsed, 'identity-token'), env), Date.now());
  assertEnvMatchesToken(env, decodeTokenClaims(token.token));
  const instance = await loadSigningInstance(parsed, env);
  const result = await signDsse({
    payload: serializeStatement(statement),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    tokenSource: staticTokenSource(token.token),
    signingConfig: instance.signingConfig,
    trustedRoot: instance.trustedRoot,
    confirmUpload: consentGate(yesFlag(parsed), env, io),
  });
  reportSignature(result, instance, io);
  const bundleJson = JSON.stringify(result.bundle);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath !== undefined) writeFileAtomic(bundlePath, `${bundleJson}\n`);

  const authToken = str(parsed, 'registry-token') ?? env['NPM_TOKEN'];
  const put = async (placement: 'attachment' | 'manifest') => {
    const doc = npmPublishDocument({ manifest, tarball, registry, bundleJson, predicateType: statement.predicateType, placement, ...(str(parsed, 'tag') !== undefined ? { tag: str(parsed, 'tag')! } : {}) });
    return http(`${registry}/${escapedName(manifest.name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(authToken ? { authorization: `Bearer ${authToken}` } : {}) },
      body: JSON.stringify(doc),
    });
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

interface AuditRow { readonly check: string; readonly ok: boolean; readonly detail: string }

async function audit(argv: string[], io: Output, env: Env): Promise<number> {
  const parsed = parse(argv, {
    registry: { type: 'string' }, instance: { type: 'string' }, 'trusted-root': { type: 'string' }, 'certificate-oidc-issuer': { type: 'string' },
    'expect-repository': { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  const [spec, ...extra] = parsed.positionals;
  const m = spec === undefined ? null : /^(@?[^@]+)@([^@]+)$/.exec(spec);
  if (m === null || extra.length > 0) throw usageError('give exactly one PKG@VERSION', USAGE);
  const [, name, version] = m as unknown as [string, string, string];
  const registry = registryBase(str(parsed, 'registry'), USAGE);
  const issuer = str(parsed, 'certificate-oidc-issuer') ?? instanceUrl(parsed, env);
  if (issuer === undefined) throw usageError('give --certificate-oidc-issuer (or --instance URL, whose issuer is expected)', USAGE);
  const expectRepository = str(parsed, 'expect-repository');
  const rows: AuditRow[] = [];
  const step = async (check: string, fn: () => Promise<string> | string): Promise<void> => {
    try {
      rows.push({ check, ok: true, detail: await fn() });
    } catch (err) {
      rows.push({ check, ok: false, detail: err instanceof KeylessError ? `${err.message} [${err.code}]` : String(err) });
      throw err;
    }
  };
  const finish = (): number => {
    const ok = rows.every((r) => r.ok);
    if (flag(parsed, 'json')) io.out(JSON.stringify({ package: `${name}@${version}`, verified: ok, checks: rows }, null, 2));
    else io.out(rows.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check.padEnd(12)} ${r.detail}`).join('\n'));
    return ok ? 0 : 1;
  };
  try {
    let versionManifest: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    let tarball = new Uint8Array();
    let statement: Statement | undefined;
    let bundleJson: unknown;
    await step('packument', async () => {
      const packument = (await json(`${registry}/${escapedName(name)}`)) as { versions?: Record<string, unknown> };
      const v = packument.versions?.[version];
      if (typeof v !== 'object' || v === null) throw new KeylessError('ERR_NOT_FOUND', `${name} has no version ${version} on ${registry}`);
      versionManifest = v as Record<string, unknown>;
      return `${name}@${version}`;
    });
    await step('tarball', async () => {
      const url = versionManifest['dist']?.tarball;
      if (typeof url !== 'string') throw new KeylessError('ERR_JSON', 'the version has no dist.tarball');
      const r = await http(url);
      if (!r.ok) throw new KeylessError('ERR_SERVICE', `GET ${url} answered ${r.status}`);
      tarball = new Uint8Array(await r.arrayBuffer());
      const integrity = npmIntegrity(tarball);
      if (versionManifest['dist']?.integrity !== integrity) throw new KeylessError('ERR_SUBJECT', `the tarball's ${integrity} is not dist.integrity ${versionManifest['dist']?.integrity}`);
      return `${tarball.length} bytes, ${integrity.slice(0, 30)}…`;
    });
    await step('provenance', async () => {
      const url = versionManifest['dist']?.attestations?.url;
      const item = provenanceFrom(typeof url === 'string' ? await json(url) : versionManifest);
      if (item === undefined) throw new KeylessError('ERR_NOT_FOUND', `${name}@${version} has no provenance on ${registry}`);
      bundleJson = item.bundle;
      const env = (item.bundle as { dsseEnvelope?: { payload?: unknown; payloadType?: unknown } }).dsseEnvelope;
      if (env?.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== 'string') throw new KeylessError('ERR_BUNDLE_INVALID', 'the provenance bundle has no in-toto DSSE envelope');
      try {
        statement = JSON.parse(utf8Decode(base64Decode(env.payload))) as Statement;
      } catch (cause) {
        throw new KeylessError('ERR_JSON', 'the provenance statement is not JSON', {}, { cause });
      }
      return `${statement.predicateType} from ${typeof url === 'string' ? url : 'the version manifest (_keylessProvenance)'}`;
    });
    await step('subject', () => {
      checkProvenanceStatement({ statement: statement!, name, version, tarball, ...(expectRepository !== undefined ? { expectRepository } : {}) });
      return `${statement!.subject[0]?.name} sha512 matches the tarball${expectRepository !== undefined ? `; built from ${expectRepository}` : ''}`;
    });
    await step('signature', async () => {
      const rootPath = str(parsed, 'trusted-root');
      const instance = instanceUrl(parsed, env);
      if (rootPath === undefined && instance === undefined) throw usageError('give --instance URL or --trusted-root FILE', USAGE);
      const signing = await loadSigningInstance({ values: { ...(rootPath !== undefined ? { 'trusted-root': rootPath } : {}), ...(instance !== undefined ? { instance } : {}) }, positionals: [] }, env);
      const result = createVerifier({ trustedRoot: signing.trustedRoot }).verify(parseBundle(bundleJson), {
        identity: { kind: 'certificate', identities: [{
          subjectAlternativeName: { kind: 'regexp', pattern: '.*' },
          issuer: { kind: 'exact', value: issuer },
          ...(expectRepository !== undefined ? { extensions: { sourceRepositoryURI: expectRepository.replace(/\/+$/, '') } } : {}),
        }] },
      });
      return `signed by ${result.signer?.subjectAlternativeNames[0] ?? '?'} (issuer ${result.signer?.issuer ?? '?'}), logged at index ${result.tlogEntries[0]?.logIndex ?? '?'}`;
    });
  } catch (err) {
    if (!(err instanceof KeylessError) || err.code === 'ERR_USAGE') throw err;
  }
  return finish();
}

export async function npmCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'publish-provenance') return publishProvenance(rest, io, env);
  if (sub === 'audit') return audit(rest, io, env);
  throw usageError(`unknown npm command ${JSON.stringify(sub ?? '')}`, USAGE);
}
