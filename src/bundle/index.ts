export { parseBundle, parseBundleText } from './parse.js';
export { serializeBundle, serializeBundleText } from './serialize.js';
export {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  type BundleVersion,
  type DsseContent,
  type DsseSignature,
  type HashAlgorithm,
  type InclusionProof,
  type MessageSignatureContent,
  type TransparencyLogEntry,
  type VerificationMaterial,
  type VerificationMaterialContent,
} from './types.js';
export type { Problem } from './json-reader.js';
