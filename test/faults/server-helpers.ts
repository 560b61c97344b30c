// Shared parts of the server fault tests: a fake OIDC issuer that can misbehave, tokens it signs, CA requests,
// log writes, and a process's memory. Importing this file has no side effects (the test runner loads it too).
import { generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { entryKey, hashedRekordV1, type EntryKey } from '../helpers/entries.js';

export type IssuerMode =
  | { readonly kind: 'ok' }
  /** Discovery is a JSON document of `bytes` bytes, streamed in 64 KiB chunks without Content-Length. */
  | { readonly kind: 'huge'; readonly bytes: number }
  /** Every connection is accepted and dropped at once. */
  | { readonly kind: 'drop' };

export interface FakeIssuer {
  readonly url: string;
  mode: IssuerMode;
  /** Requests (or, for `drop`, connections) seen. */
  readonly requests: () => number;
  /** Body bytes the huge mode managed to write before the client went away. */
  readonly bytesSent: () => number;
  token(claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeIssuer(mode: IssuerMode = { kind: 'ok' }): Promise<FakeIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'fault-key', alg: 'RS256', use: 'sig' };
  let requests = 0;
  let bytesSent = 0;
  const state: { mode: IssuerMode } = { mode };
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.url === '/.well-known/openid-configuration') {
      if (state.mode.kind === 'huge') return streamHuge(res, state.mode.bytes, (n) => (bytesSent += n));
      return json(res, { issuer: url, jwks_uri: `${url}/jwks` });
    }
    if (req.url === '/jwks') return json(res, { keys: [jwk] });
    res.writeHead(404).end();
  });
  server.on('connection', (socket) => {
    if (state.mode.kind === 'drop') {
      requests++;
      socket.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get mode() {
      return state.mode;
    },
    set mode(m: IssuerMode) {
      state.mode = m;
    },
    requests: () => requests,
    bytesSent: () => bytesSent,
    token: async (claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...gitlabClaims(url), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'fault-key', typ: 'JWT' })
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + 300)
        .sign(privateKey);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** `{"pad":"      …"}` of `total` bytes, written chunk by chunk as the socket drains: never held in memory. */
function streamHuge(res: ServerResponse, total: number, sent: (n: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const head = Buffer.from('{"pad":"');
  const tail = Buffer.from('"}');
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let left = total - head.length - tail.length;
  res.write(head);
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      sent(piece.length);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end(tail);
  };
  res.on('error', () => undefined);
  pump();
}

export function gitlabClaims(issuer: string): Record<string, unknown> {
  return {
    iss: issuer,
    aud: 'sigstore',
    sub: 'project_path:my-group/my-project:ref_type:branch:ref:main',
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
    ci_config_ref_uri: 'gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main',
    ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  };
}

/** Fulcio's issuer config file naming these issuers as GitLab-shaped, for `serve --oidc-config`. */
export function writeOidcConfig(dir: string, issuers: readonly string[]): string {
  const path = join(dir, 'oidc-config.json');
  const OIDCIssuers = Object.fromEntries(issuers.map((u) => [u, { IssuerURL: u, ClientID: 'sigstore', Type: 'gitlab-pipeline' }]));
  writeFileSync(path, JSON.stringify({ OIDCIssuers }));
  return path;
}

/** A signingCert request body for `token`, with a fresh P-256 key and its proof of possession over `sub`. */
export function signingCertBody(token: string, sub: string): Record<string, unknown> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      proofOfPossession: sign('sha256', Buffer.from(sub), privateKey).toString('base64'),
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown>;
}

export async function postJson(url: string, body: unknown, timeoutMs = 30_000): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed };
}

export interface Acked {
  readonly index: number;
  readonly uuid: string;
  readonly body: string;
}

/** One Rekor v1 hashedrekord write; the acknowledgement, or the refusal. */
export async function writeEntry(baseUrl: string, key: EntryKey = entryKey()): Promise<{ acked?: Acked; answer: Answer }> {
  const answer = await postJson(`${baseUrl}/api/v1/log/entries`, hashedRekordV1(key), 15_000);
  if (answer.status !== 201) return { answer };
  const [uuid, entry] = Object.entries(answer.body)[0] as [string, { logIndex: number; body: string }];
  return { acked: { index: entry.logIndex, uuid, body: entry.body }, answer };
}

/** Every acknowledged entry is still there, at its index, with its body. */
export async function checkAcked(baseUrl: string, acked: readonly Acked[]): Promise<string[]> {
  const problems: string[] = [];
  for (const a of acked) {
    const res = await fetch(`${baseUrl}/api/v1/log/entries?logIndex=${a.index}`, { signal: AbortSignal.timeout(15_000) });
    if (res.status !== 200) {
      problems.push(`entry ${a.index}: HTTP ${res.status}`);
      continue;
    }
    const [uuid, entry] = Object.entries((await res.json()) as Record<string, { logIndex: number; body: string }>)[0]!;
    if (entry.logIndex !== a.index || entry.body !== a.body || !uuid.endsWith(a.uuid.slice(-64))) problems.push(`entry ${a.index}: a different entry is there`);
  }
  return problems;
}

export async function readyz(baseUrl: string): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; code?: string; message?: string }> } }> {
  const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean; code?: string }> } };
}

/** Resident set size of a process in bytes, and its peak so far (Linux /proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
