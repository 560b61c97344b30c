/** The explorer's home-page data (src/log/explorer.ts): every log's head, the newest entries, appends per hour. */
import type { FastifyInstance } from 'fastify';
import type { ExplorerApi } from '../../log/explorer.js';

export function registerExplorerApi(app: FastifyInstance, api: ExplorerApi): void {
  app.get('/api/explorer/logs', async () => api.logs());
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/explorer/recent', async (request) => api.recent(request.query['limit'], request.query['before']));
  app.get('/api/explorer/activity', async () => api.activity());
}
