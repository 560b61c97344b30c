/**
 * The body of Fulcio v2 `POST /api/v2/signingCert` (fulcio.proto CreateSigningCertificateRequest, protojson):
 *
 *   { "credentials": { "oidcIdentityToken": "…" },
 *     "publicKeyRequest": { "publicKey": { "algorithm": "ECDSA", "content": "<PEM>" }, "proofOfPossession": "<base64>" } }
 *   or, instead of publicKeyRequest, "certificateSigningRequest": "<base64 of a PEM CSR>".
 *
 * Parsed defensively: every field is checked for its type, unknown fields are refused, and all problems are
 * reported together. protojson also accepts the proto field names (oidc_identity_token, …), so we do too.
 */
import { KeylessError } from '../core/errors.js';
import { base64Decode } from '../core/encoding.js';

/** Bounds per field; the HTTP layer bounds the whole body. */
export const LIMITS = { tokenChars: 64 * 1024, publicKeyChars: 16 * 1024, proofBytes: 4096, csrBytes: 64 * 1024 } as const;

export const PUBLIC_KEY_ALGORITHMS = ['PUBLIC_KEY_ALGORITHM_UNSPECIFIED', 'RSA_PSS', 'ECDSA', 'ED25519'] as const;
export type PublicKeyAlgorithm = (typeof PUBLIC_KEY_ALGORITHMS)[number];

export type KeyRequest =
  | { readonly kind: 'publicKey'; readonly algorithm: PublicKeyAlgorithm; readonly content: string; readonly proofOfPossession: Uint8Array }
  | { readonly kind: 'csr'; readonly csr: Uint8Array };

