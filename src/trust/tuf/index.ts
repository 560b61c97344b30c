/** TUF metadata for a keyless instance's trust files: keys, signed envelopes, the repository and its refresh. Served by src/server/routes/tuf.ts. */
export { generateTufKeys, tufKeysFromPem, tufKeysToPem, tufKeyId, tufPublicKey, TUF_ROLES, type TufKeys, type TufPublicKey, type TufRole } from './keys.js';
export { TUF_SPEC_VERSION } from './metadata.js';
export {
  buildTufRepository,
  hashedTargetPath,
  TUF_DEFAULT_EXPIRES_DAYS,
  TUF_EPOCH_MS,
  type BuildTufRepositoryOptions,
  type TufRepository,
} from './repository.js';
export { refreshingTufRepository, type TufRepositorySource } from './source.js';
