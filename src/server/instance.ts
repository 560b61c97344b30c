/**
 * A keyless instance: the services of one deployment, built from a data directory and a store. `keyless serve`
 * runs one; tests start one in-process or as a child process.
 */
import { createPrivateKey, generateKeyPairSync, randomInt } from 'node:crypto';
import { FileHeadRecord } from '../log/head-record.js';
import { writeFileSync } from 'node:fs';
import { cosignerKeyFromVkey, noteVkey } from '../core/cosignature.js';
import { KeylessError } from '../core/errors.js';
import type { LogHead } from '../log/store/types.js';
import { CosignatureCollector, type CollectorStatus } from '../witness/collector.js';
import { openWitnessInstance, type WitnessInstance, type WitnessInstanceOptions } from './witness.js';
import { watchWitnessing, witnessRequestCounter } from './witness-metrics.js';
import { TransparencyLog } from '../log/log.js';
import { RekorV1Api } from '../log/rekor-v1.js';
import { RekorV2Api } from '../log/rekor-v2.js';
import { ExplorerApi } from '../log/explorer.js';
import { createLogSigner } from '../log/signer.js';
import { createPostgresStore, createSqliteStore } from '../log/store/index.js';
import type { LogStore } from '../log/store/types.js';
import type { SigningConfig, TransparencyLogInstance, TrustedRoot } from '../trust/types.js';
import { SIGNING_CONFIG_MEDIA_TYPE_V02, TRUSTED_ROOT_MEDIA_TYPE_V01 } from '../trust/types.js';
import { REKOR_V2_PREFIX, type AppServices } from './app.js';
import type { Metrics } from './metrics.js';
import { dataPath, ensureDir, ensureFile, ensureFileAsync } from './data-dir.js';
import { createTimestampAuthority, generateTsaCertificates } from '../tsa/index.js';
import { pemDecodeAll } from '../core/encoding.js';
import { createCertificateAuthority, generateCaCertificates } from '../ca/index.js';
import { createCtLog } from '../log/ct/index.js';
import { signedTreeHead } from '../log/ct-sth.js';
import {
  createDevIssuer,
  createTokenVerifier,
  DEFAULT_ISSUERS,
  DEV_ISSUER_JWKS_PATH,
  DEV_ISSUER_KEY_PATH,
  DISCOVERY_PATH,
  generateDevIssuerKey,
  type IssuerConfig,
} from '../oidc/index.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type ServiceName = 'log' | 'tsa' | 'ca' | 'witness';
/** The services `keyless serve` runs by default. */
export const SERVICE_NAMES: readonly ServiceName[] = ['log', 'tsa', 'ca'];
/** Services that run only when `--only` names them (a witness needs its own configuration). */
export const EXTRA_SERVICE_NAMES: readonly ServiceName[] = ['witness'];

export type StoreConfig = { driver: 'sqlite' } | { driver: 'postgres'; url: string; schema?: string };

export interface InstanceOptions {
  readonly dataDir: string;
  /** The base URL clients reach this instance at; its host names the logs (fixed at first start). */
  readonly publicUrl: string;
  readonly only?: ReadonlySet<ServiceName>;
  readonly store?: StoreConfig;
  readonly now?: () => number;
  readonly maxBatch?: number;
  /** Milliseconds a log submission may wait for others to join its batch (LogOptions.batchWaitMs; default 0). */
  readonly batchWaitMs?: number;
  /**
   * Serves a GitLab-shaped OIDC issuer at the instance's own URL (tokens minted with `keyless dev-token`) and
   * makes the CA trust it. For local pipelines only: the caller must refuse it on a public instance.
   */
  readonly devOidcIssuer?: boolean;
  /** Extra OIDC issuers the CA accepts (Fulcio's config format or an array), besides gitlab.com and GitHub Actions. */
  readonly oidcIssuers?: readonly IssuerConfig[];
  /** How the CA fetches issuers' discovery documents and keys (tests inject one). */
  readonly fetch?: typeof fetch;
  /** Where the logs report their batches and sizes. */
  readonly metrics?: Metrics;
  /** Witnesses the Rekor v2 log sends its checkpoints to (C2SP tlog-witness), and how long a batch waits. */
  readonly witnessing?: WitnessingOptions;
  /** The witness service (`--only witness`): its name and the logs it follows. */
  readonly witness?: Omit<WitnessInstanceOptions, 'dataDir' | 'now' | 'onRequest'>;
}

