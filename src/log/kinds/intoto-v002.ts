/**
 * Rekor v1 `intoto` 0.0.2 (sigstore/rekor pkg/types/intoto/v0.0.2: Unmarshal, verifyEnvelope, Canonicalize).
 *
 * Proposed: {content: {envelope: {payloadType, payload: b64(b64 payload), signatures: [{keyid?, sig: b64(b64 sig),
 *            publicKey: b64 PEM}]}, hash: {sha256, hex}}}; the fields are `format: byte`, so the DSSE payload and
 *            signatures arrive base64-encoded twice.
 * Stored:   {content: {envelope: {payloadType, signatures (as sent: keyid only when not empty, publicKey verbatim,
 *            not re-encoded as PEM — sigstore/rekor#1170)}, hash (the client's, which Rekor cannot recompute),
 *            payloadHash: {sha256, hex SHA-256 of the payload}}}; the payload is not in the body
 *            but is kept beside it as the entry's attestation (Rekor's AttestationKeyValue).
 * Signatures are verified over PAE with SHA-256 (signature.LoadVerifier(key, crypto.SHA256)).
 */
import { Buffer } from 'node:buffer';
import { KeylessError } from '../../core/errors.js';
import { pae } from '../../core/dsse.js';
import { base64Encode, hexEncode } from '../../core/encoding.js';
import { sha256, verifySignature } from '../../core/keys.js';
import { distinct, matchSignatures, repeatedKey, type DsseVerifier } from './dsse-match.js';
import { canonicalEntry, LIMITS, statementSubjectKeys, type CanonicalEntry } from './entry.js';
import { field, Problems } from './shape.js';
import { failOn, takeVerifier, verifierFromPem, verifierSearchKeys } from './verifier.js';

const WHAT = 'intoto 0.0.2 entry';

interface Signature {
  readonly keyid: string;
  /** The DSSE `sig` text (the outer base64 removed) and what it decodes to. */
  readonly text: string;
  readonly bytes: Uint8Array;
  /** The PEM bytes as sent; stored unchanged. */
  readonly publicKey: Uint8Array;
  readonly verifier: DsseVerifier;
}

/** Decodes the outer `format: byte` base64, then reads the inner text as a DSSE field would be read. */
function twice(value: unknown, path: string, maxBytes: number, problems: Problems, inner: 'std' | 'dsse'): { text: string; bytes: Uint8Array } | undefined {
  const once = problems.stdBase64(value, path, Math.ceil(maxBytes / 3) * 4);
  if (once === undefined) return undefined;
  const text = Buffer.from(once).toString('latin1');
  const bytes = inner === 'std' ? problems.stdBase64(text, `${path} (decoded)`, maxBytes) : problems.dsseBase64(text, `${path} (decoded)`, maxBytes);
  return bytes === undefined ? undefined : { text, bytes };
}

export function intotoV002(spec: unknown): CanonicalEntry {
  const problems = new Problems();
  const refusals: KeylessError[] = [];
  const s = problems.object(spec, 'spec');
  const content = s && problems.object(field(s, 'content'), 'spec.content');
  const env = content && problems.object(field(content, 'envelope'), 'spec.content.envelope');
  const hash = content && problems.object(field(content, 'hash'), 'spec.content.hash');
  const hashAlgorithm = hash && problems.oneOf(field(hash, 'algorithm'), 'spec.content.hash.algorithm', ['sha256'] as const);
  const hashValue = hash && problems.lowerHex(field(hash, 'value'), 'spec.content.hash.value', 32, 'sha256');

  const payloadType = env && problems.string(field(env, 'payloadType'), 'spec.content.envelope.payloadType', LIMITS.shortText);
  // Rekor hashes the payload with base64.StdEncoding, so the inner encoding must be standard.
  const payload = env && twice(field(env, 'payload'), 'spec.content.envelope.payload', LIMITS.envelopeBytes, problems, 'std');
  const list = env && problems.array(field(env, 'signatures'), 'spec.content.envelope.signatures', 1, LIMITS.dsseSignatures);
  const signatures: Signature[] = [];
  list?.forEach((item, i) => {
    const at = `spec.content.envelope.signatures[${i}]`;
    const sig = problems.object(item, at);
    if (sig === undefined) return;
    const keyid = field(sig, 'keyid') === undefined ? '' : problems.string(field(sig, 'keyid'), `${at}.keyid`, LIMITS.shortText, true);
    const signature = twice(field(sig, 'sig'), `${at}.sig`, LIMITS.signatureBytes, problems, 'dsse');
    const publicKey = problems.stdBase64(field(sig, 'publicKey'), `${at}.publicKey`, LIMITS.keyBytes);
    const material = publicKey && takeVerifier(verifierFromPem(publicKey), `${at}.publicKey`, problems, refusals);
    if (keyid === undefined || signature === undefined || publicKey === undefined || material === undefined) return;
    signatures.push({ keyid, ...signature, publicKey, verifier: { material, hash: 'sha256', path: `${at}.publicKey` } });
  });
  const repeated = repeatedKey(signatures.map((sig) => sig.verifier.material));
  if (repeated !== undefined) {
    problems.add(`spec.content.envelope.signatures[${repeated.index}].publicKey`, `names the same key as signatures[${repeated.first}]; sign once per key`);
  }
  failOn(problems, refusals, WHAT);
  if (payloadType === undefined || payload === undefined || hashAlgorithm === undefined || hashValue === undefined) {
    throw new TypeError('unreachable: a missing field was not reported');
  }

  // Rekor's verifyEnvelope: every key verifies a signature and every signature is verified by some key.
  const unique = distinct(signatures, (sig) => sig.text);
  matchSignatures(payloadType, payload.bytes, unique.map((sig) => sig.bytes), signatures.map((sig) => sig.verifier));
  // Stricter than Rekor, which accepts a signature verified by another signature's key: the body names each
  // signature's key, so that key must be the one that made it.
  const message = pae(payloadType, payload.bytes);
  signatures.forEach((sig, i) => {
    if (!verifySignature(sig.verifier.material.key, message, sig.bytes, 'sha256')) {
      throw new KeylessError('ERR_SIGNATURE', `spec.content.envelope.signatures[${i}]: the signature does not verify with its own publicKey`, { signature: i });
    }
  });

  const payloadHash = hexEncode(sha256(payload.bytes));
  const body = {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType,
          signatures: signatures.map((sig) => ({
            ...(sig.keyid !== '' && { keyid: sig.keyid }),
            publicKey: base64Encode(sig.publicKey),
            sig: base64Encode(Buffer.from(sig.text, 'latin1')),
          })),
        },
        hash: { algorithm: hashAlgorithm, value: hexEncode(hashValue) },
        payloadHash: { algorithm: 'sha256', value: payloadHash },
      },
    },
  };
  // Rekor leaves the client's envelope hash out of its index ("we can't deterministically calculate this
  // server-side"); so do we: anyone could claim any hash.
  const keys = signatures.flatMap((sig) => verifierSearchKeys(sig.verifier.material));
  return canonicalEntry('intoto', '0.0.2', body, [`sha256:${payloadHash}`, ...keys, ...statementSubjectKeys(payloadType, payload.bytes)], payload.bytes);
}
