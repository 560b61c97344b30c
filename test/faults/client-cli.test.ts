// CLI hygiene as a new user meets it: every usage error is one line ending in [ERR_USAGE], with "did you mean"
// for a mistyped command or option and never Node's raw parseArgs text; the usage only on --help. And `npm start`
// stopped by its PID (as a process manager or a CI job's cleanup does) leaves no server on the port.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

function keyless(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', input: '', env: { ...process.env, KEYLESS_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsageLine(r: { status: number | null; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^Error: [^\n]*\[ERR_USAGE\]\n$/, `one line ending in [ERR_USAGE]:\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /Usage:|To specify a positional argument|Unknown option '/);
  assert.equal(r.stdout, '');
}

describe('usage errors', { timeout: 60_000 }, () => {
  it('a mistyped command: did you mean', () => {
    assertUsageLine(keyless('sgin-blob', 'f'), /unknown command "sgin-blob" \(did you mean sign-blob\?\); see 'keyless --help'/);
    assertUsageLine(keyless('verfy'), /unknown command "verfy" \(did you mean verify\?\)/);
    assertUsageLine(keyless('completely-else'), /unknown command "completely-else"; see/);
    assertUsageLine(keyless(), /no command given; see 'keyless --help'/);
    assertUsageLine(keyless('npm', 'publsh-provenance'), /unknown npm command "publsh-provenance" \(did you mean publish-provenance\?\)/);
  });

  it('a mistyped option: did you mean, never parseArgs\'s text', () => {
    assertUsageLine(keyless('sign-blob', 'f', '--bundel', 'x'), /unknown option --bundel \(did you mean --bundle\?\); see 'keyless sign-blob --help'/);
    assertUsageLine(keyless('verify-blob', 'f', '--certificate-identiy', 'x'), /unknown option --certificate-identiy \(did you mean --certificate-identity\?\)/);
    assertUsageLine(keyless('serve', '--prot', '1'), /unknown option --prot \(did you mean --port\?\)/);
    assertUsageLine(keyless('verify-blob', '--no-such-flag'), /unknown option --no-such-flag; see 'keyless verify-blob --help'/);
  });

  it('missing values and arguments: one line each', () => {
    assertUsageLine(keyless('sign-blob', 'f', '--bundle'), /--bundle needs a value; see 'keyless sign-blob --help'/);
    assertUsageLine(keyless('sign-blob', 'f', '--yes=1', '--bundle', 'b'), /--yes takes no value/);
    assertUsageLine(keyless('sign-blob', '--bundle', 'b'), /give exactly one FILE to sign; see 'keyless sign-blob --help'/);
    assertUsageLine(keyless('verify-blob', 'f', '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y'), /--bundle is required/);
  });

  it('--help prints the usage on stdout, exit 0', () => {
    for (const args of [['--help'], ['sign-blob', '--help'], ['npm', '-h']]) {
      const r = keyless(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: keyless/);
      assert.equal(r.stderr, '');
    }
  });
});

/** Resolves true when something accepts a connection on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('npm start stops with its process', { timeout: 90_000 }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm's PID: no server left on the port`, { timeout: 40_000 }, async () => {
      const dataDir = tempDir('keyless-npm-start-');
      // Its own process group, so that whatever is left can be cleaned up by group below, never by name.
      const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir], {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KEYLESS_LOG_LEVEL: 'warn' },
      });
      const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
      try {
        let out = '';
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`npm start did not start the server in 20 s:\n${out}`)), 20_000);
          const read = (d: Buffer) => {
            out += d.toString();
            const m = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(Number(m[1]));
            }
          };
          npm.stdout!.on('data', read);
          npm.stderr!.on('data', read);
        });
        assert.equal(await listening(port), true);
        process.kill(npm.pid!, signal);
        // Bounded, so that a failure still reaches the clean-up below.
        const npmExited = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
        assert.ok(npmExited, `npm did not exit within 15 s of ${signal}`);
        let up = true;
        for (let i = 0; i < 100 && up; i++) {
          up = await listening(port);
          if (up) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(up, false, `a server still listens on ${port} 10 s after npm got ${signal}`);
      } finally {
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // the group is gone: nothing was left behind
        }
      }
    });
  }
});
