/**
 * Parses and validates a Sigstore bundle (v0.1, v0.2, v0.3) from its protobuf-JSON form.
 *
 * Validation is structural (every REQUIRED field present and decodable, the per-version rules); whether the
 * signatures, proofs and certificates verify is the verifier's business. Every problem is collected before one
 * ERR_BUNDLE_INVALID is thrown with all of them in `details.problems`.
 */
import { KeylessError } from '../core/errors.js';
import { isJsonObject, ObjectReader, ProblemList } from './json-reader.js';
import { cosignLegacyToBundleJson, isCosignLegacyBundle } from './cosign-legacy.js';
import { frozenJsonCopy, rememberRaw } from './raw.js';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  type BundleVersion,
  type DsseContent,
  type HashAlgorithm,
  type MessageSignatureContent,
} from './types.js';
import { readVerificationMaterial } from './verification-material.js';

// protobuf-specs: "Clients must be able to accept media type using the previously defined formats" (the three
// `+json;version=` spellings) besides application/vnd.dev.sigstore.bundle.v0.3+json. sigstore-go also reads the
// `.v0.1+json` and `.v0.2+json` spellings, so we do too.
const MEDIA_TYPES = new Map<string, BundleVersion>([
  [BUNDLE_V01_MEDIA_TYPE, '0.1'],
  [BUNDLE_V02_MEDIA_TYPE, '0.2'],
  [BUNDLE_V03_LEGACY_MEDIA_TYPE, '0.3'],
  [BUNDLE_V03_MEDIA_TYPE, '0.3'],
  ['application/vnd.dev.sigstore.bundle.v0.1+json', '0.1'],
  ['application/vnd.dev.sigstore.bundle.v0.2+json', '0.2'],
]);

// sigstore_common.proto HashAlgorithm, by enum number.
const HASH_ALGORITHMS = ['HASH_ALGORITHM_UNSPECIFIED', 'SHA2_256', 'SHA2_384', 'SHA2_512', 'SHA3_256', 'SHA3_384'];
const MESSAGE_DIGEST_ALGORITHMS: readonly string[] = ['SHA2_256', 'SHA2_384', 'SHA2_512'] satisfies HashAlgorithm[];

/** Parses a bundle from a JSON value. ERR_JSON if it is not an object, ERR_BUNDLE_UNSUPPORTED for an unknown media type. */
export function parseBundle(json: unknown): Bundle {
  return parse(json, undefined);
}

/** Parses a bundle from JSON text; text that is not JSON is ERR_JSON. */
export function parseBundleText(text: string): Bundle {
  if (typeof text !== 'string') throw new TypeError('bundle text must be a string');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `bundle is not valid JSON: ${(cause as Error).message}`, {}, { cause });
  }
  return parse(json, text);
}

function parse(json: unknown, text: string | undefined): Bundle {
  if (isCosignLegacyBundle(json)) return parse(cosignLegacyToBundleJson(json), undefined);
  if (!isJsonObject(json)) {
    throw new KeylessError('ERR_JSON', 'a bundle must be a JSON object', { type: Array.isArray(json) ? 'array' : json === null ? 'null' : typeof json });
  }
  const problems = new ProblemList();
  const r = ObjectReader.root(json, problems);
  // media_type: "MUST be application/vnd.dev.sigstore.bundle.v0.3+json when encoded as JSON"; the version it names
  // decides which rules apply, so an unknown one stops here.
  const mediaType = r.string('mediaType', { required: true });
  const version = MEDIA_TYPES.get(mediaType);
  if (mediaType !== '' && version === undefined) {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `unsupported bundle media type ${JSON.stringify(mediaType)}`, { mediaType });
  }
  const verificationMaterial = readVerificationMaterial(r, version);
  const content = readContent(r);
  problems.throwIfAny('ERR_BUNDLE_INVALID', 'bundle');
  if (version === undefined || verificationMaterial === undefined || content === undefined) {
    // Unreachable: each of these being absent recorded a problem above.
    throw new KeylessError('ERR_BUNDLE_INVALID', 'bundle is invalid');
  }
  const raw = frozenJsonCopy(json) as object;
  rememberRaw(raw, text);
  return { mediaType, version, verificationMaterial, content, raw };
}

function readContent(r: ObjectReader): MessageSignatureContent | DsseContent | undefined {
  // oneof content { message_signature, dsse_envelope }: exactly one must be set.
  const present = ['messageSignature', 'dsseEnvelope'].filter((name) => r.has(name));
  if (present.length === 0) {
    r.problem('content', 'needs one of messageSignature or dsseEnvelope');
    return undefined;
  }
  if (present.length > 1) r.problem('content', 'has both messageSignature and dsseEnvelope');
  return present[0] === 'messageSignature' ? readMessageSignature(r) : readDsseEnvelope(r);
}

function readMessageSignature(r: ObjectReader): MessageSignatureContent | undefined {
  const ms = r.object('messageSignature');
  if (ms === undefined) return undefined;
  // message_digest identifies the artifact; sigstore-js and sigstore-go both refuse a message signature without it.
  const md = ms.object('messageDigest', { required: true });
  let messageDigest: MessageSignatureContent['messageDigest'];
  if (md !== undefined) {
    const algorithm = md.enumName('algorithm', HASH_ALGORITHMS, { required: true });
    if (algorithm !== '' && algorithm !== HASH_ALGORITHMS[0] && !MESSAGE_DIGEST_ALGORITHMS.includes(algorithm)) {
      md.problem('algorithm', `${algorithm} is not a supported message digest algorithm`);
    }
    messageDigest = { algorithm: algorithm as HashAlgorithm, digest: md.bytes('digest', { required: true }) };
  }
  const signature = ms.bytes('signature', { required: true });
  return { kind: 'messageSignature', ...(messageDigest !== undefined ? { messageDigest } : {}), signature };
}

function readDsseEnvelope(r: ObjectReader): DsseContent | undefined {
  const env = r.object('dsseEnvelope');
  if (env === undefined) return undefined;
  // envelope.proto: payload, payload_type and signatures (length >= 1) are REQUIRED.
  const payload = env.bytes('payload', { required: true });
  const payloadType = env.string('payloadType', { required: true });
  const signatures = env.objects('signatures', (s) => ({ sig: s.bytes('sig', { required: true }), keyid: s.string('keyid') }), { required: true });
  // "DSSE envelopes in a bundle MUST have exactly one signature."
  const listed = env.value('signatures');
  if (Array.isArray(listed) && listed.length > 1) env.problem('signatures', `has ${listed.length} signatures, a bundle's envelope has exactly one`);
  return { kind: 'dsseEnvelope', envelope: { payload, payloadType, signatures } };
}
