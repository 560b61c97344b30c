// One Rekor v1 entry: its body decoded (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2), the certificates in it,
// and the checks of its inclusion proof against its own root and the log's latest checkpoint.
import { ApiError, consistencyProof, logInfo } from './api.js';
import { signedBy, trustedLogKeys, verifyCheckpointSignature, verifySet } from './checkpoint.js';
// Every reader comes from src/core, bundled into dist/core.js by scripts/build-web.mjs.
import { ProofError, base64Bytes, bytesEqual, hex, hexBytes, isKeylessError, leafHash, parseCertificate, parseCheckpoint, pemCertificate, rootFromInclusionProof, verifyConsistency } from './dist/core.js';

const text = (bytes) => new TextDecoder().decode(bytes);

/**
 * `{ uuid, entry, bodyBytes, body, kind, version, hashes: [[label, alg:hex]], signers: [{pem, cert?, error?}], payloadHash?,
 * attestation? }`. `attestation` is the statement the log returned beside a dsse/intoto body (Rekor's
 * `attestation.data`): not covered by the leaf or the SET, so the view shows it only once it hashes to `payloadHash`.
 */
export function decodeEntry(uuid, entry) {
  const out = { uuid, entry, kind: '?', version: '?', body: undefined, bodyBytes: new Uint8Array(), hashes: [], signers: [], problems: [] };
  try {
    out.bodyBytes = base64Bytes(entry.body);
    out.body = JSON.parse(text(out.bodyBytes));
  } catch {
    out.problems.push('the entry body is not base64 of JSON');
    return out;
  }
  out.kind = String(out.body?.kind ?? '?');
  out.version = String(out.body?.apiVersion ?? '?');
  const spec = out.body?.spec ?? {};
  const digest = (d) => (typeof d?.value === 'string' ? `${d.algorithm ?? 'sha256'}:${d.value}` : undefined);
  const keys = [];
  if (out.kind === 'hashedrekord') {
    out.hashes.push(['Artifact digest', digest(spec.data?.hash)]);
    keys.push(spec.signature?.publicKey?.content);
  } else if (out.kind === 'dsse') {
    out.hashes.push(['Payload hash', digest(spec.payloadHash)], ['Envelope hash', digest(spec.envelopeHash)]);
    out.payloadHash = digest(spec.payloadHash);
    for (const s of spec.signatures ?? []) keys.push(s?.verifier);
  } else if (out.kind === 'intoto') {
    const content = spec.content ?? {};
    out.hashes.push(['Payload hash', digest(content.payloadHash)], ['Envelope hash (as the client sent it)', digest(content.hash)]);
    out.payloadHash = digest(content.payloadHash);
    out.payloadType = content.envelope?.payloadType;
    for (const s of content.envelope?.signatures ?? []) keys.push(s?.publicKey);
  } else {
    out.problems.push(`this page does not know entries of kind ${out.kind}`);
  }
  out.hashes = out.hashes.filter(([, v]) => v !== undefined);
  if (out.payloadHash !== undefined && entry.attestation?.data !== undefined) {
    try {
      out.attestation = base64Bytes(entry.attestation.data);
    } catch {
      out.problems.push('the attestation the log returned with this entry is not base64');
    }
  }
  for (const key of keys.filter((k) => typeof k === 'string')) out.signers.push(signer(key));
  return out;
}

function signer(base64Pem) {
  let pem;
  try {
    pem = text(base64Bytes(base64Pem));
  } catch {
    return { pem: base64Pem, error: 'the key material is not base64' };
  }
  try {
    const der = pemCertificate(pem);
    if (der === undefined) return { pem, error: undefined, key: true };
    return { pem, cert: parseCertificate(der) };
  } catch (err) {
    return { pem, error: `the certificate cannot be read: ${err instanceof Error ? err.message : err}` };
  }
}

/** The first URI or e-mail SAN of the first certificate: what the entry says signed it. */
export function identityOf(decoded) {
  const cert = decoded.signers.find((s) => s.cert)?.cert;
  const san = cert?.sans.find((s) => s.type === 'uri' || s.type === 'email');
  return san?.value ?? (decoded.signers.some((s) => s.key) ? 'a public key (no certificate)' : '(unknown)');
}

/**
 * The four checks shown on a v1 entry: `{ inclusion, signature, set, latest }`, each `{ok, reason}`. The inclusion
 * proof must lead from the body's leaf hash to the proof's own root, which its checkpoint must state; that checkpoint
 * must be signed by a log key of the instance's trusted_root.json, and so must the signed entry timestamp (SET);
 * then the proof's root must be the latest (signed) checkpoint's, or be proven consistent with it.
 */
