/**
 * Serves a TUF repository as static files under `prefix` (default /tuf), so that
 * `sigstore verify --tuf-mirror-url http://HOST/tuf --tuf-root-path root.json` works against a keyless instance.
 */
import type { FastifyInstance } from 'fastify';
import type { TufRepository, TufRepositorySource } from '../../trust/tuf/index.js';

export function registerTufRoutes(app: FastifyInstance, repo: TufRepository | TufRepositorySource, prefix = '/tuf'): void {
  app.get<{ Params: { '*': string } }>(`${prefix}/*`, async (request, reply) => {
    const path = request.params['*'];
    const bytes = (typeof repo === 'function' ? repo() : repo).files.get(path);
    // MUST be a 404: tuf-js looks for N+1.root.json on every refresh and takes 403/404 as "no newer root"; any
    // other status fails the update. callNotFound keeps the app's own 404 body.
    if (bytes === undefined) return reply.callNotFound();
    // Hashed target files are named by their content, so clients and CDNs may keep them forever; metadata
    // (timestamp.json above all) changes with every build and MUST be revalidated.
    const cache = path.startsWith('targets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const type = path.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream';
    return reply.header('cache-control', cache).type(type).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
