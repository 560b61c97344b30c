import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { DEFAULT_ISSUERS, findIssuer, parseIssuerConfig } from '../../../src/oidc/index.js';

test('Fulcio\'s JSON config: OIDCIssuers and MetaIssuers', () => {
  // Shape of sigstore/fulcio config/fulcio-config.yaml's config.json and the helm chart's values.
  const issuers = parseIssuerConfig({
    OIDCIssuers: {
      'https://gitlab.com': { IssuerURL: 'https://gitlab.com', ClientID: 'sigstore', Type: 'gitlab-pipeline' },
      'https://accounts.google.com': { IssuerURL: 'https://accounts.google.com', ClientID: 'sigstore', Type: 'email' },
      'https://auth.example.com': { IssuerURL: 'https://auth.example.com', ClientID: 'sigstore', Type: 'uri', SubjectDomain: 'https://example.com' },
      'https://spiffe.example.com': { IssuerURL: 'https://spiffe.example.com', ClientID: 'sigstore', Type: 'spiffe', SPIFFETrustDomain: 'example.com' },
    },
    MetaIssuers: {
      'https://kubernetes.*.svc': { ClientID: 'sigstore', Type: 'kubernetes' },
    },
  });
  assert.deepEqual(issuers, [
    { issuerUrl: 'https://gitlab.com', clientId: 'sigstore', type: 'gitlab-pipeline' },
    { issuerUrl: 'https://accounts.google.com', clientId: 'sigstore', type: 'email' },
    { issuerUrl: 'https://auth.example.com', clientId: 'sigstore', type: 'uri', subjectDomain: 'https://example.com' },
    { issuerUrl: 'https://spiffe.example.com', clientId: 'sigstore', type: 'spiffe', subjectDomain: 'example.com' },
    { metaIssuer: 'https://kubernetes.*.svc', clientId: 'sigstore', type: 'kubernetes' },
  ]);
  assert.equal(findIssuer(issuers, 'https://kubernetes.default.svc')?.type, 'kubernetes');
  assert.equal(findIssuer(issuers, 'https://kubernetes.a.b.svc'), undefined);
});

test('Fulcio\'s YAML keys (config/identity/config.yaml converted to JSON)', () => {
  const issuers = parseIssuerConfig({
    'oidc-issuers': { 'https://token.actions.githubusercontent.com': { 'issuer-url': 'https://token.actions.githubusercontent.com', 'client-id': 'sigstore', type: 'github-workflow' } },
    'meta-issuers': { 'https://oidc.eks.*.amazonaws.com/id/*': { 'client-id': 'sigstore', type: 'kubernetes' } },
  });
  assert.deepEqual(issuers, [
    { issuerUrl: 'https://token.actions.githubusercontent.com', clientId: 'sigstore', type: 'github-workflow' },
    { metaIssuer: 'https://oidc.eks.*.amazonaws.com/id/*', clientId: 'sigstore', type: 'kubernetes' },
  ]);
});

test('the simple array form, with jwksUrl', () => {
  const issuers = parseIssuerConfig([{ issuerUrl: 'http://localhost:8080', clientId: 'sigstore', type: 'gitlab-pipeline', jwksUrl: 'http://localhost:8080/oauth/discovery/keys' }]);
  assert.deepEqual(issuers, [{ issuerUrl: 'http://localhost:8080', clientId: 'sigstore', type: 'gitlab-pipeline', jwksUrl: 'http://localhost:8080/oauth/discovery/keys' }]);
});

test('every problem in a configuration is reported at once', () => {
  assert.throws(
    () => parseIssuerConfig({
      OIDCIssuers: {
        'https://a.example': { IssuerURL: 'https://b.example', ClientID: '', Type: 'ci-provider' },
        'ftp://c.example': { ClientID: 'sigstore', Type: 'uri' },
      },
      MetaIssuers: { 'https://*.spiffe.example': { ClientID: 'sigstore', Type: 'spiffe', SPIFFETrustDomain: 'x.example' } },
    }),
    (err: unknown) => {
      assert.ok(err instanceof KeylessError);
      assert.equal(err.code, 'ERR_JSON');
      assert.match(err.message, /IssuerURL "https:\/\/b.example" differs from its key/);
      assert.match(err.message, /ClientID must be a non-empty string, found ""/);
      assert.match(err.message, /Type must be one of gitlab-pipeline, .*, found "ci-provider"/);
      assert.match(err.message, /issuer URL must be an http\(s\) URL without query or fragment, found "ftp:\/\/c.example"/);
      assert.match(err.message, /a uri issuer needs SubjectDomain/);
      assert.match(err.message, /SPIFFE meta issuers are not supported/);
      return true;
    },
  );
  assert.throws(() => parseIssuerConfig('gitlab'), /expected an object or an array, found "gitlab"/);
  assert.throws(() => parseIssuerConfig({}), /expected OIDCIssuers and\/or MetaIssuers/);
  assert.throws(() => parseIssuerConfig([{ issuerUrl: 'https://a.example', metaIssuer: 'https://*.example', clientId: 'x', type: 'email' }]), /exactly one of issuerUrl and metaIssuer/);
});

test('the defaults are gitlab.com and GitHub Actions with client id sigstore', () => {
  assert.deepEqual(DEFAULT_ISSUERS.map((i) => [i.issuerUrl, i.type, i.clientId]), [
    ['https://gitlab.com', 'gitlab-pipeline', 'sigstore'],
    ['https://token.actions.githubusercontent.com', 'github-workflow', 'sigstore'],
  ]);
  assert.ok(Object.isFrozen(DEFAULT_ISSUERS));
});
