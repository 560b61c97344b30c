/**
 * Prometheus metrics for `GET /metrics`: HTTP requests by route and status, and for each log its tree size, queue,
 * appends and batch latency. One registry per instance (several in one process, as in tests, do not collide).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TransparencyLog } from '../log/log.js';

export interface Metrics {
  readonly registry: Registry;
  /** Hooks a log's batches into the metrics; pass as LogOptions.onBatch. */
  batchObserver(logId: string): (stats: { appended: number; answered: number; ms: number }) => void;
  /** Exposes the logs' sizes and queues, read at scrape time. */
  watchLogs(logs: () => readonly TransparencyLog[]): void;
  /** Counts requests and their latency per route. */
  instrument(app: FastifyInstance): void;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'keyless_' });
  const requests = new Counter({ name: 'keyless_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const duration = new Histogram({ name: 'keyless_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['method', 'route'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  const appended = new Counter({ name: 'keyless_log_entries_appended_total', help: 'Entries durably appended', labelNames: ['log'] as const, registers: [registry] });
  const batches = new Histogram({ name: 'keyless_log_batch_seconds', help: 'Time from batch start to durable commit', labelNames: ['log'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] });
  const batchSize = new Histogram({ name: 'keyless_log_batch_size', help: 'Submissions answered per batch', labelNames: ['log'] as const, buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers: [registry] });
  let logs: () => readonly TransparencyLog[] = () => [];
  new Gauge({ name: 'keyless_log_tree_size', help: 'Entries in the tree (as last seen by this process)', labelNames: ['log'] as const, registers: [registry], collect() {
    for (const log of logs()) this.set({ log: log.id }, log.latestSize);
  } });
  new Gauge({ name: 'keyless_log_pending', help: 'Submissions waiting for the next batch', labelNames: ['log'] as const, registers: [registry], collect() {
    for (const log of logs()) this.set({ log: log.id }, log.pending);
  } });

  return {
    registry,
    batchObserver: (log) => (stats) => {
      appended.inc({ log }, stats.appended);
      batches.observe({ log }, stats.ms / 1000);
      batchSize.observe({ log }, stats.answered);
    },
    watchLogs: (source) => {
      logs = source;
    },
    instrument: (app) => {
      app.addHook('onResponse', async (request, reply) => {
        // The route pattern, not the URL: entry UUIDs and tile paths would make unbounded label sets.
        const route = request.routeOptions.url ?? 'unmatched';
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      });
      app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
    },
  };
}
