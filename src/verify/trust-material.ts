/**
 * The trusted root prepared once per verifier (sigstore-go's first configuration stage): keys imported as their
 * key details say, CA chains parsed and checked, logs indexed by log ID. Verifying a bundle then does no parsing of
 * trust material at all.
 *
 * An entry keyless cannot use (a key type it does not know, such as the post-quantum keys trusted roots will list,
 * or a chain that does not hold together) is set aside with a warning instead of making the whole root unusable;
 * it fails only a bundle that needs it, with the reason.
 */
import { KeylessError } from '../core/errors.js';
import { hexEncode } from '../core/encoding.js';
import { publicKeyFromSpki, verifySignature, type PublicKey } from '../core/keys.js';
import { parseCertificate, verifyCertificateSignature, type Certificate } from '../core/x509.js';
import { trustedKey, type KeyScheme } from '../trust/key-details.js';
import type { TrustedRoot } from '../trust/index.js';

export interface ValidityWindow {
  readonly start: number;
  /** Inclusive end, epoch ms; absent while the key is still in use. */
  readonly end?: number;
}

export interface LogAuthority {
  readonly baseUrl: string;
  readonly logId: Uint8Array;
  readonly key: PublicKey;
  /** How the log signs (hash, RSA padding), from the trusted root's key details. */
  readonly scheme: KeyScheme;
  readonly validFor: ValidityWindow;
}

/** A trusted root entry set aside because keyless cannot use it. */
export interface UnusableEntry {
  readonly kind: 'tlog' | 'ctlog' | 'certificate authority' | 'timestamp authority';
  /** The log's base URL or the authority's URI. */
  readonly name: string;
  /** Hex log ID, for logs. */
  readonly logId?: string;
  /** DER subject of the authority's issuing certificate, when it could be read (to say why a leaf it issued fails). */
  readonly subject?: Uint8Array;
  readonly reason: string;
}

export interface CertificateAuthority {
  readonly uri: string;
  /** The CA's chain as the trusted root lists it: the issuing certificate first, the root last. */
  readonly chain: readonly Certificate[];
  /** The chain's public keys, imported once (importing a key costs more than verifying with it). */
  readonly keys: readonly PublicKey[];
  readonly validFor: ValidityWindow;
}

export interface TrustMaterial {
  /** Transparency logs by hex log ID (a log ID may have several keys over time). */
  readonly tlogs: ReadonlyMap<string, readonly LogAuthority[]>;
  readonly ctlogs: ReadonlyMap<string, readonly LogAuthority[]>;
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly timestampAuthorities: readonly CertificateAuthority[];
  /** Entries of the trusted root that were set aside, with why. */
  readonly unusable: readonly UnusableEntry[];
}

/** Checks a log's signature (SET, checkpoint, SCT) the way the log's key details say it signs. */
export function verifyLogSignature(log: LogAuthority, data: Uint8Array, signature: Uint8Array): boolean {
  return verifySignature(log.key, data, signature, log.scheme.hash, log.scheme.rsaPadding);
}

function reasonOf(e: unknown): string {
  return e instanceof KeylessError ? `${e.message} [${e.code}]` : String(e);
}

export function withinWindow(window: ValidityWindow, at: number): boolean {
  return at >= window.start && (window.end === undefined || at <= window.end);
}

function indexLogs(logs: TrustedRoot['tlogs'], kind: 'tlog' | 'ctlog', unusable: UnusableEntry[]): Map<string, LogAuthority[]> {
  const byId = new Map<string, LogAuthority[]>();
  for (const log of logs) {
    const id = hexEncode(log.logId);
    let imported;
    try {
      imported = trustedKey(log.publicKey.rawBytes, log.publicKey.keyDetails);
    } catch (e) {
      unusable.push({ kind, name: log.baseUrl, logId: id, reason: `its ${log.publicKey.keyDetails} key cannot be used: ${reasonOf(e)}` });
      continue;
    }
    const authority: LogAuthority = { baseUrl: log.baseUrl, logId: log.logId, key: imported.key, scheme: imported.scheme, validFor: log.publicKey.validFor };
    byId.set(id, [...(byId.get(id) ?? []), authority]);
  }
  return byId;
}

function prepareAuthority(ca: TrustedRoot['certificateAuthorities'][number], what: string): CertificateAuthority {
  if (ca.certChain.length === 0) {
    throw new KeylessError('ERR_TRUST_INVALID', `trusted root: a ${what} (${ca.uri}) has an empty certificate chain`);
  }
  const chain = ca.certChain.map((der) => parseCertificate(der));
  const keys = chain.map((cert) => publicKeyFromSpki(cert.spki));
  // The trusted root's own chain must hold together: each certificate signed by the next, the last self-signed.
  // Checked once here so that per-bundle verification only checks the leaf's signature.
  for (let i = 0; i < chain.length; i++) {
    const issuerKey = keys[i + 1] ?? (keys[i] as PublicKey);
    if (!verifyCertificateSignature(chain[i] as Certificate, issuerKey)) {
      throw new KeylessError('ERR_TRUST_INVALID', `trusted root: ${what} ${ca.uri}: certificate ${i} is not signed by the next one in its chain`);
    }
  }
  return { uri: ca.uri, chain, keys, validFor: ca.validFor };
}

function prepareAuthorities(
  cas: TrustedRoot['certificateAuthorities'],
  what: 'certificate authority' | 'timestamp authority',
  unusable: UnusableEntry[],
): CertificateAuthority[] {
  const prepared: CertificateAuthority[] = [];
  for (const ca of cas) {
    try {
      prepared.push(prepareAuthority(ca, what));
    } catch (e) {
      let subject: Uint8Array | undefined;
      try {
        subject = ca.certChain[0] !== undefined ? parseCertificate(ca.certChain[0]).subject : undefined;
      } catch {
        subject = undefined;
      }
      unusable.push({ kind: what, name: ca.uri, ...(subject !== undefined ? { subject } : {}), reason: reasonOf(e) });
    }
  }
  return prepared;
}

export function prepareTrustMaterial(root: TrustedRoot): TrustMaterial {
  const unusable: UnusableEntry[] = [];
  return {
    tlogs: indexLogs(root.tlogs, 'tlog', unusable),
    ctlogs: indexLogs(root.ctlogs, 'ctlog', unusable),
    certificateAuthorities: prepareAuthorities(root.certificateAuthorities, 'certificate authority', unusable),
    timestampAuthorities: prepareAuthorities(root.timestampAuthorities, 'timestamp authority', unusable),
    unusable,
  };
}

/** The unusable entry a bundle needed, if that is why it failed: for logs by ID, for authorities by subject. */
export function unusableLog(trust: TrustMaterial, kind: 'tlog' | 'ctlog', logIdHex: string): UnusableEntry | undefined {
  return trust.unusable.find((u) => u.kind === kind && u.logId === logIdHex);
}
