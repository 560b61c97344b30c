export { parseTrustedRoot } from './parse-trusted-root.js';
export { serializeTrustedRoot } from './serialize-trusted-root.js';
export { parseSigningConfig } from './parse-signing-config.js';
export { serializeSigningConfig } from './serialize-signing-config.js';
export { selectService, selectServices, type SelectOptions } from './select-services.js';
export {
  SIGNING_CONFIG_MEDIA_TYPE_V02,
  TRUSTED_ROOT_MEDIA_TYPE_V01,
  TRUSTED_ROOT_MEDIA_TYPE_V01_LEGACY,
  TRUSTED_ROOT_MEDIA_TYPE_V02,
  type CertificateAuthority,
  type Service,
  type ServiceConfiguration,
  type ServiceSelector,
  type SigningConfig,
  type TransparencyLogInstance,
  type TrustedRoot,
  type ValidityPeriod,
} from './types.js';
