/**
 * TUF metadata envelopes: the signed part, its signatures, and the bytes a repository serves.
 *
 * TUF signs OLPC canonical JSON (http://wiki.laptop.org/go/Canonical_JSON), NOT RFC 8785 (src/core/canonical-json.ts):
 * strings escape only `"` and `\`, only integers are allowed, keys sort by UTF-16 code units. A client re-canonicalizes
 * the parsed `signed` object and checks the signature over those bytes, so where the two dialects differ the
 * client's is the one that counts: we use tuf-js's own canonicalizer (`@tufjs/canonical-json`) rather than a copy.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { canonicalize as canonicalTufJson } from '@tufjs/canonical-json';
import { tufKeyId } from './keys.js';

/** The version of the TUF specification this repository follows (the one tuf-js 3 and 4 implement). */
export const TUF_SPEC_VERSION = '1.0.31';

/** Spec: "expires … in ISO 8601 format … YYYY-MM-DDTHH:MM:SSZ". Fractions are cut: python-tuf refuses them. */
export function tufExpires(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface Hashes {
  sha256: string;
}

/** A file's length and hashes, as snapshot, timestamp and targets metadata describe a file. */
export function fileInfo(bytes: Uint8Array): { length: number; hashes: Hashes } {
  return { length: bytes.byteLength, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
}

/**
 * Signs `signed` with one key and serializes the envelope. Spec: signatures are over the canonical JSON of
 * `signed`; `sig` is the hex signature (tuf-js: `Buffer.from(sig, 'hex')`). The served file is indented JSON: clients
 * parse it and re-canonicalize `signed`, so only the signed part's canonical form has to be exact.
 */
export function signMetadata(signed: Record<string, unknown>, key: KeyObject): Uint8Array {
  const sig = sign(null, Buffer.from(canonicalTufJson(signed), 'utf8'), key).toString('hex');
  const envelope = { signed, signatures: [{ keyid: tufKeyId(key), sig }] };
  return new TextEncoder().encode(`${JSON.stringify(envelope, null, 2)}\n`);
}
