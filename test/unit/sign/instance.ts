// An in-process keyless instance (CA with the dev issuer, Rekor v1 and v2, TSA) reached through fastify's inject:
// the signer's real HTTP clients, no socket. A test can wrap `fetch` to tamper with what a service answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../../src/server/app.js';
import { openInstance } from '../../../src/server/instance.js';
import type { FetchLike } from '../../../src/sign/http.js';
import type { SigningConfig, TrustedRoot } from '../../../src/trust/index.js';

export const INSTANCE_URL = 'http://keyless.test';
export const IDENTITY = 'https://keyless.test/my-group/my-project//.gitlab-ci.yml@refs/heads/main';

export interface InProcessInstance {
  readonly fetch: FetchLike;
  readonly signingConfig: SigningConfig;
  readonly trustedRoot: TrustedRoot;
  /** Every request the signer made, in order (method and path). */
  readonly requests: string[];
  mintToken(opts?: { audience?: string; lifetimeSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startInProcessInstance(): Promise<InProcessInstance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyless-sign-'));
  const instance = await openInstance({ dataDir, publicUrl: INSTANCE_URL, devOidcIssuer: true });
  const app = createApp(instance.services);
  await app.ready();
  const requests: string[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    const u = new URL(url);
    if (u.origin !== INSTANCE_URL) throw new TypeError(`fetch failed: no route to ${u.origin}`);
    requests.push(`${init.method} ${u.pathname}`);
    const res = await app.inject({
      method: init.method as 'GET' | 'POST',
      url: `${u.pathname}${u.search}`,
      headers: init.headers,
      ...(init.body !== undefined ? { payload: typeof init.body === 'string' ? init.body : Buffer.from(init.body) } : {}),
    });
    const body = new Uint8Array(res.rawPayload);
    return {
      status: res.statusCode,
      ok: res.statusCode >= 200 && res.statusCode < 300,
      headers: { get: (name: string) => { const v = res.headers[name.toLowerCase()]; return v === undefined ? null : String(v); } },
      arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    };
  };
  const issuer = instance.services.devIssuer;
  if (issuer === undefined) throw new Error('the instance has no dev issuer');
  return {
    fetch: fetchFn,
    signingConfig: instance.signingConfig(),
    trustedRoot: instance.trustedRoot(),
    requests,
    mintToken: (opts = {}) => issuer.mint({ projectPath: 'my-group/my-project', ref: 'main' }, opts),
    close: async () => {
      await app.close();
      await instance.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fetch that hands the response of requests to `path` to `rewrite` (JSON in, JSON out) before the signer sees it. */
export function tamperWith(fetchFn: FetchLike, path: string, rewrite: (json: Record<string, unknown>) => Promise<unknown> | unknown): FetchLike {
  return async (url, init) => {
    const res = await fetchFn(url, init);
    if (new URL(url).pathname !== path || !res.ok) return res;
    const json = JSON.parse(Buffer.from(await res.arrayBuffer()).toString('utf8')) as Record<string, unknown>;
    const bytes = Buffer.from(JSON.stringify(await rewrite(json)));
    return { ...res, status: res.status, ok: res.ok, headers: res.headers, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  };
}
