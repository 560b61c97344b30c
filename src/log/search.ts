/**
 * The search index query both logs answer: Rekor v1's `POST /api/v1/index/retrieve` body
 * (`{hash?, publicKey?: {format, content}, email?, operator?}`), plus keyless's `subject` (a certificate's URI SAN,
 * e.g. a GitLab CI identity) and `repository` (its Source Repository URI: every entry of one project). The keys are
 * those each entry kind writes (kinds/entry.ts) in the same transaction as the entry, so a committed entry is
 * always findable. rekor-tiles keeps no index; keyless's Rekor v2 log answers the same query (`POST
 * /rekor-v2/api/v2/index/retrieve`, a keyless extension) with log indexes. HTTP-free.
 */
import { base64Decode, hexDecode, hexEncode, pemDecode, utf8Decode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { sha256 } from '../core/keys.js';
import { parseCertificate } from '../core/x509.js';
import type { TransparencyLog } from './log.js';

/** A key that is looked up by leaf hash, not in the search index. */
const LEAF_PREFIX = 'leaf:';

export interface IndexQuery {
  /** Store search keys, e.g. `sha256:<hex>`, `email:<address>`, `subject:<uri>`. */
  readonly keys: readonly string[];
  readonly operator: 'and' | 'or';
}

/** Reads an index query, refusing (ERR_REQUEST) anything that is not one. */
export function parseIndexQuery(request: unknown): IndexQuery {
  const req = objectOf(request, 'index query');
  const keys: string[] = [];
  if (req['hash'] !== undefined) {
    if (typeof req['hash'] !== 'string') throw new KeylessError('ERR_REQUEST', 'hash must be a string');
    const m = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/.exec(req['hash']);
    if (m === null) throw new KeylessError('ERR_REQUEST', 'hash must be <algorithm>:<hex> or a SHA-256 hex digest');
    keys.push(`${m[1] ?? 'sha256'}:${m[2]!.toLowerCase()}`);
  }
  // keyless: an entry's RFC 6962 leaf hash (what a v1 UUID ends with), so a v2 entry is found by it too.
  if (req['leafHash'] !== undefined) {
    if (typeof req['leafHash'] !== 'string' || !/^[0-9a-fA-F]{64}$/.test(req['leafHash'])) throw new KeylessError('ERR_REQUEST', 'leafHash must be 64 hex digits');
    keys.push(`${LEAF_PREFIX}${req['leafHash'].toLowerCase()}`);
  }
  if (req['publicKey'] !== undefined) keys.push(`key:${hexEncode(sha256(publicKeySpki(req['publicKey'])))}`);
  if (req['email'] !== undefined) {
    if (typeof req['email'] !== 'string' || !req['email'].includes('@')) throw new KeylessError('ERR_REQUEST', 'email must be an e-mail address');
    keys.push(`email:${req['email'].toLowerCase()}`);
  }
  for (const field of ['subject', 'repository'] as const) {
    const value = req[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) throw new KeylessError('ERR_REQUEST', `${field} must be a URI`);
    keys.push(`${field}:${value}`);
  }
  if (keys.length === 0) throw new KeylessError('ERR_REQUEST', 'give at least one of hash, leafHash, publicKey, email, subject or repository');
  const operator = req['operator'] ?? 'or';
  if (operator !== 'and' && operator !== 'or') throw new KeylessError('ERR_REQUEST', 'operator must be "and" or "or"');
  return { keys, operator };
}

/** Indexes of the entries of `log` the query finds, ascending, at most `limit` per key. */
export async function searchLog(log: TransparencyLog, query: IndexQuery, limit: number): Promise<number[]> {
  const sets = await Promise.all(
    query.keys.map(async (k) => {
      if (!k.startsWith(LEAF_PREFIX)) return log.store.search(log.id, k, limit);
      const entry = await log.store.entryByLeafHash(log.id, hexDecode(k.slice(LEAF_PREFIX.length)));
      return entry === undefined ? [] : [entry.index];
    }),
  );
  if (query.operator === 'or') return [...new Set(sets.flat())].sort((a, b) => a - b).slice(0, limit);
  return sets.reduce((acc, s) => acc.filter((i) => s.includes(i))).slice(0, limit);
}

export function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KeylessError('ERR_REQUEST', `the ${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** The DER SPKI of an index query's `publicKey` ({format: "x509", content: base64 of a PEM key or certificate}). */
function publicKeySpki(value: unknown): Uint8Array {
  const pk = objectOf(value, 'publicKey');
  if (pk['format'] !== 'x509') throw new KeylessError('ERR_REQUEST', 'publicKey.format must be "x509" (the only format this log indexes)');
  if (typeof pk['content'] !== 'string') throw new KeylessError('ERR_REQUEST', 'publicKey.content must be base64 of a PEM public key or certificate');
  const pem = utf8Decode(base64Decode(pk['content'], 'publicKey.content'), 'publicKey.content');
  if (pem.includes('-----BEGIN CERTIFICATE-----')) return parseCertificate(pemDecode(pem, 'CERTIFICATE')).spki;
  return pemDecode(pem, 'PUBLIC KEY');
}
