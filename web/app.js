// The explorer's controller: reads the search box or the deep link (?logIndex=, ?uuid=, ?hash=, ?identity=, ?q=;
// ?log=v2&logIndex= for the Rekor v2 log), asks the log, and shows one entry, a list of entries, or why there is none. Search history is browser history.
/* global document, window, location, history, URLSearchParams, Element */
import { ApiError, entryByIndex, entryByUuid, entryV2ByIndex, logInfo, retrieve, searchIndex } from './api.js';
import { decodeEntry } from './entry.js';
import { decodeEntryV2 } from './entry-v2.js';
import { classify, fromParams, short, toParams } from './query.js';
import { renderEntry, renderList, renderMessage } from './view.js';
import { h } from './dom.js';

/** How many entries of a search result are fetched and listed. */
const LIST_LIMIT = 50;

const form = document.getElementById('search');
const input = document.getElementById('q');
const kindSelect = document.getElementById('kind');
const logSelect = document.getElementById('log');
const results = document.getElementById('results');
const status = document.getElementById('status');
let generation = 0;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = withLog(classify(input.value, kindSelect.value, location.host), logSelect.value);
  if (query.error !== undefined) {
    show(renderMessage('bad-input', 'Not a search this page understands', query.error), 'Bad input.');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  history.pushState(null, '', `?${new URLSearchParams(toParams(query))}`);
  void run(query);
});
window.addEventListener('popstate', () => void fromLocation());
// Links between results (`?logIndex=…`, `?hash=…`) stay in the page, as searches do.
results.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href^="?"]') : null;
  if (link === null || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  void fromLocation();
});
void fromLocation();
void logInfo().then(
  (info) => (document.getElementById('log-size').textContent = `The log holds ${info.treeSize} entries.`),
  () => (document.getElementById('log-size').textContent = 'The log does not answer.'),
);

/** The Rekor v2 log has no search index: it is read by log index only. */
function withLog(query, log) {
  if (log !== 'v2' || query.error !== undefined) return query;
  if (query.type !== 'logIndex') return { error: 'The Rekor v2 log is looked up by log index only (it keeps no search index); choose the Rekor v1 log to search by UUID, hash or identity.' };
  return { ...query, log: 'v2' };
}

function fromLocation() {
  const link = fromParams(new URLSearchParams(location.search));
  if (link === undefined) {
    results.replaceChildren();
    return undefined;
  }
  input.value = link.text;
  // The menu shows a kind only where detection would read the text otherwise (?hash= with bare hex, say), so that
  // the next search typed into the box is detected afresh.
  const detected = classify(link.text, 'auto', location.host).type;
  const same = link.kind === detected || (link.kind === 'identity' && ['subject', 'email', 'project'].includes(detected));
  kindSelect.value = same ? 'auto' : link.kind;
  logSelect.value = link.log ?? 'v1';
  const query = withLog(classify(link.text, link.kind, location.host), logSelect.value);
  if (query.error !== undefined) {
    show(renderMessage('bad-input', 'Not a search this page understands', query.error), 'Bad input.', false);
    return undefined;
  }
  return run(query, false);
}

async function run(query, focus = true) {
  const mine = ++generation;
  input.removeAttribute('aria-invalid');
  status.textContent = 'Searching…';
  results.setAttribute('aria-busy', 'true');
  let view;
  try {
    view = await search(query);
  } catch (err) {
    view = err instanceof ApiError && err.kind === 'bad-input'
      ? renderMessage('bad-input', 'The log refused this search', err.message)
      : renderMessage('error', 'The log could not be searched', err instanceof Error ? err.message : String(err));
  }
  if (mine !== generation) return; // a newer search has started
  results.removeAttribute('aria-busy');
  show(view, view.querySelector('#result-title')?.textContent ?? '', focus);
}

function show(view, message, focus = true) {
  results.replaceChildren(view);
  status.textContent = message;
  if (focus) results.querySelector('#result-title')?.focus();
}

async function search(query) {
  switch (query.type) {
    case 'logIndex': return query.log === 'v2'
      ? oneV2(query.value)
      : one(() => entryByIndex(query.value), `No entry has log index ${query.value}.`);
    case 'uuid': return one(() => entryByUuid(query.value), `No entry has UUID or leaf hash ${query.value}.`);
    case 'hash': return list({ hash: query.value }, `Entries for artifact ${query.value}`, `No entry logs an artifact, payload or envelope with digest ${query.value}.`);
    case 'hex64': return ambiguous(query.value);
    case 'email': return list({ email: query.value }, `Entries signed by ${query.value}`, `No certificate in the log names ${query.value}.`);
    case 'subject': return list({ subject: query.value }, `Entries signed by ${short(query.value)}`, `No certificate in the log has the subject alternative name ${query.value}.`);
    case 'project': return project(query);
    default: throw new Error(`unknown query ${query.type}`);
  }
}

