/**
 * A TUF repository (spec 1.0.31, consistent snapshots) that publishes a keyless instance's trusted_root.json and
 * signing config, so that sigstore-js, cosign and sigstore-go clients fetch them with `--tuf-mirror-url` and
 * `--tuf-root-path` as they do from the public-good instance. Pure: keys, targets and the time come in, files go out.
 *
 * Layout (what tuf-js 3/4 fetch with consistent_snapshot = true):
 *   1.root.json                  root, version 1 (also as root.json, the file a client pins)
 *   timestamp.json               timestamp, never versioned
 *   N.snapshot.json, N.targets.json   (also unversioned, for people; clients fetch the versioned names)
 *   targets/<sha256>.<name>      every target under its hash prefix (spec 5.7.3; tuf-js takes the first hash,
 *                                go-tuf any of them, so each target lists sha256 only)
 *
 * Versions, and why:
 * - root stays at version 1 and MUST be the same bytes for the same keys: clients pin it through --tuf-root-path,
 *   and a different version 1 would not verify for them (rotation would need version 2 signed by the old root key,
 *   which keyless does not do). Ed25519 signatures are deterministic, so root v1 depends only on the keys, the
 *   `rootCreated` time (default TUF_EPOCH_MS, a constant) and the root lifetime (default ~100 years). The long
 *   default is deliberate: the root key lives in the same data directory as the online keys, so an expiring root
 *   would add no protection against a stolen key, only an outage on the day it expires; freeze attacks are bounded
 *   by the timestamp's short expiry instead.
 * - targets, snapshot and timestamp are rebuilt on every start (and on refresh) with one version N = whole seconds
 *   since TUF_EPOCH_MS. TUF rollback protection refuses a timestamp, snapshot or targets version lower than one a
 *   client has cached, so N MUST only grow: wall-clock seconds do, across restarts, with no stored counter. (Two
 *   builds in the same second with different targets would share N; pass `version` to rule that out.)
 *   Seconds since 2025 stay below 2^31 until 2093, for clients that keep versions in 32-bit integers.
 */
import { tufPublicKey, tufKeyId, TUF_ROLES, type TufKeys } from './keys.js';
import { fileInfo, signMetadata, tufExpires, TUF_SPEC_VERSION } from './metadata.js';

/** 2025-01-01T00:00:00Z: the origin of metadata versions and the default creation time of root version 1. */
export const TUF_EPOCH_MS = Date.UTC(2025, 0, 1);

const DAY_MS = 86_400_000;

/** Default lifetimes in days. The timestamp is short: a repository MUST be rebuilt before it expires. */
export const TUF_DEFAULT_EXPIRES_DAYS = { root: 36_500, targets: 365, snapshot: 365, timestamp: 7 } as const;

export interface TufRepository {
  /** path relative to the repository root ('1.root.json', 'timestamp.json', 'targets/<hex>.trusted_root.json') → bytes */
  readonly files: Map<string, Uint8Array>;
  /** the current root.json: what `--tuf-root-path` points at */
  readonly rootJson: Uint8Array;
  /** the version of targets, snapshot and timestamp in this build */
  readonly version: number;
  /** when the timestamp expires (ms): rebuild before then */
  readonly expires: number;
}

export interface BuildTufRepositoryOptions {
  keys: TufKeys;
  /** target name → content, e.g. `{'trusted_root.json': …, 'signing_config.v0.2.json': …}` */
  targets: Record<string, Uint8Array>;
  /** the time of this build (ms since the epoch) */
  now: number;
  /** version of targets, snapshot and timestamp; default whole seconds since TUF_EPOCH_MS (see above) */
  version?: number;
  /** the creation time of root version 1 (ms); MUST stay the same for the life of the keys. Default TUF_EPOCH_MS */
  rootCreated?: number;
  expiresDays?: { root?: number; targets?: number; snapshot?: number; timestamp?: number };
}

export function buildTufRepository(opts: BuildTufRepositoryOptions): TufRepository {
  const { keys, targets, now } = opts;
  if (!Number.isFinite(now)) throw new TypeError('now must be a time in milliseconds');
  const version = opts.version ?? Math.max(1, Math.floor((now - TUF_EPOCH_MS) / 1000));
  if (!Number.isSafeInteger(version) || version < 1) throw new TypeError(`version must be a positive integer, got ${version}`);
  const days = { ...TUF_DEFAULT_EXPIRES_DAYS, ...definedOnly(opts.expiresDays ?? {}) };
  for (const [role, d] of Object.entries(days)) {
    if (!(Number.isFinite(d) && d > 0)) throw new TypeError(`expiresDays.${role} must be a positive number of days`);
  }
  const files = new Map<string, Uint8Array>();

  const rootJson = signMetadata(rootSigned(keys, (opts.rootCreated ?? TUF_EPOCH_MS) + days.root * DAY_MS), keys.root);
  files.set('1.root.json', rootJson);
  files.set('root.json', rootJson);

  const targetEntries: Record<string, ReturnType<typeof fileInfo>> = {};
  for (const name of Object.keys(targets).sort()) {
    checkTargetName(name);
    const content = targets[name]!;
    const info = fileInfo(content);
    targetEntries[name] = info;
    files.set(hashedTargetPath(name, info.hashes.sha256), content);
  }
  const common = (role: 'targets' | 'snapshot' | 'timestamp') => ({
    _type: role,
    spec_version: TUF_SPEC_VERSION,
    version,
    expires: tufExpires(now + days[role] * DAY_MS),
  });

  const targetsJson = signMetadata({ ...common('targets'), targets: targetEntries }, keys.targets);
  files.set(`${version}.targets.json`, targetsJson);
  files.set('targets.json', targetsJson);

  const snapshotJson = signMetadata({ ...common('snapshot'), meta: { 'targets.json': { version, ...fileInfo(targetsJson) } } }, keys.snapshot);
  files.set(`${version}.snapshot.json`, snapshotJson);
  files.set('snapshot.json', snapshotJson);

  const timestampJson = signMetadata({ ...common('timestamp'), meta: { 'snapshot.json': { version, ...fileInfo(snapshotJson) } } }, keys.timestamp);
  files.set('timestamp.json', timestampJson);

  return { files, rootJson, version, expires: Date.parse(tufExpires(now + days.timestamp * DAY_MS)) };
}

/** Spec 5.7.3 with consistent snapshots: `dir/name` is stored as `targets/dir/<hash>.name`. */
export function hashedTargetPath(name: string, sha256: string): string {
  const slash = name.lastIndexOf('/');
  return `targets/${name.slice(0, slash + 1)}${sha256}.${name.slice(slash + 1)}`;
}

function rootSigned(keys: TufKeys, expires: number): Record<string, unknown> {
  const publicKeys: Record<string, unknown> = {};
  const roles: Record<string, unknown> = {};
  for (const role of TUF_ROLES) {
    const keyid = tufKeyId(keys[role]);
    publicKeys[keyid] = tufPublicKey(keys[role]);
    roles[role] = { keyids: [keyid], threshold: 1 };
  }
  return {
    _type: 'root',
    spec_version: TUF_SPEC_VERSION,
    version: 1,
    expires: tufExpires(expires),
    keys: publicKeys,
    roles,
    consistent_snapshot: true,
  };
}

/** Target names are URL paths under targets/: relative, '/'-separated, no empty, '.' or '..' segments. */
function checkTargetName(name: string): void {
  if (name === '' || name.includes('\\') || name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new TypeError(`target name ${JSON.stringify(name)} is not a relative '/'-separated path`);
  }
}

function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]-?: Exclude<T[K], undefined> };
}
