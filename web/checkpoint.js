// Checkpoint signatures, verified in the browser with WebCrypto against the log keys of this instance's
// trusted_root.json (ECDSA P-256/P-384 with SHA-256/384, Ed25519). Reading the note, matching its key IDs and
// decoding signatures is src/core's (dist/core.js); only the signature arithmetic is WebCrypto's, because core's is
// Node's. C2SP signed-note: a signature that names a known key MUST verify, and at least one known key must sign;
// signatures by other keys (witness cosignatures) are listed, not trusted.
/* global crypto */
import { ProofError, base64Bytes, checkpointSignatures, ecdsaSignatureToP1363, hex, logKeys, setPayload } from './dist/core.js';

const ALGORITHMS = {
  'ecdsa-p256': { key: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' }, size: 32 },
  'ecdsa-p384': { key: { name: 'ECDSA', namedCurve: 'P-384' }, verify: { name: 'ECDSA', hash: 'SHA-384' }, size: 48 },
  ed25519: { key: { name: 'Ed25519' }, verify: { name: 'Ed25519' } },
};

let rootJson;
/** The instance's trusted_root.json, fetched once per page load (again after a failure); a ProofError if unreadable. */
export function trustedRoot() {
  rootJson ??= fetch('/trusted_root.json', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) throw new ProofError(`the instance's trusted_root.json answered ${response.status}`);
      return response.json();
    })
    .catch((err) => {
      rootJson = undefined;
      throw err instanceof ProofError ? err : new ProofError(`the instance's trusted_root.json cannot be read (${err instanceof Error ? err.message : err})`);
    });
  return rootJson;
}

let keys;
/** The log keys of the instance's trusted_root.json, read once per page load (again after a failure). */
export function trustedLogKeys() {
  keys ??= trustedRoot().then(logKeys).catch((err) => {
    keys = undefined;
    throw err;
  });
  return keys;
}

/** Whether `signature` over `message` verifies with `key` (a LogKey); false for a malformed signature. */
async function verifiesWith(key, message, signature) {
  const alg = ALGORITHMS[key.type];
  let sig = signature;
  if (alg.size !== undefined) {
    try {
      sig = ecdsaSignatureToP1363(signature, alg.size);
    } catch {
      return false;
    }
  }
  const cryptoKey = await crypto.subtle.importKey('spki', key.spki, alg.key, false, ['verify']);
  return crypto.subtle.verify(alg.verify, cryptoKey, sig, message);
}

/**
 * `{ checkpoint, verifiedBy: [text], others: [text] }` when a trusted log key signed `text` (a checkpoint), or a
 * ProofError (or core's KeylessError) saying why not.
 */
export async function verifyCheckpointSignature(text, keys) {
  const { checkpoint, message, signatures } = checkpointSignatures(text, keys);
  const verifiedBy = [];
  const others = [];
  for (const sig of signatures) {
    if (sig.keys.length === 0) {
      others.push(`${sig.name} (key ID ${sig.keyHint})`);
      continue;
    }
    let ok = false;
    for (const key of sig.keys) if (!ok && (await verifiesWith(key, message, sig.signature))) ok = true;
    if (!ok) throw new ProofError(`the signature by ${sig.name} (key ID ${sig.keyHint}) does not verify with the key of ${sig.keys[0].baseUrl} in the trusted root`);
    verifiedBy.push(`${sig.name} (key ID ${sig.keyHint}, ${sig.keys[0].details})`);
  }
  if (verifiedBy.length === 0) {
    throw new ProofError(`no signature by a log key of the instance's trusted root${signatures.length ? `; signed only by ${others.join(', ')}` : ''}`);
  }
  return { checkpoint, verifiedBy, others };
}

/** The text of a verified checkpoint signature check. */
export function signedBy({ verifiedBy, others }) {
  return `signed by ${verifiedBy.join(', ')}${others.length ? `; also cosigned by keys this page does not trust: ${others.join(', ')}` : ''}`;
}

/**
 * A Rekor v1 entry's signed entry timestamp: the log's signature over its body, integrated time, log ID and index,
 * with the trusted root's key of the log its logID names. Resolves to the check's text, or throws why not.
 */
export async function verifySet(entry, keys) {
  const set = entry?.verification?.signedEntryTimestamp;
  if (typeof set !== 'string') throw new ProofError('the entry has no signed entry timestamp');
  const named = keys.filter((k) => hex(k.logId) === String(entry.logID).toLowerCase());
  if (named.length === 0) throw new ProofError(`log ID ${entry.logID} names no log of the instance's trusted root`);
  const message = setPayload(entry);
  let signature;
  try {
    signature = base64Bytes(set);
  } catch {
    throw new ProofError('the signed entry timestamp is not base64');
  }
  for (const key of named) {
    if (await verifiesWith(key, message, signature)) {
      return `signed by the log at ${key.baseUrl} (${key.details}): integrated at ${new Date(entry.integratedTime * 1000).toISOString()} as entry ${entry.logIndex}`;
    }
  }
  throw new ProofError(`the signed entry timestamp does not verify with the key of ${named[0].baseUrl} in the trusted root`);
}