async function one(lookup, notFound) {
  try {
    const { uuid, entry } = await lookup();
    return renderEntry(decodeEntry(uuid, entry));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found') return renderMessage('not-found', 'Not found', notFound);
    throw err;
  }
}

async function oneV2(index) {
  try {
    return renderEntry(decodeEntryV2(await entryV2ByIndex(index)));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not-found') return renderMessage('not-found', 'Not found', `No entry of the Rekor v2 log has log index ${index}.`);
    throw err;
  }
}

async function found(indexQuery) {
  const uuids = await searchIndex(indexQuery);
  return { total: uuids.length, entries: (await retrieve(uuids.slice(-LIST_LIMIT))).map(({ uuid, entry }) => decodeEntry(uuid, entry)) };
}

async function list(indexQuery, title, notFound) {
  const { total, entries } = await found(indexQuery);
  if (entries.length === 0) return renderMessage('not-found', 'Not found', notFound);
  return renderList(`${title} (${total})`, entries, total > entries.length ? `Showing the newest ${entries.length} of ${total}.` : undefined);
}

/** 64 hex digits: an entry's leaf hash, or an artifact's SHA-256. Both are looked up and both outcomes shown. */
async function ambiguous(hexDigits) {
  const [asLeaf, asArtifact] = await Promise.all([
    entryByUuid(hexDigits).catch((err) => (err instanceof ApiError && err.kind === 'not-found' ? undefined : Promise.reject(err))),
    found({ hash: `sha256:${hexDigits}` }),
  ]);
  const leafNote = asLeaf ? `As a leaf hash it names entry ${asLeaf.entry.logIndex}.` : 'As a leaf hash it names no entry.';
  const artifactNote = asArtifact.total ? `As an artifact SHA-256 it matches ${asArtifact.total} entr${asArtifact.total === 1 ? 'y' : 'ies'}.` : 'As an artifact SHA-256 it matches no entry.';
  const note = h('p', { class: 'note', 'data-state': 'ambiguous' }, `64 hex digits can be a leaf hash or an artifact digest. ${leafNote} ${artifactNote} Write sha256:… or choose “Search as” to say which.`);
  if (asLeaf === undefined && asArtifact.total === 0) {
    const view = renderMessage('not-found', 'Not found', `No entry has leaf hash ${hexDigits}, and no entry logs an artifact with SHA-256 ${hexDigits}.`);
    view.append(note);
    return view;
  }
  const parts = [];
  if (asLeaf) parts.push(renderEntry(decodeEntry(asLeaf.uuid, asLeaf.entry)));
  if (asArtifact.total) parts.push(renderList(`Entries for artifact sha256:${hexDigits} (${asArtifact.total})`, asArtifact.entries));
  if (parts.length === 2) parts[1].querySelector('h2').setAttribute('id', 'artifact-title');
  return h('div', {}, note, parts);
}

/** A GitLab project: its entries are those whose SAN starts with https://<host>/<project>//. */
async function project(query) {
  const prefixes = query.hosts.map((host) => `https://${host}/${query.path}//`);
  // The log indexes each certificate's Source Repository URI (Fulcio OID .12): `<issuer URL>/<project>`, so http://
  // for an issuer on plain HTTP (a GitLab without TLS, keyless's dev issuer), while the SAN is always https://.
  const repositories = query.hosts.flatMap((host) => [`https://${host}/${query.path}`, `http://${host}/${query.path}`]);
  const answers = await Promise.all(repositories.map((repository) => searchIndex({ repository })));
  const uuids = [...new Set(answers.flat())];
  const entries = (await retrieve(uuids.slice(-LIST_LIMIT))).map(({ uuid, entry }) => decodeEntry(uuid, entry));
  const matching = entries.filter((d) => d.signers.some((s) => s.cert?.sans.some((san) => prefixes.some((p) => san.value.startsWith(p)))));
  const searched = `Searched for identities starting with ${prefixes.join(' or ')}.`;
  if (matching.length === 0) return renderMessage('not-found', 'Not found', `No entry was signed by a pipeline of ${query.path}. ${searched}`);
  return renderList(`Entries signed by pipelines of ${query.path} (${matching.length})`, matching, `${searched}${uuids.length > LIST_LIMIT ? ` Showing matches among the newest ${LIST_LIMIT} of ${uuids.length} entries.` : ''}`);
}
