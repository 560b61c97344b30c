// Loopback stand-ins for a corporate network and a bad day at a service: a forward proxy (HTTP CONNECT tunnels and
// absolute-URI requests) that counts what goes through it, and a flaky service that answers from a script.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface Proxy {
  readonly url: string;
  /** host:port of every CONNECT tunnel and absolute-URI request, in order. */
  readonly seen: string[];
  close(): Promise<void>;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const tunnels = new Set<Socket>();
  const server = createServer((req, res) => {
    // Absolute-form request (RFC 9112 §3.2.2): forward it.
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('proxy: absolute URI required');
      return;
    }
    seen.push(target.host);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    seen.push(req.url ?? '');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnels.add(upstream);
    tunnels.add(client);
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      for (const t of tunnels) t.destroy();
      return closeServer(server, sockets);
    },
  };
}

/** One scripted answer: a status (with headers and body), a connection reset, or no answer at all. */
export type Behaviour = { status: number; headers?: Record<string, string>; body?: string } | 'reset' | 'hang';

export interface Flaky {
  readonly url: string;
  /** When each request arrived (Date.now()), and what it got. */
  readonly requests: { at: number; method: string; path: string; got: string }[];
  close(): Promise<void>;
}

/**
 * Answers request n with script[n]; after the script, with `then` (default 200 `{"ok":true}`). A 'reset' destroys
 * the socket once the request has been read, as a load balancer that drops a connection does.
 */
export async function startFlaky(script: Behaviour[], then: Behaviour = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }): Promise<Flaky> {
  const requests: Flaky['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const behaviour = script[requests.length] ?? then;
      requests.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', got: typeof behaviour === 'string' ? behaviour : String(behaviour.status) });
      if (behaviour === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (behaviour === 'hang') return;
      res.writeHead(behaviour.status, behaviour.headers ?? {});
      res.end(behaviour.body ?? '');
    });
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server, sockets) };
}

/** What a front does with one request: pass it on, refuse it (not forwarded), or forward it and lose the answer. */
export type FrontPlan = 'pass' | { refuse: number; retryAfter?: string } | 'forward-then-reset';

export interface Front {
  readonly url: string;
  /** Where requests are forwarded; set once the service behind has started. */
  upstream: string;
  /** Method, path and plan of every request, in order. */
  readonly log: { method: string; path: string; plan: string }[];
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of a service, as a load balancer on a bad day: `plan` decides per request. With
 * 'forward-then-reset' the service has processed the request when the client's connection is reset — the case
 * where a retry is safe only because the service de-duplicates.
 */
export async function startFront(plan: (method: string, path: string) => FrontPlan): Promise<Front> {
  const log: Front['log'] = [];
  const front: { upstream: string } = { upstream: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = plan(req.method ?? '', req.url ?? '');
      log.push({ method: req.method ?? '', path: req.url ?? '', plan: typeof p === 'string' ? p : `refuse ${p.refuse}` });
      if (typeof p === 'object') {
        res.writeHead(p.refuse, { 'content-type': 'application/json', ...(p.retryAfter !== undefined ? { 'retry-after': p.retryAfter } : {}) });
        res.end(JSON.stringify({ code: p.refuse, message: 'front: try again later' }));
        return;
      }
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = httpRequest(new URL(req.url ?? '/', front.upstream), { method: req.method, headers }, (up) => {
        const body: Buffer[] = [];
        up.on('data', (c: Buffer) => body.push(c));
        up.on('end', () => {
          if (p === 'forward-then-reset') {
            req.socket.resetAndDestroy();
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(body));
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(front, { url: `http://127.0.0.1:${port}`, log, close: () => closeServer(server, sockets) }) as Front;
}
