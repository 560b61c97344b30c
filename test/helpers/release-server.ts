// A loopback HTTP server that stands in for a GitLab generic package registry holding keyless's release files
// (`GET <prefix>/<file>`), and the release files themselves, made for speed from this checkout: the
// "keyless-linux-x64" is a shell script that runs this checkout's CLI (the real one is a Node single executable),
// and "keyless.cjs" imports it. Every request is recorded with its JOB-TOKEN header, so tests see who sent the
// job token where.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './vectors.js';

export interface ReleaseRequest {
  readonly path: string;
  readonly jobToken: string | undefined;
}

export interface ReleaseServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: ReleaseRequest[];
  /** Serves `bytes` at `path` (replacing what was there). */
  put(path: string, bytes: string | Uint8Array): void;
  stop(): Promise<void>;
}

export const sha256Hex = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The release files a template downloads, standing in for the real ones (see the opening comment). */
export function fakeReleaseFiles(): { 'keyless-linux-x64': string; 'keyless.cjs': string } {
  return {
    'keyless-linux-x64': `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin', 'keyless.js')}' "$@"\n`,
    'keyless.cjs': `// stands in for the one-file CLI (CommonJS, as the real one is)\nvoid import(${JSON.stringify(pathToFileURL(join(ROOT, 'bin', 'keyless.js')).href)});\n`,
  };
}

export async function startReleaseServer(): Promise<ReleaseServer> {
  const files = new Map<string, Uint8Array>();
  const requests: ReleaseRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const token = req.headers['job-token'];
    requests.push({ path, jobToken: Array.isArray(token) ? token[0] : token });
    const body = req.method === 'GET' ? files.get(path) : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404 Package Not Found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    put: (path, bytes) => files.set(path, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
