/**
 * A small RFC 6962 CT log front end for precertificates, independent of how leaves are stored: it checks the
 * submitted chain, builds the MerkleTreeLeaf, hands it to an injected `append` (our log engine, or the in-memory
 * store below for tests), and only then signs the SCT, so an SCT is never issued for a leaf that was not accepted.
 *
 * Life of a precertificate: add-pre-chain JSON → parseAddPreChainRequest → checkPreChain (poison, signatures, root)
 * → MerkleTreeLeaf(timestamp, issuer_key_hash, TBS without poison) → append → SCT v1 → add-pre-chain reply.
 *
 * Not supported: a Precertificate Signing Certificate (RFC 6962 §3.1) between the precertificate and its issuer;
 * x509 (final certificate) submissions via add-chain; the read side (get-sth, get-entries), which belongs to the
 * log engine.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { KeylessError } from '../../core/errors.js';
import { bytesEqual } from '../../core/encoding.js';
import { publicKeyFromSpki, sha256, type PublicKey } from '../../core/keys.js';
import { OID } from '../../core/oids.js';
import type { Sct } from '../../core/sct.js';
import { findExtension, parseCertificate, precertificateTbs, verifyCertificateSignature, type Certificate } from '../../core/x509.js';
import { addChainResponse, parseAddPreChainRequest, type AddChainResponse } from './add-pre-chain.js';
import { encodePrecertMerkleTreeLeaf } from './leaf.js';
import { encodeSct, signPrecertSct } from './sct.js';

/** Appends one MerkleTreeLeaf; MUST resolve only once the leaf is durable, and MUST reject if it was not stored. */
export type AppendLeaf = (leaf: Uint8Array) => Promise<{ index: number }>;

