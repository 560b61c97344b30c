/**
 * The four TUF role keys of a keyless instance, and their TUF form.
 *
 * Ed25519, not ECDSA P-256: every TUF client Sigstore uses (tuf-js, go-tuf v2, python-tuf, sigstore-java) accepts
 * `{"keytype": "ed25519", "scheme": "ed25519"}` with the raw public key in hex, and Ed25519 signatures are
 * deterministic (RFC 8032), so root version 1 is the same bytes every time it is rebuilt from the same keys.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { KeylessError } from '../../core/errors.js';
import { canonicalize as canonicalTufJson } from '@tufjs/canonical-json';

export const TUF_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TufRole = (typeof TUF_ROLES)[number];

/** One private key per top-level role. The same key MAY serve several roles; generateTufKeys makes four. */
export type TufKeys = { readonly [R in TufRole]: KeyObject };

/** A public key as TUF metadata lists it (spec: "KEY" object). */
export interface TufPublicKey {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

export function generateTufKeys(): TufKeys {
  const make = (): KeyObject => generateKeyPairSync('ed25519').privateKey;
  return { root: make(), targets: make(), snapshot: make(), timestamp: make() };
}

/** The TUF key object of a private or public Ed25519 key: `keyval.public` is the 32-byte key in lowercase hex. */
export function tufPublicKey(key: KeyObject): TufPublicKey {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`TUF keys are Ed25519; got a ${key.asymmetricKeyType ?? key.type} key`);
  }
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: Buffer.from(jwk.x ?? '', 'base64url').toString('hex') } };
}

/** Spec: "KEYID … is the hexdigest of the SHA-256 hash of the canonical form of the key" (the KEY object). */
export function tufKeyId(key: KeyObject): string {
  return createHash('sha256').update(canonicalTufJson(tufPublicKey(key)), 'utf8').digest('hex');
}

const HEADER = '# keyless TUF role keys (Ed25519, PKCS#8). Secret: keep this file private (mode 0600).\n';

/** All four private keys as one text: a `role: NAME` line before each PKCS#8 PEM block. */
export function tufKeysToPem(keys: TufKeys): string {
  return HEADER + TUF_ROLES.map((role) => {
    tufPublicKey(keys[role]); // refuses a non-Ed25519 key before we store it
    if (keys[role].type !== 'private') throw new TypeError(`the ${role} key is not a private key`);
    return `role: ${role}\n${keys[role].export({ format: 'pem', type: 'pkcs8' }).toString()}`;
  }).join('');
}

const BLOCK = /^role: *([^\r\n]*)\r?\n(-----BEGIN PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]*?-----END PRIVATE KEY-----)/gm;

/**
 * Reads what tufKeysToPem wrote. Every problem is collected before failing: ERR_ENCODING for a missing, repeated,
 * unknown or unreadable block; ERR_KEY_UNSUPPORTED for a key that is not Ed25519.
 */
export function tufKeysFromPem(pem: string): TufKeys {
  const found = new Map<TufRole, KeyObject>();
  const problems: { role: string; reason: string }[] = [];
  let unsupported = false;
  for (const [, name = '', block = ''] of pem.matchAll(BLOCK)) {
    if (!(TUF_ROLES as readonly string[]).includes(name)) {
      problems.push({ role: name, reason: 'not a TUF top-level role' });
      continue;
    }
    const role = name as TufRole;
    if (found.has(role)) {
      problems.push({ role, reason: 'appears more than once' });
      continue;
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(block);
    } catch (err) {
      problems.push({ role, reason: `unreadable PKCS#8 key: ${(err as Error).message}` });
      continue;
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      unsupported = true;
      problems.push({ role, reason: `a ${key.asymmetricKeyType ?? 'unknown'} key; TUF keys are Ed25519` });
      continue;
    }
    found.set(role, key);
  }
  for (const role of TUF_ROLES) {
    if (!found.has(role) && !problems.some((p) => p.role === role)) problems.push({ role, reason: 'missing' });
  }
  if (problems.length > 0) {
    const code = unsupported && problems.every((p) => p.reason.endsWith('TUF keys are Ed25519')) ? 'ERR_KEY_UNSUPPORTED' : 'ERR_ENCODING';
    throw new KeylessError(code, `TUF key bundle: ${problems.map((p) => `${p.role || '(no name)'}: ${p.reason}`).join('; ')}`, { problems });
  }
  return { root: found.get('root')!, targets: found.get('targets')!, snapshot: found.get('snapshot')!, timestamp: found.get('timestamp')! };
}
