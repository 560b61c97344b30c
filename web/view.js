// The entry page: what the entry is, who signed it (the certificate and its Fulcio extensions, with the GitLab
// identity up front), what it is about, whether its inclusion proof verifies, and the raw JSON.
/* global crypto */
import { fields, h, linkify, section } from './dom.js';
import { base64Bytes, hex } from './dist/core.js';
import { identityOf, verifyEntry } from './entry.js';
import { verifyEntryV2 } from './entry-v2.js';
import { describeStatement, envelopeOf } from './provenance.js';

export function renderEntry(decoded) {
  const { entry, uuid } = decoded;
  const v2 = decoded.log === 'v2';
  const time = Number.isSafeInteger(entry.integratedTime) ? new Date(entry.integratedTime * 1000).toISOString() : 'unknown';
  const checks = h('div', { class: 'checks' }, h('p', { class: 'pending' }, 'Verifying the inclusion proof…'));
  const view = h('article', { class: 'entry', 'data-log': v2 ? 'v2' : 'v1', ...(v2 ? {} : { 'data-uuid': uuid }) },
    h('h2', { id: 'result-title', tabindex: '-1' }, `Entry ${entry.logIndex}`),
    fields([
      ['Log', v2 ? 'Rekor v2 (/rekor-v2)' : 'Rekor v1'],
      ['Kind', `${decoded.kind} ${decoded.version}`],
      ['Log index', String(entry.logIndex)],
      ...(v2
        ? [['Integrated time', 'no log time — Rekor v2 entries are timed by the TSA'], ['Log ID', h('code', {}, String(entry.logId?.keyId))]]
        : [['Integrated time (UTC)', time], ['Entry UUID', h('code', {}, uuid)], ['Log ID', h('code', {}, String(entry.logID))]]),
      ...decoded.hashes.map(([label, value]) => [label, h('span', {}, h('code', {}, value), ' ', h('a', { href: `?hash=${encodeURIComponent(value)}` }, 'every entry with this digest, in all logs'))]),
    ]),
    decoded.problems.map((p) => h('p', { class: 'problem' }, p)),
    section('Inclusion proof', 3, checks),
    decoded.signers.map((s, i) => renderSigner(s, decoded.signers.length > 1 ? i + 1 : 0)),
    renderStatement(decoded),
    h('details', { class: 'raw' }, h('summary', {}, 'Raw entry (JSON)'),
      h('pre', {}, JSON.stringify(v2 ? entry : { [uuid]: entry }, null, 2)),
      h('p', {}, 'The body, decoded:'),
      h('pre', {}, JSON.stringify(decoded.body ?? null, null, 2))),
  );
  void (v2 ? verifyEntryV2 : verifyEntry)(decoded).then(({ inclusion, signature, set, latest }) => {
    checks.replaceChildren(
      renderCheck('inclusion', 'In the tree its proof names', inclusion),
      renderCheck('signature', 'Checkpoint signature', signature),
      ...(set === undefined ? [] : [renderCheck('set', 'Signed entry timestamp', set)]),
      renderCheck('latest', 'Against the latest checkpoint', latest),
      h('p', { class: 'note' }, `Checked in this browser: RFC 6962 hashing with keyless's own code, ${v2 ? 'checkpoint signatures' : 'checkpoint signatures and the signed entry timestamp'} with WebCrypto against the log keys of this instance's trusted_root.json.`),
    );
  });
  return view;
}

function renderCheck(name, label, result) {
  return h('p', { class: `check ${result.ok ? 'ok' : 'bad'}`, 'data-check': name, 'data-result': result.ok ? 'verified' : 'failed' },
    h('strong', {}, `${label}: ${result.ok ? 'verified' : 'NOT verified'}`), ' — ', result.reason);
}

