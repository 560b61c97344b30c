/**
 * Rekor v2's `Verifier` message (protobuf-specs rekor/v2/verifier.proto) in protojson:
 *   {publicKey: {rawBytes}} | {x509Certificate: {rawBytes}}, keyDetails
 * rekor-tiles (pkg/types/validator, pkg/verifier/{publickey,certificate}) requires one of the two with non-empty
 * raw bytes and parses them with Go's x509; the verifier is stored in the entry as it was sent.
 */
import { KeylessError } from '../../core/errors.js';
import { base64Encode } from '../../core/encoding.js';
import { LIMITS } from './entry.js';
import { keyDetailsMismatch, lookupKeyDetails, type KeyDetails } from './key-details.js';
import { protoField, type Problems } from './shape.js';
import { takeVerifier, verifierFromDer, type VerifierMaterial } from './verifier.js';

export interface ProtoVerifier {
  readonly material: VerifierMaterial;
  readonly details: KeyDetails;
  /** The Verifier as protojson writes it (names, not numbers; bytes in standard base64). */
  readonly stored: Readonly<Record<string, unknown>>;
  readonly path: string;
}

export function readProtoVerifier(value: unknown, path: string, problems: Problems, refusals: KeylessError[]): ProtoVerifier | undefined {
  const v = problems.object(value, path);
  if (v === undefined) return undefined;
  const publicKey = protoField(v, 'publicKey', 'public_key', path, problems);
  const certificate = protoField(v, 'x509Certificate', 'x509_certificate', path, problems);
  const detailsValue = protoField(v, 'keyDetails', 'key_details', path, problems);

  let details: KeyDetails | undefined;
  const detailsPath = `${path}.keyDetails`;
  if (detailsValue === undefined || detailsValue === null) {
    problems.add(detailsPath, 'is required');
  } else {
    const found = lookupKeyDetails(detailsValue);
    if ('details' in found) details = found.details;
    else if ('problem' in found) problems.add(detailsPath, found.problem);
    else refusals.push(new KeylessError('ERR_KEY_UNSUPPORTED', `${detailsPath}: ${found.unsupported}`, { path: detailsPath, keyDetails: detailsValue }));
  }

  let kind: 'key' | 'certificate';
  let holder: unknown;
  if (publicKey !== undefined && certificate !== undefined) {
    return problems.add(path, 'must set only one of publicKey and x509Certificate');
  } else if (publicKey !== undefined) {
    [kind, holder] = ['key', publicKey];
  } else if (certificate !== undefined) {
    [kind, holder] = ['certificate', certificate];
  } else {
    return problems.add(path, 'must set publicKey or x509Certificate');
  }
  const holderPath = `${path}.${kind === 'key' ? 'publicKey' : 'x509Certificate'}`;
  const h = problems.object(holder, holderPath);
  const raw = h && problems.protoBytes(protoField(h, 'rawBytes', 'raw_bytes', holderPath, problems), `${holderPath}.rawBytes`, LIMITS.keyBytes);
  const material = raw && takeVerifier(verifierFromDer(kind, raw), `${holderPath}.rawBytes`, problems, refusals);
  if (material === undefined || details === undefined || raw === undefined) return undefined;

  const mismatch = keyDetailsMismatch(details, material.key);
  if (mismatch !== undefined) return problems.add(detailsPath, mismatch);
  const rawBytes = base64Encode(raw);
  return {
    material,
    details,
    path,
    stored: { keyDetails: details.name, ...(kind === 'key' ? { publicKey: { rawBytes } } : { x509Certificate: { rawBytes } }) },
  };
}
