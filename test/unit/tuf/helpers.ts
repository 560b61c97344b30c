/**
 * Helpers for the TUF tests: an independent checker of a repository (node:crypto and tuf-js's own canonical JSON,
 * none of src/trust/tuf), and a loopback server for the real clients.
 */
import { createHash, createPublicKey, sign as signFn, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import tufCanonical from '@tufjs/canonical-json';
import { registerTufRoutes } from '../../../src/server/routes/tuf.js';
import { hashedTargetPath, tufKeyId, type TufKeys, type TufRepository, type TufRepositorySource } from '../../../src/trust/tuf/index.js';
import { sendError } from '../../../src/server/errors.js';
import { ROOT } from '../../helpers/vectors.js';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const V1_MESSAGE = join(ROOT, 'test', 'vectors', 'v1-message');

export const canonical = (value: unknown): Buffer => Buffer.from(tufCanonical.canonicalize(value), 'utf8');
export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
export const parse = (bytes: Uint8Array | undefined): Json => {
  if (bytes === undefined) throw new Error('no such file');
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};

/** A TUF ed25519 key object → a node KeyObject, the way tuf-js builds it (SPKI around the raw key). */
export function publicKeyOf(tufKey: Json): KeyObject {
  if (tufKey.keytype !== 'ed25519' || tufKey.scheme !== 'ed25519') throw new Error(`unexpected key type ${tufKey.keytype}/${tufKey.scheme}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(tufKey.keyval.public, 'hex').toString('base64url') }, format: 'jwk' });
}

/** Throws unless `file` carries `threshold` valid signatures of `role`'s keys in `root`. */
export function checkSignatures(root: Json, role: string, file: Json): void {
  const { keyids, threshold } = root.signed.roles[role];
  const valid = (file.signatures as { keyid: string; sig: string }[]).filter(
    (s) => keyids.includes(s.keyid) && verify(null, canonical(file.signed), publicKeyOf(root.signed.keys[s.keyid]), Buffer.from(s.sig, 'hex')),
  );
  if (valid.length < threshold) throw new Error(`${role}: ${valid.length}/${threshold} valid signatures`);
}

/** Everything a client relies on, checked with no code of ours. Throws on the first inconsistency. */
export function checkRepository(repo: TufRepository): void {
  const root = parse(repo.rootJson);
  for (const [keyid, key] of Object.entries<Json>(root.signed.keys)) {
    if (sha256(canonical(key)) !== keyid) throw new Error(`keyid ${keyid} is not the sha256 of its key`);
  }
  checkSignatures(root, 'root', root);
  const timestamp = parse(repo.files.get('timestamp.json'));
  checkSignatures(root, 'timestamp', timestamp);
  const snapMeta = timestamp.signed.meta['snapshot.json'];
  const snapBytes = repo.files.get(`${snapMeta.version}.snapshot.json`);
  if (!snapBytes || snapBytes.byteLength !== snapMeta.length || sha256(snapBytes) !== snapMeta.hashes.sha256) throw new Error('snapshot does not match timestamp');
  const snapshot = parse(snapBytes);
  checkSignatures(root, 'snapshot', snapshot);
  if (snapshot.signed.version !== snapMeta.version) throw new Error('snapshot version does not match timestamp');
  const targetsMeta = snapshot.signed.meta['targets.json'];
  const targetsBytes = repo.files.get(`${targetsMeta.version}.targets.json`);
  if (!targetsBytes || targetsBytes.byteLength !== targetsMeta.length || sha256(targetsBytes) !== targetsMeta.hashes.sha256) throw new Error('targets does not match snapshot');
  const targets = parse(targetsBytes);
  checkSignatures(root, 'targets', targets);
  if (targets.signed.version !== targetsMeta.version) throw new Error('targets version does not match snapshot');
  for (const [name, info] of Object.entries<Json>(targets.signed.targets)) {
    const slash = name.lastIndexOf('/');
    const content = repo.files.get(`targets/${name.slice(0, slash + 1)}${info.hashes.sha256}.${name.slice(slash + 1)}`);
    if (!content || content.byteLength !== info.length || sha256(content) !== info.hashes.sha256) throw new Error(`target ${name} does not match its entry`);
  }
}

/** Re-signs `signed` with `key` under `keyid`, as an attacker holding that key would. */
export function resign(signed: Json, key: KeyObject, keyid: string): Buffer {
  return Buffer.from(JSON.stringify({ signed, signatures: [{ keyid, sig: signFn(null, canonical(signed), key).toString('hex') }] }));
}


/**
 * An attacker who holds the snapshot and timestamp keys but not the targets key points trusted_root.json at their
 * own file: snapshot and timestamp are consistent and validly signed, only the targets signature is wrong.
 */
export function tamperedTargets(repo: TufRepository, keys: TufKeys, evil: Uint8Array): TufRepository {
  const files = new Map(repo.files);
  const v = repo.version;
  const targets = parse(files.get(`${v}.targets.json`));
  targets.signed.targets['trusted_root.json'] = { length: evil.byteLength, hashes: { sha256: sha256(evil) } };
  const targetsBytes = Buffer.from(JSON.stringify(targets)); // old signature kept
  files.set(hashedTargetPath('trusted_root.json', sha256(evil)), evil);
  files.set(`${v}.targets.json`, targetsBytes);
  const snapshot = parse(files.get(`${v}.snapshot.json`)).signed;
  snapshot.meta['targets.json'] = { version: v, length: targetsBytes.byteLength, hashes: { sha256: sha256(targetsBytes) } };
  const snapshotBytes = resign(snapshot, keys.snapshot, tufKeyId(keys.snapshot));
  files.set(`${v}.snapshot.json`, snapshotBytes);
  const timestamp = parse(files.get('timestamp.json')).signed;
  timestamp.meta['snapshot.json'] = { version: v, length: snapshotBytes.byteLength, hashes: { sha256: sha256(snapshotBytes) } };
  files.set('timestamp.json', resign(timestamp, keys.timestamp, tufKeyId(keys.timestamp)));
  return { ...repo, files };
}

/** A loopback server with registerTufRoutes at /tuf; `set` swaps the repository it serves. */
export async function serveTuf(initial: TufRepository): Promise<{ url: string; set(repo: TufRepository): void; close(): Promise<void> }> {
  let current = initial;
  const app = Fastify({ logger: false });
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  const source: TufRepositorySource = () => current;
  registerTufRoutes(app, source);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${address}/tuf`, set: (repo) => void (current = repo), close: () => app.close() };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes the repository's root.json where a client's --tuf-root-path can point. */
export function writeRoot(repo: TufRepository, dir: string): string {
  const path = join(dir, 'root.json');
  writeFileSync(path, repo.rootJson);
  return path;
}
