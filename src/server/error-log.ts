/**
 * How a service reports its own failures in the log without making a bad day worse.
 *
 * A disk that is full or a database that is down makes every request fail the same way; logging each one with
 * its stack (about 1.3 KB) fills the disk that is already full and hides everything else. So:
 *  1. a stack trace is written only when the logger is at debug level;
 *  2. the first occurrence of an error (same code, same message up to its numbers) in an interval is logged in full;
 *  3. later ones in that interval are only counted, and when the interval ends one line says how many there were.
 * The clock and the output are injectable, so the limiter is tested without sleeping.
 */

/** The part of a pino logger we use (fastify's `request.log` and `app.log` are pino loggers). */
export interface LogSink {
  error(obj: Record<string, unknown>, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}

export interface ErrorLogOptions {
  /** The interval in which identical errors are logged once; 10 s by default. */
  readonly intervalMs?: number;
  /** Milliseconds (injectable for tests). */
  readonly now?: () => number;
  /** Distinct errors tracked at once; the oldest are forgotten beyond it. 1000 by default. */
  readonly maxKeys?: number;
}

interface Seen {
  readonly sink: LogSink;
  readonly code: string;
  readonly message: string;
  windowStart: number;
  suppressed: number;
}

export interface ErrorLog {
  /** Logs the failure, or counts it if an identical one was logged in this interval. Returns whether it was written. */
  report(sink: LogSink, err: unknown, fields?: Record<string, unknown>): boolean;
  /** Writes the counts of intervals that have ended; `keyless serve` calls it on a timer. */
  flush(): void;
  /** Writes every pending count now (at shutdown). */
  flushAll(): void;
}

export function createErrorLog(options: ErrorLogOptions = {}): ErrorLog {
  const interval = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 1000;
  const seen = new Map<string, Seen>();

  const summarize = (s: Seen): void => {
    if (s.suppressed === 0) return;
    s.sink.error(
      { code: s.code, repeated: s.suppressed, intervalSeconds: interval / 1000 },
      `${s.message} (repeated ${s.suppressed} more time${s.suppressed === 1 ? '' : 's'} in ${interval / 1000} s; logged once per interval)`,
    );
    s.suppressed = 0;
  };

  return {
    report(sink, err, fields = {}) {
      const { code, message } = describeError(err);
      // Numbers that vary (queue lengths, sizes, ports) do not make an error a different one.
      const key = `${code}\n${message.replace(/\d+/g, '#')}`;
      const t = now();
      const s = seen.get(key);
      if (s !== undefined && t - s.windowStart < interval) {
        s.suppressed++;
        return false;
      }
      if (s !== undefined) {
        summarize(s);
        seen.delete(key);
      }
      if (seen.size >= maxKeys) {
        const oldest = seen.keys().next().value;
        if (oldest !== undefined) {
          summarize(seen.get(oldest)!);
          seen.delete(oldest);
        }
      }
      seen.set(key, { sink, code, message, windowStart: t, suppressed: 0 });
      const entry: Record<string, unknown> = { ...fields, code };
      const cause = (err as { cause?: unknown } | null)?.cause;
      if (cause instanceof Error) entry['cause'] = cause.message;
      if (sink.isLevelEnabled?.('debug') === true && err instanceof Error) entry['stack'] = err.stack;
      sink.error(entry, message);
      return true;
    },
    flush() {
      const t = now();
      for (const [key, s] of seen) {
        if (t - s.windowStart < interval) continue;
        summarize(s);
        seen.delete(key);
      }
    },
    flushAll() {
      for (const s of seen.values()) summarize(s);
      seen.clear();
    },
  };
}

function describeError(err: unknown): { code: string; message: string } {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    return { code: typeof code === 'string' ? code : 'ERR_INTERNAL', message: typeof message === 'string' ? message : String(err) };
  }
  return { code: 'ERR_INTERNAL', message: String(err) };
}
