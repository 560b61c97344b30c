// What the search box holds: a log index, an entry UUID or leaf hash, an artifact digest, or an identity. Pure:
// input → a query or a message saying why the input is none of them.

const HEX64 = /^[0-9a-f]{64}$/i;
const EMAIL = /^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/;
const PROJECT = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/;
/** `gitlab.example.com/group/project`, `127.0.0.1:3000/group/project`: a first segment with a dot or a port is a host. */
const HOST_PROJECT = /^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?)\/([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)$/;

/**
 * `kind` is 'auto' or one of 'logIndex', 'uuid', 'hash', 'identity'. Returns `{ type, value, … }` with type
 * 'logIndex' | 'uuid' | 'hash' | 'hex64' (64 hex digits in auto mode: leaf hash or artifact digest) | 'subject' |
 * 'email' | 'project', or `{ error }`.
 */
export function classify(raw, kind = 'auto', pageHost = '') {
  const q = String(raw ?? '').trim();
  if (q === '') return { error: 'Type a log index, an entry UUID, a hash or an identity to search for.' };
  const asIndex = () => (/^(?:0|[1-9][0-9]{0,15})$/.test(q) && Number.isSafeInteger(Number(q)) ? { type: 'logIndex', value: Number(q) } : { error: `“${q}” is not a log index: a log index is a whole number from 0.` });
  const asUuid = () => (/^(?:[0-9a-f]{16})?[0-9a-f]{64}$/i.test(q) ? { type: 'uuid', value: q.toLowerCase() } : { error: `“${short(q)}” is not an entry UUID: that is 80 hex digits (tree ID and leaf hash), or the 64-hex-digit leaf hash alone.` });
  const asHash = () => {
    const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(q);
    return m ? { type: 'hash', value: `sha256:${m[1].toLowerCase()}` } : { error: `“${short(q)}” is not an artifact SHA-256: write sha256: and 64 hex digits.` };
  };
  switch (kind) {
    case 'logIndex': return asIndex();
    case 'uuid': return asUuid();
    case 'hash': return asHash();
    case 'identity': return identity(q, pageHost);
    case 'auto': break;
    default: return { error: `unknown search kind ${kind}` };
  }
  if (/^[0-9]+$/.test(q)) return asIndex();
  if (/^[0-9a-f]{80}$/i.test(q)) return asUuid();
  if (/^sha256:/i.test(q)) return asHash();
  if (HEX64.test(q)) return { type: 'hex64', value: q.toLowerCase() };
  if (/^[0-9a-f]+$/i.test(q) && /[a-f]/i.test(q)) {
    return { error: `“${short(q)}” has ${q.length} hex digits: an entry UUID has 80, a leaf hash or SHA-256 digest 64.` };
  }
  const id = identity(q, pageHost);
  if (id.error === undefined) return id;
  return { error: `“${short(q)}” is not a log index, entry UUID, sha256 digest, e-mail address, URI or GitLab project path.` };
}

/**
 * An identity: a certificate URI SAN (exact), an e-mail address, or a GitLab project — `group/project`,
 * `host/group/project` or `https://host/group/project` — whose entries have SANs under `https://host/group/project//`.
 */
function identity(q, pageHost) {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(q)) {
    let url;
    try {
      url = new URL(q);
    } catch {
      return { error: `“${short(q)}” is not a valid URI.` };
    }
    if (/\s/.test(q)) return { error: 'a URI has no spaces' };
    const path = url.pathname.replace(/\/+$/, '');
    // A GitLab SAN has `project//config@ref`; a bare project URL names every entry of the project.
    if (!url.pathname.includes('//') && !q.includes('@') && url.search === '' && PROJECT.test(path.slice(1))) {
      return project(url.host, path.slice(1), q);
    }
    return { type: 'subject', value: q };
  }
  if (EMAIL.test(q)) return { type: 'email', value: q };
  const hosted = HOST_PROJECT.exec(q);
  if (hosted !== null && /[.:]/.test(hosted[1])) return project(hosted[1], hosted[2], q);
  if (PROJECT.test(q)) {
    const hosts = [...new Set(['gitlab.com', pageHost].filter((h) => h !== ''))];
    return { type: 'project', value: q, path: q, hosts };
  }
  return { error: `“${short(q)}” is not an identity: give a URI, an e-mail address or a GitLab project path (group/project).` };
}

function project(host, path, value) {
  return { type: 'project', value, path, hosts: [host] };
}

/**
 * The deep-link parameters of a query, and back. `log` is 'all' (every log), 'v1' or 'v2'. The links the CLI prints
 * stay stable: `?logIndex=N` is entry N of the Rekor v1 log and `?log=v2&logIndex=N` entry N of the Rekor v2 log; a
 * log index searched in every log is `?q=N`. Other searches cover every log unless `log=` names one.
 */
export function toParams(query) {
  const log = query.log === 'v1' || query.log === 'v2' ? { log: query.log } : {};
  switch (query.type) {
    case 'logIndex':
      if (query.log === 'v2') return { log: 'v2', logIndex: String(query.value) };
      return query.log === 'v1' ? { logIndex: String(query.value) } : { q: String(query.value) };
    case 'uuid': return { uuid: query.value, ...log };
    case 'hash': return { hash: query.value, ...log };
    case 'hex64': return { q: query.value, ...log };
    default: return { identity: query.value, ...log };
  }
}

export function fromParams(params) {
  const named = params.get('log');
  const log = named === 'v1' || named === 'v2' ? named : 'all';
  if (params.has('logIndex')) return { kind: 'logIndex', text: params.get('logIndex'), log: named === 'v2' ? 'v2' : named === 'all' ? 'all' : 'v1' };
  if (params.has('uuid')) return { kind: 'uuid', text: params.get('uuid'), log };
  if (params.has('hash')) return { kind: 'hash', text: params.get('hash'), log };
  if (params.has('identity')) return { kind: 'identity', text: params.get('identity'), log };
  if (params.has('q')) return { kind: 'auto', text: params.get('q'), log };
  return undefined;
}

export function short(text) {
  return text.length > 90 ? `${text.slice(0, 87)}…` : text;
}
