// "Check a bundle": drop a Sigstore bundle (and, if you have it, the artifact) and keyless's complete offline
// verification runs in this page against the instance's trusted_root.json — the verifier the CLI's verify-blob
// runs, bundled for the browser (dist/verify.js, loaded on first use). Nothing is uploaded.
/* global DataTransfer */
import { trustedRoot } from './checkpoint.js';
import { h, section } from './dom.js';

let verifier;
const loadVerifier = () => (verifier ??= import('./dist/verify.js').catch((err) => {
  verifier = undefined;
  throw err;
}));

export function renderCheck() {
  const bundleInput = h('input', { type: 'file', id: 'check-bundle', accept: '.json,.bundle,.sigstore,application/json' });
  const artifactInput = h('input', { type: 'file', id: 'check-artifact' });
  const identity = h('input', { type: 'text', id: 'check-identity', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main' });
  const issuer = h('input', { type: 'text', id: 'check-issuer', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://gitlab.com' });
  const out = h('div', { class: 'check-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Check the bundle');
  const zone = h('form', { class: 'drop-zone', id: 'check-form', 'aria-describedby': 'check-help' },
    h('p', { id: 'check-help', class: 'help' }, 'Drop a bundle here (and the artifact it signs, if you have it), or choose them below. The check runs in this browser against this instance’s trusted root: nothing is uploaded.'),
    h('div', { class: 'row' }, h('label', { for: 'check-bundle' }, 'Bundle (JSON)'), bundleInput),
    h('div', { class: 'row' }, h('label', { for: 'check-artifact' }, 'Artifact (optional)'), artifactInput),
    h('div', { class: 'row' }, h('label', { for: 'check-identity' }, 'Expected certificate identity (optional)'), identity),
    h('div', { class: 'row' }, h('label', { for: 'check-issuer' }, 'Expected OIDC issuer (optional)'), issuer),
    button,
  );
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  // Dropped files: a JSON file with mediaType (or a cosign bundle's base64Signature) is the bundle, anything else the artifact.
  zone.addEventListener('drop', async (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    for (const file of event.dataTransfer?.files ?? []) {
      const target = (await looksLikeBundle(file)) ? bundleInput : artifactInput;
      const list = new DataTransfer();
      list.items.add(file);
      target.files = list.files;
    }
  });
  zone.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });

  async function run() {
    const bundleFile = bundleInput.files?.[0];
    if (bundleFile === undefined) {
      out.replaceChildren(h('p', { class: 'problem', 'data-state': 'bad-input' }, 'Choose or drop a bundle first.'));
      bundleInput.focus();
      return;
    }
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'pending' }, 'Checking…'));
    try {
      const [{ checkBundle }, root, bundleText, artifact] = await Promise.all([
        loadVerifier(),
        trustedRoot(),
        bundleFile.text(),
        artifactInput.files?.[0]?.arrayBuffer().then((b) => new Uint8Array(b)),
      ]);
      const result = checkBundle({ bundleText, trustedRoot: root, ...(artifact ? { artifact } : {}), identity: identity.value.trim(), issuer: issuer.value.trim() });
      out.replaceChildren(renderResult(result, bundleFile.name));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'problem', 'data-state': 'error' }, `The check could not run: ${err instanceof Error ? err.message : err}`));
    }
    button.disabled = false;
    out.querySelector('h4')?.focus();
  }

  return section('Check a bundle', 3, zone, out);
}

async function looksLikeBundle(file) {
  if (file.size > 8 * 1024 * 1024) return false;
  try {
    const json = JSON.parse(await file.text());
    return typeof json?.mediaType === 'string' || typeof json?.base64Signature === 'string';
  } catch {
    return false;
  }
}

function renderResult(result, name) {
  const notes = result.notes.map((n) => h('p', { class: 'note' }, `Note: ${n}`));
  if (!result.ok) {
    return h('div', { 'data-state': 'bundle-failed', 'data-code': result.code },
      h('h4', { tabindex: '-1' }, `${name}: NOT verified`),
      h('p', { class: 'check bad', 'data-result': 'failed' }, h('strong', {}, result.code), ' — ', result.message),
      notes);
  }
  return h('div', { 'data-state': 'bundle-verified' },
    h('h4', { tabindex: '-1' }, `${name}: verified`),
    h('ul', { class: 'checks' }, result.checks.map((c) => h('li', { class: `check ${c.ok ? 'ok' : 'bad'}`, 'data-check': c.name, 'data-result': c.ok ? 'verified' : 'failed' }, c.text))),
    notes);
}
