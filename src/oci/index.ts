// The OCI distribution client: image references, manifests and blobs, registry auth, referrers.
export { parseReference, formatReference, registryApiHost, isRepository, isTag, isRegistryHost, DOCKER_HUB, DOCKER_HUB_API, type ImageReference } from './reference.js';
export { MEDIA_TYPES, MANIFEST_MEDIA_TYPES, EMPTY_JSON, EMPTY_JSON_DESCRIPTOR, isDigest, digestOf, parseManifest, parseIndex, type Descriptor, type Manifest, type Index } from './media-types.js';
export { createRegistryClient, referrersFallbackTag, MANIFEST_LIMIT, DEFAULT_BLOB_LIMIT, type RegistryClient, type RegistryClientOptions } from './client.js';
export { credentialsFor, parseWwwAuthenticate, normalizeRegistryHost, type Credentials, type CredentialLookup, type Challenge } from './auth.js';
