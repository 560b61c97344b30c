// `keyless serve` on a port that is taken: one line naming the port with a hint, exit 2 — not an internal error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

describe('serve on a busy port', () => {
  it('prints one line with the port and a hint, and exits 2', { timeout: 60_000 }, async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as AddressInfo).port;
    const dataDir = tempDir('keyless-busy-');
    try {
      const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'serve', '--only', 'log', '--port', String(port), '--data-dir', dataDir], {
        encoding: 'utf8',
        timeout: 50_000,
        env: { ...process.env, KEYLESS_DEBUG: '' },
      });
      assert.equal(run.status, 2, `exit code; stderr: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
      assert.match(lines[0]!, new RegExp(`^Error: port ${port} on 127\\.0\\.0\\.1 is already in use; .*--port.* \\[ERR_USAGE\\]$`));
      assert.doesNotMatch(run.stderr, /ERR_INTERNAL|EADDRINUSE|\n\s+at /);
      assert.doesNotMatch(run.stdout, /listening on/);
      assert.ok(!existsSync(join(dataDir, 'keys')), 'no keys were made for a server that could not start');
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
