/**
 * The verifier, configured in two stages as sigstore-go does: once per deployment with trusted material and
 * thresholds (`createVerifier`), then per artifact with a policy (`verifier.verify(bundle, policy)`).
 *
 * Order of checks (each in its own file): 4a RFC 3161 timestamps → 3 transparency log entries (with their SET
 * times) → 4b at least one trusted time, every one inside the certificate's validity → 1 certificate chain at
 * those times → 2 SCTs → 5 signature over the artifact → 6 identity policy.
 */
import { KeylessError } from '../core/errors.js';
import { bytesEqual, hexEncode, utf8Decode } from '../core/encoding.js';
import { sha256, publicKeyFromSpki, type PublicKey } from '../core/keys.js';
import { FULCIO_EXTENSIONS_BY_OID } from '../core/oids.js';
import { fulcioExtensions, parseCertificate, type Certificate } from '../core/x509.js';
import type { Bundle } from '../bundle/index.js';
import type { TrustedRoot } from '../trust/index.js';
import { artifactDigest, PROTO_HASH_NAMES, type Artifact } from './artifact.js';
import { verifyCertificateChain } from './certificate.js';
import { checkIdentity, type CertificateIdentity, type SignerIdentity } from './identity.js';
import { verifySignedCertificateTimestamps, type VerifiedSct } from './sct.js';
import { verifyDsseSignature, verifyMessageSignature, type InTotoStatement } from './signature.js';
import { verifyRfc3161Timestamp } from './timestamp.js';
import type { SignedContent } from './tlog-body.js';
import { verifyTlogEntry, type VerifiedTlogEntry } from './tlog.js';
import { prepareTrustMaterial, type TrustMaterial, type UnusableEntry } from './trust-material.js';
import type { WitnessPolicy } from '../core/tlog-policy.js';
import { verifyWitnessQuorum, type WitnessVerdict } from './witness.js';

export interface VerifierOptions {
  readonly trustedRoot: TrustedRoot;
  /** Verified transparency log entries required; 1 by default. */
  readonly tlogThreshold?: number;
  /** Verified embedded SCTs required; 1 by default. */
  readonly ctlogThreshold?: number;
  /** Trusted times (SET-backed integrated times plus RFC 3161 timestamps) required; 1 by default. */
  readonly timestampThreshold?: number;
  /**
   * C2SP tlog-policy witnesses and quorum: every log entry's checkpoint must carry the quorum's cosignatures
   * (ERR_WITNESS otherwise). Without it cosignatures are ignored, as clients that do not know them do.
   */
  readonly witnessPolicy?: WitnessPolicy;
  /** Clock in milliseconds for the witness check (cosignatures dated in the future do not count). */
  readonly now?: () => number;
}

/** Who must have signed: a certificate identity (any of several), a managed key, or nobody in particular. */
export type IdentityPolicy =
  | { readonly kind: 'certificate'; readonly identities: readonly CertificateIdentity[] }
  | { readonly kind: 'key'; readonly key: PublicKey }
  /** Skips the identity check: only for inspecting bundles, never for trusting artifacts. */
  | { readonly kind: 'withoutIdentitiesUnsafe' };

export interface VerificationPolicy {
  /** The artifact; may be omitted only for DSSE bundles (the statement is then returned unchecked against a subject). */
  readonly artifact?: Artifact;
  readonly identity: IdentityPolicy;
}

export interface VerifiedTime {
  readonly source: 'transparency-log' | 'timestamp-authority';
  readonly time: number;
  readonly by: string;
}

export interface VerificationResult {
  readonly signer?: SignerIdentity & { readonly certificate: Certificate; readonly certificateAuthority: string };
  readonly matchedIdentity?: CertificateIdentity;
  readonly times: readonly VerifiedTime[];
  readonly tlogEntries: readonly VerifiedTlogEntry[];
  readonly scts: readonly VerifiedSct[];
  readonly statement?: InTotoStatement;
  /** With a witness policy: for each log entry, who cosigned its checkpoint. */
  readonly witnesses?: readonly WitnessVerdict[];
}

export interface Verifier {
  verify(bundle: Bundle, policy: VerificationPolicy): VerificationResult;
  /** Entries of the trusted root set aside because keyless cannot use them (each fails only bundles that need it). */
  readonly unusable: readonly UnusableEntry[];
  readonly thresholds: { readonly tlog: number; readonly ctlog: number; readonly timestamp: number };
}

function utf8DecodeLenient(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decode(bytes);
  } catch {
    return undefined;
  }
}

