/**
 * Image references, following the grammar of distribution/reference (reference.go) and Docker's normalisation
 * (normalize.go): a name without a registry lives on docker.io, and a single-component name there is an official
 * image under `library/`.
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain '/'] path-component ['/' path-component]*
 *   domain     := host [':' port-number]
 *   path-component := alpha-numeric [separator alpha-numeric]*   (alpha-numeric := [a-z0-9]+, separator := [_.]|__|[-]*)
 *   tag        := [\w][\w.-]{0,127}
 */
import { KeylessError } from '../core/errors.js';
import { isDigest } from './media-types.js';

export interface ImageReference {
  /** Host[:port] as the user names it; `docker.io` for Docker Hub (see `registryApiHost`). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API host: `docker.io` itself serves no registry API. */
export const DOCKER_HUB_API = 'index.docker.io';

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REPOSITORY_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const NAME_MAX = 255;

function invalid(ref: string, why: string): never {
  throw new KeylessError('ERR_REQUEST', `invalid image reference ${JSON.stringify(ref)}: ${why}`, { reference: ref, reason: why });
}

export function isRepository(name: string): boolean {
  return name.length <= NAME_MAX && REPOSITORY_RE.test(name);
}

export function isTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isRegistryHost(host: string): boolean {
  return DOMAIN_RE.test(host);
}

/** The host the registry API answers on: index.docker.io for docker.io, the registry itself otherwise. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Parses and normalises an image reference; ERR_REQUEST on anything the grammar does not allow. */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref === '') invalid(String(ref), 'empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) invalid(ref, `${JSON.stringify(digest)} is not a sha256 or sha512 digest in lowercase hex`);
  }
  // A tag follows the last ':' that comes after the last '/', so a registry port is not mistaken for one.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) invalid(ref, `${JSON.stringify(tag)} is not a valid tag`);
  }
  // normalize.go splitDockerDomain: the first component is a registry when it has a '.' or ':' or is localhost,
  // and is not all lowercase otherwise (an uppercase first component is a host, never a repository).
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (!isRegistryHost(registry)) invalid(ref, `${JSON.stringify(registry)} is not a valid registry host`);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository === '' || repository.toLowerCase() !== repository && REPOSITORY_RE.test(repository.toLowerCase())) {
    invalid(ref, repository === '' ? 'no repository' : 'repository name must be lowercase');
  }
  if (!REPOSITORY_RE.test(repository)) invalid(ref, `${JSON.stringify(repository)} is not a valid repository name`);
  if (/^[a-f0-9]{64}$/.test(rest)) invalid(ref, 'a 64-character hexadecimal string is an image ID, not a repository');
  if (registry.length + 1 + repository.length > NAME_MAX) invalid(ref, `the name is longer than ${NAME_MAX} characters`);
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** registry/repository[:tag][@digest], always with the registry (docker.io included). */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}
