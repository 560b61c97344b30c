/**
 * Parses a TrustedRoot (sigstore_trustroot.proto) from protobuf JSON, collecting every problem before failing with
 * one ERR_TRUST_INVALID.
 */
import { KeylessError } from '../core/errors.js';
import { isJsonObject, ObjectReader, ProblemList } from '../bundle/json-reader.js';
import { readValidity } from './read-common.js';
import {
  TRUSTED_ROOT_MEDIA_TYPE_V01,
  TRUSTED_ROOT_MEDIA_TYPE_V01_LEGACY,
  TRUSTED_ROOT_MEDIA_TYPE_V02,
  type CertificateAuthority,
  type TransparencyLogInstance,
  type TrustedRoot,
} from './types.js';

// "MUST be application/vnd.dev.sigstore.trustedroot.v0.2+json when encoded as JSON. Clients MAY choose to also
// support application/vnd.dev.sigstore.trustedroot.v0.1+json. Clients MAY process and parse content with the
// media type defined in the old format: application/vnd.dev.sigstore.trustedroot+json;version=0.1"
const MEDIA_TYPES = new Set([TRUSTED_ROOT_MEDIA_TYPE_V01_LEGACY, TRUSTED_ROOT_MEDIA_TYPE_V01, TRUSTED_ROOT_MEDIA_TYPE_V02]);

// sigstore_common.proto enums by number (protobuf JSON accepts the number as well as the name).
export const HASH_ALGORITHMS = ['HASH_ALGORITHM_UNSPECIFIED', 'SHA2_256', 'SHA2_384', 'SHA2_512', 'SHA3_256', 'SHA3_384'];
export const PUBLIC_KEY_DETAILS = [
  'PUBLIC_KEY_DETAILS_UNSPECIFIED', 'PKCS1_RSA_PKCS1V5', 'PKCS1_RSA_PSS', 'PKIX_RSA_PKCS1V5', 'PKIX_RSA_PSS',
  'PKIX_ECDSA_P256_SHA_256', 'PKIX_ECDSA_P256_HMAC_SHA_256', 'PKIX_ED25519', 'PKIX_ED25519_PH',
  'PKIX_RSA_PKCS1V15_2048_SHA256', 'PKIX_RSA_PKCS1V15_3072_SHA256', 'PKIX_RSA_PKCS1V15_4096_SHA256',
  'PKIX_ECDSA_P384_SHA_384', 'PKIX_ECDSA_P521_SHA_512', 'LMS_SHA256', 'LMOTS_SHA256', 'PKIX_RSA_PSS_2048_SHA256',
  'PKIX_RSA_PSS_3072_SHA256', 'PKIX_RSA_PSS_4096_SHA256', 'PKIX_ECDSA_P384_SHA_256', 'PKIX_ECDSA_P521_SHA_256',
  'ML_DSA_65', 'ML_DSA_87', 'ML_DSA_44',
];

export function parseTrustedRoot(json: unknown): TrustedRoot {
  if (!isJsonObject(json)) throw new KeylessError('ERR_JSON', 'a trusted root must be a JSON object');
  const problems = new ProblemList();
  const r = ObjectReader.root(json, problems);
  const mediaType = r.string('mediaType', { required: true });
  if (mediaType !== '' && !MEDIA_TYPES.has(mediaType)) {
    throw new KeylessError('ERR_TRUST_INVALID', `unsupported trusted root media type ${JSON.stringify(mediaType)}`, { mediaType });
  }
  const root: TrustedRoot = {
    mediaType,
    tlogs: r.objects('tlogs', readLog).filter(isDefined),
    certificateAuthorities: r.objects('certificateAuthorities', readAuthority).filter(isDefined),
    ctlogs: r.objects('ctlogs', readLog).filter(isDefined),
    timestampAuthorities: r.objects('timestampAuthorities', readAuthority).filter(isDefined),
  };
  problems.throwIfAny('ERR_TRUST_INVALID', 'trusted root');
  return root;
}

function readLog(r: ObjectReader): TransparencyLogInstance | undefined {
  const baseUrl = r.string('baseUrl', { required: true });
  const hashAlgorithm = r.enumName('hashAlgorithm', HASH_ALGORITHMS, { required: true });
  const pk = r.object('publicKey', { required: true });
  // PublicKey.raw_bytes is optional in the proto, but a log we cannot verify is no use in a trusted root.
  const rawBytes = pk?.bytes('rawBytes', { required: true });
  const keyDetails = pk?.enumName('keyDetails', PUBLIC_KEY_DETAILS, { required: true });
  const validFor = pk && readValidity(pk, 'validFor');
  const logId = r.object('logId', { required: true })?.bytes('keyId', { required: true });
  const checkpointKeyId = r.object('checkpointKeyId')?.bytes('keyId', { required: true });
  const operator = r.string('operator');
  if (rawBytes === undefined || keyDetails === undefined || validFor === undefined || logId === undefined) return undefined;
  return {
    baseUrl,
    hashAlgorithm,
    publicKey: { rawBytes, keyDetails, validFor },
    logId,
    ...(checkpointKeyId !== undefined ? { checkpointKeyId } : {}),
    ...(operator !== '' ? { operator } : {}),
  };
}

function readAuthority(r: ObjectReader): CertificateAuthority | undefined {
  const subject = r.object('subject');
  const uri = r.string('uri');
  // "The certificate chain for this CA. The last certificate in the chain MUST be the trust anchor."
  const certChain = r.object('certChain', { required: true })?.objects('certificates', (c) => c.bytes('rawBytes', { required: true }), { required: true });
  const validFor = readValidity(r, 'validFor');
  const operator = r.string('operator');
  if (certChain === undefined || validFor === undefined) return undefined;
  return {
    subject: { organization: subject?.string('organization') ?? '', commonName: subject?.string('commonName') ?? '' },
    uri,
    certChain,
    validFor,
    ...(operator !== '' ? { operator } : {}),
  };
}

const isDefined = <T>(v: T | undefined): v is T => v !== undefined;