function renderSigner(signer, n) {
  const title = n === 0 ? 'Signer' : `Signer ${n}`;
  if (signer.error !== undefined) return section(title, 3, h('p', { class: 'problem' }, signer.error), h('pre', {}, signer.pem));
  if (signer.key) return section(title, 3, h('p', {}, 'Signed with a public key, not a certificate: no identity.'), h('pre', {}, signer.pem));
  const cert = signer.cert;
  const ext = Object.fromEntries(cert.fulcio.map((e) => [e.n, e.value]));
  return section(title, 3,
    fields([
      ['Subject alternative name', cert.sans.length ? h('span', {}, cert.sans.map((s, i) => [i ? ', ' : '', linkify(s.value)])) : '(none)'],
      ['OIDC issuer', ext[8] ?? ext[1] ?? '(not stated)'],
      ['Certificate issuer', cert.issuer],
      ['Valid from (UTC)', cert.notBefore.toISOString()],
      ['Valid until (UTC)', cert.notAfter.toISOString()],
      ['Public key', cert.publicKey],
    ]),
    renderCi(ext),
    h('h4', {}, 'Fulcio extensions'),
    cert.fulcio.length === 0 ? h('p', {}, 'none') : fields(cert.fulcio.map((e) => [`${e.label} (${e.oid})`, e.value, { 'data-oid': e.oid }]), { class: 'fields fulcio' }),
    h('details', {}, h('summary', {}, 'Other extensions and the PEM'),
      fields(cert.extensions.map((e) => [`${e.name}${e.critical ? ' (critical)' : ''}`, e.text])),
      h('pre', {}, signer.pem)),
  );
}

