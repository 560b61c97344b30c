/** Rekor v2 (rekor-tiles) routes: the write API, keyless's entry-by-index read, and the static C2SP tlog-tiles read side. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RekorV2Api, StaticObject } from '../../log/rekor-v2.js';

export function registerLogV2(app: FastifyInstance, api: RekorV2Api, prefix = ''): void {
  app.post(`${prefix}/api/v2/log/entries`, async (request, reply) => reply.code(201).send(await api.createEntry(request.body)));

  app.get<{ Params: { logIndex: string } }>(`${prefix}/api/v2/log/entries/:logIndex`, async (request) => api.entryByIndex(request.params.logIndex));

  app.post(`${prefix}/api/v2/index/retrieve`, async (request) => api.searchIndex(request.body));

  app.get(`${prefix}/checkpoint`, async (_request, reply) => sendStatic(reply, await api.checkpoint()));

  app.get<{ Params: { '*': string } }>(`${prefix}/tile/*`, async (request, reply) => {
    return sendStatic(reply, await api.tile(`tile/${request.params['*']}`));
  });
}

function sendStatic(reply: FastifyReply, object: StaticObject): FastifyReply {
  // C2SP tlog-tiles: full tiles never change, so clients and CDNs may keep them forever; the checkpoint and
  // partial tiles change with every batch.
  const cache = object.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
  return reply.header('cache-control', cache).type(object.contentType).send(Buffer.from(object.body.buffer, object.body.byteOffset, object.body.byteLength));
}
