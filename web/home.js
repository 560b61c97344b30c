// The home page: each log's size and latest checkpoint (its signature checked here, with WebCrypto, against the
// instance's trusted_root.json, and witness cosignatures listed), appends per hour over the last day (inline SVG),
// and the newest entries of all logs, paged. The sizes and roots shown are the signed checkpoint's, not the JSON's.
import { activity, explorerLogs, recentEntries } from './api.js';
import { signedBy, trustedLogKeys, verifyCheckpointSignature } from './checkpoint.js';
import { hex, isKeylessError, ProofError } from './dist/core.js';
import { fields, h, section, svg } from './dom.js';
import { entryAt } from './lookup.js';
import { renderCheck } from './check.js';
import { LOG_LABELS, listRows, listTable } from './view.js';

const PAGE = 20;

export function renderHome() {
  const logs = h('div', { class: 'logs' }, h('p', { class: 'pending' }, 'Reading the logs…'));
  const chart = h('div', { class: 'activity' }, h('p', { class: 'pending' }, 'Counting appends…'));
  const recent = h('div', { class: 'recent' }, h('p', { class: 'pending' }, 'Reading the newest entries…'));
  const view = h('div', { class: 'home', 'data-state': 'home' },
    h('h2', { id: 'result-title', tabindex: '-1' }, 'This instance’s logs'),
    logs,
    renderCheck(),
    section('Appends over the last 24 hours', 3, chart),
    section('Newest entries', 3, recent),
  );
  void fill(logs, fillLogs);
  void fill(chart, fillChart);
  void fill(recent, fillRecent);
  return view;
}

/** Runs one part's filler; a part that cannot be read says so and leaves the others. */
async function fill(part, filler) {
  try {
    await filler(part);
  } catch (err) {
    part.replaceChildren(h('p', { class: 'problem', 'data-state': 'error' }, `Could not be read: ${err instanceof Error ? err.message : err}`));
  }
}

async function fillLogs(part) {
  const logs = await explorerLogs();
  const keys = await trustedLogKeys().catch((err) => err);
  part.replaceChildren(...(await Promise.all(logs.map((log) => logCard(log, keys)))));
}

async function logCard(log, keys) {
  const label = LOG_LABELS[log.name] ?? String(log.name);
  let verified;
  let problem;
  try {
    if (keys instanceof Error) throw keys;
    const signed = await verifyCheckpointSignature(String(log.checkpoint), keys);
    // What the card shows comes from the signed checkpoint; the JSON beside it must agree.
    if (signed.checkpoint.size !== Number(log.size) || hex(signed.checkpoint.rootHash) !== String(log.rootHash)) {
      throw new ProofError('the signed checkpoint does not state the size and root the instance reports');
    }
    verified = signed;
  } catch (err) {
    if (!(err instanceof ProofError || isKeylessError(err))) throw err;
    problem = err.message;
  }
  const size = verified ? verified.checkpoint.size : Number(log.size);
  const rows = [
    ['Origin', String(log.origin)],
    ['Entries', `${size}`],
    ['Root hash', h('code', {}, verified ? hex(verified.checkpoint.rootHash) : String(log.rootHash))],
    ['Newest entry', log.newestIntegratedTime === null ? 'none yet' : `${ago(log.newestIntegratedTime)} (${iso(log.newestIntegratedTime)})`],
  ];
  return h('article', { class: 'log-card', 'data-log': String(log.name), 'data-size': String(size) },
    h('h3', {}, label),
    fields(rows),
    h('p', { class: `check ${verified ? 'ok' : 'bad'}`, 'data-check': 'checkpoint', 'data-result': verified ? 'verified' : 'failed' },
      h('strong', {}, `Checkpoint signature: ${verified ? 'verified' : 'NOT verified'}`), ' — ', verified ? signedBy(verified) : problem),
    size > 0 ? h('p', {}, h('a', { href: log.name === 'v2' ? `?log=v2&logIndex=${size - 1}` : `?logIndex=${size - 1}` }, `Open the newest ${label} entry`)) : undefined,
  );
}

