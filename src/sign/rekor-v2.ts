/**
 * Rekor v2 client (rekor-tiles): `POST {log}/api/v2/log/entries` with a hashedRekordRequestV002 (message
 * signatures) or dsseRequestV002 (envelopes), the certificate as an `x509Certificate` verifier, and the answer — a
 * TransparencyLogEntry in protobuf JSON — read into the bundle model. A v2 entry has an inclusion proof and a
 * checkpoint but no SET and no integrated time: the signing time must come from a TSA.
 */
import { base64Decode, base64Encode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import type { TransparencyLogEntry } from '../bundle/index.js';
import type { RetryOptions } from '../net/http.js';
import { joinUrl, postJson, type FetchLike } from './http.js';
import type { LoggedEntry } from './rekor-v1.js';
import { EPHEMERAL_KEY_DETAILS, type SignedContent } from './signed-content.js';

const SERVICE = 'transparency log (Rekor v2)';

export interface RekorV2Options {
  readonly logUrl: string;
  readonly content: SignedContent;
  readonly certificate: Uint8Array;
  readonly fetch: FetchLike;
  readonly retry?: RetryOptions;
}

/** The CreateEntryRequest for `content` (protobuf-specs rekor/v2/entry.proto, protojson). */
export function rekorV2Request(content: SignedContent, certificate: Uint8Array): Record<string, unknown> {
  const verifier = { x509Certificate: { rawBytes: base64Encode(certificate) }, keyDetails: EPHEMERAL_KEY_DETAILS };
  if (content.kind === 'message') {
    return { hashedRekordRequestV002: { digest: base64Encode(content.digest), signature: { content: base64Encode(content.signature), verifier } } };
  }
  return {
    dsseRequestV002: {
      envelope: { payload: base64Encode(content.payload), payloadType: content.payloadType, signatures: [{ sig: base64Encode(content.signature), keyid: '' }] },
      verifiers: [verifier],
    },
  };
}

export async function createRekorV2Entry(opts: RekorV2Options): Promise<LoggedEntry> {
  const url = joinUrl(opts.logUrl, '/api/v2/log/entries');
  const response = await postJson({ service: SERVICE, url, fetch: opts.fetch, json: rekorV2Request(opts.content, opts.certificate), ...(opts.retry !== undefined ? { retry: opts.retry } : {}) });
  return { entry: tlogEntryFromRekorV2(response, url) };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A TransparencyLogEntry in protobuf JSON (int64 as decimal strings or numbers, bytes as base64). */
export function tlogEntryFromRekorV2(response: unknown, url: string): TransparencyLogEntry {
  const problems: string[] = [];
  const int = (v: unknown, name: string, required = false): number => {
    // proto3 JSON omits zero values.
    if (v === undefined && !required) return 0;
    const n = typeof v === 'string' && /^(?:0|[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) problems.push(`${name} must be a non-negative integer`);
    return typeof n === 'number' ? n : 0;
  };
  const bytes = (v: unknown, name: string): Uint8Array => {
    if (typeof v !== 'string' || v === '') {
      problems.push(`${name} must be base64`);
      return new Uint8Array(0);
    }
    try {
      return base64Decode(v, name);
    } catch (err) {
      problems.push((err as Error).message);
      return new Uint8Array(0);
    }
  };
  const r = isObject(response) ? response : {};
  if (!isObject(response)) problems.push('the answer is not a JSON object');
  const kv = isObject(r['kindVersion']) ? r['kindVersion'] : {};
  if (typeof kv['kind'] !== 'string' || typeof kv['version'] !== 'string') problems.push('kindVersion must name kind and version');
  const logId = isObject(r['logId']) ? bytes(r['logId']['keyId'], 'logId.keyId') : (problems.push('logId is missing'), new Uint8Array(0));
  const p = isObject(r['inclusionProof']) ? r['inclusionProof'] : undefined;
  if (p === undefined) problems.push('inclusionProof is missing: a Rekor v2 entry is only usable with its proof');
  const hashList = p?.['hashes'] ?? [];
  if (!Array.isArray(hashList)) problems.push('inclusionProof.hashes must be a list');
  const checkpoint = isObject(p?.['checkpoint']) ? (p['checkpoint'] as Json)['envelope'] : undefined;
  if (p !== undefined && (typeof checkpoint !== 'string' || checkpoint === '')) problems.push('inclusionProof.checkpoint.envelope must be a signed note');
  const entry: TransparencyLogEntry = {
    logIndex: int(r['logIndex'], 'logIndex'),
    logId,
    kind: typeof kv['kind'] === 'string' ? kv['kind'] : '',
    kindVersion: typeof kv['version'] === 'string' ? kv['version'] : '',
    integratedTime: int(r['integratedTime'], 'integratedTime'),
    ...(p !== undefined ? {
      inclusionProof: {
        logIndex: int(p['logIndex'], 'inclusionProof.logIndex'),
        rootHash: bytes(p['rootHash'], 'inclusionProof.rootHash'),
        treeSize: int(p['treeSize'], 'inclusionProof.treeSize', true),
        hashes: Array.isArray(hashList) ? hashList.map((h, i) => bytes(h, `inclusionProof.hashes[${i}]`)) : [],
        checkpoint: typeof checkpoint === 'string' ? checkpoint : '',
      },
    } : {}),
    canonicalizedBody: bytes(r['canonicalizedBody'], 'canonicalizedBody'),
  };
  if (problems.length > 0) {
    throw new KeylessError('ERR_JSON', `the ${SERVICE} at ${url} answered with an entry we cannot use: ${problems.join('; ')}`, { url, problems });
  }
  return entry;
}
