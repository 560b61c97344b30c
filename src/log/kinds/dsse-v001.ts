/**
 * Rekor v1 `dsse` 0.0.1 (sigstore/rekor pkg/types/dsse/v0.0.1: Unmarshal, verifyEnvelope, Canonicalize).
 *
 * Proposed: {proposedContent: {envelope: <DSSE envelope as a JSON string>, verifiers: [b64 PEM key or cert]}}
 * Stored:   {envelopeHash: {sha256, hex SHA-256 of the envelope string's bytes exactly as sent},
 *            payloadHash: {sha256, hex SHA-256 of the decoded payload},
 *            signatures: [{signature: the envelope's `sig` text as sent, verifier: b64 canonical PEM}]
 *              sorted by the signature text}
 * and no proposedContent; the payload is kept beside the body as the entry's attestation. Signatures are verified over PAE with SHA-256 whatever the key
 * (signature.LoadVerifier(key, crypto.SHA256)).
 */
import { Buffer } from 'node:buffer';
import { KeylessError } from '../../core/errors.js';
import { base64Encode, hexEncode, utf8Encode } from '../../core/encoding.js';
import { sha256 } from '../../core/keys.js';
import { distinct, matchSignatures, repeatedKey, type DsseVerifier } from './dsse-match.js';
import { canonicalEntry, LIMITS, statementSubjectKeys, type CanonicalEntry } from './entry.js';
import { field, Problems, type Json } from './shape.js';
import { canonicalPem, failOn, takeVerifier, verifierFromPem, verifierSearchKeys, type VerifierMaterial } from './verifier.js';

const WHAT = 'dsse 0.0.1 entry';
const SERVER_FIELDS = ['envelopeHash', 'payloadHash', 'signatures'] as const;

interface EnvelopeSignature {
  readonly text: string;
  readonly bytes: Uint8Array;
}

function parseEnvelope(text: string, problems: Problems): { payloadType: string; payload: Uint8Array; signatures: EnvelopeSignature[] } | undefined {
  const path = 'spec.proposedContent.envelope';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return problems.add(path, 'is not JSON');
  }
  const env: Json | undefined = problems.object(parsed, path);
  if (env === undefined) return undefined;
  const payloadType = problems.string(field(env, 'payloadType'), `${path}.payloadType`, LIMITS.shortText, true);
  const payload = problems.dsseBase64(field(env, 'payload'), `${path}.payload`, LIMITS.envelopeBytes, true);
  const list = problems.array(field(env, 'signatures'), `${path}.signatures`, 1, LIMITS.dsseSignatures);
  const signatures: EnvelopeSignature[] = [];
  list?.forEach((item, i) => {
    const at = `${path}.signatures[${i}]`;
    const s = problems.object(item, at);
    if (s === undefined) return;
    const keyid = field(s, 'keyid');
    if (keyid !== undefined) problems.string(keyid, `${at}.keyid`, LIMITS.shortText, true);
    // Stored as sent, so it must already be what the stored schema allows: standard base64 with padding.
    const bytes = problems.stdBase64(field(s, 'sig'), `${at}.sig`, LIMITS.signatureBytes);
    if (bytes !== undefined) signatures.push({ text: field(s, 'sig') as string, bytes });
  });
  if (payloadType === undefined || payload === undefined || list === undefined) return undefined;
  return { payloadType, payload, signatures };
}

export function dsseV001(spec: unknown): CanonicalEntry {
  const problems = new Problems();
  const refusals: KeylessError[] = [];
  const s = problems.object(spec, 'spec');
  for (const name of SERVER_FIELDS) {
    if (s !== undefined && field(s, name) !== undefined) problems.add(`spec.${name}`, 'is computed by the log; send only proposedContent');
  }
  const proposed = s && problems.object(field(s, 'proposedContent'), 'spec.proposedContent');
  const envelopeText = proposed && problems.string(field(proposed, 'envelope'), 'spec.proposedContent.envelope', LIMITS.envelopeBytes);
  const envelope = envelopeText === undefined ? undefined : parseEnvelope(envelopeText, problems);
  const list = proposed && problems.array(field(proposed, 'verifiers'), 'spec.proposedContent.verifiers', 1, LIMITS.dsseVerifiers);
  const verifiers: DsseVerifier[] = [];
  list?.forEach((item, i) => {
    const path = `spec.proposedContent.verifiers[${i}]`;
    const pem = problems.stdBase64(item, path, LIMITS.keyBytes);
    const material = pem && takeVerifier(verifierFromPem(pem), path, problems, refusals);
    if (material !== undefined) verifiers.push({ material, hash: 'sha256', path });
  });
  const repeated = repeatedKey(verifiers.map((v) => v.material));
  if (repeated !== undefined) {
    problems.add(verifiers[repeated.index]?.path ?? 'spec.proposedContent.verifiers', `names the same key as ${verifiers[repeated.first]?.path ?? 'another verifier'}`);
  }
  failOn(problems, refusals, WHAT);
  if (envelopeText === undefined || envelope === undefined) throw new TypeError('unreachable: a missing field was not reported');

  // Rekor keys its signatures by their text, so a repeated signature counts once.
  const signatures = distinct(envelope.signatures, (sig) => sig.text);
  const recorded = matchSignatures(envelope.payloadType, envelope.payload, signatures.map((sig) => sig.bytes), verifiers);
  const stored = signatures
    .map((sig, i) => ({ signature: sig.text, verifier: verifiers[recorded[i] ?? -1]?.material }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.signature), Buffer.from(b.signature)));

  const envelopeHash = hexEncode(sha256(utf8Encode(envelopeText)));
  const payloadHash = hexEncode(sha256(envelope.payload));
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: envelopeHash },
      payloadHash: { algorithm: 'sha256', value: payloadHash },
      signatures: stored.map(({ signature, verifier }) => ({ signature, verifier: base64Encode(utf8Encode(canonicalPem(present(verifier)))) })),
    },
  };
  const keys = stored.flatMap(({ verifier }) => verifierSearchKeys(present(verifier)));
  return canonicalEntry('dsse', '0.0.1', body, [`sha256:${payloadHash}`, `sha256:${envelopeHash}`, ...keys, ...statementSubjectKeys(envelope.payloadType, envelope.payload)], envelope.payload);
}

function present(v: VerifierMaterial | undefined): VerifierMaterial {
  if (v === undefined) throw new KeylessError('ERR_SIGNATURE', 'a DSSE signature has no verifier');
  return v;
}
