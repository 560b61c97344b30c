// Token sources and the signer's own checks on its token: every refusal is ERR_TOKEN and says how to get a token
// in GitLab CI and locally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeylessError } from '../../../src/core/errors.js';
import { readIdentityToken } from '../../../src/sign/identity-token.js';
import { envTokenSource, staticTokenSource, tokenSourceFromFlag } from '../../../src/sign/token-source.js';

const NOW = Date.parse('2026-03-04T05:06:07Z');
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.${b64url('signature')}`;
const good = { iss: 'https://gitlab.com', sub: 'project_path:my-group/my-project:ref_type:branch:ref:main', aud: 'sigstore', exp: NOW / 1000 + 300 };

async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KeylessError, String(err));
    assert.equal(err.code, 'ERR_TOKEN');
    assert.match(err.message, message);
    // The hint: how to get a token in GitLab CI and on a laptop.
    assert.match(err.message, /id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore/);
    assert.match(err.message, /keyless dev-token/);
    return true;
  });
}

test('a good token gives its subject and issuer', async () => {
  const t = await readIdentityToken(staticTokenSource(jwt(good)), NOW);
  assert.equal(t.subject, good.sub);
  assert.equal(t.issuer, 'https://gitlab.com');
  assert.equal(t.expiresAt, NOW + 300_000);
});

test('an audience list that includes sigstore is accepted; email is the subject when the token has one', async () => {
  const t = await readIdentityToken(staticTokenSource(jwt({ ...good, aud: ['other', 'sigstore'], email: 'dev@example.com' })), NOW);
  assert.equal(t.subject, 'dev@example.com');
});

test('no token at all: not in the environment, or an empty flag', async () => {
  await refused(readIdentityToken(envTokenSource({}), NOW), /no identity token/);
  await refused(readIdentityToken(envTokenSource({ SIGSTORE_ID_TOKEN: '  ' }), NOW), /no identity token/);
  await refused(readIdentityToken(tokenSourceFromFlag('', {}), NOW), /no identity token/);
  await refused(readIdentityToken(tokenSourceFromFlag(undefined, {}), NOW), /pass --identity-token or set SIGSTORE_ID_TOKEN/);
});

test('the flag wins over the environment, and SIGSTORE_ID_TOKEN is read without it', async () => {
  const fromEnv = await readIdentityToken(tokenSourceFromFlag(undefined, { SIGSTORE_ID_TOKEN: jwt({ ...good, sub: 'env' }) }), NOW);
  assert.equal(fromEnv.subject, 'env');
  const fromFlag = await readIdentityToken(tokenSourceFromFlag(jwt({ ...good, sub: 'flag' }), { SIGSTORE_ID_TOKEN: jwt({ ...good, sub: 'env' }) }), NOW);
  assert.equal(fromFlag.subject, 'flag');
});

test('a token for another audience', async () => {
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, aud: 'https://gitlab.com' })), NOW), /audience "https:\/\/gitlab\.com", not "sigstore"/);
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, aud: undefined })), NOW), /audience \(none\)/);
});

test('an expired token, on a frozen clock', async () => {
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, exp: NOW / 1000 - 1 })), NOW), /expired at 2026-03-04T05:06:06\.000Z/);
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, exp: NOW / 1000 })), NOW), /expired/);
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, exp: 'tomorrow' })), NOW), /exp claim is not a number/);
  // One second earlier the same token is fine.
  await readIdentityToken(staticTokenSource(jwt({ ...good, exp: NOW / 1000 })), NOW - 1000);
});

test('garbage instead of a JWT', async () => {
  await refused(readIdentityToken(staticTokenSource('not a token'), NOW), /not a JWT/);
  await refused(readIdentityToken(staticTokenSource('a.b'), NOW), /not a JWT/);
  await refused(readIdentityToken(staticTokenSource(`${b64url('{}')}.${b64url('not json')}.x`), NOW), /payload is not JSON/);
  await refused(readIdentityToken(staticTokenSource(`${b64url('{}')}.${b64url([1, 2])}.x`), NOW), /not a JSON object/);
  await refused(readIdentityToken(staticTokenSource(jwt({ ...good, sub: undefined })), NOW), /neither a sub nor an email/);
});

test('--identity-token may name a file holding the token (as cosign accepts)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${jwt({ ...good, sub: 'from-file' })}\n`);
  assert.equal((await readIdentityToken(tokenSourceFromFlag(file, {}), NOW)).subject, 'from-file');
  writeFileSync(file, '');
  await refused(readIdentityToken(tokenSourceFromFlag(file, {}), NOW), /token file .* is empty/);
});

test('--identity-token naming a missing file says the file is missing, not that it is not a JWT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-token-'));
  for (const path of [join(dir, 'no-such-token'), './token.txt', 'token']) {
    await assert.rejects(readIdentityToken(tokenSourceFromFlag(path, {}), NOW), (err: unknown) => {
      assert.ok(err instanceof KeylessError, String(err));
      assert.equal(err.code, 'ERR_TOKEN');
      assert.match(err.message, new RegExp(`cannot read the identity token file ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no such file`));
      assert.doesNotMatch(err.message, /not a JWT/);
      return true;
    });
  }
  // A token given as such still reaches the JWT checks (and a broken one is not echoed as a file name).
  assert.equal((await readIdentityToken(tokenSourceFromFlag(jwt(good), {}), NOW)).subject, good.sub);
  await refused(readIdentityToken(tokenSourceFromFlag('eyJhbGciOi', {}), NOW), /not a JWT/);
});

test('--identity-token naming an unreadable path (a directory) is ERR_TOKEN naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-token-'));
  await assert.rejects(readIdentityToken(tokenSourceFromFlag(dir, {}), NOW), (err: unknown) => {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_TOKEN', String(err));
    assert.match(err.message, /cannot read the identity token file/);
    return true;
  });
});