export interface SigningCertRequest {
  /** From credentials.oidcIdentityToken, else the bearer token; undefined if neither. */
  readonly token: string | undefined;
  readonly key: KeyRequest;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads one protojson field by its JSON name or its proto name; records a problem if both are present. */
function field(obj: Obj, jsonName: string, protoName: string, path: string, problems: string[]): unknown {
  const a = obj[jsonName];
  const b = jsonName === protoName ? undefined : obj[protoName];
  if (a !== undefined && b !== undefined) problems.push(`${path}${jsonName} is given twice (also as ${protoName})`);
  return a ?? b;
}

function unknownFields(obj: Obj, known: readonly string[], path: string, problems: string[]): void {
  const extra = Object.keys(obj).filter((k) => !known.includes(k));
  if (extra.length > 0) problems.push(`unknown field(s) in ${path || 'the request'}: ${extra.join(', ')}`);
}

function bytesField(value: unknown, what: string, maxBytes: number, problems: string[], tooLarge: string[]): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length === 0) {
    problems.push(`${what} must be a non-empty base64 string`);
    return undefined;
  }
  if (value.length > Math.ceil(maxBytes / 3) * 4) {
    tooLarge.push(`${what} is over ${maxBytes} bytes`);
    return undefined;
  }
  try {
    return base64Decode(value, what);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

function algorithmOf(value: unknown, problems: string[]): PublicKeyAlgorithm {
  if (value === undefined || value === null) return 'PUBLIC_KEY_ALGORITHM_UNSPECIFIED';
  if (typeof value === 'number' && Number.isInteger(value) && PUBLIC_KEY_ALGORITHMS[value] !== undefined) return PUBLIC_KEY_ALGORITHMS[value];
  if (typeof value === 'string' && (PUBLIC_KEY_ALGORITHMS as readonly string[]).includes(value)) return value as PublicKeyAlgorithm;
  problems.push(`publicKeyRequest.publicKey.algorithm must be one of ${PUBLIC_KEY_ALGORITHMS.join(', ')}`);
  return 'PUBLIC_KEY_ALGORITHM_UNSPECIFIED';
}

function parsePublicKeyRequest(value: unknown, problems: string[], tooLarge: string[]): KeyRequest | undefined {
  if (!isObject(value)) {
    problems.push('publicKeyRequest must be an object {publicKey, proofOfPossession}');
    return undefined;
  }
  unknownFields(value, ['publicKey', 'public_key', 'proofOfPossession', 'proof_of_possession'], 'publicKeyRequest', problems);
  const publicKey = field(value, 'publicKey', 'public_key', 'publicKeyRequest.', problems);
  const proof = bytesField(
    field(value, 'proofOfPossession', 'proof_of_possession', 'publicKeyRequest.', problems),
    'publicKeyRequest.proofOfPossession',
    LIMITS.proofBytes,
    problems,
    tooLarge,
  );
  if (!isObject(publicKey)) {
    problems.push('publicKeyRequest.publicKey must be an object {algorithm, content}');
    return undefined;
  }
  unknownFields(publicKey, ['algorithm', 'content'], 'publicKeyRequest.publicKey', problems);
  const algorithm = algorithmOf(publicKey.algorithm, problems);
  const content = publicKey.content;
  if (typeof content !== 'string' || content.length === 0) {
    problems.push('publicKeyRequest.publicKey.content must be a PEM public key');
    return undefined;
  }
  if (content.length > LIMITS.publicKeyChars) {
    tooLarge.push(`publicKeyRequest.publicKey.content is over ${LIMITS.publicKeyChars} characters`);
    return undefined;
  }
  return proof === undefined ? undefined : { kind: 'publicKey', algorithm, content, proofOfPossession: proof };
}

export function parseSigningCertRequest(body: unknown, bearerToken?: string): SigningCertRequest {
  if (!isObject(body)) {
    throw new KeylessError('ERR_REQUEST', 'the signing certificate request must be a JSON object with credentials and publicKeyRequest or certificateSigningRequest');
  }
  const problems: string[] = [];
  const tooLarge: string[] = [];
  unknownFields(
    body,
    ['credentials', 'publicKeyRequest', 'public_key_request', 'certificateSigningRequest', 'certificate_signing_request'],
    '',
    problems,
  );

  let token: string | undefined;
  const credentials = body.credentials;
  if (credentials !== undefined && credentials !== null) {
    if (!isObject(credentials)) problems.push('credentials must be an object {oidcIdentityToken}');
    else {
      unknownFields(credentials, ['oidcIdentityToken', 'oidc_identity_token'], 'credentials', problems);
      const t = field(credentials, 'oidcIdentityToken', 'oidc_identity_token', 'credentials.', problems);
      if (t !== undefined && t !== null && typeof t !== 'string') problems.push('credentials.oidcIdentityToken must be a string');
      else if (typeof t === 'string' && t.length > LIMITS.tokenChars) tooLarge.push(`the identity token is over ${LIMITS.tokenChars} characters`);
      else if (typeof t === 'string' && t !== '') token = t;
    }
  }
  if (token === undefined && typeof bearerToken === 'string' && bearerToken !== '') {
    if (bearerToken.length > LIMITS.tokenChars) tooLarge.push(`the identity token is over ${LIMITS.tokenChars} characters`);
    else token = bearerToken;
  }

  // oneof key { publicKeyRequest, certificateSigningRequest }
  const pkr = field(body, 'publicKeyRequest', 'public_key_request', '', problems);
  const csrText = field(body, 'certificateSigningRequest', 'certificate_signing_request', '', problems);
  let key: KeyRequest | undefined;
  if (pkr !== undefined && csrText !== undefined) {
    problems.push('give either publicKeyRequest or certificateSigningRequest, not both');
  } else if (pkr !== undefined) {
    key = parsePublicKeyRequest(pkr, problems, tooLarge);
  } else if (csrText !== undefined) {
    const csr = bytesField(csrText, 'certificateSigningRequest', LIMITS.csrBytes, problems, tooLarge);
    if (csr !== undefined) key = { kind: 'csr', csr };
  } else {
    problems.push('the request needs publicKeyRequest {publicKey, proofOfPossession} or certificateSigningRequest');
  }

  if (tooLarge.length > 0) throw new KeylessError('ERR_TOO_LARGE', tooLarge.join('; '), { problems: tooLarge });
  if (problems.length > 0 || key === undefined) {
    throw new KeylessError('ERR_REQUEST', `invalid signing certificate request: ${problems.join('; ')}`, { problems });
  }
  return { token, key };
}
