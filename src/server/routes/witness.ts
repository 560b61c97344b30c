/**
 * C2SP tlog-witness routes: `POST /add-checkpoint` (the submission prefix is the witness's base URL) and
 * `GET /<origin hash>/checkpoint` (the monitoring prefix is the same). And, on a log that collects cosignatures,
 * `GET /witness-status`: who cosigned the last published checkpoint, for operators and readiness checks.
 */
import type { FastifyInstance } from 'fastify';
import type { Witness } from '../../witness/witness.js';

export function registerWitness(app: FastifyInstance, witness: Witness): void {
  void app.register(async (scope) => {
    // The body is text (old size, proof, checkpoint) whatever Content-Type the client sends, or none.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/add-checkpoint', async (request, reply) => {
      const body = typeof request.body === 'string' ? request.body : '';
      return reply.type('text/plain; charset=utf-8').send(witness.addCheckpoint(body));
    });
  });
  app.get<{ Params: { originHash: string } }>('/:originHash/checkpoint', async (request, reply) => {
    if (!/^[0-9a-f]{64}$/.test(request.params.originHash)) return reply.callNotFound();
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(witness.latestCheckpoint(request.params.originHash));
  });
}

export function registerWitnessStatus(app: FastifyInstance, status: () => unknown): void {
  app.get('/witness-status', async () => status());
}
