/**
 * Rekor v1 client: `POST {log}/api/v1/log/entries` with a hashedrekord 0.0.1 (message signatures) or dsse 0.0.1
 * (envelopes) proposed entry, and the answer — Rekor's `{uuid: LogEntryAnon}` — turned into the bundle's
 * TransparencyLogEntry: logIndex, logId, kindVersion (from the logged body), integratedTime, the SET as
 * inclusionPromise, the inclusion proof with its checkpoint, and the canonicalized body.
 */
import { base64Decode, base64Encode, hexDecode, hexEncode, pemEncode, utf8Decode, utf8Encode } from '../core/encoding.js';
import { KeylessError, isKeylessError } from '../core/errors.js';
import type { TransparencyLogEntry } from '../bundle/index.js';
import type { RetryOptions } from '../net/http.js';
import { getJson, joinUrl, postJson, type FetchLike } from './http.js';
import type { SignedContent } from './signed-content.js';

const SERVICE = 'transparency log (Rekor v1)';

export interface RekorV1Options {
  readonly logUrl: string;
  readonly content: SignedContent;
  /** The signing certificate (DER): the verifier the log records. */
  readonly certificate: Uint8Array;
  readonly fetch: FetchLike;
  readonly retry?: RetryOptions;
}

export interface LoggedEntry {
  readonly entry: TransparencyLogEntry;
  /** Rekor v1's entry UUID (tree ID + leaf hash); absent for Rekor v2. */
  readonly uuid?: string;
}

/** The proposed entry for `content`, as cosign and sigstore-js send it. */
export function proposedRekorV1Entry(content: SignedContent, certificate: Uint8Array): Record<string, unknown> {
  const certPem = base64Encode(utf8Encode(pemEncode(certificate, 'CERTIFICATE')));
  if (content.kind === 'message') {
    return {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        signature: { content: base64Encode(content.signature), publicKey: { content: certPem } },
        data: { hash: { algorithm: 'sha256', value: hexEncode(content.digest) } },
      },
    };
  }
  const envelope = { payload: base64Encode(content.payload), payloadType: content.payloadType, signatures: [{ sig: base64Encode(content.signature), keyid: '' }] };
  return { apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [certPem] } } };
}

export async function createRekorV1Entry(opts: RekorV1Options): Promise<LoggedEntry> {
  const url = joinUrl(opts.logUrl, '/api/v1/log/entries');
  let response: unknown;
  try {
    response = await postJson({ service: SERVICE, url, fetch: opts.fetch, json: proposedRekorV1Entry(opts.content, opts.certificate), ...(opts.retry !== undefined ? { retry: opts.retry } : {}) });
  } catch (err) {
    // 409: the entry is already in the log. Our key is ephemeral, so only our own earlier attempt can have put it
    // there: a retried POST whose first answer was lost. Rekor names the entry in Location; read it from there, as
    // cosign does. What it returns is checked like any answer, and the bundle is verified before it is returned.
    const location = isKeylessError(err) && err.code === 'ERR_ENTRY_EXISTS' ? err.details['location'] : undefined;
    if (typeof location !== 'string') throw err;
    const entryUrl = new URL(location, url).toString();
    response = await getJson({ service: SERVICE, url: entryUrl, fetch: opts.fetch, ...(opts.retry !== undefined ? { retry: opts.retry } : {}) });
  }
  return tlogEntryFromRekorV1(response, url);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Rekor's `{"<uuid>": LogEntryAnon}` answer as a TransparencyLogEntry. Every problem is collected and reported at
 * once as ERR_JSON naming the log; nothing here is trusted — the bundle is verified before it is returned.
 */
export function tlogEntryFromRekorV1(response: unknown, url: string): LoggedEntry {
  const problems: string[] = [];
  const fail = (): never => {
    throw new KeylessError('ERR_JSON', `the ${SERVICE} at ${url} answered with an entry we cannot use: ${problems.join('; ')}`, { url, problems });
  };
  if (!isObject(response) || Object.keys(response).length !== 1) {
    problems.push('the answer must be an object with exactly one entry, keyed by its UUID');
    return fail();
  }
  const [uuid, anon] = Object.entries(response)[0] as [string, unknown];
  if (!isObject(anon)) {
    problems.push(`entry ${uuid} is not an object`);
    return fail();
  }
  const int = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) problems.push(`${name} must be a non-negative integer`);
    return typeof v === 'number' ? v : 0;
  };
  const decode = (v: unknown, name: string, how: 'hex' | 'base64'): Uint8Array => {
    if (typeof v !== 'string' || v === '') {
      problems.push(`${name} must be a ${how} string`);
      return new Uint8Array(0);
    }
    try {
      return how === 'hex' ? hexDecode(v, name) : base64Decode(v, name);
    } catch (err) {
      problems.push((err as Error).message);
      return new Uint8Array(0);
    }
  };

  const body = decode(anon['body'], 'body', 'base64');
  const logIndex = int(anon['logIndex'], 'logIndex');
  const integratedTime = int(anon['integratedTime'], 'integratedTime');
  const logId = decode(anon['logID'], 'logID', 'hex');
  const verification = isObject(anon['verification']) ? anon['verification'] : undefined;
  if (verification === undefined) problems.push('verification is missing: the log returned no SET and no inclusion proof');
  const set = decode(verification?.['signedEntryTimestamp'], 'verification.signedEntryTimestamp', 'base64');
  const proof = isObject(verification?.['inclusionProof']) ? (verification['inclusionProof'] as Json) : undefined;
  if (verification !== undefined && proof === undefined) problems.push('verification.inclusionProof is missing');
  const hashes = Array.isArray(proof?.['hashes']) ? (proof['hashes'] as unknown[]).map((h, i) => decode(h, `inclusionProof.hashes[${i}]`, 'hex')) : [];
  if (proof !== undefined && !Array.isArray(proof['hashes'])) problems.push('inclusionProof.hashes must be a list');
  const checkpoint = proof?.['checkpoint'];
  if (proof !== undefined && (typeof checkpoint !== 'string' || checkpoint === '')) problems.push('inclusionProof.checkpoint must be a signed note');
  const inclusionProof = proof === undefined ? undefined : {
    logIndex: int(proof['logIndex'], 'inclusionProof.logIndex'),
    rootHash: decode(proof['rootHash'], 'inclusionProof.rootHash', 'hex'),
    treeSize: int(proof['treeSize'], 'inclusionProof.treeSize'),
    hashes,
    checkpoint: typeof checkpoint === 'string' ? checkpoint : '',
  };

  // kindVersion is not in Rekor's answer; it is what the logged body says it is.
  let kind = '';
  let kindVersion = '';
  if (body.length > 0) {
    try {
      const parsed = JSON.parse(utf8Decode(body, 'body')) as Json;
      if (typeof parsed['kind'] === 'string' && typeof parsed['apiVersion'] === 'string') [kind, kindVersion] = [parsed['kind'], parsed['apiVersion']];
      else problems.push('body names no kind and apiVersion');
    } catch {
      problems.push('body is not JSON');
    }
  }
  if (problems.length > 0) return fail();
  return {
    uuid,
    entry: {
      logIndex,
      logId,
      kind,
      kindVersion,
      integratedTime,
      inclusionPromise: set,
      ...(inclusionProof !== undefined ? { inclusionProof } : {}),
      canonicalizedBody: body,
    },
  };
}
