import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSigningConfig, selectService, selectServices, serializeSigningConfig, type Service } from '../../../src/trust/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { clone, signingConfig } from './fixtures.js';

function rejects(json: unknown, code: string, paths?: string[]): void {
  assert.throws(
    () => parseSigningConfig(json),
    (err) => {
      assert.ok(err instanceof KeylessError, String(err));
      assert.equal(err.code, code, err.message);
      if (paths) assert.deepEqual((err.details['problems'] as { path: string }[]).map((p) => p.path), paths, err.message);
      return true;
    },
  );
}

test('parses a v0.2 signing config and writes it back unchanged', () => {
  const config = parseSigningConfig(signingConfig());
  assert.equal(config.caUrls[0]?.url, 'https://fulcio.sigstore.dev');
  assert.equal(config.rekorTlogUrls.length, 2);
  assert.equal(config.rekorTlogUrls[0]?.majorApiVersion, 2);
  assert.equal(config.rekorTlogUrls[1]?.validFor.start, Date.parse('2021-01-12T11:53:27Z'));
  assert.deepEqual(config.rekorTlogConfig, { selector: 'ANY' });
  assert.deepEqual(serializeSigningConfig(config), signingConfig());
  const exact = { ...signingConfig(), tsaConfig: { selector: 'EXACT', count: 1 } };
  assert.deepEqual(serializeSigningConfig(parseSigningConfig(exact)), exact);
});

test('signing config rejections: media type, non-objects, and every field problem collected', () => {
  rejects(null, 'ERR_JSON');
  rejects({ ...signingConfig(), mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json' }, 'ERR_TRUST_INVALID');
  const json = clone(signingConfig());
  json.caUrls[0].url = 'fulcio.sigstore.dev';
  json.oidcUrls[0].majorApiVersion = -1;
  delete json.rekorTlogUrls[0].validFor;
  delete json.rekorTlogConfig;
  json.tsaConfig = { selector: 'SERVICE_SELECTOR_UNDEFINED' };
  rejects(json, 'ERR_TRUST_INVALID', ['caUrls[0].url', 'oidcUrls[0].majorApiVersion', 'rekorTlogUrls[0].validFor', 'rekorTlogConfig', 'tsaConfig.selector']);
  rejects({ ...signingConfig(), tsaConfig: { selector: 'EXACT' } }, 'ERR_TRUST_INVALID', ['tsaConfig.count']);
  rejects({ ...signingConfig(), tsaConfig: { selector: 'EXACT', count: 2 } }, 'ERR_TRUST_INVALID', ['tsaConfig.count']);
  rejects({ ...signingConfig(), tsaConfig: { selector: 'SOMETIMES' } }, 'ERR_TRUST_INVALID', ['tsaConfig.selector']);
  rejects({ ...signingConfig(), caUrls: [{ validFor: { start: '2020-01-01T00:00:00Z' } }] }, 'ERR_TRUST_INVALID', ['caUrls[0].url']);
  rejects({ ...signingConfig(), caUrls: [{ url: 'https://a', majorApiVersion: 2 ** 32, validFor: { start: 0 } }] }, 'ERR_TRUST_INVALID', ['caUrls[0].majorApiVersion', 'caUrls[0].validFor.start']);
  // No services of a kind needs no configuration for it.
  parseSigningConfig({ ...signingConfig(), tsaUrls: [], tsaConfig: undefined });
});

const day = 86_400_000;
const svc = (url: string, majorApiVersion: number, start: number, operator: string, end?: number): Service => ({
  url,
  majorApiVersion,
  validFor: end === undefined ? { start } : { start, end },
  operator,
});

test('selection keeps services valid at the time, endpoints included', () => {
  const s = [svc('https://a', 1, 10 * day, 'a.dev', 20 * day)];
  assert.equal(selectServices(s, { selector: 'ALL' }, 10 * day).length, 1);
  assert.equal(selectServices(s, { selector: 'ALL' }, 20 * day).length, 1);
  assert.throws(() => selectServices(s, { selector: 'ALL' }, 20 * day + 1), (e) => e instanceof KeylessError && e.code === 'ERR_TRUST_INVALID');
  assert.throws(() => selectServices(s, { selector: 'ALL' }, new Date(10 * day - 1)), (e) => e instanceof KeylessError && e.code === 'ERR_TRUST_INVALID');
});

test('selection takes the highest supported API version only, newest first, one per operator', () => {
  const services = [
    svc('https://old.a', 1, 1 * day, 'a.dev'),
    svc('https://new.a', 1, 5 * day, 'a.dev'),
    svc('https://b', 1, 2 * day, 'b.dev'),
    svc('https://v2.a', 2, 3 * day, 'a.dev'),
    svc('https://future', 3, 100 * day, 'c.dev'),
  ];
  const now = 10 * day;
  assert.deepEqual(selectServices(services, { selector: 'ALL' }, now).map((s) => s.url), ['https://v2.a']);
  assert.deepEqual(selectServices(services, { selector: 'ALL' }, now, { supportedApiVersions: [1] }).map((s) => s.url), ['https://new.a', 'https://b']);
  assert.deepEqual(selectServices(services, { selector: 'ANY' }, now, { supportedApiVersions: [1] }).map((s) => s.url), ['https://new.a']);
  assert.throws(() => selectServices(services, { selector: 'EXACT', count: 2 }, now), (e) => e instanceof KeylessError && e.code === 'ERR_TRUST_INVALID');
  assert.deepEqual(selectServices(services, { selector: 'EXACT', count: 2 }, now, { supportedApiVersions: [1] }).map((s) => s.url), ['https://new.a', 'https://b']);
  assert.throws(() => selectServices(services, { selector: 'EXACT', count: 0 }, now), (e) => e instanceof KeylessError && e.code === 'ERR_TRUST_INVALID');
  assert.throws(() => selectServices(services, { selector: 'ANY' }, now, { supportedApiVersions: [7] }), (e) => e instanceof KeylessError && e.code === 'ERR_TRUST_INVALID');
  assert.equal(selectService(services, now, { supportedApiVersions: [1] }).url, 'https://new.a');
  // The public-good config: a Rekor v1-only client gets rekor.sigstore.dev, a v2 client the 2025 shard.
  const config = parseSigningConfig(signingConfig());
  const at = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(selectServices(config.rekorTlogUrls, config.rekorTlogConfig ?? { selector: 'ANY' }, at, { supportedApiVersions: [1] })[0]?.url, 'https://rekor.sigstore.dev');
  assert.equal(selectServices(config.rekorTlogUrls, config.rekorTlogConfig ?? { selector: 'ANY' }, at)[0]?.url, 'https://log2025-1.rekor.sigstore.dev');
});