export async function verifyEntry(decoded) {
  const inclusion = await check(async () => {
    const proof = decoded.entry.verification?.inclusionProof;
    if (proof === undefined) throw new ProofError('the entry has no inclusion proof');
    const leaf = await leafHash(decoded.bodyBytes);
    if (hex(leaf) !== decoded.uuid.slice(-64).toLowerCase()) throw new ProofError('the body does not hash to the entry UUID');
    if (proof.logIndex !== decoded.entry.logIndex) throw new ProofError(`the proof is for log index ${proof.logIndex}, not ${decoded.entry.logIndex}`);
    const root = hexBytes(proof.rootHash, 'the proof root hash');
    const computed = await rootFromInclusionProof(proof.logIndex, proof.treeSize, leaf, (proof.hashes ?? []).map((h, i) => hexBytes(h, `proof hash ${i}`)));
    if (!bytesEqual(computed, root)) throw new ProofError(`the inclusion proof leads to root ${hex(computed)}, not to the stated root ${proof.rootHash}`);
    const cp = parseCheckpoint(proof.checkpoint);
    if (cp.size !== proof.treeSize || !bytesEqual(cp.rootHash, root)) throw new ProofError('the proof\'s checkpoint states another tree size or root');
    return { size: proof.treeSize, root, text: `leaf ${decoded.entry.logIndex} is in the tree of size ${proof.treeSize} with root ${proof.rootHash}` };
  });
  const signature = await check(async () => signatureCheck(decoded.entry.verification?.inclusionProof?.checkpoint));
  const set = await check(async () => ({ text: await verifySet(decoded.entry, await trustedLogKeys()) }));
  if (!inclusion.ok) return { inclusion, signature, set, latest: { ok: false, reason: 'not checked: the inclusion proof did not verify' } };
  const { size, root } = inclusion.value;
  const latest = await check(async () => {
    const info = await logInfo();
    await latestSigned(info?.signedTreeHead);
    const latestRoot = hexBytes(info?.rootHash, 'the latest root hash');
    const cp = parseCheckpoint(info?.signedTreeHead);
    if (cp.size !== info.treeSize || !bytesEqual(cp.rootHash, latestRoot)) throw new ProofError('the latest checkpoint states another tree size or root than the log info');
    if (info.treeSize < size) throw new ProofError(`the latest checkpoint (size ${info.treeSize}) is older than the entry's proof (size ${size}): the log shrank or answers from two different trees`);
    if (info.treeSize === size) {
      if (!bytesEqual(latestRoot, root)) throw new ProofError(`the latest checkpoint has the same size ${size} but another root: the log forked`);
      return { text: `the entry's root is the latest checkpoint's (size ${size})` };
    }
    const proof = await consistencyProof(size, info.treeSize);
    if (proof?.rootHash !== info.rootHash) throw new ProofError('the consistency proof is for another root than the latest checkpoint');
    await verifyConsistency(size, info.treeSize, (proof.hashes ?? []).map((h, i) => hexBytes(h, `consistency hash ${i}`)), root, latestRoot);
    return { text: `the tree of size ${size} is consistent with the latest checkpoint (size ${info.treeSize}, root ${info.rootHash})` };
  });
  return { inclusion, signature, set, latest };
}

/** The check of a checkpoint's signatures against the trusted root's log keys. */
export async function signatureCheck(checkpoint) {
  if (checkpoint === undefined) throw new ProofError('the entry has no checkpoint');
  return { text: signedBy(await verifyCheckpointSignature(checkpoint, await trustedLogKeys())) };
}

/** The latest checkpoint must be signed too, or nothing is proven against it. */
export async function latestSigned(checkpoint) {
  try {
    await verifyCheckpointSignature(checkpoint, await trustedLogKeys());
  } catch (err) {
    if (err instanceof ProofError || isKeylessError(err)) throw new ProofError(`the latest checkpoint: ${err.message}`);
    throw err;
  }
}

/** Runs one proof check and reports it as {ok, reason}: what failed, or why it could not be checked. */
export async function check(fn) {
  try {
    const value = await fn();
    return { ok: true, reason: value.text, value };
  } catch (err) {
    if (err instanceof ProofError || isKeylessError(err)) return { ok: false, reason: err.message };
    if (err instanceof ApiError) return { ok: false, reason: `could not fetch what is needed: ${err.message}` };
    return { ok: false, reason: `malformed answer: ${err instanceof Error ? err.message : err}` };
  }
}
