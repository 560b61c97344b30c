/**
 * The one place where errors become HTTP statuses. Domain code throws KeylessError with a code; routes never pick
 * a status for a failure themselves.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, KeylessError } from '../core/errors.js';
import { isKeylessError } from '../core/errors.js';
import { createErrorLog, type ErrorLog } from './error-log.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_REQUEST: 400,
  ERR_ENCODING: 400,
  ERR_ASN1: 400,
  ERR_JSON: 400,
  ERR_CERT_INVALID: 400,
  ERR_KEY_UNSUPPORTED: 400,
  ERR_SIGNATURE: 400,
  ERR_ENTRY_UNSUPPORTED: 400,
  ERR_PROOF_OF_POSSESSION: 400,
  ERR_CSR_INVALID: 400,
  // Fulcio answers 401 here; the issue tracker's contract for keyless is 400 with the reason in the message.
  ERR_TOKEN: 400,
  ERR_NOT_FOUND: 404,
  ERR_ENTRY_EXISTS: 409,
  ERR_TOO_LARGE: 413,
  ERR_CLAIM_TOO_LARGE: 400,
  // Failures that pass: the client is told when to come back (Retry-After) and retries; nothing was acknowledged.
  ERR_PUSHBACK: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_ISSUER_UNAVAILABLE: 503,
  ERR_STORE: 500,
  ERR_STORE_ROLLBACK: 500,
  ERR_STORE_CORRUPT: 500,
  ERR_SERVICE: 502,
  // C2SP tlog-witness add-checkpoint: the statuses the spec requires.
  ERR_WITNESS_FORBIDDEN: 403,
  ERR_WITNESS_UNKNOWN_LOG: 404,
  ERR_WITNESS_CONFLICT: 409,
  ERR_WITNESS_PROOF: 422,
};

/** Retry-After for a 503 whose error does not say (details.retryAfterSeconds). */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** The JSON body of every error: Rekor's `{code, message}` plus our stable error code. */
export interface ErrorBody {
  code: number;
  message: string;
  error: string;
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** Seconds for the Retry-After header of a 503 (a whole number of at least 1), else undefined. */
export function retryAfterOf(err: KeylessError): number | undefined {
  if (statusOf(err.code) !== 503) return undefined;
  const asked = err.details['retryAfterSeconds'];
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.max(1, Math.ceil(asked)) : DEFAULT_RETRY_AFTER_SECONDS;
}

/** Used when the app was made without its own (in-process tests calling sendError directly). */
const defaultErrorLog = createErrorLog();

/**
 * Fastify's own errors (body parsing, limits) in our vocabulary. `bodyLimit` is the route's limit in bytes:
 * fastify's message ("Request body is too large") does not carry it.
 */
export function fromFastify(err: FastifyError, bodyLimit: number | undefined): { status: number; error: string; message: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        error: 'ERR_TOO_LARGE',
        message: bodyLimit === undefined ? 'request body is larger than the limit of this server' : `request body is larger than the limit of ${bodyLimit} bytes`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: 'ERR_REQUEST', message: 'unsupported content type' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: 'ERR_REQUEST', message: 'request body is empty; a JSON object is expected' };
    default:
      if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return { status: 400, error: 'ERR_REQUEST', message: `request body is not valid JSON: ${err.message}` };
      }
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, error: 'ERR_REQUEST', message: err.message };
      }
      return { status: 500, error: 'ERR_INTERNAL', message: 'internal error' };
  }
}

/**
 * Server-side failures (5xx) are logged through `errorLog`: no stack unless at debug level, identical ones once per
 * interval. A 4xx is the client's problem and is not logged as an error.
 */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply, errorLog: ErrorLog = defaultErrorLog): FastifyReply {
  if (isKeylessError(err)) {
    const status = statusOf(err.code);
    // tlog-witness: "The response body MUST consist of the tree size of the latest cosigned checkpoint in decimal,
    // followed by a newline (U+000A). The response MUST have a `Content-Type` of `text/x.tlog.size`."
    if (err.code === 'ERR_WITNESS_CONFLICT') return reply.code(status).header('content-type', 'text/x.tlog.size').send(`${String(err.details['size'])}\n`);
    if (status >= 500) errorLog.report(request.log, err, { status, method: request.method, url: request.url.split('?')[0] });
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    if (err.code === 'ERR_ENTRY_EXISTS' && typeof err.details['location'] === 'string') void reply.header('location', err.details['location']);
    const body: ErrorBody & { details?: unknown } = { code: status, message: err.message, error: err.code };
    const problems = err.details['problems'];
    if (Array.isArray(problems)) body.details = { problems };
    return reply.code(status).send(body);
  }
  const mapped = fromFastify(err as FastifyError, request.routeOptions.bodyLimit);
  if (mapped.status >= 500) errorLog.report(request.log, err, { status: mapped.status, method: request.method, url: request.url.split('?')[0] });
  return reply.code(mapped.status).send({ code: mapped.status, message: mapped.message, error: mapped.error } satisfies ErrorBody);
}