export function signerIdentity(cert: Certificate): SignerIdentity {
  const byName = fulcioExtensions(cert);
  const byOid: Record<string, string> = {};
  for (const ext of cert.extensions) {
    const known = FULCIO_EXTENSIONS_BY_OID.get(ext.oid);
    if (known === undefined) continue;
    // 1.1–1.6 hold raw strings; the others are DER UTF8Strings, decoded by fulcioExtensions under their name
    // (`issuer` is shared by 1.1 and 1.8, so 1.1 is read raw here rather than through the name).
    const value = known.legacy ? utf8DecodeLenient(ext.value) : byName[known.name];
    if (value !== undefined) byOid[ext.oid] = value;
  }
  return {
    subjectAlternativeNames: cert.subjectAltNames.map((n) => n.value),
    // Fulcio: the issuer is in 1.3.6.1.4.1.57264.1.8 (a DER UTF8String); older certificates only have the raw 1.1.
    // fulcioExtensions names both `issuer` and prefers 1.8.
    issuer: byName.issuer,
    extensions: byName,
    extensionsByOid: byOid,
  };
}

function leafCertificate(bundle: Bundle): { leaf: Certificate; chain: Certificate[] } | undefined {
  const content = bundle.verificationMaterial.content;
  if (content.kind === 'certificate') return { leaf: parseCertificate(content.certificate), chain: [] };
  if (content.kind === 'x509CertificateChain') {
    const [first, ...rest] = content.certificates;
    if (first === undefined) throw new KeylessError('ERR_BUNDLE_INVALID', 'the bundle\'s certificate chain is empty');
    return { leaf: parseCertificate(first), chain: rest.map((der) => parseCertificate(der)) };
  }
  return undefined;
}

