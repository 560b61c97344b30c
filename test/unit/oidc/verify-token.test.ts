import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { KeylessError } from '../../../src/core/errors.js';
import { createTokenVerifier, type IssuerConfig } from '../../../src/oidc/index.js';
import { b64url, ecKey, fakeIssuers, gitlabPayload, ISSUER, KEY_A, KEY_B, NOW, NOW_MS, sign } from './fixtures.js';

const GITLAB: IssuerConfig = { issuerUrl: ISSUER, clientId: 'sigstore', type: 'gitlab-pipeline' };

function setup(opts: { issuers?: IssuerConfig[]; keys?: Record<string, unknown>[]; clock?: { ms: number } } = {}) {
  const clock = opts.clock ?? { ms: NOW_MS };
  const net = fakeIssuers({ [ISSUER]: opts.keys ?? [KEY_A.jwk], 'https://other.example': [KEY_B.jwk] });
  const verifier = createTokenVerifier({ issuers: opts.issuers ?? [GITLAB], fetch: net.fetch, now: () => clock.ms });
  return { verifier, net, clock, gitlab: net[ISSUER]! };
}

/** Asserts an ERR_TOKEN whose message matches; returns the error for further checks. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<KeylessError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof KeylessError, `expected a KeylessError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_TOKEN');
  assert.match(caught.message, pattern);
  return caught;
}

test('a GitLab token signed by the issuer is accepted; the subject is sub', async () => {
  const { verifier, gitlab } = setup();
  const result = await verifier.verify(await sign(gitlabPayload()));
  assert.equal(result.issuer, ISSUER);
  assert.equal(result.type, 'gitlab-pipeline');
  assert.equal(result.clientId, 'sigstore');
  assert.equal(result.subject, 'project_path:my-group/my-project:ref_type:branch:ref:main');
  assert.equal(result.claims.ci_config_ref_uri, 'gitlab.example/my-group/my-project//.gitlab-ci.yml@refs/heads/main');
  assert.ok(Object.isFrozen(result.claims));
  assert.deepEqual(gitlab.calls, [`${ISSUER}/.well-known/openid-configuration`, `${ISSUER}/jwks`]);
});

test('aud may be an array that contains the client id', async () => {
  const { verifier } = setup();
  assert.ok(await verifier.verify(await sign(gitlabPayload({ aud: ['other', 'sigstore'] }))));
});

// The malicious-token matrix: every row must be refused with ERR_TOKEN and a message that says what is wrong.

test('alg none is refused before any fetch', async () => {
  const { verifier, net } = setup();
  const token = `${b64url({ alg: 'none', kid: 'kid-a', typ: 'JWT' })}.${b64url(gitlabPayload())}.`;
  await refused(verifier.verify(token), /alg "none" is refused: an unsigned token is never accepted/);
  assert.equal(net.all.length, 0);
});

test('HS256 with the issuer\'s public key as the HMAC secret is refused (algorithm confusion)', async () => {
  const { verifier, net } = setup();
  const secret = new TextEncoder().encode(KEY_A.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const token = await new SignJWT(gitlabPayload()).setProtectedHeader({ alg: 'HS256', kid: 'kid-a' }).sign(secret);
  await refused(verifier.verify(token), /alg "HS256" is refused: a shared-secret MAC is never accepted/);
  assert.equal(net.all.length, 0);
});

test('an alg outside the allow-list is refused', async () => {
  const { verifier } = setup();
  const token = `${b64url({ alg: 'RS1', kid: 'kid-a' })}.${b64url(gitlabPayload())}.c2ln`;
  await refused(verifier.verify(token), /alg "RS1" is refused: expected one of RS256, /);
});

test('a wrong audience is refused, naming expected and found', async () => {
  const { verifier } = setup();
  const err = await refused(verifier.verify(await sign(gitlabPayload({ aud: 'https://vault.example.com' }))), /claim aud must contain "sigstore", found "https:\/\/vault.example.com"/);
  assert.equal(err.details.reason, 'aud');
});

test('an unconfigured issuer is refused and nothing is fetched (no SSRF through iss)', async () => {
  const { verifier, net } = setup();
  const token = await sign(gitlabPayload({ iss: 'http://169.254.169.254/latest' }));
  await refused(verifier.verify(token), /issuer "http:\/\/169.254.169.254\/latest" is not one this CA trusts \(configured: https:\/\/gitlab.example\)/);
  assert.equal(net.all.length, 0);
});

test('a wrong iss: a look-alike of a configured issuer is not configured', async () => {
  const { verifier, net } = setup();
  await refused(verifier.verify(await sign(gitlabPayload({ iss: `${ISSUER}/` }))), /issuer "https:\/\/gitlab.example\/" is not one this CA trusts/);
  await refused(verifier.verify(await sign(gitlabPayload({ iss: 'https://gitlab.example.evil.com' }))), /is not one this CA trusts/);
  assert.equal(net.all.length, 0);
});

test('a wrong iss: a token claiming a configured issuer but signed by another issuer\'s key is refused', async () => {
  const { verifier } = setup({ issuers: [GITLAB, { issuerUrl: 'https://other.example', clientId: 'sigstore', type: 'gitlab-pipeline' }] });
  await refused(verifier.verify(await sign(gitlabPayload(), KEY_B)), /no key with kid "kid-b" in the key set of issuer https:\/\/gitlab.example \(it has "kid-a"; refetched just now\)/);
});

test('a discovery document naming another issuer is refused (OIDC Discovery 4.3)', async () => {
  const { verifier, gitlab } = setup();
  gitlab.discoveryIssuer = 'https://attacker.example';
  await refused(verifier.verify(await sign(gitlabPayload())), /names issuer "https:\/\/attacker.example", expected "https:\/\/gitlab.example"/);
});

test('an expired token is refused with exp and now', async () => {
  const { verifier } = setup();
  await refused(verifier.verify(await sign(gitlabPayload({ exp: NOW - 61 }))), /token expired: exp is 2023-11-14T22:12:19.000Z \(1699999939\), now is 2023-11-14T22:13:20.000Z .* allowed clock skew 60 s/);
});

test('exp within the clock skew is accepted; a token without exp is refused', async () => {
  const { verifier } = setup();
  assert.ok(await verifier.verify(await sign(gitlabPayload({ exp: NOW - 59 }))));
  const { exp: _exp, ...noExp } = gitlabPayload();
  await refused(verifier.verify(await sign(noExp)), /missing claim exp/);
});

test('a token not yet valid (nbf) is refused', async () => {
  const { verifier } = setup();
  await refused(verifier.verify(await sign(gitlabPayload({ nbf: NOW + 120 }))), /token not valid yet: nbf is .*\(1700000120\), now is .* allowed clock skew 60 s/);
});

test('a token issued in the future (iat) is refused', async () => {
  const { verifier } = setup();
  await refused(verifier.verify(await sign(gitlabPayload({ iat: NOW + 600, exp: NOW + 900 }))), /token issued in the future: iat is .*\(1700000600\)/);
});

test('an unknown kid makes one JWKS refetch, then is refused; a second try within the cooldown does not refetch', async () => {
  const { verifier, gitlab, clock } = setup();
  const stranger = await sign(gitlabPayload(), KEY_B);
  await refused(verifier.verify(stranger), /no key with kid "kid-b" .*refetched just now/);
  assert.equal(gitlab.jwksCalls(), 2);
  clock.ms += 10_000;
  await refused(verifier.verify(stranger), /not refetched: the last refetch was too recent/);
  assert.equal(gitlab.jwksCalls(), 2);
});

test('key rotation: a token with a new kid is accepted once the JWKS publishes it', async () => {
  const { verifier, gitlab } = setup();
  assert.ok(await verifier.verify(await sign(gitlabPayload())));
  gitlab.keys = [KEY_A.jwk, KEY_B.jwk];
  const result = await verifier.verify(await sign(gitlabPayload(), KEY_B));
  assert.equal(result.subject, 'project_path:my-group/my-project:ref_type:branch:ref:main');
  assert.equal(gitlab.jwksCalls(), 2);
});

test('key rotation after a refused attempt: accepted once the cooldown has passed', async () => {
  const { verifier, gitlab, clock } = setup();
  const rotated = await sign(gitlabPayload({ exp: NOW + 3600 }), KEY_B);
  await refused(verifier.verify(rotated), /no key with kid "kid-b"/);
  gitlab.keys = [KEY_B.jwk];
  clock.ms += 61_000;
  assert.ok(await verifier.verify(rotated));
});

test('the key set is cached for its TTL and fetched again after it', async () => {
  const { verifier, gitlab, clock } = setup();
  const token = await sign(gitlabPayload({ exp: NOW + 3600 }));
  await verifier.verify(token);
  await verifier.verify(token);
  assert.equal(gitlab.jwksCalls(), 1);
  clock.ms += 601_000;
  await verifier.verify(token);
  assert.equal(gitlab.jwksCalls(), 2);
});

test('a tampered payload fails the signature check', async () => {
  const { verifier } = setup();
  const [h, , s] = (await sign(gitlabPayload())).split('.');
  const forged = `${h}.${b64url(gitlabPayload({ project_path: 'victim-group/victim' }))}.${s}`;
  const err = await refused(verifier.verify(forged), /the signature does not verify with key "kid-a" of issuer https:\/\/gitlab.example/);
  assert.ok(!err.message.includes(forged), 'the message must not echo the token');
});

test('a key of the wrong type for the alg is refused', async () => {
  const ec = ecKey('kid-a');
  const { verifier } = setup();
  await refused(verifier.verify(await sign(gitlabPayload(), ec)), /key "kid-a" of issuer https:\/\/gitlab.example cannot verify alg ES256/);
});

test('missing GitLab claims are all named at once', async () => {
  const { verifier } = setup();
  const { namespace_id: _n, sha: _s, project_visibility: _v, ...rest } = gitlabPayload();
  const err = await refused(verifier.verify(await sign(rest)), /missing claim namespace_id; missing claim sha; missing claim project_visibility/);
  assert.equal(err.details.reason, 'claims');
  assert.equal(err.details.missing, 3);
});

test('a GitLab id claim of the wrong type is refused with what was found', async () => {
  const { verifier } = setup();
  await refused(verifier.verify(await sign(gitlabPayload({ project_id: 20 }))), /claim project_id must be a non-empty string, found number 20/);
  await refused(verifier.verify(await sign(gitlabPayload({ ref_type: 'commit' }))), /claim ref_type must be "branch" or "tag", found "commit"/);
});

test('a null ci_config_ref_uri is refused with why the CA needs it and what to do', async () => {
  const { verifier } = setup();
  const err = await refused(
    verifier.verify(await sign(gitlabPayload({ ci_config_ref_uri: null, ci_config_sha: null }))),
    /missing claim ci_config_ref_uri \(it is null\)/,
  );
  assert.match(err.message, /needs ci_config_ref_uri for the certificate's identity \(SAN https:\/\/\{ci_config_ref_uri\}\)/);
  assert.match(err.message, /included from another project or URL, a child or downstream pipeline/);
  assert.match(err.message, /Sign in a job of a pipeline defined by the project's own \.gitlab-ci\.yml/);
  const { ci_config_ref_uri: _c, ...absent } = gitlabPayload();
  await refused(verifier.verify(await sign(absent)), /missing claim ci_config_ref_uri;.*GitLab leaves it/);
});

test('garbage with two dots is refused as not a JWT, without echoing it', async () => {
  const { verifier, net } = setup();
  const err = await refused(verifier.verify('abc.def.ghi'), /not a signed JWT: the header \(first part\) is not base64url-encoded JSON/);
  assert.ok(!err.message.includes('abc.def.ghi'));
  await refused(verifier.verify('..'), /not a signed JWT/);
  await refused(verifier.verify(`${b64url({ alg: 'RS256', kid: 'kid-a' })}.bm90IGpzb24.x`), /the payload \(second part\) is not a base64url-encoded JSON object/);
  await refused(verifier.verify('a.b.c.d.e'), /expected 3 dot-separated parts \(header.payload.signature\), found 5/);
  await refused(verifier.verify('x'.repeat(40_000)), /more than the 32768/);
  assert.equal(net.all.length, 0);
});

test('a token without kid is refused', async () => {
  const { verifier } = setup();
  const token = await new SignJWT(gitlabPayload()).setProtectedHeader({ alg: 'RS256' }).sign(KEY_A.privateKey);
  await refused(verifier.verify(token), /the token header has no kid/);
});

test('an unreachable issuer is ERR_ISSUER_UNAVAILABLE naming the URL; the failure is cached for its backoff, then retried', async () => {
  let up = false;
  let attempts = 0;
  const clock = { ms: NOW_MS };
  const net = fakeIssuers({ [ISSUER]: [KEY_A.jwk] });
  const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
    attempts++;
    if (!up) throw new Error('connect ECONNREFUSED');
    return net.fetch(input, init);
  }) as typeof fetch;
  const verifier = createTokenVerifier({ issuers: [GITLAB], fetch: flaky, now: () => clock.ms });
  const token = await sign(gitlabPayload());
  const unavailable = async (retryAfter: number): Promise<void> => {
    await assert.rejects(verifier.verify(token), (err) => {
      assert.ok(err instanceof KeylessError);
      assert.equal(err.code, 'ERR_ISSUER_UNAVAILABLE');
      assert.match(err.message, /cannot get the signing keys of issuer https:\/\/gitlab.example: cannot fetch its discovery document at https:\/\/gitlab.example\/.well-known\/openid-configuration: connect ECONNREFUSED/);
      assert.equal(err.details['retryAfterSeconds'], retryAfter);
      return true;
    });
  };
  await unavailable(5);
  assert.equal(attempts, 1);
  up = true;
  // Within the backoff the remembered failure answers, without a fetch.
  clock.ms += 2000;
  await unavailable(3);
  assert.equal(attempts, 1);
  // After it, the issuer is tried again.
  clock.ms += 3000;
  assert.ok(await verifier.verify(token));
  assert.ok(attempts > 1);
});

test('a failing issuer backs off longer each time it fails again', async () => {
  let attempts = 0;
  const clock = { ms: NOW_MS };
  const down = (async () => {
    attempts++;
    return new Response('down for maintenance', { status: 502 });
  }) as typeof fetch;
  const verifier = createTokenVerifier({ issuers: [GITLAB], fetch: down, now: () => clock.ms });
  const token = await sign(gitlabPayload());
  const retryAfter = async (): Promise<unknown> => {
    let seen: unknown;
    await assert.rejects(verifier.verify(token), (err) => {
      assert.ok(err instanceof KeylessError && err.code === 'ERR_ISSUER_UNAVAILABLE', String(err));
      assert.match(err.message, /answered HTTP 502/);
      seen = err.details['retryAfterSeconds'];
      return true;
    });
    return seen;
  };
  assert.equal(await retryAfter(), 5);
  clock.ms += 5000;
  assert.equal(await retryAfter(), 10);
  clock.ms += 10_000;
  assert.equal(await retryAfter(), 20);
  assert.equal(attempts, 3);
});

test('an issuer answer over the cap is abandoned while streaming, not buffered whole', async () => {
  let produced = 0;
  const endless = (async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        produced += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const verifier = createTokenVerifier({ issuers: [GITLAB], fetch: endless, now: () => NOW_MS });
  await assert.rejects(verifier.verify(await sign(gitlabPayload())), (err) => {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_ISSUER_UNAVAILABLE', String(err));
    assert.equal(err.details['failure'], 'response-too-large');
    assert.match(err.message, /more than the 524288 bytes allowed/);
    return true;
  });
  assert.ok(produced < 2 * 1024 * 1024, `read ${produced} bytes of an endless answer`);
});

test('an issuer whose Content-Length is over the cap is refused before its body is read', async () => {
  const verifier = createTokenVerifier({
    issuers: [GITLAB],
    fetch: (async () => new Response('{}', { status: 200, headers: { 'content-length': String(400 * 1024 * 1024) } })) as typeof fetch,
    now: () => NOW_MS,
  });
  await assert.rejects(verifier.verify(await sign(gitlabPayload())), (err) => err instanceof KeylessError && err.code === 'ERR_ISSUER_UNAVAILABLE' && /419430400 bytes \(Content-Length\)/.test(err.message));
});

test('meta issuers: * matches one DNS label or path segment, anchored', async () => {
  const meta: IssuerConfig = { metaIssuer: 'https://oidc.*.example/id/*', clientId: 'sigstore', type: 'gitlab-pipeline' };
  const good = 'https://oidc.eu-west-1.example/id/ABC123';
  const net = fakeIssuers({ [good]: [KEY_A.jwk] });
  const verifier = createTokenVerifier({ issuers: [meta], fetch: net.fetch, now: () => NOW_MS });
  assert.equal((await verifier.verify(await sign(gitlabPayload({ iss: good })))).issuer, good);
  for (const bad of ['https://oidc.a.b.example/id/ABC', 'https://oidc.eu.example/id/A/B', 'https://oidc.eu.example/id/ABC?x', 'https://evil.example/?https://oidc.eu.example/id/A', 'https://oidcXeuXexample/id/A']) {
    await refused(verifier.verify(await sign(gitlabPayload({ iss: bad }))), /is not one this CA trusts/);
  }
  assert.deepEqual(net.all, [`${good}/.well-known/openid-configuration`, `${good}/jwks`]);
});

test('github-workflow tokens need Fulcio\'s claims', async () => {
  const issuer = 'https://token.actions.githubusercontent.com';
  const net = fakeIssuers({ [issuer]: [KEY_A.jwk] });
  const verifier = createTokenVerifier({ issuers: [{ issuerUrl: issuer, clientId: 'sigstore', type: 'github-workflow' }], fetch: net.fetch, now: () => NOW_MS });
  const claims = {
    iss: issuer, aud: 'sigstore', exp: NOW + 300, iat: NOW, sub: 'repo:octo/app:ref:refs/heads/main', job_workflow_ref: 'octo/app/.github/workflows/release.yml@refs/heads/main',
    sha: 'a'.repeat(40), event_name: 'push', repository: 'octo/app', workflow: 'release', ref: 'refs/heads/main', job_workflow_sha: 'a'.repeat(40),
    runner_environment: 'github-hosted', repository_id: '1', repository_owner: 'octo', repository_owner_id: '2', workflow_ref: 'octo/app/.github/workflows/release.yml@refs/heads/main',
    workflow_sha: 'a'.repeat(40), run_id: '3', run_attempt: '1',
  };
  assert.equal((await verifier.verify(await sign(claims))).subject, 'repo:octo/app:ref:refs/heads/main');
  const { run_attempt: _r, job_workflow_ref: _j, ...lacking } = claims;
  await refused(verifier.verify(await sign(lacking)), /\(github-workflow\) lacks what the CA needs: missing claim job_workflow_ref; missing claim run_attempt/);
});

test('email tokens: the subject is the email, which must be verified', async () => {
  const issuer = 'https://accounts.example';
  const net = fakeIssuers({ [issuer]: [KEY_A.jwk] });
  const verifier = createTokenVerifier({ issuers: [{ issuerUrl: issuer, clientId: 'sigstore', type: 'email' }], fetch: net.fetch, now: () => NOW_MS });
  const base = { iss: issuer, aud: 'sigstore', exp: NOW + 300, iat: NOW, sub: '1234' };
  assert.equal((await verifier.verify(await sign({ ...base, email: 'dev@example.com', email_verified: true }))).subject, 'dev@example.com');
  await refused(verifier.verify(await sign({ ...base, email: 'dev@example.com', email_verified: 'true' })), /claim email_verified must be true, found "true"/);
  await refused(verifier.verify(await sign({ ...base, email_verified: true })), /missing claim email/);
});

test('the verifier refuses nonsense options as a programmer error', () => {
  assert.throws(() => createTokenVerifier({ issuers: [GITLAB], clockSkewSeconds: -1 }), TypeError);
  assert.throws(() => createTokenVerifier({ issuers: undefined as unknown as IssuerConfig[] }), TypeError);
});

test('an issuer that starts its answer and then stalls is cut off by the deadline, body included', async () => {
  const { createIssuerKeys } = await import('../../../src/oidc/issuer-keys.js');
  const stalling = (async () =>
    new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"issuer":'));
      },
      // never another byte, and deaf to the signal
    }), { status: 200 })) as typeof fetch;
  const keys = createIssuerKeys({ fetch: stalling, now: () => NOW_MS, timeoutMs: 200 });
  const started = Date.now();
  await assert.rejects(keys.get(ISSUER), (err) => {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_ISSUER_UNAVAILABLE', String(err));
    assert.equal(err.details['failure'], 'unreachable');
    assert.match(err.message, /could not be read: no complete answer in 0\.2 s/);
    return true;
  });
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});
