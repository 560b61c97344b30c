// A real headless Chromium for end-to-end tests of the log explorer (web/), driven by playwright-core, and the URL
// where an instance serves the explorer.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserContext } from 'playwright-core';
import { registerWeb } from '../../src/server/routes/web.js';
import { ROOT } from './vectors.js';

/** Debian's chromium (`apt-get install -y chromium`), or KEYLESS_CHROMIUM. */
export const CHROMIUM = process.env['KEYLESS_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set KEYLESS_CHROMIUM)`;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh user-data-dir, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'keyless-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Where the explorer of the instance at `instanceUrl` is: the instance itself when it serves it, otherwise a
 * loopback server for web/ that forwards /api to the instance (same origin, as the page requires).
 */
export async function explorerFor(instanceUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const probe = await fetch(new URL('/explorer/app.js', instanceUrl));
  if (probe.ok) return { url: instanceUrl, close: async () => {} };
  const app = Fastify();
  registerWeb(app, { dir: join(ROOT, 'web') });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const answer = await fetch(new URL(request.url, instanceUrl), {
      method: request.method,
      headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
      ...(hasBody ? { body: request.body as Buffer } : {}),
    });
    return reply.code(answer.status).type(answer.headers.get('content-type') ?? 'application/json').send(Buffer.from(await answer.arrayBuffer()));
  };
  app.all('/api/*', proxy);
  app.all('/rekor-v2/*', proxy);
  app.get('/trusted_root.json', proxy);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}