/** What the bundle says was signed, for comparison with the log entries. */
function signedContent(bundle: Bundle, verifier: SignedContent['verifier'], artifact: Artifact | undefined): SignedContent {
  const content = bundle.content;
  if (content.kind === 'messageSignature') {
    // A bundle without a message digest: the log entry must then name the artifact's own digest.
    const digest = content.messageDigest !== undefined
      ? { algorithm: PROTO_HASH_NAMES[content.messageDigest.algorithm] ?? 'sha256', value: content.messageDigest.digest }
      : { algorithm: 'sha256' as const, value: (artifact !== undefined ? artifactDigest(artifact, 'sha256') : undefined) ?? new Uint8Array(0) };
    return { kind: 'messageSignature', signature: content.signature, digest, verifier };
  }
  const first = content.envelope.signatures[0];
  return {
    kind: 'dsseEnvelope',
    signature: first?.sig ?? new Uint8Array(0),
    digest: { algorithm: 'sha256', value: sha256(content.envelope.payload) },
    verifier,
    dsse: { payloadType: content.envelope.payloadType, payload: content.envelope.payload, signatureCount: content.envelope.signatures.length },
  };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function requireThreshold(name: string, value: number | undefined): number {
  const n = value ?? 1;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return n;
}

export function createVerifier(options: VerifierOptions): Verifier {
  const trust: TrustMaterial = prepareTrustMaterial(options.trustedRoot);
  const tlogThreshold = requireThreshold('tlogThreshold', options.tlogThreshold);
  const ctlogThreshold = requireThreshold('ctlogThreshold', options.ctlogThreshold);
  const timestampThreshold = requireThreshold('timestampThreshold', options.timestampThreshold);

  return {
    unusable: trust.unusable,
    thresholds: { tlog: tlogThreshold, ctlog: ctlogThreshold, timestamp: timestampThreshold },
    verify(bundle: Bundle, policy: VerificationPolicy): VerificationResult {
      const certs = leafCertificate(bundle);
      let key: PublicKey;
      if (policy.identity.kind === 'key') {
        if (certs !== undefined) {
          // Managed-key mode accepts a certificate only when it holds exactly the given key.
          if (!bytesEqual(certs.leaf.spki, policy.identity.key.spki)) throw new KeylessError('ERR_KEY_MISMATCH', 'the bundle was signed by a certificate for another key than the one given');
        }
        key = policy.identity.key;
      } else if (certs === undefined) {
        throw new KeylessError('ERR_KEY_MISMATCH', 'the bundle was signed with a key, not a certificate: verify it with --key');
      } else {
        key = publicKeyFromSpki(certs.leaf.spki);
      }
      const verifierMaterial: SignedContent['verifier'] = certs !== undefined ? { kind: 'certificate', der: certs.leaf.der } : { kind: 'publicKey', der: key.spki };
      const content = signedContent(bundle, verifierMaterial, policy.artifact);

      // 4a: RFC 3161 timestamps over the signature. A timestamp repeated in the bundle is one piece of evidence:
      // copies must not count twice toward the threshold.
      const times: VerifiedTime[] = uniqueBy(bundle.verificationMaterial.rfc3161Timestamps, (der) => hexEncode(der)).map((der) => {
        const ts = verifyRfc3161Timestamp(der, content.signature, trust);
        return { source: 'timestamp-authority', time: ts.time, by: ts.authority };
      });

      // 3: every transparency log entry must verify; at least `tlogThreshold` of them.
      const tsaTimes = times.map((t) => t.time);
      // Copies of one entry (same log, same body) count once, as in sigstore-js.
      const entries = uniqueBy(bundle.verificationMaterial.tlogEntries, (e) => `${hexEncode(e.logId)}:${hexEncode(sha256(e.canonicalizedBody))}`);
      const tlogEntries = entries.map((entry) => verifyTlogEntry(entry, content, trust, tsaTimes));
      if (tlogEntries.length < tlogThreshold) {
        throw new KeylessError('ERR_TLOG_THRESHOLD', `${tlogEntries.length} verified transparency log entries${entries.length < bundle.verificationMaterial.tlogEntries.length ? ' (copies of one entry count once)' : ''}, ${tlogThreshold} required`);
      }
      // 3e: with a witness policy, each entry's checkpoint must carry the quorum of cosignatures.
      const witnessPolicy = options.witnessPolicy;
      const witnesses = witnessPolicy === undefined ? undefined : entries.map((entry) => {
        const checkpoint = entry.inclusionProof?.checkpoint;
        if (checkpoint === undefined) {
          throw new KeylessError('ERR_WITNESS', `log entry ${entry.logIndex} has no checkpoint, so it carries no witness cosignatures`, { quorum: witnessPolicy.quorum, cosigned: [], missing: witnessPolicy.witnesses.map((w) => w.name) });
        }
        return verifyWitnessQuorum(checkpoint, witnessPolicy, options.now !== undefined ? { now: options.now } : {});
      });
      for (const entry of tlogEntries) {
        if (entry.integratedTime !== undefined) times.push({ source: 'transparency-log', time: entry.integratedTime, by: entry.baseUrl });
      }

      // 4b: at least one trusted time, and the certificate valid at every one of them.
      if (times.length < timestampThreshold) {
        throw new KeylessError('ERR_TIME', times.length === 0
          ? 'the bundle has no trusted time: it needs a signed entry timestamp from a log or an RFC 3161 timestamp'
          : `${times.length} trusted times, ${timestampThreshold} required`);
      }
      let signer: VerificationResult['signer'];
      let scts: VerifiedSct[] = [];
      if (certs !== undefined) {
        const { leaf } = certs;
        const outside = times.find((t) => t.time < leaf.notBefore || t.time > leaf.notAfter);
        if (outside !== undefined) {
          throw new KeylessError('ERR_TIME', `the signing certificate was not valid at ${new Date(outside.time).toISOString()} (${outside.source}): it is valid from ${new Date(leaf.notBefore).toISOString()} to ${new Date(leaf.notAfter).toISOString()}`, {
            time: new Date(outside.time).toISOString(),
            notBefore: new Date(leaf.notBefore).toISOString(),
            notAfter: new Date(leaf.notAfter).toISOString(),
          });
        }
        // 1 and 2: chain to a trusted CA at the signing times, and certificate transparency.
        const chain = verifyCertificateChain(leaf, trust, times.map((t) => t.time));
        scts = verifySignedCertificateTimestamps(leaf, chain.issuer, trust, ctlogThreshold);
        signer = { ...signerIdentity(leaf), certificate: leaf, certificateAuthority: chain.authority.uri };
      }

      // 5: the signature over the artifact.
      let statement: InTotoStatement | undefined;
      if (bundle.content.kind === 'messageSignature') {
        if (policy.artifact === undefined) throw new TypeError('verifying a message signature needs the artifact or its digest');
        verifyMessageSignature(bundle.content, key, policy.artifact);
      } else {
        statement = verifyDsseSignature(bundle.content, key, policy.artifact);
      }

      // 6: identity.
      let matchedIdentity: CertificateIdentity | undefined;
      if (policy.identity.kind === 'certificate') {
        if (signer === undefined) throw new KeylessError('ERR_IDENTITY', 'the bundle has no certificate, so it carries no identity');
        matchedIdentity = checkIdentity(signer, policy.identity.identities);
      }
      return {
        ...(signer !== undefined ? { signer } : {}),
        ...(matchedIdentity !== undefined ? { matchedIdentity } : {}),
        times,
        tlogEntries,
        scts,
        ...(statement !== undefined ? { statement } : {}),
        ...(witnesses !== undefined ? { witnesses } : {}),
      };
    },
  };
}

