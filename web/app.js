// The explorer's controller: reads the search box or the deep link (?logIndex=, ?uuid=, ?hash=, ?identity=, ?q=;
// ?log=v2&logIndex= for the Rekor v2 log; log=v1|v2 narrows any search to one log), asks every log, and shows one
// entry, a list of entries labelled with their logs, or why there is none. With no query it shows the home page.
// Search history is browser history.
/* global document, window, location, history, URLSearchParams, Element */
import { ApiError, entryByUuid, retrieve, searchIndex, searchIndexV2 } from './api.js';
import { decodeEntry } from './entry.js';
import { renderHome } from './home.js';
import { entryAt, orMissing } from './lookup.js';
import { classify, fromParams, short, toParams } from './query.js';
import { LOG_LABELS, renderEntry, renderList, renderMessage } from './view.js';
import { h } from './dom.js';

/** How many entries of a search result are fetched and listed, per log. */
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
  const query = classify(input.value, kindSelect.value, location.host);
  if (query.error !== undefined) {
    show(renderMessage('bad-input', 'Not a search this page understands', query.error), 'Bad input.');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  query.log = logSelect.value;
  history.pushState(null, '', `?${new URLSearchParams(toParams(query))}`);
  void run(query);
});
window.addEventListener('popstate', () => void fromLocation());
// Links between results (`?logIndex=…`, `?hash=…`) stay in the page, as searches do.
document.body.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href^="?"], a[href="/"]') : null;
  if (link === null || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  void fromLocation();
});

