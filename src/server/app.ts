/**
 * The HTTP application: every service's routes on one fastify instance. Which services are present is the
 * caller's choice (`keyless serve --only …`); the domain objects come in ready-made, so the app can be tested
 * in-process with `app.inject` (request in, response out, no socket).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { RekorV1Api } from '../log/rekor-v1.js';
import type { RekorV2Api } from '../log/rekor-v2.js';
import type { ExplorerApi } from '../log/explorer.js';
import { sendError } from './errors.js';
import { createErrorLog, type ErrorLog } from './error-log.js';
import type { ReadinessReport } from './readiness.js';
import { registerWeb } from './routes/web.js';
import { registerTufRoutes } from './routes/tuf.js';
import type { TufRepository } from '../trust/tuf/index.js';
import type { Metrics } from './metrics.js';
import { registerLogV1 } from './routes/log-v1.js';
import { registerLogV2 } from './routes/log-v2.js';
import { registerExplorerApi } from './routes/explorer.js';
import { registerTsa } from './routes/tsa.js';
import type { TimestampAuthority } from '../tsa/index.js';
import type { CertificateAuthority } from '../ca/index.js';
import type { CtLog } from '../log/ct/index.js';
import type { SignedTreeHeadJson } from '../log/ct-sth.js';
import type { DevIssuer } from '../oidc/index.js';
import { registerCa, registerCt, registerDevIssuer } from './routes/ca.js';
import type { Witness } from '../witness/witness.js';
import { registerWitness, registerWitnessStatus } from './routes/witness.js';

/**
 * Where the Rekor v2 log lives on a single-port instance: its own base URL, as a separate rekor-tiles host would
 * have. Clients (sigstore-js) match a checkpoint's key name — the log's origin, `<host>/rekor-v2` — against the
 * base URL in the trusted root, so the two must agree.
 */
export const REKOR_V2_PREFIX = '/rekor-v2';

/** Largest request body any service accepts, in bytes (documented in the README). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * How long a client may take, in milliseconds (documented in the README; `keyless serve --*-timeout`). Without
 * them a client that sends its headers and one byte of body holds a socket, and the shutdown, for minutes.
 */
export interface ServerTimeouts {
  /** From connecting to the end of the request headers. */
  readonly headersMs: number;
  /** From connecting to the end of the request body; a half-sent body is answered 408 and the socket closed. */
  readonly requestMs: number;
  /** An idle keep-alive connection is closed after this. (A connection with no traffic at all for twice requestMs is closed too.) */
  readonly keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

export interface AppServices {
  readonly logV1?: RekorV1Api;
  readonly logV2?: RekorV2Api;
  /** The explorer's home-page data over the logs (/api/explorer/…). */
  readonly explorer?: ExplorerApi;
  readonly tsa?: TimestampAuthority;
  readonly ca?: CertificateAuthority;
  readonly ct?: { readonly ct: CtLog; readonly sth: () => Promise<SignedTreeHeadJson> };
  readonly devIssuer?: DevIssuer;
  /** The instance's trust files, served at /trusted_root.json and /signing_config.json (protobuf-specs JSON). */
  readonly trust?: { readonly trustedRoot: () => unknown; readonly signingConfig: () => unknown };
  /** A TUF repository publishing the trust files, served under /tuf. */
  readonly tuf?: () => TufRepository;
  /** A C2SP tlog-witness (POST /add-checkpoint). */
  readonly witness?: Witness;
  /** The logs' witnessing status (GET /witness-status): cosignatures on the last published checkpoint, per witness. */
  readonly witnessStatus?: () => unknown;
}

export interface AppOptions {
  readonly bodyLimit?: number;
  /** A pino logger configuration or `false`. Requests are logged at info level; `keyless serve` logs at warn unless asked. */
  readonly logger?: boolean | object;
  /** Serves /metrics and counts requests. */
  readonly metrics?: Metrics;
  /** TLS: PEM certificate chain and key; without them the app speaks plain HTTP (put it behind a proxy). */
  readonly https?: { readonly cert: string; readonly key: string };
  /** The log explorer page's directory (the package's web/), served at / and /explorer/. */
  readonly webDir?: string;
  /** Called for /healthz; a rejection makes the instance report unhealthy. */
  readonly health?: () => Promise<Record<string, unknown>>;
  /** Called for /readyz; not ready answers 503 with the report (each check named, with its error code). */
  readonly ready?: () => Promise<ReadinessReport>;
  /** Client timeouts; DEFAULT_TIMEOUTS unless given. */
  readonly timeouts?: Partial<ServerTimeouts>;
  /** Where server-side failures are logged (rate-limited); one per app unless given. */
  readonly errorLog?: ErrorLog;
}

export function createApp(services: AppServices, opts: AppOptions = {}): FastifyInstance {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const errorLog = opts.errorLog ?? createErrorLog();
  const https = opts.https;
  // headersTimeout and connectionsCheckingInterval go to Node's server directly: Node checks the header and request
  // timeouts only every connectionsCheckingInterval, 30 s by default, far too coarse for a 1 s timeout.
  const nodeServerOptions = {
    headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headersMs / 4))),
  };
  const app = Fastify({
    ...(https ? { https: { ...nodeServerOptions, cert: https.cert, key: https.key } } : { http: nodeServerOptions }),
    // The socket's inactivity timeout, for what the request timeout does not cover (a client that stops reading
    // its response). Twice the request timeout, so that a stalled body gets its 408 from the request timeout first.
    connectionTimeout: 2 * timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: opts.logger ?? false,
    // Proto-poisoning in JSON bodies is refused outright rather than stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply, errorLog));
  const flusher = setInterval(() => errorLog.flush(), 1000).unref();
  app.addHook('onClose', async () => {
    clearInterval(flusher);
    errorLog.flushAll();
  });
  opts.metrics?.instrument(app);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 404, message: `no route for ${request.method} ${request.url.split('?')[0]}`, error: 'ERR_NOT_FOUND' }),
  );

  app.get('/healthz', async (_request, reply) => {
    try {
      return { status: 'ok', ...(await opts.health?.()) };
    } catch (err) {
      return reply.code(503).send({ status: 'unhealthy', message: err instanceof Error ? err.message : String(err) });
    }
  });
  const ready = opts.ready;
  app.get('/readyz', async (_request, reply) => {
    const report = ready === undefined ? { ready: true, checks: {} } : await ready();
    if (!report.ready) void reply.code(503).header('retry-after', '1');
    return { status: report.ready ? 'ready' : 'not ready', ...report };
  });

  if (services.logV1 !== undefined) registerLogV1(app, services.logV1);
  if (services.logV2 !== undefined) registerLogV2(app, services.logV2, REKOR_V2_PREFIX);
  if (services.explorer !== undefined) registerExplorerApi(app, services.explorer);
  if (services.tsa !== undefined) registerTsa(app, services.tsa);
  if (services.ca !== undefined) registerCa(app, services.ca);
  if (services.ct !== undefined) registerCt(app, services.ct.ct, services.ct.sth);
  if (services.devIssuer !== undefined) registerDevIssuer(app, services.devIssuer);
  const trust = services.trust;
  if (trust !== undefined) {
    app.get('/trusted_root.json', async () => trust.trustedRoot());
    app.get('/signing_config.json', async () => trust.signingConfig());
  }
  if (services.tuf !== undefined) registerTufRoutes(app, services.tuf);
  if (services.witness !== undefined) registerWitness(app, services.witness);
  if (services.witnessStatus !== undefined) registerWitnessStatus(app, services.witnessStatus);
  if (opts.webDir !== undefined) registerWeb(app, { dir: opts.webDir });
  return app;
}
