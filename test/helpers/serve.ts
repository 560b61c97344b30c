// Starts `keyless serve` as a real child process on a loopback port, for end-to-end tests and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './vectors.js';

export interface Served {
  readonly url: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  trustedRoot(): unknown;
  /** SIGTERM and wait for a graceful exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no chance to clean up. */
  kill(): Promise<void>;
}

/** A loopback port that was free a moment ago (for a server that must keep one port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'keyless-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startServe(args: string[] = [], opts: { dataDir?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {}): Promise<Served> {
  const dataDir = opts.dataDir ?? tempDir('keyless-serve-');
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(ROOT, 'bin', 'keyless.js'), 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, KEYLESS_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyless serve did not start in 20 s:\n${out}\n${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`keyless serve exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    dataDir,
    proc,
    stderr: () => err,
    trustedRoot: () => JSON.parse(readFileSync(join(dataDir, 'trusted_root.json'), 'utf8')),
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
