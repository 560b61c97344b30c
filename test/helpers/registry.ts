// Starts a real OCI registry for end-to-end tests: Debian's `docker-registry` (distribution 2.8) on a loopback
// port, storing in a temporary directory, without auth or with htpasswd basic auth. `.ci/run` installs the package.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './serve.js';

export interface Registry {
  /** host:port, e.g. 127.0.0.1:41234 (what image references start with). */
  readonly host: string;
  readonly url: string;
  readonly dir: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

export type RegistryAuth = { kind: 'none' } | { kind: 'htpasswd'; username: string; password: string } | { kind: 'raw'; yaml: string };

export const REGISTRY_BINARY = '/usr/bin/docker-registry';


/** Starts docker-registry; `auth.raw` is the YAML of its `auth:` section (for a token service set up by the test). */
export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-registry-'));
  const port = await freePort();
  let authYaml = '';
  if (auth.kind === 'htpasswd') {
    const made = spawnSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), made.stdout);
    authYaml = `auth:\n  htpasswd:\n    realm: keyless-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'raw') {
    authYaml = auth.yaml;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authYaml}`,
  );
  const proc = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`docker-registry did not answer in 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    proc,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