/** The CI identity, when the certificate is Fulcio's for a GitLab (SAN `project//config@ref`) or GitHub job. */
function renderCi(ext) {
  const repo = ext[12];
  if (repo === undefined) return undefined;
  const gitlab = String(ext[9] ?? '').includes('//') || /gitlab/i.test(String(ext[8] ?? ''));
  const sep = gitlab ? '/-/' : '/';
  const refName = String(ext[14] ?? '').replace(/^refs\/(?:heads|tags)\//, '');
  const project = repo.replace(/^[a-z]+:\/\/[^/]+\//i, '');
  const rows = [
    [gitlab ? 'GitLab project' : 'Repository', h('span', { 'data-field': 'project' }, linkify(project, repo))],
    ['Ref', h('span', { 'data-field': 'ref' }, ext[14] === undefined ? '' : linkify(ext[14], `${repo}${sep}tree/${refName}`))],
    ['Commit', h('span', { 'data-field': 'commit' }, ext[13] === undefined ? '' : linkify(ext[13], `${repo}${sep}commit/${ext[13]}`))],
    ['Pipeline trigger', ext[20]],
    ['Job', ext[21]],
    ['CI config', ext[18]],
    ['Runner', ext[11]],
    ['Environment', ext[23]],
  ].filter(([, v]) => v !== undefined);
  return h('div', { class: 'ci' }, h('h4', {}, gitlab ? 'GitLab CI identity' : 'CI identity'), fields(rows));
}

function renderStatement(decoded) {
  if (decoded.kind !== 'dsse' && decoded.kind !== 'intoto') return undefined;
  const fromLog = h('div', { class: 'from-log', 'data-source': 'log', 'aria-live': 'polite' });
  const fromFile = h('div', { class: 'from-file', 'data-source': 'file', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', id: 'envelope-file', accept: '.json,application/json' });
  input.addEventListener('change', () => void checkEnvelope(input.files?.[0], decoded, fromFile));
  const type = decoded.payloadType ? ` (payload type ${decoded.payloadType})` : '';
  const logged = decoded.attestation !== undefined;
  if (logged) void showPayload(decoded.attestation, 'The statement the log keeps with this entry', decoded, fromLog);
  return section('Statement', 3,
    h('p', {}, logged
      ? `A ${decoded.kind} ${decoded.version} entry holds only the hashes of the signed statement${type}; the log returned the statement itself beside the entry, and it is shown here if it hashes to the logged ${decoded.payloadHash}.`
      : `A ${decoded.kind} ${decoded.version} entry holds only the hashes of the signed statement, not the statement itself${type}, and the log returned no copy of it. To see what was attested, open the bundle or DSSE envelope you have: it is decoded here if its payload hashes to the logged ${decoded.payloadHash ?? 'payload hash'}.`),
    fromLog,
    logged ? h('p', {}, 'You can also open a bundle or DSSE envelope you have to check it against this entry.') : undefined,
    h('label', { for: 'envelope-file' }, 'Bundle or DSSE envelope (JSON)'), ' ', input,
    fromFile,
  );
}

async function checkEnvelope(file, decoded, out) {
  if (file === undefined) return;
  let env;
  try {
    env = envelopeOf(JSON.parse(await file.text()));
  } catch {
    env = undefined;
  }
  if (env === undefined) {
    out.replaceChildren(h('p', { class: 'problem', 'data-result': 'failed' }, `${file.name} is not a Sigstore bundle or DSSE envelope (JSON with payload and payloadType).`));
    return;
  }
  let payload;
  try {
    payload = base64Bytes(env.payload);
  } catch {
    out.replaceChildren(h('p', { class: 'problem', 'data-result': 'failed' }, 'The envelope payload is not base64.'));
    return;
  }
  await showPayload(payload, `The payload of ${file.name}`, decoded, out);
}

/**
 * Lays out `payload` as an in-toto statement, but only once it hashes to the body's payloadHash: neither a file the
 * user opens nor the log's `attestation.data` is covered by the leaf hash, the proof or the SET.
 */
async function showPayload(payload, what, decoded, out) {
  const digest = `sha256:${hex(new Uint8Array(await crypto.subtle.digest('SHA-256', payload)))}`;
  if (digest !== decoded.payloadHash) {
    out.replaceChildren(h('p', { class: 'problem', 'data-result': 'failed' }, `NOT this entry's statement: ${what} does not match the logged payload hash. It hashes to ${digest}, the entry logs ${decoded.payloadHash}; it is not shown.`));
    return;
  }
  let statement;
  try {
    statement = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    out.replaceChildren(h('p', { class: 'ok', 'data-result': 'verified' }, `${what} matches the logged hash, but it is not JSON (payload type ${decoded.payloadType ?? 'not stated'}).`));
    return;
  }
  out.replaceChildren(
    h('p', { class: 'ok', 'data-result': 'verified' }, `${what} hashes to the logged ${digest}: this is the statement the entry is about.`),
    fields(describeStatement(statement), { class: 'fields provenance' }),
    h('details', {}, h('summary', {}, 'Statement (JSON)'), h('pre', {}, JSON.stringify(statement, null, 2))),
  );
}

/** The link that opens one entry: the deep links the CLI prints (`?logIndex=N`, `?log=v2&logIndex=N`). */
export function entryHref(decoded) {
  return decoded.log === 'v2' ? `?log=v2&logIndex=${decoded.entry.logIndex}` : `?logIndex=${decoded.entry.logIndex}`;
}

export const LOG_LABELS = { v1: 'Rekor v1', v2: 'Rekor v2' };

/**
 * Search results: one row per entry, each a link to the entry, labelled with its log. Newest first: by log index
 * within a log, Rekor v2 before v1. An entry may carry `time` (Unix seconds, from the instance's record) where its
 * log states none (Rekor v2).
 */
export function renderList(title, found, note, { id = 'result-title' } = {}) {
  const rows = [...found].sort((a, b) => (a.log === 'v2' ? 0 : 1) - (b.log === 'v2' ? 0 : 1) || b.entry.logIndex - a.entry.logIndex);
  return h('div', { class: 'list' },
    h('h2', { id, tabindex: '-1' }, title),
    note ? h('p', { class: 'note' }, note) : undefined,
    listTable(title, rows),
  );
}

/** The table of a list of entries; `rows` more can be appended to its tbody with listRows. */
export function listTable(caption, rows) {
  return h('table', {},
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Log'), h('th', { scope: 'col' }, 'Index'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Time (UTC)'), h('th', { scope: 'col' }, 'Signed by'))),
    h('tbody', {}, listRows(rows)));
}

export function listRows(rows) {
  return rows.map((d) => {
    const log = d.log === 'v2' ? 'v2' : 'v1';
    const time = Number.isSafeInteger(d.entry.integratedTime) ? d.entry.integratedTime : d.time;
    return h('tr', { 'data-log': log, 'data-index': String(d.entry.logIndex) },
      h('td', {}, LOG_LABELS[log]),
      h('td', {}, h('a', { href: entryHref(d), 'aria-label': `${LOG_LABELS[log]} entry ${d.entry.logIndex}` }, String(d.entry.logIndex))),
      h('td', {}, `${d.kind} ${d.version}`),
      h('td', {}, Number.isSafeInteger(time) ? new Date(time * 1000).toISOString().replace('.000Z', 'Z') : ''),
      h('td', { class: 'wrap' }, identityOf(d)),
    );
  });
}

/** A not-found, bad-input or error state. */
export function renderMessage(kind, title, detail) {
  return h('div', { class: `message ${kind}`, 'data-state': kind },
    h('h2', { id: 'result-title', tabindex: '-1' }, title),
    h('p', {}, detail));
}
