/**
 * Check 3a: the log entry's canonicalized body says what the bundle says. A bundle may carry any body; only a body
 * that names the same signature, the same digest and the same certificate or key proves that *this* signature was
 * logged. Body shapes per kind are Rekor's (v1: hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2) and rekor-tiles'
 * (v2: hashedrekord 0.0.2, dsse 0.0.2, both protobuf JSON of `Entry`).
 */
import { KeylessError } from '../core/errors.js';
import { base64Decode, bytesEqual, hexDecode, pemDecodeAll, utf8Decode } from '../core/encoding.js';
import { pae } from '../core/dsse.js';
import { digest as hashWith } from '../core/keys.js';
import { PROTO_HASH_NAMES as V2_HASHES } from './artifact.js';

/** What the bundle claims was logged. */
export interface SignedContent {
  readonly kind: 'messageSignature' | 'dsseEnvelope';
  readonly signature: Uint8Array;
  /** The message digest (message signatures) or the SHA-256 of the DSSE payload. */
  readonly digest: { readonly algorithm: 'sha256' | 'sha384' | 'sha512'; readonly value: Uint8Array };
  /** DER of the leaf certificate or SubjectPublicKeyInfo of the key that made the signature. */
  readonly verifier: { readonly kind: 'certificate' | 'publicKey'; readonly der: Uint8Array };
  /** DSSE only: the envelope's payload type and payload, for v2 entries that log DSSE as a hashedrekord. */
  readonly dsse?: { readonly payloadType: string; readonly payload: Uint8Array; readonly signatureCount: number };
}

type Json = Record<string, unknown>;

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new KeylessError('ERR_TLOG_BODY', `transparency log entry does not match the bundle: ${message}`, details);
}

