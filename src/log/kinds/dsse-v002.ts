/**
 * Rekor v2 `dsse` 0.0.2 (rekor-tiles pkg/types/dsse ToLogEntry; protobuf-specs rekor/v2).
 *
 * Request: DSSERequestV002 {envelope: io.intoto.Envelope {payload: bytes, payloadType, signatures: [{sig, keyid}]},
 *          verifiers: [Verifier]} with 1–10 verifiers and 1–10 non-empty signatures.
 * Stored:  JCS(protojson(Entry{kind "dsse", apiVersion "0.0.2", spec: {dsseV002: {payloadHash: {SHA2_256,
 *          sha256(payload)}, signatures: [{content: sig, verifier: <as sent>}] sorted by the raw signature bytes}}}))
 * Each verifier verifies over PAE with the hash its keyDetails name (GetAlgorithmDetails(...).GetHashType()).
 */
import { Buffer } from 'node:buffer';
import type { KeylessError } from '../../core/errors.js';
import { base64Encode, hexEncode } from '../../core/encoding.js';
import { sha256 } from '../../core/keys.js';
import { distinct, matchSignatures, repeatedKey, type DsseVerifier } from './dsse-match.js';
import { canonicalEntry, LIMITS, statementSubjectKeys, type CanonicalEntry } from './entry.js';
import { readProtoVerifier, type ProtoVerifier } from './proto-verifier.js';
import { protoField, type Problems } from './shape.js';
import { failOn, verifierSearchKeys } from './verifier.js';

const WHAT = 'dsseRequestV002';

export function dsseV002(request: unknown, problems: Problems, path: string): CanonicalEntry {
  const refusals: KeylessError[] = [];
  const r = problems.object(request, path);
  const envPath = `${path}.envelope`;
  const env = r && problems.object(protoField(r, 'envelope', 'envelope', path, problems), envPath);
  const payloadType = env && problems.string(protoField(env, 'payloadType', 'payload_type', envPath, problems) ?? '', `${envPath}.payloadType`, LIMITS.shortText, true);
  // proto3: an absent bytes field is empty.
  const payloadValue = env && protoField(env, 'payload', 'payload', envPath, problems);
  const payload = env && (payloadValue === undefined ? new Uint8Array(0) : problems.protoBytes(payloadValue, `${envPath}.payload`, LIMITS.envelopeBytes));
  const sigList = env && problems.array(protoField(env, 'signatures', 'signatures', envPath, problems), `${envPath}.signatures`, 1, LIMITS.dsseSignatures);
  const signatures: Uint8Array[] = [];
  sigList?.forEach((item, i) => {
    const at = `${envPath}.signatures[${i}]`;
    const s = problems.object(item, at);
    if (s === undefined) return;
    const keyid = protoField(s, 'keyid', 'keyid', at, problems);
    if (keyid !== undefined) problems.string(keyid, `${at}.keyid`, LIMITS.shortText, true);
    const sig = problems.protoBytes(protoField(s, 'sig', 'sig', at, problems), `${at}.sig`, LIMITS.signatureBytes);
    if (sig !== undefined && sig.length === 0) problems.add(`${at}.sig`, 'must not be empty');
    else if (sig !== undefined) signatures.push(sig);
  });
  const list = r && problems.array(protoField(r, 'verifiers', 'verifiers', path, problems), `${path}.verifiers`, 1, LIMITS.dsseVerifiers);
  const verifiers: ProtoVerifier[] = [];
  list?.forEach((item, i) => {
    const v = readProtoVerifier(item, `${path}.verifiers[${i}]`, problems, refusals);
    if (v !== undefined) verifiers.push(v);
  });
  const repeated = repeatedKey(verifiers.map((v) => v.material));
  if (repeated !== undefined) {
    problems.add(verifiers[repeated.index]?.path ?? `${path}.verifiers`, `names the same key as ${verifiers[repeated.first]?.path ?? 'another verifier'}`);
  }
  failOn(problems, refusals, WHAT);
  if (payloadType === undefined || payload === undefined) throw new TypeError('unreachable: a missing field was not reported');

  // rekor-tiles keys signatures by their bytes, so a repeated signature counts once.
  const unique = distinct(signatures, (sig) => Buffer.from(sig).toString('hex'));
  const dsseVerifiers: DsseVerifier[] = verifiers.map((v) => ({ material: v.material, hash: v.details.hash ?? 'sha512' /* unused: Ed25519 is pure */, path: v.path }));
  const recorded = matchSignatures(payloadType, payload, unique, dsseVerifiers);
  const stored = unique
    .map((sig, i) => ({ sig, verifier: verifiers[recorded[i] ?? -1] }))
    .sort((a, b) => Buffer.compare(a.sig, b.sig));

  const payloadHash = sha256(payload);
  const body = {
    apiVersion: '0.0.2',
    kind: 'dsse',
    spec: {
      dsseV002: {
        payloadHash: { algorithm: 'SHA2_256', digest: base64Encode(payloadHash) },
        signatures: stored.map(({ sig, verifier }) => ({ content: base64Encode(sig), verifier: verifier?.stored })),
      },
    },
  };
  const keys = stored.flatMap(({ verifier }) => (verifier === undefined ? [] : verifierSearchKeys(verifier.material)));
  return canonicalEntry('dsse', '0.0.2', body, [`sha256:${hexEncode(payloadHash)}`, ...keys, ...statementSubjectKeys(payloadType, payload)]);
}
