import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { KeylessError } from '../../../src/core/errors.js';
import { DEFAULT_DEV_ISSUER_URL, devToken } from '../../../src/cli/commands/dev-token.js';
import { main } from '../../../src/cli/main.js';
import { createDevIssuer, createTokenVerifier, DEV_ISSUER_KEY_PATH, generateDevIssuerKey } from '../../../src/oidc/index.js';

const { privateKeyPem } = await generateDevIssuerKey();
const dataDir = mkdtempSync(join(tmpdir(), 'keyless-dev-token-'));
mkdirSync(join(dataDir, 'oidc'), { recursive: true });
writeFileSync(join(dataDir, DEV_ISSUER_KEY_PATH), privateKeyPem, { mode: 0o600 });
const emptyDir = mkdtempSync(join(tmpdir(), 'keyless-no-key-'));
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

test('prints a token that the CA verifies, and warns on stderr that it is for development', async () => {
  const { io, out, err } = capture();
  const code = await devToken(['--project', 'my-group/my-project', '--ref', 'main', '--data-dir', dataDir, '--issuer', 'http://localhost:9999', '--pipeline-source', 'web', '--lifetime', '300'], io, {});
  assert.equal(code, 0);
  assert.equal(out.length, 1);
  assert.equal(err.length, 1);
  assert.match(err[0]!, /^Warning: development token from the keyless dev issuer http:\/\/localhost:9999; .*no production CA should/);
  const token = out[0]!;
  const claims = decodeJwt(token);
  assert.equal(claims.pipeline_source, 'web');
  assert.equal(claims.exp! - claims.iat!, 300);

  const issuer = createDevIssuer({ issuer: 'http://localhost:9999', privateKeyPem });
  const fetchImpl = (async (u: string | URL | Request) =>
    String(u).endsWith('/.well-known/openid-configuration') ? Response.json(issuer.discovery()) : Response.json(issuer.jwks())) as typeof fetch;
  const verified = await createTokenVerifier({ issuers: [{ issuerUrl: issuer.issuer, clientId: 'sigstore', type: 'gitlab-pipeline' }], fetch: fetchImpl }).verify(token);
  assert.equal(verified.subject, 'project_path:my-group/my-project:ref_type:branch:ref:main');
});

test('values missing from the flags come from CI_* variables; the key from KEYLESS_DATA_DIR', async () => {
  const { io, out } = capture();
  await devToken([], io, {
    CI_PROJECT_PATH: 'grp/app', CI_COMMIT_TAG: 'v2.0.0', CI_COMMIT_REF_NAME: 'v2.0.0', CI_COMMIT_SHA: 'ab'.repeat(20), CI_JOB_ID: '77',
    KEYLESS_DATA_DIR: dataDir, KEYLESS_DEV_ISSUER_URL: 'https://gitlab.example',
  });
  const claims = decodeJwt(out[0]!);
  assert.equal(claims.sub, 'project_path:grp/app:ref_type:tag:ref:v2.0.0');
  assert.equal(claims.sha, 'ab'.repeat(20));
  assert.equal(claims.job_id, '77');
  assert.equal(claims.iss, 'https://gitlab.example');
  assert.equal(claims.ci_config_ref_uri, 'gitlab.example/grp/app//.gitlab-ci.yml@refs/tags/v2.0.0');
});

test('flags override CI_* variables, and a flag --ref is a branch even in a tag pipeline', async () => {
  const { io, out } = capture();
  await devToken(['--ref', 'main', '--aud', 'my-ca', '--key', join(dataDir, DEV_ISSUER_KEY_PATH)], io, { CI_PROJECT_PATH: 'grp/app', CI_COMMIT_TAG: 'v2.0.0', CI_COMMIT_REF_NAME: 'v2.0.0' });
  const claims = decodeJwt(out[0]!);
  assert.equal(claims.sub, 'project_path:grp/app:ref_type:branch:ref:main');
  assert.equal(claims.aud, 'my-ca');
  assert.equal(claims.iss, DEFAULT_DEV_ISSUER_URL);
});

test('usage errors say what is missing or wrong', async () => {
  const { io } = capture();
  const usage = (pattern: RegExp) => (err: unknown) => err instanceof KeylessError && err.code === 'ERR_USAGE' && pattern.test(err.message);
  await assert.rejects(devToken(['--data-dir', dataDir], io, {}), usage(/--project is required \(or CI_PROJECT_PATH\)\n--ref is required/));
  await assert.rejects(devToken(['--project', 'g/p', '--ref', 'main', '--lifetime', '0', '--job-id', 'x', '--data-dir', dataDir], io, {}), usage(/--job-id must be a positive integer, got "x"[\s\S]*--lifetime must be whole seconds/));
  await assert.rejects(devToken(['--project', 'g/p', '--ref', 'main', '--runner-environment', 'cloud', '--data-dir', dataDir], io, {}), usage(/runner environment must be gitlab-hosted or self-hosted, found "cloud"/));
  await assert.rejects(devToken(['--project', 'g/p', '--ref', 'main', '--data-dir', emptyDir], io, {}), usage(/no dev issuer key at .*oidc\/dev-issuer\.key: start keyless serve with the dev issuer enabled/));
});

test('keyless dev-token is dispatched by main', async () => {
  const { io, out, err } = capture();
  const code = await main(['dev-token', '--project', 'g/p', '--ref', 'main', '--key', join(dataDir, DEV_ISSUER_KEY_PATH)], io);
  assert.equal(code, 0, err.join('\n'));
  assert.equal(decodeJwt(out[0]!).project_path, 'g/p');
  const help = capture();
  assert.equal(await main(['dev-token', '--help'], help.io), 0);
  assert.match(help.out[0]!, /^Usage: keyless dev-token --project GROUP\/PROJECT --ref REF/);
});

test('without --issuer, the issuer is the one the instance in --data-dir published in its signing config', async () => {
  const withConfig = mkdtempSync(join(tmpdir(), 'keyless-dev-token-config-'));
  try {
    mkdirSync(join(withConfig, 'oidc'), { recursive: true });
    writeFileSync(join(withConfig, DEV_ISSUER_KEY_PATH), privateKeyPem, { mode: 0o600 });
    writeFileSync(join(withConfig, 'signing_config.json'), JSON.stringify({ oidcUrls: [{ url: 'http://127.0.0.1:4567' }] }));
    const { io, out } = capture();
    assert.equal(await devToken(['--project', 'g/p', '--ref', 'main', '--data-dir', withConfig], io, {}), 0);
    assert.equal(decodeJwt(out[0]!).iss, 'http://127.0.0.1:4567');
  } finally {
    rmSync(withConfig, { recursive: true, force: true });
  }
});
