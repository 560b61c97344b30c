/**
 * RFC 6962 §4.1 `POST /ct/v1/add-pre-chain`: the JSON request ({"chain": [base64 DER, …]}: the precertificate, then
 * the chain to a root the log accepts) and the JSON reply (the SCT's fields, base64 where binary).
 */
import { KeylessError } from '../../core/errors.js';
import { base64Decode, base64Encode } from '../../core/encoding.js';
import { parseSct, type Sct } from '../../core/sct.js';
import { encodeDigitallySigned } from './sct.js';
import { uint } from './tls.js';

/** A chain longer than any sane CA hierarchy is refused before its certificates are decoded. */
export const MAX_CHAIN_LENGTH = 10;
/** Per certificate, base64 text. Fulcio's leaves are ~1.5 KiB. */
export const MAX_CERTIFICATE_CHARS = 64 * 1024;

export interface AddChainResponse {
  sct_version: number;
  /** base64 log ID (SHA-256 of the log's SPKI). */
  id: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** base64 CtExtensions (empty for v1). */
  extensions: string;
  /** base64 TLS DigitallySigned struct. */
  signature: string;
}

function bad(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_REQUEST', `add-pre-chain: ${message}`, details);
}

/** The chain's certificates as DER, precertificate first. Every problem of the request is reported at once. */
export function parseAddPreChainRequest(body: unknown): Uint8Array[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('the body must be a JSON object {"chain": [...]}');
  const problems: string[] = [];
  const unknown = Object.keys(body).filter((k) => k !== 'chain');
  if (unknown.length > 0) problems.push(`unknown field(s) ${unknown.join(', ')}`);
  const chain = (body as { chain?: unknown }).chain;
  if (!Array.isArray(chain)) throw bad(['"chain" must be an array of base64 DER certificates', ...problems].join('; '), { problems });
  if (chain.length < 2) problems.push('"chain" must hold the precertificate and at least its issuer');
  if (chain.length > MAX_CHAIN_LENGTH) throw new KeylessError('ERR_TOO_LARGE', `add-pre-chain: at most ${MAX_CHAIN_LENGTH} certificates per chain`);
  const out: Uint8Array[] = [];
  chain.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item.length === 0) problems.push(`chain[${i}] is not a base64 string`);
    else if (item.length > MAX_CERTIFICATE_CHARS) problems.push(`chain[${i}] is over ${MAX_CERTIFICATE_CHARS} characters`);
    else {
      try {
        out.push(base64Decode(item, `chain[${i}]`));
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
  });
  if (problems.length > 0) throw bad(problems.join('; '), { problems });
  return out;
}

export function addChainResponse(sct: Sct): AddChainResponse {
  return {
    sct_version: sct.version,
    id: base64Encode(sct.logId),
    timestamp: sct.timestamp,
    extensions: base64Encode(sct.extensions),
    signature: base64Encode(encodeDigitallySigned(sct)),
  };
}

/** The SCT a log's reply describes (for a CA that talks to a remote RFC 6962 log). ERR_REQUEST if malformed. */
export function sctFromAddChainResponse(reply: unknown): Sct {
  const r = reply as Partial<Record<keyof AddChainResponse, unknown>> | null;
  if (
    typeof r !== 'object' || r === null || r.sct_version !== 0 || typeof r.id !== 'string' || typeof r.timestamp !== 'number' ||
    typeof r.extensions !== 'string' || typeof r.signature !== 'string'
  ) {
    throw bad('the log replied with something other than an SCT v1 {sct_version, id, timestamp, extensions, signature}');
  }
  try {
    const id = base64Decode(r.id, 'id');
    const extensions = base64Decode(r.extensions, 'extensions');
    const signed = base64Decode(r.signature, 'signature');
    if (id.length !== 32) throw bad('the SCT id is not 32 bytes');
    const bytes = new Uint8Array([0, ...id, ...uint(r.timestamp, 8), ...uint(extensions.length, 2), ...extensions, ...signed]);
    return parseSct(bytes);
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_REQUEST') throw err;
    throw bad(`the log's SCT cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}