export interface CtLogOptions {
  /** The log's ECDSA P-256 private key. */
  readonly key: KeyObject;
  readonly append?: AppendLeaf;
  /** Roots whose chains the log accepts (DER). Without it, any chain whose signatures hold together is accepted. */
  readonly acceptedRoots?: readonly Uint8Array[];
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export interface CtLog {
  /** RFC 6962 log ID: SHA-256 of the log's SubjectPublicKeyInfo DER. */
  readonly logId: Uint8Array;
  readonly publicKeySpki: Uint8Array;
  /** The CA's entry point (SctSource): the precertificate chain in, the TLS-encoded SCT out. */
  addPreChain(chainDer: readonly Uint8Array[]): Promise<Uint8Array>;
  /** The same, as the decoded SCT. */
  addPreChainSct(chainDer: readonly Uint8Array[]): Promise<Sct>;
  /** The TLS-encoded SCT and the TBS it signs (the precertificate's, poison removed): the CA's SctSource. */
  addPreChainSigned(chainDer: readonly Uint8Array[]): Promise<{ sct: Uint8Array; signedTbs: Uint8Array }>;
  /** `POST /ct/v1/add-pre-chain`: the parsed JSON body in, the JSON reply out. */
  addPreChainJson(body: unknown): Promise<AddChainResponse>;
}

/** An in-memory leaf store for tests and single-process demos; nothing survives the process. */
export function createMemoryLeafStore(): { append: AppendLeaf; readonly leaves: readonly Uint8Array[] } {
  const leaves: Uint8Array[] = [];
  return {
    leaves,
    append: (leaf) => Promise.resolve({ index: leaves.push(Uint8Array.from(leaf)) - 1 }),
  };
}

function refuse(message: string, details: Record<string, unknown> = {}): KeylessError {
  return new KeylessError('ERR_REQUEST', `add-pre-chain: ${message}`, details);
}

/**
 * CA-to-CA links of submitted chains already verified: the same issuing CA and root arrive with every
 * precertificate, and re-verifying a P-384 root signature (~0.7 ms) on each would dominate the log's cost per SCT.
 * Keyed by the two parsed certificates themselves: `PerDer` hands out one object per DER (parsed from its own copy,
 * never changed), so only the identical pair is skipped, and a pair no longer in use is forgotten with it.
 */
class VerifiedLinks {
  readonly #links = new WeakMap<Certificate, WeakSet<Certificate>>();
  has(child: Certificate, parent: Certificate): boolean {
    return this.#links.get(child)?.has(parent) === true;
  }
  add(child: Certificate, parent: Certificate): void {
    let parents = this.#links.get(child);
    if (parents === undefined) this.#links.set(child, (parents = new WeakSet()));
    parents.add(parent);
  }
}

/**
 * What is worked out once per DER and kept: an issuer's public key (every precertificate of one CA names the same
 * issuing key, and importing it, an OpenSSL point check of ~60 µs for P-256, would cost nearly as much as the
 * verification) and a CA certificate as parsed (the same issuing CA and root arrive with every precertificate, and
 * parsing them again, ~25 µs each, is a tenth of the log's cost per SCT; the precertificate is new every time and
 * always parsed). Keyed by the full DER; bounded. A caller that hands in the same array each time (our CA, its own
 * chain) is answered from the array's identity once its bytes are found unchanged, without encoding a key.
 */
class PerDer<T> {
  readonly #values = new Map<string, { der: Uint8Array; value: T }>();
  readonly #byArray = new WeakMap<Uint8Array, { der: Uint8Array; value: T }>();
  readonly #make: (der: Uint8Array) => T;
  constructor(make: (der: Uint8Array) => T) {
    this.#make = make;
  }
  get(der: Uint8Array): T {
    const known = this.#byArray.get(der);
    if (known !== undefined && bytesEqual(known.der, der)) return known.value;
    const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
    let entry = this.#values.get(id);
    if (entry === undefined) {
      const copy = Uint8Array.from(der); // the caller's buffer may be reused
      entry = { der: copy, value: this.#make(copy) };
      if (this.#values.size >= 256) this.#values.clear();
      this.#values.set(id, entry);
    }
    this.#byArray.set(der, entry);
    return entry.value;
  }
}

/** RFC 6962 §3.1 checks on a submitted precertificate chain; returns the parsed precertificate and its issuer. */
function checkPreChain(chainDer: readonly Uint8Array[], acceptedRoots: readonly Certificate[] | undefined, links: VerifiedLinks, keys: PerDer<PublicKey>, parsed: PerDer<Certificate>): { precert: Certificate; issuer: Certificate } {
  if (chainDer.length < 2) throw refuse('the chain must hold the precertificate and at least its issuer');
  const chain = chainDer.map((der, i) => {
    try {
      return i === 0 ? parseCertificate(der) : parsed.get(der);
    } catch (err) {
      throw refuse(`chain[${i}] is not a certificate: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const [precert, issuer] = chain as [Certificate, Certificate, ...Certificate[]];
  // "the Precertificate ... adding a special critical poison extension ... whose extnValue OCTET STRING contains
  // ASN.1 NULL data (0x05 0x00)"
  const poison = findExtension(precert, OID.ctPrecertPoison);
  if (poison === undefined || !poison.critical || !bytesEqual(poison.value, Uint8Array.of(0x05, 0x00))) {
    throw refuse('chain[0] is not a precertificate (no critical CT poison extension with a NULL value)');
  }
  if (findExtension(precert, OID.ctSctList) !== undefined) throw refuse('the precertificate already carries an SCT list');
  if (issuer.extKeyUsage.includes('1.3.6.1.4.1.11129.2.4.4')) {
    throw refuse('precertificates signed by a Precertificate Signing Certificate are not supported; sign with the issuing CA itself');
  }
  // Each certificate is signed by the next one, which must be a CA.
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as Certificate;
    const parent = chain[i + 1] as Certificate;
    if (!parent.isCA) throw refuse(`chain[${i + 1}] (${parent.subjectText()}) is not a CA certificate`);
    // The precertificate (i = 0) is new every time and always verified; CA links are remembered once verified.
    if (i > 0 && links.has(child, parent)) continue;
    if (!verifyCertificateSignature(child, keys.get(parent.spki))) {
      throw refuse(`chain[${i}] is not signed by chain[${i + 1}] (${parent.subjectText()})`);
    }
    if (i > 0) links.add(child, parent);
  }
  if (acceptedRoots !== undefined) {
    const last = chain[chain.length - 1] as Certificate;
    const anchored = acceptedRoots.some(
      (root) => bytesEqual(root.der, last.der) || (bytesEqual(root.subject, last.issuer) && verifyCertificateSignature(last, publicKeyFromSpki(root.spki))),
    );
    if (!anchored) throw refuse(`the chain does not end at a root this log accepts (last: ${last.subjectText()})`);
  }
  return { precert, issuer };
}

export function createCtLog(options: CtLogOptions): CtLog {
  const { key } = options;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('a CT log signs with an ECDSA P-256 private key');
  }
  const publicKeySpki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const logId = sha256(publicKeySpki);
  const append = options.append ?? createMemoryLeafStore().append;
  const now = options.now ?? Date.now;
  const roots = options.acceptedRoots?.map((der) => parseCertificate(der));
  const links = new VerifiedLinks();
  const issuerKeys = new PerDer(publicKeyFromSpki);
  const parsed = new PerDer(parseCertificate);

  /** Checks the chain, appends its leaf (durably), then signs the SCT: the SCT and the TBS it signs. */
  async function submit(chainDer: readonly Uint8Array[]): Promise<{ sct: Sct; signedTbs: Uint8Array }> {
    const { precert, issuer } = checkPreChain(chainDer, roots, links, issuerKeys, parsed);
    // The entry the SCT signs: issuer_key_hash and the TBS "with the poison extension removed" (RFC 6962 §3.2).
    const entry = { issuerKeyHash: sha256(issuer.spki), tbs: precertificateTbs(precert) };
    const timestamp = now();
    await append(encodePrecertMerkleTreeLeaf(timestamp, entry));
    return { sct: signPrecertSct(key, logId, timestamp, entry), signedTbs: entry.tbs };
  }
  const addPreChainSct = async (chainDer: readonly Uint8Array[]): Promise<Sct> => (await submit(chainDer)).sct;

  return {
    logId,
    publicKeySpki,
    addPreChainSct,
    addPreChain: async (chainDer) => encodeSct(await addPreChainSct(chainDer)),
    addPreChainSigned: async (chainDer) => {
      const { sct, signedTbs } = await submit(chainDer);
      return { sct: encodeSct(sct), signedTbs };
    },
    addPreChainJson: async (body) => addChainResponse(await addPreChainSct(parseAddPreChainRequest(body))),
  };
}
