// keyless's own signing commands end to end: `keyless serve --dev-oidc-issuer` as a real process, a token from
// `keyless dev-token`, then `keyless sign-blob`, `attest-blob` and `sign-bundle` as child processes. Every bundle
// is checked by `keyless verify-blob`/`verify-bundle` and by @sigstore/verify with the instance's trusted root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

interface Run { status: number | null; stdout: string; stderr: string }

/** The environment of a CI job that has not set any of the signer's variables. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYLESS_DEBUG: '' };
  for (const name of ['SIGSTORE_ID_TOKEN', 'COSIGN_YES', 'KEYLESS_YES', 'KEYLESS_INSTANCE']) delete env[name];
  return { ...env, ...extra };
}

function keyless(args: string[], env: Record<string, string> = {}): Run {
  // stdin is a pipe, never a terminal: as in CI.
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', env: cleanEnv(env), input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keyless sign-blob, attest-blob and sign-bundle against keyless serve', () => {
  let served: Served;
  let token: string;
  let identity: string;
  let dir: string;
  let artifact: string;
  let predicate: string;
  let v1Config: string;
  const root = () => join(served.dataDir, 'trusted_root.json');

  before(async () => {
    served = await startServe(['--dev-oidc-issuer']);
    dir = served.dataDir;
    const minted = keyless(['dev-token', '--data-dir', dir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main']);
    assert.equal(minted.status, 0, minted.stderr);
    token = minted.stdout.trim();
    identity = `https://${new URL(served.url).host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`;
    artifact = join(dir, 'artifact.txt');
    writeFileSync(artifact, `built by my-group/my-project at ${new Date().toISOString()}\n`);
    predicate = join(dir, 'predicate.json');
    writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: {} }, runDetails: { builder: { id: 'https://gitlab.com/runner' } } }));
    // The instance's own signing config with only its Rekor v1 log listed.
    const config = JSON.parse(readFileSync(join(dir, 'signing_config.json'), 'utf8'));
    config.rekorTlogUrls = config.rekorTlogUrls.filter((s: { majorApiVersion: number }) => s.majorApiVersion === 1);
    assert.equal(config.rekorTlogUrls.length, 1);
    v1Config = join(dir, 'signing_config.v1.json');
    writeFileSync(v1Config, JSON.stringify(config));
  });
  after(async () => {
    assert.equal(await served.stop(), 0);
  });

  const verifyKeyless = (bundle: string, file = artifact) => {
    const r = keyless(['verify-blob', file, '--bundle', bundle, '--trusted-root', root(), '--certificate-identity', identity, '--certificate-oidc-issuer', served.url]);
    assert.equal(r.status, 0, r.stderr);
    const wrong = keyless(['verify-blob', file, '--bundle', bundle, '--trusted-root', root(), '--certificate-identity', identity.replace('main', 'dev'), '--certificate-oidc-issuer', served.url]);
    assert.equal(wrong.status, 1, 'another identity is refused');
    // The same, trusting the root the instance serves (--instance), as a job in the signing pipeline would.
    const viaInstance = keyless(['verify-blob', file, '--bundle', bundle, '--instance', served.url, '--certificate-identity', identity, '--certificate-oidc-issuer', served.url]);
    assert.equal(viaInstance.status, 0, viaInstance.stderr);
    // The --gitlab-* flags build the local instance's identity as Fulcio does (https:// SAN, issuer as given).
    const viaGitlabFlags = keyless(['verify-blob', file, '--bundle', bundle, '--trusted-root', root(), '--gitlab-project', 'my-group/my-project', '--gitlab-ref', 'main', '--gitlab-server', served.url]);
    assert.equal(viaGitlabFlags.status, 0, viaGitlabFlags.stderr);
  };
  const verifySigstoreJs = (bundle: string, data?: Buffer) => {
    const trust = toTrustMaterial(TrustedRoot.fromJSON(served.trustedRoot()));
    const json = JSON.parse(readFileSync(bundle, 'utf8'));
    const signer = new Verifier(trust).verify(toSignedEntity(bundleFromJSON(json), data), { subjectAlternativeName: identity, extensions: { issuer: served.url } });
    assert.equal(signer.identity?.subjectAlternativeName, identity);
    return json;
  };
  const entryOf = (json: { verificationMaterial: { tlogEntries: { kindVersion: { kind: string; version: string } }[]; timestampVerificationData?: { rfc3161Timestamps: unknown[] } } }) => ({
    kindVersion: json.verificationMaterial.tlogEntries[0]?.kindVersion,
    timestamps: json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length ?? 0,
  });

  it('sign-blob --instance URL --yes: Rekor v2 with a TSA timestamp, as the instance\'s signing config says; cosign\'s messages', () => {
    const bundle = join(dir, 'v2.sigstore.json');
    const sig = join(dir, 'v2.sig');
    const cert = join(dir, 'v2.pem');
    const r = keyless(['sign-blob', artifact, '--bundle', bundle, '--identity-token', token, '--instance', served.url, '--yes', '--output-signature', sig, '--output-certificate', cert]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Certificate identity: ${identity.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    const index = /tlog entry created with index: (\d+)/.exec(r.stderr)?.[1];
    assert.ok(index !== undefined, r.stderr);
    // The instance's explorer shows v2 entries with ?log=v2; the log itself is named too.
    assert.ok(r.stderr.includes(`in the Rekor v2 log ${served.url}/rekor-v2`), r.stderr);
    assert.ok(r.stderr.includes(`${served.url}/?log=v2&logIndex=${index}`), r.stderr);
    assert.ok(r.stderr.includes(`Wrote bundle to file ${bundle}`));
    const json = verifySigstoreJs(bundle, readFileSync(artifact));
    verifyKeyless(bundle);
    assert.deepEqual(entryOf(json), { kindVersion: { kind: 'hashedrekord', version: '0.0.2' }, timestamps: 1 });
    assert.equal(json.messageSignature.signature, readFileSync(sig, 'utf8').trim());
    assert.match(readFileSync(cert, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
  });

  it('attest-blob --instance URL --yes: an in-toto statement about the file, verified by both verifiers', () => {
    const bundle = join(dir, 'v2.intoto.sigstore.json');
    const r = keyless(['attest-blob', artifact, '--predicate', predicate, '--type', 'slsaprovenance1', '--bundle', bundle, '--identity-token', token, '--instance', served.url, '-y']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /tlog entry created with index: \d+/);
    const json = verifySigstoreJs(bundle);
    verifyKeyless(bundle);
    assert.deepEqual(entryOf(json), { kindVersion: { kind: 'dsse', version: '0.0.2' }, timestamps: 1 });
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1');
    assert.deepEqual(statement.subject, [{ name: 'artifact.txt', digest: { sha256: createHash('sha256').update(readFileSync(artifact)).digest('hex') } }]);
  });

  it('COSIGN_YES=true and SIGSTORE_ID_TOKEN from the environment, as in a GitLab job', () => {
    const bundle = join(dir, 'env.sigstore.json');
    const r = keyless(['sign-blob', artifact, '--instance', served.url, '--bundle', bundle], { COSIGN_YES: 'true', SIGSTORE_ID_TOKEN: token });
    assert.equal(r.status, 0, r.stderr);
    verifySigstoreJs(bundle, readFileSync(artifact));
    verifyKeyless(bundle);
  });

  it('a signing config that lists only the Rekor v1 log: hashedrekord and dsse 0.0.1 entries with a SET', () => {
    const signed = join(dir, 'v1.sigstore.json');
    const s = keyless(['sign-blob', artifact, '--bundle', signed, '--identity-token', token, '--signing-config', v1Config, '--trusted-root', root(), '--yes']);
    assert.equal(s.status, 0, s.stderr);
    // A v1 entry gets the explorer link (the log's own origin, from a signing config file).
    const index = /tlog entry created with index: (\d+)/.exec(s.stderr)?.[1];
    assert.ok(s.stderr.includes(`${served.url}/?logIndex=${index}`), s.stderr);
    const attested = join(dir, 'v1.intoto.sigstore.json');
    const a = keyless(['attest-blob', artifact, '--predicate', predicate, '--type', 'https://example.com/predicate/v1', '--bundle', attested, '--identity-token', token, '--signing-config', v1Config, '--trusted-root', root(), '--yes']);
    assert.equal(a.status, 0, a.stderr);
    const sj = verifySigstoreJs(signed, readFileSync(artifact));
    const aj = verifySigstoreJs(attested);
    verifyKeyless(signed);
    verifyKeyless(attested);
    assert.deepEqual(sj.verificationMaterial.tlogEntries[0].kindVersion, { kind: 'hashedrekord', version: '0.0.1' });
    assert.deepEqual(aj.verificationMaterial.tlogEntries[0].kindVersion, { kind: 'dsse', version: '0.0.1' });
    assert.ok(sj.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp);
  });

  it('no token: exit 2 with how to get one in GitLab CI and locally', () => {
    const bundle = join(dir, 'none.sigstore.json');
    const r = keyless(['sign-blob', artifact, '--bundle', bundle, '--instance', served.url, '--yes']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^Error: no identity token: .*id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore.*keyless dev-token.*\[ERR_TOKEN\]\n$/);
    assert.equal(existsSync(bundle), false);
    const wrongAudience = keyless(['dev-token', '--data-dir', dir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main', '--aud', 'gitlab']);
    const a = keyless(['attest-blob', artifact, '--predicate', predicate, '--bundle', bundle, '--identity-token', wrongAudience.stdout.trim(), '--instance', served.url, '--yes']);
    assert.equal(a.status, 2, a.stderr);
    assert.match(a.stderr, /audience "gitlab", not "sigstore".*id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore.*\[ERR_TOKEN\]/);
  });

  it('without --yes on a non-terminal: refused before anything is uploaded, no bundle', () => {
    const bundle = join(dir, 'refused.sigstore.json');
    const r = keyless(['sign-blob', artifact, '--bundle', bundle, '--identity-token', token, '--instance', served.url]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /stdin is not a terminal .*pass --yes \(or set COSIGN_YES=true\).*\[ERR_USAGE\]/);
    assert.equal(existsSync(bundle), false);
    const no = keyless(['attest-blob', artifact, '--predicate', predicate, '--bundle', bundle, '--instance', served.url], { SIGSTORE_ID_TOKEN: token, COSIGN_YES: 'false' });
    assert.equal(no.status, 2, no.stderr);
    assert.equal(existsSync(bundle), false);
  });

  it('sign-bundle (the conformance protocol): an artifact, and with --in-toto a statement', () => {
    const config = join(dir, 'signing_config.json');
    const bundle = join(dir, 'conformance.sigstore.json');
    const r = keyless(['sign-bundle', '--identity-token', token, '--bundle', bundle, '--trusted-root', root(), '--signing-config', config, artifact]);
    assert.equal(r.status, 0, r.stderr);
    verifySigstoreJs(bundle, readFileSync(artifact));
    const v = keyless(['verify-bundle', '--bundle', bundle, '--certificate-identity', identity, '--certificate-oidc-issuer', served.url, '--trusted-root', root(), artifact]);
    assert.equal(v.status, 0, v.stderr);

    const statement = join(dir, 'statement.json');
    const digest = createHash('sha256').update(readFileSync(artifact)).digest('hex');
    const text = JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'artifact.txt', digest: { sha256: digest } }], predicateType: 'https://example.com/p/v1', predicate: { a: 1 } });
    writeFileSync(statement, text);
    const dsse = join(dir, 'conformance.intoto.sigstore.json');
    const d = keyless(['sign-bundle', '--in-toto', '--identity-token', token, '--bundle', dsse, '--trusted-root', root(), '--signing-config', v1Config, statement]);
    assert.equal(d.status, 0, d.stderr);
    const json = verifySigstoreJs(dsse);
    assert.equal(json.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(Buffer.from(json.dsseEnvelope.payload, 'base64').toString(), text, 'the statement is signed byte for byte');
    const vd = keyless(['verify-bundle', '--bundle', dsse, '--certificate-identity', identity, '--certificate-oidc-issuer', served.url, '--trusted-root', root(), `sha256:${digest}`]);
    assert.equal(vd.status, 0, vd.stderr);
  });
});