function fromLocation() {
  const link = fromParams(new URLSearchParams(location.search));
  if (link === undefined) {
    ++generation;
    input.value = '';
    kindSelect.value = 'auto';
    logSelect.value = 'all';
    results.removeAttribute('aria-busy');
    results.replaceChildren(renderHome());
    status.textContent = '';
    return undefined;
  }
  input.value = link.text;
  // The menu shows a kind only where detection would read the text otherwise (?hash= with bare hex, say), so that
  // the next search typed into the box is detected afresh.
  const detected = classify(link.text, 'auto', location.host).type;
  const same = link.kind === detected || (link.kind === 'identity' && ['subject', 'email', 'project'].includes(detected));
  kindSelect.value = same ? 'auto' : link.kind;
  logSelect.value = link.log;
  const query = classify(link.text, link.kind, location.host);
  if (query.error !== undefined) {
    show(renderMessage('bad-input', 'Not a search this page understands', query.error), 'Bad input.', false);
    return undefined;
  }
  query.log = link.log;
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

/** The logs a query covers, newest API first. */
const logsOf = (query) => (query.log === 'v1' || query.log === 'v2' ? [query.log] : ['v2', 'v1']);
const inLogs = (logs) => logs.map((l) => LOG_LABELS[l]).join(' or the ');

async function search(query) {
  const logs = logsOf(query);
  switch (query.type) {
    case 'logIndex': return byIndex(logs, query.value);
    case 'uuid': return byLeaf(query.value.length === 80 ? ['v1'] : logs, query.value);
    case 'hash': return list(logs, { hash: query.value }, `Entries for artifact ${query.value}`, `No entry of the ${inLogs(logs)} log logs an artifact, payload, envelope or attested subject with digest ${query.value}.`);
    case 'hex64': return ambiguous(logs, query.value);
    case 'email': return list(logs, { email: query.value }, `Entries signed by ${query.value}`, `No certificate in the ${inLogs(logs)} log names ${query.value}.`);
    case 'subject': return list(logs, { subject: query.value }, `Entries signed by ${short(query.value)}`, `No certificate in the ${inLogs(logs)} log has the subject alternative name ${query.value}.`);
    case 'project': return project(logs, query);
    default: throw new Error(`unknown query ${query.type}`);
  }
}

/** One entry, or each log's entry at that index, or a not-found naming every log asked. */
async function byIndex(logs, index) {
  const found = (await Promise.all(logs.map((log) => entryAt(log, index)))).filter((d) => d !== undefined);
  if (found.length === 0) return renderMessage('not-found', 'Not found', `No entry of the ${inLogs(logs)} log has log index ${index}.`);
  if (found.length === 1) return renderEntry(found[0]);
  return renderList(`Entries with log index ${index} (${found.length})`, found, 'Each log numbers its entries from 0: this index names one entry in each.');
}

async function leafIn(log, hexDigits) {
  if (log === 'v1') {
    const found = await orMissing(entryByUuid(hexDigits));
    return found && decodeEntry(found.uuid, found.entry);
  }
  const [index] = await searchIndexV2({ leafHash: hexDigits.slice(-64) });
  return index === undefined ? undefined : entryAt('v2', index);
}

async function byLeaf(logs, hexDigits) {
  const found = (await Promise.all(logs.map((log) => leafIn(log, hexDigits)))).filter((d) => d !== undefined);
  const what = hexDigits.length === 80 ? 'UUID' : 'leaf hash';
  if (found.length === 0) return renderMessage('not-found', 'Not found', `No entry of the ${inLogs(logs)} log has ${what} ${hexDigits}.`);
  if (found.length === 1) return renderEntry(found[0]);
  return renderList(`Entries with leaf hash ${hexDigits} (${found.length})`, found);
}

/** What an index query finds in `logs`: `{total, entries}`, at most LIST_LIMIT newest entries of each log fetched. */
async function found(logs, indexQuery) {
  const parts = await Promise.all(logs.map(async (log) => {
    if (log === 'v1') {
      const uuids = await searchIndex(indexQuery);
      return { total: uuids.length, entries: (await retrieve(uuids.slice(-LIST_LIMIT))).map(({ uuid, entry }) => decodeEntry(uuid, entry)) };
    }
    const indexes = await searchIndexV2(indexQuery);
    const entries = await Promise.all(indexes.slice(-LIST_LIMIT).map((i) => entryAt('v2', i)));
    return { total: indexes.length, entries: entries.filter((d) => d !== undefined) };
  }));
  return { total: parts.reduce((n, p) => n + p.total, 0), entries: parts.flatMap((p) => p.entries), capped: parts.some((p) => p.total > p.entries.length) };
}

/** Which logs the entries are in, for a list's note. */
function whereFound(entries, capped) {
  const counts = ['v2', 'v1'].map((log) => [log, entries.filter((d) => (d.log ?? 'v1') === log).length]).filter(([, n]) => n > 0);
  return `In ${counts.map(([log, n]) => `${LOG_LABELS[log]}: ${n}`).join(', ')}.${capped ? ` Showing the newest ${LIST_LIMIT} of each log.` : ''}`;
}

async function list(logs, indexQuery, title, notFound) {
  const { total, entries, capped } = await found(logs, indexQuery);
  if (entries.length === 0) return renderMessage('not-found', 'Not found', notFound);
  return renderList(`${title} (${total})`, entries, whereFound(entries, capped));
}

/** 64 hex digits: an entry's leaf hash, or an artifact's SHA-256. Both are looked up and both outcomes shown. */
async function ambiguous(logs, hexDigits) {
  const [leaves, asArtifact] = await Promise.all([
    Promise.all(logs.map((log) => leafIn(log, hexDigits))).then((all) => all.filter((d) => d !== undefined)),
    found(logs, { hash: `sha256:${hexDigits}` }),
  ]);
  const leafNote = leaves.length ? `As a leaf hash it names ${leaves.map((d) => `${LOG_LABELS[d.log ?? 'v1']} entry ${d.entry.logIndex}`).join(' and ')}.` : 'As a leaf hash it names no entry.';
  const artifactNote = asArtifact.total ? `As an artifact SHA-256 it matches ${asArtifact.total} entr${asArtifact.total === 1 ? 'y' : 'ies'}.` : 'As an artifact SHA-256 it matches no entry.';
  const note = h('p', { class: 'note', 'data-state': 'ambiguous' }, `64 hex digits can be a leaf hash or an artifact digest. ${leafNote} ${artifactNote} Write sha256:… or choose “Search as” to say which.`);
  if (leaves.length === 0 && asArtifact.total === 0) {
    const view = renderMessage('not-found', 'Not found', `No entry of the ${inLogs(logs)} log has leaf hash ${hexDigits}, and none logs an artifact with SHA-256 ${hexDigits}.`);
    view.append(note);
    return view;
  }
  const parts = [];
  if (leaves.length === 1) parts.push(renderEntry(leaves[0]));
  else if (leaves.length > 1) parts.push(renderList(`Entries with leaf hash ${hexDigits} (${leaves.length})`, leaves));
  if (asArtifact.total) parts.push(renderList(`Entries for artifact sha256:${hexDigits} (${asArtifact.total})`, asArtifact.entries, whereFound(asArtifact.entries, asArtifact.capped), { id: parts.length ? 'artifact-title' : 'result-title' }));
  return h('div', {}, note, parts);
}

/** A GitLab project: its entries are those whose SAN starts with https://<host>/<project>//. */
async function project(logs, query) {
  const prefixes = query.hosts.map((host) => `https://${host}/${query.path}//`);
  // The log indexes each certificate's Source Repository URI (Fulcio OID .12): `<issuer URL>/<project>`, so http://
  // for an issuer on plain HTTP (a GitLab without TLS, keyless's dev issuer), while the SAN is always https://.
  const repositories = query.hosts.flatMap((host) => [`https://${host}/${query.path}`, `http://${host}/${query.path}`]);
  const answers = await Promise.all(repositories.map((repository) => found(logs, { repository })));
  const seen = new Set();
  const entries = answers.flatMap((a) => a.entries).filter((d) => {
    const key = `${d.log ?? 'v1'}:${d.entry.logIndex}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const matching = entries.filter((d) => d.signers.some((s) => s.cert?.sans.some((san) => prefixes.some((p) => san.value.startsWith(p)))));
  const searched = `Searched the ${inLogs(logs)} log for identities starting with ${prefixes.join(' or ')}.`;
  if (matching.length === 0) return renderMessage('not-found', 'Not found', `No entry was signed by a pipeline of ${query.path}. ${searched}`);
  const capped = answers.some((a) => a.capped);
  return renderList(`Entries signed by pipelines of ${query.path} (${matching.length})`, matching, `${searched} ${whereFound(matching, capped)}`);
}

// Last, once every declaration above is initialised.
void fromLocation();