/** What identifies this instance's logs forever: written once to `instance.json`. */
export interface InstanceIdentity {
  readonly createdAt: number;
  readonly host: string;
  readonly rekorV1: { readonly treeId: string; readonly origin: string; readonly keyName: string };
  readonly rekorV2: { readonly origin: string };
}

export interface Instance {
  readonly identity: InstanceIdentity;
  readonly services: AppServices;
  readonly logs: readonly TransparencyLog[];
  readonly store: LogStore | undefined;
  /** The Rekor v2 log's checkpoint vkey (C2SP signed-note), for witnesses' configurations. */
  readonly logVkey?: string;
  /** The witness service's cosigning vkey. */
  readonly witnessVkey?: string;
  /**
   * For /readyz: whether the Rekor v2 log's last published checkpoint carries its witness quorum (undefined
   * without --witness). Appends go on either way; a shortfall is a degraded instance, not a dead one.
   */
  witnessReadiness?(): { readonly ready: boolean; readonly reason?: string };
  trustedRoot(): TrustedRoot;
  /** Where signers find this instance's services (SigningConfig v0.2): CA, OIDC (dev issuer), Rekor v2 and v1, TSA. */
  signingConfig(): SigningConfig;
  /** Finishes in-flight writes, then releases the store. */
  close(): Promise<void>;
}

