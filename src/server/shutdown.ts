/**
 * A graceful shutdown that ends. Life of a shutdown:
 *  1. stop accepting connections, and close keep-alive connections as soon as they go idle;
 *  2. wait for requests in flight (and the log batches they wait on) for at most `graceMs`;
 *  3. then destroy every connection still open (a client stalled mid-body, a slow reader), which fails the
 *     requests on them — none of them had been acknowledged, since an acknowledgement is a response sent;
 *  4. release the store (finish the batch being committed, close the database), also bounded, so that the SQLite
 *     lock is let go and a replacement `keyless serve` can start on the same data directory;
 *  5. a last guard: if something still holds the event loop open after that, the process exits anyway.
 */
import type { FastifyInstance } from 'fastify';

export interface ShutdownOptions {
  readonly app: FastifyInstance;
  /** Releases the store and whatever else the app used. */
  readonly release: () => Promise<void>;
  readonly graceMs: number;
  /** After the grace, how long the release may take before we stop waiting for it; 5 s by default. */
  readonly releaseMs?: number;
  /** The last guard of step 5; 2 s by default. Tests running in-process pass 0 to turn it off. */
  readonly exitGuardMs?: number;
}

export interface ShutdownOutcome {
  /** Connections destroyed after the grace. */
  readonly forced: number;
  /** Set when the release failed or did not finish in time. */
  readonly releaseError?: string;
  readonly ms: number;
}

export async function shutdownGracefully(opts: ShutdownOptions): Promise<ShutdownOutcome> {
  const started = performance.now();
  const { app } = opts;
  const server = app.server;
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  let forced = 0;
  try {
    const closing = app.close();
    const finished = await within(closing, opts.graceMs);
    if (!finished) {
      forced = await openConnections(app);
      server.closeAllConnections();
      await within(closing, 1000);
    }
  } finally {
    clearInterval(sweeper);
  }
  let releaseError: string | undefined;
  try {
    if (!(await within(opts.release(), opts.releaseMs ?? 5000))) releaseError = `not done after ${(opts.releaseMs ?? 5000) / 1000} s`;
  } catch (err) {
    releaseError = err instanceof Error ? err.message : String(err);
  }
  const guard = opts.exitGuardMs ?? 2000;
  if (guard > 0) {
    // unref'd: it fires only if something else still keeps the process alive.
    setTimeout(() => process.exit(process.exitCode ?? (releaseError === undefined ? 0 : 1)), guard).unref();
  }
  return { forced, ms: Math.round(performance.now() - started), ...(releaseError !== undefined ? { releaseError } : {}) };
}

/** Resolves true if `promise` settles within `ms`, false otherwise; a rejection is rethrown. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve) => app.server.getConnections((err, count) => resolve(err ? 0 : count)));
}
