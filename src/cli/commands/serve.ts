/**
 * `keyless serve`: the private instance in one process. Keys and the embedded store live in the data directory;
 * `--store postgres` shares one PostgreSQL between several stateless frontends.
 * Every setting comes from a flag, else an environment variable (KEYLESS_<NAME>), else a JSON config file
 * (`--config`, keys as the flags' names), else its default.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { KeylessError } from '../../core/errors.js';
import { parseIssuerConfig } from '../../oidc/index.js';
import { createApp, DEFAULT_TIMEOUTS } from '../../server/app.js';
import { shutdownGracefully } from '../../server/shutdown.js';
import { readinessChecks, runChecks, witnessCheck } from '../../server/readiness.js';
import { dataPath, ensureDir, ensureFile } from '../../server/data-dir.js';
import { generateTufKeys, refreshingTufRepository, tufKeysFromPem, tufKeysToPem } from '../../trust/tuf/index.js';
import { EXTRA_SERVICE_NAMES, openInstance, SERVICE_NAMES, type ServiceName, type StoreConfig } from '../../server/instance.js';
import { witnessServeOptions } from './witness-flags.js';
import { nativeStatus } from '../../native/index.js';
import { createMetrics } from '../../server/metrics.js';
import { serializeSigningConfig, serializeTrustedRoot } from '../../trust/index.js';
import { parse, usageError, type Parsed } from '../args.js';
import { readFileOrFail, type Output } from '../io.js';

const DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;
/** A log batch's window in `keyless serve` (LogOptions.batchWaitMs): see --batch-wait-ms and README "What a deployment needs". */
const DEFAULT_BATCH_WAIT_MS = 5;

export const USAGE = `Usage: keyless serve [options]

Runs the keyless services on one port: the transparency logs (Rekor v1 API, Rekor v2 API with C2SP tiles),
the certificate authority (Fulcio v2 API) with its CT log, and the RFC 3161 timestamp authority; writes and
serves trusted_root.json and signing_config.json; /healthz and Prometheus /metrics.

Options (each also KEYLESS_<NAME> in the environment, e.g. KEYLESS_DATA_DIR, or a key of the --config file):
  --config FILE         JSON file of settings, keys as these options' names ({"port": 8443, "tls-cert": …})
  --data-dir DIR        keys, instance identity and the embedded database (default ./keyless-data)
  --host HOST           address to listen on (default 127.0.0.1)
  --port PORT           port to listen on (default 3000, or PORT; 0 picks a free one)
  --public-url URL      the URL clients use (default http(s)://HOST:PORT); names the logs at first start
  --only LIST           comma-separated services to run (${SERVICE_NAMES.join(', ')}; default all)
  --store DRIVER        sqlite (default, in the data directory) or postgres
  --postgres-url URL    PostgreSQL connection string
  --postgres-schema S   schema for keyless's tables (default keyless)
  --body-limit BYTES    largest request body accepted (default 1048576)
  --batch-wait-ms MS    how long a log submission may wait for others to join its batch, 0 to 1000 (default
                        ${DEFAULT_BATCH_WAIT_MS}); a batch costs about 1 ms of CPU whatever its size, so under moderate load this
                        window cuts the CPU per entry by a third for a few ms of latency (0: no window)
  --headers-timeout S   seconds a client may take to send its request headers (default ${DEFAULT_TIMEOUTS.headersMs / 1000})
  --request-timeout S   seconds a client may take to send its whole request, body included; a half-sent body is
                        answered 408 and the connection closed (default ${DEFAULT_TIMEOUTS.requestMs / 1000})
  --keep-alive-timeout S  seconds an idle keep-alive connection stays open (default ${DEFAULT_TIMEOUTS.keepAliveMs / 1000})
  --shutdown-grace S    on SIGTERM/SIGINT/SIGHUP, seconds to let requests in flight finish; then the remaining
                        connections are closed and the store released (default ${DEFAULT_SHUTDOWN_GRACE_SECONDS})
  --tls-cert FILE       serve HTTPS with this PEM certificate chain (with --tls-key)
  --tls-key FILE        the PEM private key for --tls-cert
  --log-level LEVEL     fatal, error, warn (default), info (one JSON line per request), debug
  --oidc-config FILE    extra OIDC issuers for the CA (Fulcio's config file format, JSON), e.g. a self-managed GitLab
  --dev-oidc-issuer     also serve a GitLab-shaped OIDC issuer for local pipelines (tokens: keyless dev-token);
                        development only: refused unless --host is a loopback address

Witnessing (C2SP tlog-witness; see README "Witnesses"):
  --witness NAME=URL+VKEY  send each Rekor v2 checkpoint to this witness (repeatable; URL is its submission
                        prefix, VKEY its cosignature/v1 verifier key); the log's own vkey is in DATA-DIR/rekor-v2.vkey
  --witness-quorum K    publish a checkpoint as soon as K witnesses cosigned it (default: all of them)
  --witness-timeout MS  longest a batch's acknowledgement waits for cosignatures (default 2000); a witness that is
                        down or refuses never stops appends, the checkpoint is then published with fewer cosignatures
  --witness-config FILE with --only witness: the logs this witness follows, lines "log <vkey> [<url>]"
  --witness-name NAME   with --only witness: its key name (default HOST/witness of --public-url)
  --reset-witness-state-unsafe  with --only witness: start although the witness key exists and its state is
                        missing, forgetting what it cosigned (it could then cosign a fork)`;

const OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
  only: { type: 'string' },
  store: { type: 'string' },
  'postgres-url': { type: 'string' },
  'postgres-schema': { type: 'string' },
  'body-limit': { type: 'string' },
  'batch-wait-ms': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'shutdown-grace': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'log-level': { type: 'string' },
  'oidc-config': { type: 'string' },
  'dev-oidc-issuer': { type: 'boolean' },
  witness: { type: 'string', multiple: true },
  'witness-quorum': { type: 'string' },
  'witness-timeout': { type: 'string' },
  'witness-config': { type: 'string' },
  'witness-name': { type: 'string' },
  'reset-witness-state-unsafe': { type: 'boolean' },
} as const;

type SettingName = keyof typeof OPTIONS;

/** A duration setting in seconds (fractions allowed), as milliseconds. */
function seconds(get: (name: SettingName) => string | undefined, name: SettingName, fallbackMs: number): number {
  const text = get(name);
  if (text === undefined) return fallbackMs;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 3600) throw usageError(`--${name} must be a number of seconds above 0 and at most 3600, not ${JSON.stringify(text)}`, USAGE);
  return Math.round(value * 1000);
}

/** flag > KEYLESS_<NAME> > config file > undefined. */
function settings(parsed: Parsed, env: NodeJS.ProcessEnv): (name: SettingName) => string | undefined {
  const configPath = typeof parsed.values['config'] === 'string' ? parsed.values['config'] : env.KEYLESS_CONFIG;
  let config: Record<string, unknown> = {};
  if (configPath !== undefined) {
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new KeylessError('ERR_USAGE', `config file ${configPath} is not readable JSON: ${(cause as Error).message}`, {}, { cause });
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new KeylessError('ERR_USAGE', `config file ${configPath} must hold a JSON object`);
    const unknown = Object.keys(config).filter((k) => !(k in OPTIONS) || k === 'config');
    if (unknown.length > 0) throw new KeylessError('ERR_USAGE', `config file ${configPath} has unknown settings: ${unknown.join(', ')} (known: ${Object.keys(OPTIONS).filter((k) => k !== 'config').join(', ')})`);
  }
  return (name) => {
    const flag = parsed.values[name];
    if (typeof flag === 'string') return flag;
    if (Array.isArray(flag) && flag.length > 0) return flag.join(' ');
    if (flag === true) return 'true';
    const fromEnv = env[`KEYLESS_${name.toUpperCase().replace(/-/g, '_')}`];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromConfig = config[name];
    return fromConfig === undefined || fromConfig === null ? undefined : String(fromConfig);
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A refusal to serve a rolled-back store shows what was published and what the store holds, before the one-line error. */
function printStoreEvidence(err: unknown, io: Output): void {
  if (!(err instanceof KeylessError) || err.code !== 'ERR_STORE_ROLLBACK') return;
  const { recordedCheckpoint, storeCheckpoint, record } = err.details;
  io.err(`keyless serve: the last checkpoint this log published (recorded in ${String(record)}):\n${String(recordedCheckpoint)}`);
  io.err(storeCheckpoint === null ? 'keyless serve: the store holds no checkpoint.' : `keyless serve: the store's checkpoint:\n${String(storeCheckpoint)}`);
}

/** `port` if we can listen on it now; else the one-line error that `listen` would have led to. */
async function portAvailable(host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenError(err, host, port)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
  return port;
}

export async function serve(argv: string[], io: Output): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument ${parsed.positionals[0]}`, USAGE);
  const env = process.env;
  const get = settings(parsed, env);
  const dataDir = get('data-dir') ?? 'keyless-data';
  const host = get('host') ?? '127.0.0.1';
  const port = Number(get('port') ?? env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port must be a port number', USAGE);
  const only = new Set<ServiceName>();
  const known = [...SERVICE_NAMES, ...EXTRA_SERVICE_NAMES];
  for (const name of (get('only') ?? SERVICE_NAMES.join(',')).split(',').map((s) => s.trim())) {
    if (!(known as readonly string[]).includes(name)) throw usageError(`unknown service ${JSON.stringify(name)} in --only (known: ${known.join(', ')})`, USAGE);
    only.add(name as ServiceName);
  }
  const driver = get('store') ?? 'sqlite';
  let store: StoreConfig;
  if (driver === 'sqlite') store = { driver };
  else if (driver === 'postgres') {
    const url = get('postgres-url');
    if (url === undefined) throw usageError('--store postgres needs --postgres-url (or KEYLESS_POSTGRES_URL)', USAGE);
    const schema = get('postgres-schema');
    store = { driver, url, ...(schema !== undefined ? { schema } : {}) };
  } else throw usageError(`--store must be sqlite or postgres, not ${JSON.stringify(driver)}`, USAGE);
  const batchWaitMs = Number(get('batch-wait-ms') ?? DEFAULT_BATCH_WAIT_MS);
  if (!Number.isFinite(batchWaitMs) || batchWaitMs < 0 || batchWaitMs > 1000) throw usageError('--batch-wait-ms must be a number of milliseconds from 0 to 1000', USAGE);
  const bodyLimit = Number(get('body-limit') ?? 1024 * 1024);
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) throw usageError('--body-limit must be an integer of at least 1024', USAGE);
  const timeouts = {
    headersMs: seconds(get, 'headers-timeout', DEFAULT_TIMEOUTS.headersMs),
    requestMs: seconds(get, 'request-timeout', DEFAULT_TIMEOUTS.requestMs),
    keepAliveMs: seconds(get, 'keep-alive-timeout', DEFAULT_TIMEOUTS.keepAliveMs),
  };
  const shutdownGraceMs = seconds(get, 'shutdown-grace', DEFAULT_SHUTDOWN_GRACE_SECONDS * 1000);
  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw usageError('--tls-cert and --tls-key go together', USAGE);
  const https = tlsCert !== undefined && tlsKey !== undefined
    ? { cert: readFileOrFail(tlsCert, 'TLS certificate', 1024 * 1024).toString('utf8'), key: readFileOrFail(tlsKey, 'TLS key', 1024 * 1024).toString('utf8') }
    : undefined;

  // Port 0: pick the free port now, so that the public URL (and the trust files naming it) is the real one.
  // Any other port is tried now too, so that a busy one is reported before keys or a database are made.
  const listenPort = port === 0 ? await freePort(host) : await portAvailable(host, port);
  const publicUrl = get('public-url') ?? `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listenPort}`;
  const devOidcIssuer = get('dev-oidc-issuer') === 'true';
  // The dev issuer mints tokens for any project to whoever holds the data directory; on a reachable address the
  // CA would then certify identities nobody proved. So it is loopback-only, with no switch to override that.
  if (devOidcIssuer && !isLoopback(host)) throw usageError(`--dev-oidc-issuer is for local pipelines only and is refused on --host ${host} (use 127.0.0.1 or ::1)`, USAGE);
  const oidcConfig = get('oidc-config');
  const oidcIssuers = oidcConfig === undefined ? [] : parseIssuerConfig(JSON.parse(readFileOrFail(oidcConfig, 'OIDC issuer config', 1024 * 1024).toString('utf8')));
  const metrics = createMetrics();
  const witnessing = witnessServeOptions(get, only, publicUrl, USAGE);
  const instance = await openInstance({ dataDir, publicUrl, only, store, devOidcIssuer, oidcIssuers, metrics, batchWaitMs, ...witnessing }).catch((err: unknown) => {
    printStoreEvidence(err, io);
    throw err;
  });
  const checks = readinessChecks({ logs: instance.logs, store: instance.store, ...(store.driver === 'sqlite' && instance.store !== undefined ? { probeDir: dataPath(dataDir, 'db') } : {}) });
  if (devOidcIssuer) io.err(`keyless serve: WARNING: the development OIDC issuer is on (${publicUrl}); its tokens are trusted by this CA. Never use it for real signing.`);
  const trustedRootJson = serializeTrustedRoot(instance.trustedRoot());
  const signingConfigJson = serializeSigningConfig(instance.signingConfig());
  // The trust files also go out through TUF, so that Sigstore clients (e.g. `sigstore verify --tuf-mirror-url
  // URL/tuf --tuf-root-path root.json`) fetch them as they fetch the public-good ones.
  const tufKeys = tufKeysFromPem(ensureFile(dataPath(dataDir, 'keys', 'tuf.pem'), () => tufKeysToPem(generateTufKeys())));
  const tuf = refreshingTufRepository({
    keys: tufKeys,
    targets: {
      'trusted_root.json': new TextEncoder().encode(`${JSON.stringify(trustedRootJson, null, 2)}\n`),
      'signing_config.v0.2.json': new TextEncoder().encode(`${JSON.stringify(signingConfigJson, null, 2)}\n`),
    },
  });
  const tufRootPath = dataPath(dataDir, 'tuf', 'root.json');
  ensureDir(dataPath(dataDir, 'tuf'));
  writeFileSync(tufRootPath, tuf().rootJson);
  const app = createApp({ ...instance.services, tuf, trust: { trustedRoot: () => trustedRootJson, signingConfig: () => signingConfigJson } }, {
    bodyLimit,
    metrics,
    // The explorer page ships in the package's web/ folder (dist/src/cli/commands → ../../../../web).
    webDir: fileURLToPath(new URL('../../../../web', import.meta.url)),
    ...(https ? { https } : {}),
    logger: { level: get('log-level') ?? 'warn' },
    timeouts,
    // Liveness does not read the store: a database outage must not make an orchestrator restart every frontend.
    health: async () => ({ logs: Object.fromEntries(instance.logs.map((l) => [l.id, l.latestSize])), nativeDigestVerify: nativeStatus().loaded }),
    ready: () => runChecks(checks, undefined, instance.witnessReadiness === undefined ? {} : { witnesses: witnessCheck(() => instance.witnessReadiness!()) }),
  });
  const trustedRootPath = dataPath(dataDir, 'trusted_root.json');
  writeFileSync(trustedRootPath, `${JSON.stringify(trustedRootJson, null, 2)}\n`);
  const signingConfigPath = dataPath(dataDir, 'signing_config.json');
  writeFileSync(signingConfigPath, `${JSON.stringify(signingConfigJson, null, 2)}\n`);

  let address: string;
  try {
    address = await app.listen({ host, port: listenPort });
  } catch (err) {
    await app.close().catch(() => undefined);
    await instance.close().catch(() => undefined);
    throw listenError(err, host, listenPort);
  }
  if (new URL(publicUrl).host !== instance.identity.host) {
    io.err(`keyless serve: note: the logs were named for ${instance.identity.host} at first start; clients reach them at ${publicUrl}`);
  }
  // Graceful shutdown: stop accepting, let in-flight requests (and the batch they wait on) finish, then close the store.
  // The handlers are in place before "listening" is printed: a signal sent by whoever waits for that line must not
  // meet the default action (terminate at once).
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.err(`keyless serve: ${signal}, shutting down`);
      for (const s of SHUTDOWN_SIGNALS) process.removeAllListeners(s);
      resolve();
    };
    // SIGHUP too: a closed terminal would otherwise end the process without the graceful path.
    for (const s of SHUTDOWN_SIGNALS) process.once(s, () => stop(s));
  });
  io.out(`keyless serve: listening on ${address}`);
  io.out(`  services: ${[...only].join(', ')}${devOidcIssuer ? ', dev OIDC issuer' : ''}; store: ${store.driver}; data: ${dataDir}`);
  io.out(`  trusted root: ${trustedRootPath} (also ${publicUrl}/trusted_root.json)`);
  io.out(`  signing config: ${signingConfigPath} (also ${publicUrl}/signing_config.json)`);
  io.out(`  TUF: mirror ${publicUrl}/tuf, initial root ${tufRootPath}`);
  if (instance.logVkey !== undefined) io.out(`  log vkey (rekor-v2, for witnesses): ${instance.logVkey}`);
  const native = nativeStatus();
  if (instance.logs.length > 0 && !native.loaded) {
    io.err(`keyless serve: note: the native addon is not in use (${native.reason}); the logs check signatures over digests in JavaScript (about a third more CPU per entry)`);
  }
  if (instance.witnessVkey !== undefined) io.out(`  witness vkey: ${instance.witnessVkey}`);

  await stopped;
  const outcome = await shutdownGracefully({ app, release: () => instance.close(), graceMs: shutdownGraceMs });
  if (outcome.forced > 0) io.err(`keyless serve: closed ${outcome.forced} connection(s) still open after the shutdown grace of ${shutdownGraceMs / 1000} s`);
  if (outcome.releaseError !== undefined) io.err(`keyless serve: the store was not released cleanly: ${outcome.releaseError}`);
  return 0;
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A port that is taken or not ours is the operator's input problem (exit 2, one line), not an internal error. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return new KeylessError('ERR_USAGE', `port ${port} on ${host} is already in use; stop what is listening there or pick another with --port (0 picks a free one)`, { port, host });
  }
  if (code === 'EACCES') return new KeylessError('ERR_USAGE', `not allowed to listen on port ${port} on ${host}; pick another with --port (ports below 1024 need privileges)`, { port, host });
  if (code === 'EADDRNOTAVAIL') return new KeylessError('ERR_USAGE', `cannot listen on ${host}: no such local address; check --host`, { port, host });
  return err;
}
