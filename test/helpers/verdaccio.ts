// Starts Verdaccio (the dev dependency) on a loopback port with a temporary storage, and creates a user. Offline by
// default; with `uplink`, packages it does not hold are proxied from that registry (to install a package's dependencies).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './serve.js';
import { ROOT } from './vectors.js';

export interface Verdaccio { readonly url: string; readonly token: string; readonly storage: string; stop(): Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

export async function startVerdaccio(opts: { uplink?: string } = {}): Promise<Verdaccio> {
  const dir = tempDir('keyless-verdaccio-');
  const storage = join(dir, 'storage');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, [
    `storage: ${storage}`, 'auth:', '  htpasswd:', `    file: ${join(dir, 'htpasswd')}`, '    max_users: 100',
    ...(opts.uplink === undefined ? ['uplinks: {}'] : ['uplinks:', '  upstream:', `    url: ${opts.uplink}`, '    timeout: 60s']),
    'packages:', "  '**':", '    access: $all', '    publish: $authenticated', ...(opts.uplink === undefined ? [] : ['    proxy: upstream']),
    'log: { type: stdout, format: pretty, level: warn }', '',
  ].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(join(ROOT, 'node_modules', '.bin', 'verdaccio'), ['--config', config, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ping`)).ok) break;
    } catch { /* not up yet */ }
    if (i > 100) throw new Error('verdaccio did not start in 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const r = await fetch(`${url}/-/user/org.couchdb.user:ci`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci', password: 'ci-password-1' }) });
  const { token } = (await r.json()) as { token: string };
  return { url, token, storage, stop: async () => { proc.kill('SIGTERM'); await exited; } };
}
