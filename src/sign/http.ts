/**
 * The one place the signer talks HTTP: a request to a CA, log or TSA, and the coded error when it fails. Every
 * error names the service, its URL, the HTTP status and what the server said, so a CI log shows which hop broke.
 *
 * Status → code (the client-side mirror of src/server/errors.ts): 400/422 ERR_REQUEST (the service refused what we
 * sent), 401/403 ERR_TOKEN, 404 ERR_NOT_FOUND, 409 ERR_ENTRY_EXISTS, 413 ERR_TOO_LARGE, 429/503 ERR_PUSHBACK
 * (overloaded, and still so after the retries), any other 5xx or no answer at all ERR_SERVICE (down or broken),
 * and no answer within the timeout ERR_TIMEOUT.
 *
 * Every request goes through src/net's `withRetries`: a timeout per attempt, and 503/429 and connection failures
 * retried a bounded number of times, honouring Retry-After. That is safe for each service the signer calls: a CA
 * asked twice issues two certificates and we use one; a TSA asked twice stamps twice; a log asked twice for one
 * entry keeps one, because a batch is de-duplicated against the log by leaf hash before it is sequenced
 * (src/log/log.ts): Rekor v2 answers a repeat with the original entry, Rekor v1 with 409 and its Location, which
 * the v1 client follows (rekor-v1.ts).
 */
import { KeylessError, isKeylessError, type ErrorCode } from '../core/errors.js';
import { isTimeout, withRetries, type RetryOptions } from '../net/http.js';

/** The subset of the WHATWG fetch the signer uses; inject a fake in tests. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal?: AbortSignal }) => Promise<{
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

/** The most of a server's error body we quote in a message. */
const MAX_QUOTED = 500;

export interface ServiceRequest {
  /** What the service is, for messages: "certificate authority", "transparency log", "timestamp authority". */
  readonly service: string;
  readonly url: string;
  readonly body: string | Uint8Array;
  readonly contentType: string;
  readonly accept: string;
  readonly fetch: FetchLike;
  /** Timeout and retries (src/net defaults: 60 s, 4 attempts). */
  readonly retry?: RetryOptions;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'ERR_REQUEST';
  if (status === 401 || status === 403) return 'ERR_TOKEN';
  if (status === 404) return 'ERR_NOT_FOUND';
  if (status === 409) return 'ERR_ENTRY_EXISTS';
  if (status === 413) return 'ERR_TOO_LARGE';
  if (status === 429 || status === 503) return 'ERR_PUSHBACK';
  return 'ERR_SERVICE';
}

/** The server's own explanation: `message` (Fulcio, Rekor, keyless) or `error` of a JSON body, else the text. */
function serverMessage(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8').trim();
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null) {
      const { message, error } = json as Record<string, unknown>;
      if (typeof message === 'string' && message !== '') return message.slice(0, MAX_QUOTED);
      if (typeof error === 'string' && error !== '') return error.slice(0, MAX_QUOTED);
    }
  } catch {
    // not JSON: quote the text
  }
  const printable = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return printable === '' ? '(no message)' : printable.slice(0, MAX_QUOTED);
}

/** POSTs `body`; returns the response bytes of a 2xx answer, or throws a coded error that says what went wrong. */
export async function postToService(req: ServiceRequest): Promise<Uint8Array> {
  return send(req, 'POST', { 'content-type': req.contentType, accept: req.accept }, req.body);
}

interface Target {
  readonly service: string;
  readonly url: string;
  readonly fetch: FetchLike;
  readonly retry?: RetryOptions | undefined;
}

async function send(req: Target, method: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<Uint8Array> {
  let response: Awaited<ReturnType<FetchLike>>;
  let bytes: Uint8Array;
  let attempts = 1;
  const retry: RetryOptions = { ...req.retry, onRetry: (info) => { attempts = info.attempt; req.retry?.onRetry?.(info); } };
  try {
    response = await withRetries(req.fetch, retry)(req.url, { method, headers, ...(body !== undefined ? { body } : {}) });
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    // undici says "fetch failed" and puts the reason (ECONNREFUSED, a TLS error) in `cause`; src/net has already
    // made that a coded error, and the timeout ERR_TIMEOUT, even when it fired while the body was read.
    const code: ErrorCode = isKeylessError(cause) ? cause.code : isTimeout(cause) ? 'ERR_TIMEOUT' : 'ERR_SERVICE';
    const reason = isKeylessError(cause) && typeof cause.details['reason'] === 'string' ? cause.details['reason'] : (cause as Error)?.cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error)?.message ?? String(cause);
    throw new KeylessError(code, `cannot reach the ${req.service} at ${req.url}: ${reason}`, { service: req.service, url: req.url, ...(isKeylessError(cause) ? cause.details : {}) }, { cause });
  }
  if (!response.ok) {
    const said = serverMessage(bytes);
    const location = response.headers.get('location');
    const retried = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    throw new KeylessError(codeForStatus(response.status), `the ${req.service} at ${req.url} answered HTTP ${response.status}: ${said}${retried}`, {
      service: req.service,
      url: req.url,
      status: response.status,
      serverMessage: said,
      attempts,
      ...(location !== null ? { location } : {}),
    });
  }
  return bytes;
}

function parseJsonAnswer(bytes: Uint8Array, req: { service: string; url: string }): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `the ${req.service} at ${req.url} answered with something that is not JSON`, { service: req.service, url: req.url }, { cause });
  }
}

/** GETs a JSON document (an instance's signing_config.json or trusted_root.json). */
export async function getJson(req: Target): Promise<unknown> {
  return parseJsonAnswer(await send(req, 'GET', { accept: 'application/json' }), req);
}

/** POSTs JSON and returns the JSON answer; an answer that is not JSON is ERR_JSON naming the service. */
export async function postJson(req: Omit<ServiceRequest, 'body' | 'contentType' | 'accept'> & { readonly json: unknown }): Promise<unknown> {
  const bytes = await postToService({ ...req, body: JSON.stringify(req.json), contentType: 'application/json', accept: 'application/json' });
  return parseJsonAnswer(bytes, req);
}

/** `base` + `path` without doubling the slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