function obj(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} is missing or not an object`);
  return value as Json;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(`${path} is missing or not a string`);
  return value;
}

function arr(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(`${path} is missing or not an array`);
  return value;
}

function b64(value: unknown, path: string): Uint8Array {
  try {
    return base64Decode(str(value, path), path);
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_TLOG_BODY') throw err;
    return fail(`${path} is not base64`);
  }
}

function hex(value: unknown, path: string): Uint8Array {
  try {
    return hexDecode(str(value, path), path);
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_TLOG_BODY') throw err;
    return fail(`${path} is not hex`);
  }
}

/** A v1 body names its key or certificate as base64 of PEM. */
function pemVerifier(value: unknown, path: string): Uint8Array {
  const pem = utf8Decode(b64(value, path), path);
  const blocks = pemDecodeAll(pem);
  if (blocks.length !== 1 || blocks[0] === undefined) fail(`${path} is not one PEM certificate or key`);
  return blocks[0];
}

/** A v2 body names its key or certificate as a protobuf Verifier. */
function protoVerifier(value: unknown, path: string): Uint8Array {
  const v = obj(value, path);
  if (v.x509Certificate !== undefined) return b64(obj(v.x509Certificate, `${path}.x509Certificate`).rawBytes, `${path}.x509Certificate.rawBytes`);
  if (v.publicKey !== undefined) return b64(obj(v.publicKey, `${path}.publicKey`).rawBytes, `${path}.publicKey.rawBytes`);
  return fail(`${path} names neither a certificate nor a public key`);
}

const V1_HASHES: Record<string, SignedContent['digest']['algorithm']> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

function expectSame(what: string, logged: Uint8Array, bundle: Uint8Array): void {
  if (!bytesEqual(logged, bundle)) fail(`the ${what} differs`, { field: what });
}

function expectDigest(algorithm: string | undefined, logged: Uint8Array, want: SignedContent['digest'], what: string): void {
  if (algorithm !== want.algorithm) fail(`the ${what} algorithm differs (log: ${algorithm ?? 'unknown'}, bundle: ${want.algorithm})`);
  expectSame(what, logged, want.value);
}

function expectKind(content: SignedContent, kind: SignedContent['kind'], entryKind: string): void {
  if (content.kind !== kind) fail(`a ${entryKind} entry cannot log a ${content.kind === 'dsseEnvelope' ? 'DSSE envelope' : 'message signature'}`);
}

function hashedrekordV001(spec: Json, content: SignedContent): void {
  expectKind(content, 'messageSignature', 'hashedrekord');
  const signature = obj(spec.signature, 'spec.signature');
  expectSame('signature', b64(signature.content, 'spec.signature.content'), content.signature);
  expectSame('certificate or key', pemVerifier(obj(signature.publicKey, 'spec.signature.publicKey').content, 'spec.signature.publicKey.content'), content.verifier.der);
  const hash = obj(obj(spec.data, 'spec.data').hash, 'spec.data.hash');
  expectDigest(V1_HASHES[str(hash.algorithm, 'spec.data.hash.algorithm')], hex(hash.value, 'spec.data.hash.value'), content.digest, 'artifact digest');
}

function hashedrekordV002(spec: Json, content: SignedContent): void {
  const v2 = obj(spec.hashedRekordV002, 'spec.hashedRekordV002');
  const data = obj(v2.data, 'spec.hashedRekordV002.data');
  const signature = obj(v2.signature, 'spec.hashedRekordV002.signature');
  expectSame('signature', b64(signature.content, 'spec.hashedRekordV002.signature.content'), content.signature);
  expectSame('certificate or key', protoVerifier(signature.verifier, 'spec.hashedRekordV002.signature.verifier'), content.verifier.der);
  const algorithm = V2_HASHES[str(data.algorithm, 'spec.hashedRekordV002.data.algorithm')];
  const digest = b64(data.digest, 'spec.hashedRekordV002.data.digest');
  if (content.kind === 'dsseEnvelope' && content.dsse !== undefined) {
    // DSSE logged as a hashedrekord over the envelope: the digest is of the PAE the signature was made over.
    // Rekor v2 spec §6.1.4 (architecture-docs#63, 2026): the digest is Hash(PAE(payloadType, payload)) with the
    // signing algorithm's hash (SHA-256 for P-256, SHA-384 for P-384…), so it is computed with the one the entry names.
    if (content.dsse.signatureCount !== 1) fail('a DSSE envelope logged as a hashedrekord must have exactly one signature');
    if (algorithm === undefined) fail('the envelope digest algorithm is not one keyless knows');
    expectDigest(algorithm, digest, { algorithm, value: hashWith(algorithm, pae(content.dsse.payloadType, content.dsse.payload)) }, 'envelope digest');
    return;
  }
  expectDigest(algorithm, digest, content.digest, 'artifact digest');
}

/** Sigstore DSSE envelopes and their log entries carry exactly one signature; returns the entry's. */
function onlySignature(signatures: unknown, path: string, content: SignedContent): Json {
  const list = arr(signatures, path);
  if (list.length !== 1 || content.dsse?.signatureCount !== 1) fail('the envelope and the entry must each have exactly one signature');
  return obj(list[0], `${path}[0]`);
}

function dsseV001(spec: Json, content: SignedContent): void {
  expectKind(content, 'dsseEnvelope', 'dsse');
  const sig = onlySignature(spec.signatures, 'spec.signatures', content);
  expectSame('signature', b64(sig.signature, 'spec.signatures[0].signature'), content.signature);
  expectSame('certificate or key', pemVerifier(sig.verifier, 'spec.signatures[0].verifier'), content.verifier.der);
  const hash = obj(spec.payloadHash, 'spec.payloadHash');
  expectDigest(V1_HASHES[str(hash.algorithm, 'spec.payloadHash.algorithm')], hex(hash.value, 'spec.payloadHash.value'), content.digest, 'payload digest');
}

function dsseV002(spec: Json, content: SignedContent): void {
  expectKind(content, 'dsseEnvelope', 'dsse');
  const v2 = obj(spec.dsseV002, 'spec.dsseV002');
  const sig = onlySignature(v2.signatures, 'spec.dsseV002.signatures', content);
  expectSame('signature', b64(sig.content, 'spec.dsseV002.signatures[0].content'), content.signature);
  expectSame('certificate or key', protoVerifier(sig.verifier, 'spec.dsseV002.signatures[0].verifier'), content.verifier.der);
  const hash = obj(v2.payloadHash, 'spec.dsseV002.payloadHash');
  expectDigest(V2_HASHES[str(hash.algorithm, 'spec.dsseV002.payloadHash.algorithm')], b64(hash.digest, 'spec.dsseV002.payloadHash.digest'), content.digest, 'payload digest');
}

function intotoV002(spec: Json, content: SignedContent): void {
  expectKind(content, 'dsseEnvelope', 'intoto');
  const inner = obj(spec.content, 'spec.content');
  const envelope = obj(inner.envelope, 'spec.content.envelope');
  const sig = onlySignature(envelope.signatures, 'spec.content.envelope.signatures', content);
  // Rekor's intoto 0.0.2 stores the signature base64-encoded twice.
  const once = utf8Decode(b64(sig.sig, 'spec.content.envelope.signatures[0].sig'));
  expectSame('signature', b64(once, 'spec.content.envelope.signatures[0].sig'), content.signature);
  expectSame('certificate or key', pemVerifier(sig.publicKey, 'spec.content.envelope.signatures[0].publicKey'), content.verifier.der);
  const hash = obj(inner.payloadHash, 'spec.content.payloadHash');
  expectDigest(V1_HASHES[str(hash.algorithm, 'spec.content.payloadHash.algorithm')], hex(hash.value, 'spec.content.payloadHash.value'), content.digest, 'payload digest');
}

const CHECKS: Record<string, (spec: Json, content: SignedContent) => void> = {
  'hashedrekord/0.0.1': hashedrekordV001,
  'hashedrekord/0.0.2': hashedrekordV002,
  'dsse/0.0.1': dsseV001,
  'dsse/0.0.2': dsseV002,
  'intoto/0.0.2': intotoV002,
};

export function checkTlogBody(kind: string, kindVersion: string, canonicalizedBody: Uint8Array, content: SignedContent): void {
  let body: Json;
  try {
    body = obj(JSON.parse(utf8Decode(canonicalizedBody, 'log entry body')), 'body');
  } catch (cause) {
    if (cause instanceof KeylessError && cause.code === 'ERR_TLOG_BODY') throw cause;
    return fail('the canonicalized body is not a JSON object');
  }
  if (body.kind !== kind || body.apiVersion !== kindVersion) {
    fail(`the entry says ${kind} ${kindVersion} but its body is ${String(body.kind)} ${String(body.apiVersion)}`);
  }
  const check = CHECKS[`${kind}/${kindVersion}`];
  if (check === undefined) {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `transparency log entries of kind ${kind} ${kindVersion} are not supported`, { kind, kindVersion });
  }
  try {
    check(obj(body.spec, 'spec'), content);
  } catch (cause) {
    // A body whose fields do not decode (not UTF-8, not PEM, not DER) does not match the bundle: that is a failed
    // check (exit 1), not unusable input.
    if (cause instanceof KeylessError && cause.code !== 'ERR_TLOG_BODY' && cause.code !== 'ERR_BUNDLE_UNSUPPORTED') {
      fail(`a field of the ${kind} ${kindVersion} body cannot be decoded: ${cause.message}`, { cause: cause.code });
    }
    throw cause;
  }
}
