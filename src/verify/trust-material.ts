/**
 * The trusted root prepared once per verifier (sigstore-go's first configuration stage): keys imported, CA chains
 * parsed and checked, logs indexed by log ID. Verifying a bundle then does no parsing of trust material at all.
 */
import { KeylessError } from '../core/errors.js';
import { hexEncode } from '../core/encoding.js';
import { publicKeyFromSpki, type PublicKey } from '../core/keys.js';
import { parseCertificate, verifyCertificateSignature, type Certificate } from '../core/x509.js';
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
  readonly validFor: ValidityWindow;
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
}

export function withinWindow(window: ValidityWindow, at: number): boolean {
  return at >= window.start && (window.end === undefined || at <= window.end);
}

function indexLogs(logs: TrustedRoot['tlogs']): Map<string, LogAuthority[]> {
  const byId = new Map<string, LogAuthority[]>();
  for (const log of logs) {
    const authority: LogAuthority = {
      baseUrl: log.baseUrl,
      logId: log.logId,
      key: publicKeyFromSpki(log.publicKey.rawBytes),
      validFor: log.publicKey.validFor,
    };
    const id = hexEncode(log.logId);
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

export function prepareTrustMaterial(root: TrustedRoot): TrustMaterial {
  return {
    tlogs: indexLogs(root.tlogs),
    ctlogs: indexLogs(root.ctlogs),
    certificateAuthorities: root.certificateAuthorities.map((ca) => prepareAuthority(ca, 'certificate authority')),
    timestampAuthorities: root.timestampAuthorities.map((ca) => prepareAuthority(ca, 'timestamp authority')),
  };
}
