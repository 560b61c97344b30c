/** sigstore/timestamp-authority routes: a DER (or, as sigstore-js sends, JSON) query in, a DER reply out. */
import type { FastifyInstance } from 'fastify';
import { timestampQueryFromJson, type TimestampAuthority } from '../../tsa/index.js';

export function registerTsa(app: FastifyInstance, tsa: TimestampAuthority): void {
  app.addContentTypeParser(['application/timestamp-query', 'application/octet-stream'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/api/v1/timestamp', async (request, reply) => {
    const query = Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : timestampQueryFromJson(JSON.stringify(request.body ?? null));
    return reply.type('application/timestamp-reply').send(Buffer.from(tsa.timestamp(query)));
  });

  app.get('/api/v1/timestamp/certchain', async (_request, reply) => reply.type('application/pem-certificate-chain').send(tsa.certChainPem()));
}
