// Which CA, logs and TSAs a signature uses: the highest Rekor version the config lists, and a TSA required with v2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { selectSigningServices } from '../../../src/sign/select-services.js';
import { parseSigningConfig } from '../../../src/trust/index.js';

const NOW = Date.parse('2026-03-04T05:06:07Z');
const service = (url: string, majorApiVersion = 1, start = '2025-01-01T00:00:00Z', end?: string) => ({
  url, majorApiVersion, operator: new URL(url).host, validFor: { start, ...(end !== undefined ? { end } : {}) },
});
const config = (parts: { rekor?: unknown[]; tsa?: unknown[]; ca?: unknown[] }) => parseSigningConfig({
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: parts.ca ?? [service('https://ca.example')],
  oidcUrls: [],
  rekorTlogUrls: parts.rekor ?? [],
  rekorTlogConfig: { selector: 'ANY' },
  tsaUrls: parts.tsa ?? [],
  tsaConfig: { selector: 'ANY' },
});

const fails = (fn: () => unknown, code: string, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof KeylessError && err.code === code && message.test(err.message));

test('Rekor v2 is chosen over v1, with the TSA', () => {
  const s = selectSigningServices(config({
    rekor: [service('https://log.example', 1), service('https://log.example/rekor-v2', 2)],
    tsa: [service('https://tsa.example/api/v1/timestamp')],
  }), NOW);
  assert.equal(s.ca.url, 'https://ca.example');
  assert.equal(s.tlogVersion, 2);
  assert.deepEqual(s.tlogs.map((t) => t.url), ['https://log.example/rekor-v2']);
  assert.deepEqual(s.tsas.map((t) => t.url), ['https://tsa.example/api/v1/timestamp']);
});

test('Rekor v2 without a TSA is refused: its entries carry no signed time', () => {
  fails(() => selectSigningServices(config({ rekor: [service('https://log.example/rekor-v2', 2)] }), NOW), 'ERR_TRUST_INVALID', /Rekor v2 .* lists no timestamp authority/);
  // A TSA that is no longer valid is as good as none.
  fails(() => selectSigningServices(config({
    rekor: [service('https://log.example/rekor-v2', 2)],
    tsa: [service('https://tsa.example/api/v1/timestamp', 1, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z')],
  }), NOW), 'ERR_TRUST_INVALID', /no usable timestamp authority, and Rekor v2 entries need one/);
});

test('Rekor v1 alone needs no TSA, and uses one when it is listed', () => {
  const bare = selectSigningServices(config({ rekor: [service('https://log.example', 1)] }), NOW);
  assert.equal(bare.tlogVersion, 1);
  assert.deepEqual(bare.tsas, []);
  const stamped = selectSigningServices(config({ rekor: [service('https://log.example', 1)], tsa: [service('https://tsa.example/api/v1/timestamp')] }), NOW);
  assert.equal(stamped.tsas.length, 1);
});

test('a v2 log that is not yet valid leaves v1 in use', () => {
  const s = selectSigningServices(config({ rekor: [service('https://log.example', 1), service('https://log.example/rekor-v2', 2, '2027-01-01T00:00:00Z')] }), NOW);
  assert.equal(s.tlogVersion, 1);
});

test('no CA, no log, or only a log API this signer does not speak', () => {
  fails(() => selectSigningServices(config({ ca: [], rekor: [service('https://log.example', 1)] }), NOW), 'ERR_TRUST_INVALID', /no usable certificate authority/);
  fails(() => selectSigningServices(config({ rekor: [] }), NOW), 'ERR_TRUST_INVALID', /no usable transparency log/);
  fails(() => selectSigningServices(config({ rekor: [service('https://log.example/v3', 3)] }), NOW), 'ERR_TRUST_INVALID', /speaks Rekor v1 and v2/);
});
