/**
 * What every entry kind produces: the exact leaf bytes upstream Rekor would store for the same proposal, and the
 * keys under which the log's search index (`POST /api/v1/index/retrieve`) finds the entry.
 */
import { canonicalize } from '../../core/canonical-json.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../core/dsse.js';
import { utf8Decode, utf8Encode } from '../../core/encoding.js';

export type EntryKind = 'hashedrekord' | 'dsse' | 'intoto';

export interface CanonicalEntry {
  readonly kind: EntryKind;
  /** '0.0.1' or '0.0.2'. */
  readonly apiVersion: string;
  /** The Merkle leaf: RFC 8785 canonical JSON of the stored entry, as upstream stores it. */
  readonly body: Uint8Array;
  /**
   * Deduplicated, hex in lower case: `<alg>:<hex>` for the artifact digest (hashedrekord) or the payload and envelope
   * digests (dsse, intoto); `key:<hex SHA-256 of the DER SubjectPublicKeyInfo>` for each verifier key;
   * `email:<address>` and `subject:<uri>` for each rfc822Name and URI SAN of a verifier certificate; for an in-toto
   * payload, `<alg>:<hex>` of each statement subject too (statementSubjectKeys), so an artifact's digest finds its
   * attestations.
   */
  readonly searchKeys: readonly string[];
  /**
   * dsse 0.0.1 and intoto 0.0.2 only: the DSSE payload (the in-toto statement), which the body holds only as
   * `payloadHash`. Upstream keeps it in its attestation storage and returns it as `attestation.data`; absent when
   * larger than LIMITS.attestationBytes (the entry is logged anyway, as upstream does).
   */
  readonly attestation?: Uint8Array;
}

/** Bounds on attacker-controlled input, checked before anything is decoded or verified. */
export const LIMITS = Object.freeze({
  /** A DER or PEM public key or certificate. */
  keyBytes: 16 * 1024,
  /** A signature (RSA-16384, the largest key we accept, signs 2048 bytes). */
  signatureBytes: 4 * 1024,
  /** A DSSE envelope as JSON text, or its decoded payload. */
  envelopeBytes: 1024 * 1024,
  /** Signatures in one DSSE envelope, and verifiers sent with it (rekor-tiles allows 10 of each). */
  dsseSignatures: 10,
  dsseVerifiers: 10,
  /** A DSSE payloadType or keyid. */
  shortText: 1024,
  /** A stored attestation: Rekor's default --max_attestation_size (100 KiB), compared with the decoded payload. */
  attestationBytes: 100 * 1024,
});

/** The supported kind/version pairs of each API, for ERR_ENTRY_UNSUPPORTED messages. */
export const SUPPORTED_V1 = ['hashedrekord 0.0.1', 'dsse 0.0.1', 'intoto 0.0.2'] as const;
export const SUPPORTED_V2 = ['hashedRekordRequestV002 (hashedrekord 0.0.2)', 'dsseRequestV002 (dsse 0.0.2)'] as const;

/** Builds the entry from the stored JSON value (only strings, objects and arrays; canonicalize sorts the keys). */
export function canonicalEntry(kind: EntryKind, apiVersion: string, stored: unknown, searchKeys: readonly string[], payload?: Uint8Array): CanonicalEntry {
  return Object.freeze({
    kind,
    apiVersion,
    body: utf8Encode(canonicalize(stored)),
    searchKeys: Object.freeze([...new Set(searchKeys)]),
    ...(payload !== undefined && payload.byteLength <= LIMITS.attestationBytes && { attestation: payload }),
  });
}

/** At most this many subjects of one statement are indexed; a statement may name more, the entry is logged anyway. */
const MAX_INDEXED_SUBJECTS = 256;

/**
 * `<alg>:<hex>` search keys for the subjects of an in-toto statement (v0.1 or v1): each subject's sha256, sha384 and
 * sha512 digest. Only for indexing: a payload that is not such a statement, or a malformed digest, gives no key and
 * never stops the entry from being logged (the log does not judge statements; verifiers do).
 */
export function statementSubjectKeys(payloadType: string, payload: Uint8Array): string[] {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE || payload.byteLength > LIMITS.envelopeBytes) return [];
  let statement: unknown;
  try {
    statement = JSON.parse(utf8Decode(payload));
  } catch {
    return [];
  }
  const subjects = (statement as { subject?: unknown } | null)?.subject;
  if (!Array.isArray(subjects)) return [];
  const keys: string[] = [];
  for (const subject of subjects.slice(0, MAX_INDEXED_SUBJECTS)) {
    const digest = (subject as { digest?: unknown } | null)?.digest;
    if (digest === null || typeof digest !== 'object') continue;
    for (const [alg, bytes] of [['sha256', 32], ['sha384', 48], ['sha512', 64]] as const) {
      const value = (digest as Record<string, unknown>)[alg];
      if (typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) keys.push(`${alg}:${value.toLowerCase()}`);
    }
  }
  return keys;
}
