/**
 * An in-process OIDC issuer for the verifier tests: real RSA keys, a discovery document and a JWKS served by a fake
 * fetch that records every URL asked for. Keys are generated per test run; nothing secret is checked in.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export const NOW_MS = 1_700_000_000_000;
export const NOW = NOW_MS / 1000;
export const ISSUER = 'https://gitlab.example';

export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

export function rsaKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

export function ecKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' } };
}

/** Generated once: RSA key generation is the slow part of these tests. */
export const KEY_A = rsaKey('kid-a');
export const KEY_B = rsaKey('kid-b');

export interface FakeIssuer {
  /** Mutable: tests rotate keys by replacing it. */
  keys: Record<string, unknown>[];
  /** Overrides the discovery document's `issuer`, to test OIDC Discovery §4.3. */
  discoveryIssuer?: string;
  readonly calls: string[];
  readonly fetch: typeof fetch;
  jwksCalls(): number;
}

export function fakeIssuers(issuers: Record<string, Record<string, unknown>[]>): Record<string, FakeIssuer> & { all: string[]; fetch: typeof fetch } {
  const all: string[] = [];
  const byUrl: Record<string, FakeIssuer> = {};
  for (const [url, keys] of Object.entries(issuers)) {
    const calls: string[] = [];
    const state: FakeIssuer = {
      keys,
      calls,
      fetch: undefined as unknown as typeof fetch,
      jwksCalls: () => calls.filter((c) => c.endsWith('/jwks')).length,
    };
    byUrl[url] = state;
  }
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    all.push(url);
    for (const [issuerUrl, state] of Object.entries(byUrl)) {
      if (url === `${issuerUrl}/.well-known/openid-configuration`) {
        state.calls.push(url);
        return Response.json({ issuer: state.discoveryIssuer ?? issuerUrl, jwks_uri: `${issuerUrl}/jwks` });
      }
      if (url === `${issuerUrl}/jwks`) {
        state.calls.push(url);
        return Response.json({ keys: state.keys });
      }
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  for (const state of Object.values(byUrl)) (state as { fetch: typeof fetch }).fetch = fetchImpl;
  return Object.assign(byUrl, { all, fetch: fetchImpl });
}

/** The claims GitLab puts in a job's token (docs.gitlab.com, ID token authentication), for a token valid at NOW. */
export function gitlabPayload(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    namespace_id: '72',
    namespace_path: 'my-group',
    project_id: '20',
    project_path: 'my-group/my-project',
    user_id: '1',
    user_login: 'sample-user',
    user_email: 'sample-user@example.com',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'main',
    ref_type: 'branch',
    ref_path: 'refs/heads/main',
    ref_protected: 'true',
    runner_id: 1,
    runner_environment: 'gitlab-hosted',
    sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    project_visibility: 'public',
    ci_config_ref_uri: 'gitlab.example/my-group/my-project//.gitlab-ci.yml@refs/heads/main',
    ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    jti: '235b3a54-b797-45c7-ae9a-f72d7bc6ef5b',
    iss: ISSUER,
    iat: NOW - 10,
    nbf: NOW - 15,
    exp: NOW + 290,
    sub: 'project_path:my-group/my-project:ref_type:branch:ref:main',
    aud: 'sigstore',
    ...overrides,
  };
}

export function sign(payload: JWTPayload, key: TestKey = KEY_A, header: Record<string, unknown> = {}): Promise<string> {
  const alg = key.jwk.alg as string;
  return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
