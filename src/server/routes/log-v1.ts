/** Rekor v1 routes (sigstore/rekor openapi.yaml paths). */
import type { FastifyInstance } from 'fastify';
import { KeylessError } from '../../core/errors.js';
import type { RekorV1Api } from '../../log/rekor-v1.js';

export function registerLogV1(app: FastifyInstance, api: RekorV1Api): void {
  app.post('/api/v1/log/entries', async (request, reply) => {
    const { uuid, response } = await api.createEntry(request.body);
    return reply.code(201).header('location', `/api/v1/log/entries/${uuid}`).header('etag', uuid).send(response);
  });

  app.get('/api/v1/log', async () => api.logInfo());

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/log/entries', async (request) => {
    return api.entryByIndex(integerParam(request.query['logIndex'], 'logIndex'));
  });

  app.get<{ Params: { uuid: string } }>('/api/v1/log/entries/:uuid', async (request) => api.entryByUuid(request.params.uuid));

  app.post('/api/v1/log/entries/retrieve', async (request) => api.retrieve(request.body));

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/log/proof', async (request) => {
    const first = request.query['firstSize'] === undefined ? 1 : integerParam(request.query['firstSize'], 'firstSize');
    return api.consistencyProof(first, integerParam(request.query['lastSize'], 'lastSize'));
  });

  app.get('/api/v1/log/publicKey', async (_request, reply) => {
    return reply.type('application/x-pem-file').send(api.publicKeyPem());
  });

  app.post('/api/v1/index/retrieve', async (request) => api.searchIndex(request.body));
}

export function integerParam(value: string | undefined, name: string): number {
  if (value === undefined || !/^(?:0|[1-9][0-9]{0,15})$/.test(value)) {
    throw new KeylessError('ERR_REQUEST', `${name} must be a non-negative integer`);
  }
  return Number(value);
}