export async function openInstance(opts: InstanceOptions): Promise<Instance> {
  ensureDir(opts.dataDir);
  const only = opts.only ?? new Set(SERVICE_NAMES);
  const identity = loadIdentity(opts.dataDir, opts.publicUrl, opts.now ?? Date.now);
  const logs: TransparencyLog[] = [];
  let store: LogStore | undefined;
  const services: Mutable<AppServices> = {};
  const base = opts.publicUrl.replace(/\/+$/, '');
  let tsaChain: Uint8Array[] = [];
  // Outside db/: a lost WAL or a restored copy of db/ leaves it as it was (head-record.ts).
  const record = new FileHeadRecord(dataPath(opts.dataDir, 'checkpoints'));
  // What every log of the instance (Rekor v1 and v2, the CT log) is opened with besides its own name and key.
  const logBase = { record, ...(opts.now ? { now: opts.now } : {}), ...(opts.batchWaitMs ? { batchWaitMs: opts.batchWaitMs } : {}) };

  let collector: CosignatureCollector<LogHead> | undefined;
  let logVkey: string | undefined;
  const witnessOutcome = opts.metrics !== undefined && opts.witnessing !== undefined && opts.witnessing.witnesses.length > 0
    ? watchWitnessing(opts.metrics.registry, () => (collector === undefined ? [] : [{ log: 'rekor-v2', status: () => collector!.status() }]))
    : undefined;
  let witness: WitnessInstance | undefined;
  if (only.has('witness')) {
    if (opts.witness === undefined) throw new KeylessError('ERR_USAGE', 'the witness service needs a configuration: --witness-config FILE (lines "log <vkey>")');
    witness = openWitnessInstance({
      ...opts.witness,
      dataDir: opts.dataDir,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.metrics ? { onRequest: witnessRequestCounter(opts.metrics.registry) } : {}),
    });
    services.witness = witness.witness;
  }

  if (only.has('log')) {
    store ??= await openStore(opts);
    const v1Key = createPrivateKey(ensureFile(dataPath(opts.dataDir, 'keys', 'rekor-v1.pem'), () => pkcs8Pem('ec')));
    const v2Key = createPrivateKey(ensureFile(dataPath(opts.dataDir, 'keys', 'rekor-v2.pem'), () => pkcs8Pem('ed25519')));
    const common = { ...logBase, store, ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}) };
    const v1 = await new TransparencyLog({
      ...observed(opts.metrics, 'rekor-v1'),
      id: 'rekor-v1',
      origin: identity.rekorV1.origin,
      signer: createLogSigner(v1Key, identity.rekorV1.keyName, 'rekor-v1'),
      ...common,
    }).open();
    // The collector asks the log for consistency proofs; the log is made after it (it takes its publish hook).
    const v2Ref: { log?: TransparencyLog } = {};
    collector = createCollector(opts, async (a, b) => (await v2Ref.log!.consistencyProof(a, b)).proof, witnessOutcome?.('rekor-v2'));
    const publisher = collector;
    const v2 = await new TransparencyLog({
      ...observed(opts.metrics, 'rekor-v2'),
      id: 'rekor-v2',
      origin: identity.rekorV2.origin,
      signer: createLogSigner(v2Key, identity.rekorV2.origin, 'c2sp'),
      ...(publisher !== undefined ? { publish: (head: LogHead) => publisher.publish(head) } : {}),
      ...common,
    }).open();
    v2Ref.log = v2;
    logVkey = noteVkey(identity.rekorV2.origin, v2Key);
    writeFileSync(dataPath(opts.dataDir, 'rekor-v2.vkey'), `${logVkey}\n`);
    if (publisher !== undefined) services.witnessStatus = () => ({ ...witnessReadiness(publisher.status()), logs: { 'rekor-v2': publisher.status() } });
    logs.push(v1, v2);
    services.logV1 = new RekorV1Api(v1, identity.rekorV1.treeId);
    services.logV2 = new RekorV2Api(v2);
    services.explorer = new ExplorerApi([
      { name: 'v2', label: 'Rekor v2', log: v2 },
      { name: 'v1', label: 'Rekor v1', log: v1 },
    ]);
  }

  if (only.has('tsa')) {
    // Key and chain in one file, so that they are created together or not at all.
    const pem = await ensureFileAsync(dataPath(opts.dataDir, 'keys', 'tsa.pem'), async () => {
      const made = await generateTsaCertificates({ commonName: `${identity.host} tsa`, organization: 'keyless' });
      return `${made.keyPem}${made.chainPem}`;
    });
    tsaChain = pemDecodeAll(pem, 'CERTIFICATE');
    services.tsa = createTimestampAuthority({ key: createPrivateKey(pem), chain: tsaChain, ...(opts.now ? { now: opts.now } : {}) });
  }

  let caChain: Uint8Array[] = [];
  let ctLog: TransparencyLog | undefined;
  if (opts.devOidcIssuer === true) {
    const pem = await ensureFileAsync(dataPath(opts.dataDir, DEV_ISSUER_KEY_PATH), async () => (await generateDevIssuerKey()).privateKeyPem);
    services.devIssuer = createDevIssuer({ issuer: base, privateKeyPem: pem });
  }
  if (only.has('ca')) {
    store ??= await openStore(opts);
    // The CT log runs on the same engine as the transparency logs: an SCT is signed only after its precertificate
    // entry is durably in the tree.
    const ctKey = createPrivateKey(ensureFile(dataPath(opts.dataDir, 'keys', 'ct.pem'), () => pkcs8Pem('ec')));
    ctLog = await new TransparencyLog({ ...observed(opts.metrics, 'ct'), id: 'ct', origin: `${identity.host}/ct`, signer: createLogSigner(ctKey, `${identity.host}/ct`, 'rekor-v1'), store, ...logBase }).open();
    const log = ctLog;
    const ct = createCtLog({ key: ctKey, append: async (leaf) => ({ index: (await log.submit({ body: leaf, searchKeys: [], withoutProof: true })).entry.index }), ...(opts.now ? { now: opts.now } : {}) });
    services.ct = { ct, sth: async () => signedTreeHead(await log.head(), log.signer, (opts.now ?? Date.now)()) };

    const caPem = await ensureFileAsync(dataPath(opts.dataDir, 'keys', 'ca.pem'), async () => {
      // A P-256 intermediate: ten times the certificates per second of a P-384 one (see generateCaCertificates).
      const made = await generateCaCertificates({ organization: 'keyless', commonName: `${identity.host} ca`, intermediateCurve: 'P-256' });
      return `${made.intermediateKeyPem}${made.intermediatePem}${made.rootPem}`;
    });
    caChain = pemDecodeAll(caPem, 'CERTIFICATE');
    const issuers: IssuerConfig[] = [...DEFAULT_ISSUERS, ...(opts.oidcIssuers ?? [])];
    if (services.devIssuer !== undefined) issuers.push({ issuerUrl: services.devIssuer.issuer, clientId: 'sigstore', type: 'gitlab-pipeline' });
    const fetchFn = opts.fetch ?? globalThis.fetch;
    const devIssuer = services.devIssuer;
    // The dev issuer answers its own discovery in-process: the CA need not call its own port.
    const selfFetch: typeof fetch = devIssuer === undefined ? fetchFn : async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `${devIssuer.issuer}${DISCOVERY_PATH}`) return Response.json(devIssuer.discovery());
      if (url === `${devIssuer.issuer}${DEV_ISSUER_JWKS_PATH}`) return Response.json(devIssuer.jwks());
      return fetchFn(input, init);
    };
    services.ca = createCertificateAuthority({
      tokenVerifier: createTokenVerifier({ issuers, fetch: selfFetch, ...(opts.now ? { now: opts.now } : {}) }),
      issuers: issuers.map((i) => ({ ...(i.issuerUrl !== undefined ? { issuerUrl: i.issuerUrl } : {}), ...(i.metaIssuer !== undefined ? { metaIssuer: i.metaIssuer } : {}), clientId: i.clientId, type: i.type })),
      signer: { key: createPrivateKey(caPem), chain: caChain },
      ct,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  const allLogs = ctLog === undefined ? logs : [...logs, ctLog];
  opts.metrics?.watchLogs(() => allLogs);
  return {
    identity,
    services,
    logs: allLogs,
    store,
    ...(logVkey !== undefined ? { logVkey } : {}),
    ...(witness !== undefined ? { witnessVkey: witness.witness.vkey } : {}),
    ...(collector !== undefined ? { witnessReadiness: () => witnessReadiness(collector!.status()) } : {}),
    trustedRoot: () => ({
      mediaType: TRUSTED_ROOT_MEDIA_TYPE_V01,
      tlogs: logs.map((log) => tlogInstance(log, log.id === 'rekor-v2' ? `${base}${REKOR_V2_PREFIX}` : base, identity.createdAt)),
      certificateAuthorities: caChain.length === 0 ? [] : [{
        subject: { organization: 'keyless', commonName: `${identity.host} ca` },
        uri: base,
        certChain: caChain,
        validFor: { start: identity.createdAt },
      }],
      ctlogs: ctLog === undefined ? [] : [tlogInstance(ctLog, base, identity.createdAt)],
      timestampAuthorities: tsaChain.length === 0 ? [] : [{
        subject: { organization: 'keyless', commonName: `${identity.host} tsa` },
        uri: base,
        certChain: tsaChain,
        validFor: { start: identity.createdAt },
      }],
    }),
    signingConfig: () => {
      const service = (url: string, majorApiVersion: number) => ({ url, majorApiVersion, validFor: { start: identity.createdAt }, operator: identity.host });
      return {
        mediaType: SIGNING_CONFIG_MEDIA_TYPE_V02,
        caUrls: services.ca ? [service(base, 1)] : [],
        oidcUrls: services.devIssuer ? [service(services.devIssuer.issuer, 1)] : [],
        // Rekor v2 first: a signer that speaks it prefers it (with a TSA timestamp); v1 stays for older clients.
        rekorTlogUrls: [...(services.logV2 ? [service(`${base}${REKOR_V2_PREFIX}`, 2)] : []), ...(services.logV1 ? [service(base, 1)] : [])],
        rekorTlogConfig: { selector: 'ANY' },
        tsaUrls: services.tsa ? [service(`${base}/api/v1/timestamp`, 1)] : [],
        tsaConfig: { selector: 'ANY' },
      };
    },
    close: async () => {
      collector?.close();
      for (const log of allLogs) await log.close();
      await store?.close();
      witness?.close();
    },
  };
}

export interface WitnessingOptions {
  readonly witnesses: readonly { readonly name: string; readonly url: string; readonly vkey: string }[];
  /** Cosignatures to wait for (default: all witnesses). */
  readonly quorum?: number;
  /** Longest a batch's acknowledgement waits for cosignatures (default 2000 ms). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

function witnessReadiness(status: CollectorStatus): { ready: boolean; reason?: string } {
  if (status.quorumMet) return { ready: true };
  const down = status.witnesses.filter((w) => w.lastError !== undefined && (w.lastSuccess === undefined || (w.lastErrorAt ?? '') > w.lastSuccess));
  const cosigned = status.published?.cosignatures ?? 0;
  return { ready: false, reason: `the last published checkpoint has ${cosigned} of ${status.quorum} witness cosignatures${down.length > 0 ? `; failing: ${down.map((w) => `${w.name} (${w.lastError})`).join(', ')}` : ''}` };
}

function createCollector(opts: InstanceOptions, consistencyProof: (a: number, b: number) => Promise<Uint8Array[]>, onOutcome: ((w: string, o: string) => void) | undefined): CosignatureCollector<LogHead> | undefined {
  const w = opts.witnessing;
  if (w === undefined || w.witnesses.length === 0) return undefined;
  return new CosignatureCollector<LogHead>({
    witnesses: w.witnesses.map((x) => ({ name: x.name, url: x.url, key: cosignerKeyFromVkey(x.vkey) })),
    ...(w.quorum !== undefined ? { quorum: w.quorum } : {}),
    ...(w.timeoutMs !== undefined ? { timeoutMs: w.timeoutMs } : {}),
    ...(w.fetch !== undefined ? { fetch: w.fetch } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    ...(onOutcome !== undefined ? { onOutcome } : {}),
    consistencyProof,
  });
}

function observed(metrics: Metrics | undefined, id: string): { onBatch?: ReturnType<Metrics['batchObserver']> } {
  return metrics === undefined ? {} : { onBatch: metrics.batchObserver(id) };
}

function tlogInstance(log: TransparencyLog, baseUrl: string, createdAt: number): TransparencyLogInstance {
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: log.signer.spki,
      keyDetails: log.signer.keyType === 'ed25519' ? 'PKIX_ED25519' : 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: createdAt },
    },
    logId: log.signer.logId,
    checkpointKeyId: log.signer.logId,
  };
}

async function openStore(opts: InstanceOptions): Promise<LogStore> {
  const cfg = opts.store ?? { driver: 'sqlite' };
  if (cfg.driver === 'postgres') return createPostgresStore({ connectionString: cfg.url, schema: cfg.schema ?? 'keyless' });
  ensureDir(dataPath(opts.dataDir, 'db'));
  return createSqliteStore({ path: dataPath(opts.dataDir, 'db', 'log.sqlite') });
}

function pkcs8Pem(type: 'ec' | 'ed25519'): string {
  const { privateKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function loadIdentity(dataDir: string, publicUrl: string, now: () => number): InstanceIdentity {
  const text = ensureFile(
    dataPath(dataDir, 'instance.json'),
    () => {
      const host = new URL(publicUrl).host;
      // A Trillian-style tree ID: a random positive int63, shown in Rekor v1 UUIDs and checkpoint origins.
      const treeId = String(BigInt(randomInt(1, 2 ** 47)) * 65536n + BigInt(randomInt(0, 65536)));
      const identity: InstanceIdentity = {
        createdAt: Math.floor(now() / 1000) * 1000,
        host,
        rekorV1: { treeId, origin: `${host} - ${treeId}`, keyName: host },
        rekorV2: { origin: `${host}${REKOR_V2_PREFIX}` },
      };
      return `${JSON.stringify(identity, null, 2)}\n`;
    },
    0o644,
  );
  return JSON.parse(text) as InstanceIdentity;
}
