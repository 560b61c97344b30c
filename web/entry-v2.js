// One Rekor v2 entry (a protobuf-JSON TransparencyLogEntry from keyless's `GET /rekor-v2/api/v2/log/entries/N`):
// its body decoded (hashedrekord 0.0.2, dsse 0.0.2), the certificates in it, and the checks of its inclusion proof
// against its own root and the log's latest checkpoint (`/rekor-v2/checkpoint`). Decoded entries have the shape
// entry.js's decodeEntry gives, with `log: 'v2'`, so that the view renders both.
/* global btoa */
import { checkpointV2, entryV2ByIndex } from './api.js';
import { check, latestSigned, signatureCheck } from './entry.js';
import { ProofError, base64Bytes, bytesEqual, hex, leafHash, parseCertificate, parseCheckpoint, rootFromInclusionProof } from './dist/core.js';

const text = (bytes) => new TextDecoder().decode(bytes);
const INDEX = /^(?:0|[1-9][0-9]{0,15})$/;

/** protobuf-JSON HashOutput `{algorithm: 'SHA2_256', digest: base64}` → `sha256:<hex>`. */
function digestOf(d) {
  if (typeof d?.digest !== 'string') return undefined;
  const alg = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' }[d.algorithm] ?? String(d.algorithm ?? 'sha256').toLowerCase();
  try {
    return `${alg}:${hex(base64Bytes(d.digest))}`;
  } catch {
    return undefined;
  }
}

export function decodeEntryV2(entry) {
  const out = { log: 'v2', uuid: '', entry, kind: '?', version: '?', body: undefined, bodyBytes: new Uint8Array(), hashes: [], signers: [], problems: [] };
  try {
    out.bodyBytes = base64Bytes(entry.canonicalizedBody);
    out.body = JSON.parse(text(out.bodyBytes));
  } catch {
    out.problems.push('the entry body is not base64 of JSON');
    return out;
  }
  out.kind = String(out.body?.kind ?? '?');
  out.version = String(out.body?.apiVersion ?? '?');
  const spec = out.body?.spec ?? {};
  const verifiers = [];
  if (out.kind === 'hashedrekord' && spec.hashedRekordV002 !== undefined) {
    out.hashes.push(['Artifact digest', digestOf(spec.hashedRekordV002.data)]);
    verifiers.push(spec.hashedRekordV002.signature?.verifier);
  } else if (out.kind === 'dsse' && spec.dsseV002 !== undefined) {
    out.payloadHash = digestOf(spec.dsseV002.payloadHash);
    out.hashes.push(['Payload hash', out.payloadHash]);
    for (const s of spec.dsseV002.signatures ?? []) verifiers.push(s?.verifier);
  } else {
    out.problems.push(`this page does not know Rekor v2 entries of kind ${out.kind} ${out.version}`);
  }
  out.hashes = out.hashes.filter(([, v]) => v !== undefined);
  for (const v of verifiers) if (v !== undefined) out.signers.push(signer(v));
  return out;
}

function signer(verifier) {
  const raw = verifier?.x509Certificate?.rawBytes;
  if (typeof raw !== 'string') {
    const key = verifier?.publicKey?.rawBytes;
    return { pem: typeof key === 'string' ? pem('PUBLIC KEY', key) : JSON.stringify(verifier), key: true };
  }
  let der;
  try {
    der = base64Bytes(raw);
  } catch {
    return { pem: raw, error: 'the certificate is not base64' };
  }
  try {
    return { pem: pem('CERTIFICATE', btoa(String.fromCharCode(...der))), cert: parseCertificate(der) };
  } catch (err) {
    return { pem: raw, error: `the certificate cannot be read: ${err instanceof Error ? err.message : err}` };
  }
}

const pem = (label, b64) => `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

/** `{index, size, root}` of the entry's inclusion proof, verified from the body's leaf hash, or a ProofError. */
async function included(decoded, entry) {
  const proof = entry.inclusionProof;
  if (proof === undefined) throw new ProofError('the entry has no inclusion proof');
  if (!INDEX.test(String(proof.logIndex)) || !INDEX.test(String(proof.treeSize))) throw new ProofError('the proof\'s log index or tree size is not a whole number');
  if (String(proof.logIndex) !== String(entry.logIndex)) throw new ProofError(`the proof is for log index ${proof.logIndex}, not ${entry.logIndex}`);
  const index = Number(proof.logIndex);
  const size = Number(proof.treeSize);
  const b64 = (value, what) => {
    try {
      return base64Bytes(value);
    } catch {
      throw new ProofError(`${what} is not base64`);
    }
  };
  const root = b64(proof.rootHash, 'the proof root hash');
  const computed = await rootFromInclusionProof(index, size, await leafHash(decoded.bodyBytes), (proof.hashes ?? []).map((h, i) => b64(h, `proof hash ${i}`)));
  if (!bytesEqual(computed, root)) throw new ProofError(`the inclusion proof leads to root ${hex(computed)}, not to the stated root ${hex(root)}`);
  const cp = parseCheckpoint(proof.checkpoint?.envelope);
  if (cp.size !== size || !bytesEqual(cp.rootHash, root)) throw new ProofError('the proof\'s checkpoint states another tree size or root');
  return { index, size, root };
}

/**
 * The same two checks as a v1 entry's. Rekor v2 serves no consistency proofs (only tiles), and keyless proves a v2
 * entry to the current head: when the latest checkpoint is newer than the proof, the entry is fetched again and its
 * new proof must lead to the latest checkpoint's root. Both checkpoints' signatures are checked against the trusted
 * root, as for a v1 entry.
 */
export async function verifyEntryV2(decoded) {
  const inclusion = await check(async () => {
    const { index, size, root } = await included(decoded, decoded.entry);
    return { size, root, text: `leaf ${index} is in the tree of size ${size} with root ${hex(root)}` };
  });
  const signature = await check(async () => signatureCheck(decoded.entry.inclusionProof?.checkpoint?.envelope));
  if (!inclusion.ok) return { inclusion, signature, latest: { ok: false, reason: 'not checked: the inclusion proof did not verify' } };
  const { size, root } = inclusion.value;
  const latest = await check(async () => {
    const text = await checkpointV2();
    await latestSigned(text);
    const cp = parseCheckpoint(text);
    if (cp.size < size) throw new ProofError(`the latest checkpoint (size ${cp.size}) is older than the entry's proof (size ${size}): the log shrank or answers from two different trees`);
    if (cp.size === size) {
      if (!bytesEqual(cp.rootHash, root)) throw new ProofError(`the latest checkpoint has the same size ${size} but another root: the log forked`);
      return { text: `the entry's root is the latest checkpoint's (size ${size})` };
    }
    const again = await entryV2ByIndex(decoded.entry.logIndex);
    if (again.canonicalizedBody !== decoded.entry.canonicalizedBody) throw new ProofError('the log now answers another body at this index');
    const now = await included(decoded, again);
    if (now.size !== cp.size || !bytesEqual(now.root, cp.rootHash)) throw new ProofError(`the log grew past the latest checkpoint (size ${cp.size}) while checking; reload to check again`);
    return { text: `the entry is also in the latest checkpoint's tree (size ${cp.size}, root ${hex(cp.rootHash)})` };
  });
  return { inclusion, signature, latest };
}
