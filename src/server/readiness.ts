/**
 * Readiness (`/readyz`): can this instance do its job right now? Liveness (`/healthz`) only says the process
 * answers; a load balancer sends writes only where every check here passes, and an orchestrator restarts nothing
 * on a failed readiness check, it waits. Each check runs with a timeout, so a hung database makes the answer
 * "not ready" in bounded time instead of a hung probe.
 *
 * The checks:
 *  - store: the store takes a write (an idempotent `ensureLog` of every log, a real write statement through the
 *    driver) and a read (each log's head); for the embedded store also a small file written, fsynced, read back
 *    and removed beside the database, because SQLite reuses the space of its WAL and can take a tiny write on a
 *    full disk when a real batch would fail;
 *  - keys: every log's key signs a probe and the signature verifies with the published public key;
 *  - logs: every log has a signed head at least as large as the one this process last saw.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TransparencyLog } from '../log/log.js';
import type { LogStore } from '../log/store/types.js';

export interface CheckResult {
  readonly ok: boolean;
  /** The error code when not ok (ERR_STORE_UNAVAILABLE, ERR_TIMEOUT, …). */
  readonly code?: string;
  readonly message?: string;
  readonly ms: number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
  /**
   * Reported, but not part of `ready`: a shortfall the instance keeps working through (witnesses that do not
   * cosign). Taking every frontend out of a load balancer for it would stop appends, which a witness outage must not.
   */
  readonly advisory?: Readonly<Record<string, CheckResult>>;
}

export type Check = () => Promise<void>;

export interface ReadinessOptions {
  readonly logs: readonly TransparencyLog[];
  readonly store: LogStore | undefined;
  /** The embedded store's directory, probed with a small fsynced file; absent for PostgreSQL. */
  readonly probeDir?: string;
  /** Per check; 2 seconds by default. */
  readonly timeoutMs?: number;
}

/** Bytes of the file probe: about one batch of entries, so "ready" means a batch would fit too. */
const PROBE_BYTES = 64 * 1024;

export function readinessChecks(opts: ReadinessOptions): Record<string, Check> {
  const checks: Record<string, Check> = {};
  const { store, logs } = opts;
  if (store !== undefined) {
    checks['store'] = async () => {
      if (opts.probeDir !== undefined) fileProbe(opts.probeDir);
      for (const log of logs) {
        await store.ensureLog(log.id);
        if ((await store.head(log.id)) === undefined) throw new Error(`log ${log.id} has no head in the store`);
      }
    };
  }
  if (logs.length > 0) {
    checks['keys'] = async () => {
      const probe = randomBytes(32);
      for (const log of logs) {
        const signature = log.signer.sign(probe);
        const key = createPublicKey({ key: Buffer.from(log.signer.spki), format: 'der', type: 'spki' });
        if (!verify(log.signer.keyType === 'ed25519' ? null : 'sha256', probe, key, signature)) throw new Error(`the key of log ${log.id} does not make signatures that verify`);
      }
    };
    checks['logs'] = async () => {
      for (const log of logs) {
        const seen = log.latestSize;
        const head = await log.head();
        if (head.size < seen) throw new Error(`log ${log.id}: the store's head ${head.size} is smaller than ${seen}, seen earlier by this process`);
      }
    };
  }
  return checks;
}

export async function runChecks(checks: Record<string, Check>, timeoutMs = 2000, advisory: Record<string, Check> = {}): Promise<ReadinessReport> {
  const run = (set: Record<string, Check>) => Promise.all(Object.entries(set).map(async ([name, check]) => [name, await timed(check, timeoutMs)] as const));
  const [results, notes] = await Promise.all([run(checks), run(advisory)]);
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results), ...(notes.length > 0 && { advisory: Object.fromEntries(notes) }) };
}

/** The witnesses' quorum as an advisory readiness check (see ReadinessReport.advisory). */
export function witnessCheck(status: () => { readonly ready: boolean; readonly reason?: string }): Check {
  return async () => {
    const s = status();
    if (!s.ready) throw Object.assign(new Error(s.reason ?? 'the latest checkpoint lacks its witness quorum'), { code: 'ERR_WITNESS' });
  };
}

async function timed(check: Check, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ERR_TIMEOUT' })), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    return {
      ok: false,
      ...(typeof code === 'string' ? { code } : {}),
      message: err instanceof Error ? err.message : String(err),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

let probes = 0;

function fileProbe(dir: string): void {
  // A name per probe: two /readyz requests at once must not remove each other's file.
  const path = join(dir, `.readyz-${process.pid}-${probes++}`);
  const data = randomBytes(PROBE_BYTES);
  try {
    const fd = openSync(path, 'w', 0o600);
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (!readFileSync(path).equals(data)) throw Object.assign(new Error(`the probe file ${path} did not read back as written`), { code: 'ERR_STORE' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw Object.assign(new Error(`the store's directory is not writable: ${(err as Error).message}`), { code: code === 'ERR_STORE' ? code : 'ERR_STORE_UNAVAILABLE', cause: err });
  } finally {
    rmSync(path, { force: true });
  }
}