/** Appends per hour, one stacked bar per hour, Rekor v2 below Rekor v1; with a text summary for screen readers. */
async function fillChart(part) {
  const a = await activity();
  const hours = a.logs[0]?.counts.length ?? 0;
  const totals = Array.from({ length: hours }, (_, i) => a.logs.reduce((n, l) => n + (Number(l.counts[i]) || 0), 0));
  const max = Math.max(1, ...totals);
  const W = 480;
  const H = 120;
  const barW = W / Math.max(1, hours);
  const start = a.end - hours * a.bucketSeconds;
  const bars = [];
  for (let i = 0; i < hours; i++) {
    let y = H;
    for (const l of a.logs) {
      const n = Number(l.counts[i]) || 0;
      if (n === 0) continue;
      const height = (n / max) * (H - 10);
      y -= height;
      bars.push(svg('rect', { x: (i * barW + 1).toFixed(1), y: y.toFixed(1), width: (barW - 2).toFixed(1), height: height.toFixed(1), class: `bar-${l.name}` },
        svg('title', {}, `${LOG_LABELS[l.name] ?? l.name}: ${n} entr${n === 1 ? 'y' : 'ies'} from ${iso(start + i * a.bucketSeconds)}`)));
    }
  }
  const sums = a.logs.map((l) => `${LOG_LABELS[l.name] ?? l.name}: ${l.counts.reduce((x, y) => x + (Number(y) || 0), 0)}${l.complete ? '' : ' or more'}`);
  const summary = `Entries appended in the last 24 hours: ${sums.join(', ')}. Busiest hour: ${Math.max(0, ...totals)}.`;
  part.replaceChildren(
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, class: 'chart', preserveAspectRatio: 'none' },
      svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'axis' }), bars),
    h('p', { class: 'legend' }, a.logs.map((l) => h('span', { class: `key key-${l.name}` }, LOG_LABELS[l.name] ?? l.name)), ` ${iso(start)} to ${iso(a.end)}, one bar per hour.`),
    h('p', { class: 'note', 'data-field': 'activity-summary' }, summary),
  );
}

async function fillRecent(part) {
  const first = await recentEntries(undefined, PAGE);
  if (first.entries.length === 0) {
    part.replaceChildren(h('p', { 'data-state': 'empty' }, 'No entries yet. Sign something with keyless sign-blob, and it appears here.'));
    return;
  }
  const table = listTable('Newest entries of all logs', await decoded(first.entries));
  const more = h('button', { type: 'button', class: 'more' }, 'Older entries');
  const state = h('p', { class: 'note', role: 'status' });
  let next = first.next;
  const update = () => {
    if (next === null) {
      more.remove();
      state.textContent = 'That is every entry.';
    }
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    state.textContent = 'Reading older entries…';
    try {
      const page = await recentEntries(next, PAGE);
      const rows = listRows(await decoded(page.entries));
      table.querySelector('tbody').append(...rows);
      next = page.next;
      state.textContent = `${rows.length} older entries added.`;
      rows[0]?.querySelector('a')?.focus();
    } catch (err) {
      state.textContent = `Older entries could not be read: ${err instanceof Error ? err.message : err}`;
    }
    more.disabled = false;
    update();
  });
  part.replaceChildren(table, more, state);
  update();
}

/** The entries of a page, fetched from their logs and decoded, with the instance's time where the log states none. */
async function decoded(entries) {
  const found = await Promise.all(entries.map(async (e) => {
    const d = await entryAt(e.log, e.logIndex);
    return d && Object.assign(d, { time: e.integratedTime });
  }));
  return found.filter((d) => d !== undefined);
}

const iso = (seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

function ago(seconds) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  const n = (count, unit) => `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  if (s < 90) return n(s, 'second');
  if (s < 90 * 60) return n(Math.round(s / 60), 'minute');
  if (s < 36 * 3600) return n(Math.round(s / 3600), 'hour');
  return n(Math.round(s / 86400), 'day');
}

