/**
 * The log explorer page (web/): `/` and `/explorer/` serve index.html, `/explorer/<file>` its scripts and
 * stylesheet, `/explorer/dist/<file>` what `npm run build` bundled for it (src/core, by scripts/build-web.mjs). The
 * files are read once, at registration, from the directory and its dist/, and looked up by exact name, so no request
 * path ever reaches the file system. The page shows attacker-supplied entry data, so it is served with a
 * strict Content-Security-Policy: its own scripts, styles and API only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidated on every load (cheap with the ETag), so a new keyless version's page is never mixed with old scripts.
  'cache-control': 'no-cache',
};

interface WebFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export interface WebOptions {
  /** The directory holding index.html and the files it loads (the repository's web/). */
  readonly dir: string;
}

export function registerWeb(app: FastifyInstance, opts: WebOptions): void {
  const files = readWebFiles(opts.dir);
  const send = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(name);
    if (file === undefined) {
      const message = name === 'index.html' ? `the log explorer is not installed (no index.html in ${opts.dir})` : `no file ${name} in the log explorer`;
      return reply.code(404).send({ code: 404, message, error: 'ERR_NOT_FOUND' });
    }
    reply.headers({ ...HEADERS, etag: file.etag, 'content-type': file.type });
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };
  app.get('/', send('index.html'));
  app.get('/explorer', send('index.html'));
  app.get('/explorer/', send('index.html'));
  app.get<{ Params: { '*': string } }>('/explorer/*', async (request, reply) => send(request.params['*'])(request, reply));
}

/**
 * Every servable file directly in `dir` (by name) and in `dir/dist` (as `dist/<name>`); an absent directory serves
 * nothing (and `/` says so).
 */
function readWebFiles(dir: string, files = new Map<string, WebFile>(), prefix = ''): Map<string, WebFile> {
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (prefix === '' && name === 'dist' && statSync(path).isDirectory()) {
      readWebFiles(path, files, 'dist/');
      continue;
    }
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type === undefined || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    files.set(`${prefix}${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return files;
}
