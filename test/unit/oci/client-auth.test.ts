// Registry auth inputs: WWW-Authenticate challenges (RFC 7235) and where credentials come from, in order:
// flags, then GitLab CI's CI_REGISTRY_* for CI_REGISTRY only, then docker's config.json `auths`.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKeylessError } from '../../../src/core/errors.js';
import { credentialsFor, normalizeRegistryHost, parseWwwAuthenticate } from '../../../src/oci/auth.js';

describe('parseWwwAuthenticate', () => {
  it('reads a Docker Hub bearer challenge', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull' } },
    ]);
  });
  it('reads basic, several challenges in one header, unquoted values and mixed case', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="x", BEARER Realm=https://a/t , Service="s",error=insufficient_scope'), [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'https://a/t', service: 's', error: 'insufficient_scope' } },
    ]);
  });
  it('unescapes quoted-pairs and keeps commas inside quotes', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="a\\"b",scope="repository:x:pull,push"'), [{ scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:x:pull,push' } }]);
  });
  it('never throws on garbage, and finds nothing in nothing', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
    for (const junk of ['=', '"', ',,,', 'Bearer realm="unterminated', '=x Bearer', '\u0000\u00ff Basic']) {
      assert.doesNotThrow(() => parseWwwAuthenticate(junk), junk);
    }
    assert.equal(parseWwwAuthenticate('Bearer realm="unterminated')[0]?.params.realm, 'unterminated');
  });
});

describe('credentialsFor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-oci-auth-'));
  const config = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const dockerConfigPath = config('config.json', {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      'registry.example:5000': { auth: b64('exuser:expass') },
      'http://fields.example': { username: 'fielduser', password: 'fieldpass' },
      'oauth.example': { auth: b64('<token>:'), identitytoken: 'refresh-me' },
    },
    credHelpers: { 'gcr.io': 'gcloud' },
  });
  const ci = { CI_REGISTRY: 'registry.gitlab.example:5050', CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token' };

  it('flags win for every registry', () => {
    const lookup = credentialsFor({ flags: { username: 'u', password: 'p' }, env: ci, dockerConfigPath });
    assert.deepEqual(lookup('registry.gitlab.example:5050'), { username: 'u', password: 'p' });
    assert.deepEqual(lookup('registry.example:5000'), { username: 'u', password: 'p' });
  });
  it('CI_REGISTRY_USER/PASSWORD apply to the CI_REGISTRY host only, before config.json', () => {
    const lookup = credentialsFor({ env: { ...ci, CI_REGISTRY: 'registry.example:5000' }, dockerConfigPath });
    assert.deepEqual(lookup('registry.example:5000'), { username: 'gitlab-ci-token', password: 'job-token' });
    assert.deepEqual(lookup('index.docker.io'), { username: 'hubuser', password: 'hub:pass' }, 'password keeps its colons');
    assert.equal(credentialsFor({ env: ci, dockerConfigPath })('registry.gitlab.example'), undefined, 'the port is part of the host');
  });
  it('config.json: auth, username/password, identity tokens; Docker Hub under any of its names', () => {
    const lookup = credentialsFor({ env: {}, dockerConfigPath });
    for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) assert.equal(lookup(hub)?.username, 'hubuser', hub);
    assert.deepEqual(lookup('fields.example'), { username: 'fielduser', password: 'fieldpass' });
    assert.deepEqual(lookup('oauth.example'), { username: '<token>', password: '', identityToken: 'refresh-me' });
    assert.equal(lookup('unknown.example'), undefined);
  });
  it('DOCKER_CONFIG names the directory of config.json', () => {
    const sub = mkdtempSync(join(dir, 'docker-'));
    writeFileSync(join(sub, 'config.json'), JSON.stringify({ auths: { 'r.example': { auth: b64('a:b') } } }));
    assert.deepEqual(credentialsFor({ env: { DOCKER_CONFIG: sub } })('r.example'), { username: 'a', password: 'b' });
  });
  it('credential helpers are not run, and the lookup says so', () => {
    const lookup = credentialsFor({ env: {}, dockerConfigPath });
    assert.equal(lookup('gcr.io'), undefined);
    assert.match(lookup.missing?.('gcr.io') ?? '', /docker-credential-gcloud.*not supported/);
    const store = credentialsFor({ env: {}, dockerConfigPath: config('store.json', { credsStore: 'desktop', auths: { 'r.example': {} } }) });
    assert.equal(store('r.example'), undefined);
    assert.match(store.missing?.('r.example') ?? '', /docker-credential-desktop.*not supported/);
    assert.match(credentialsFor({ env: {}, dockerConfigPath })?.missing?.('nowhere.example') ?? '', /no credentials for nowhere\.example: pass --registry-username/);
  });
  it('a missing config is no credentials; a broken one is an error that names the file', () => {
    assert.equal(credentialsFor({ env: {}, dockerConfigPath: join(dir, 'absent.json') })('r.example'), undefined);
    const broken = config('broken.json', '{not json');
    assert.throws(() => credentialsFor({ env: {}, dockerConfigPath: broken })('r.example'), (err: unknown) => isKeylessError(err) && err.code === 'ERR_JSON' && err.message.includes(broken));
    const badAuth = config('bad-auth.json', { auths: { 'r.example': { auth: b64('no-colon') } } });
    assert.throws(() => credentialsFor({ env: {}, dockerConfigPath: badAuth })('r.example'), (err: unknown) => isKeylessError(err) && err.code === 'ERR_ENCODING');
  });
  it('one of --registry-username/--registry-password alone is a usage error', () => {
    assert.throws(() => credentialsFor({ flags: { username: 'u' }, env: {} }), (err: unknown) => isKeylessError(err) && err.code === 'ERR_USAGE');
  });
  it('normalizes config keys to host[:port]', () => {
    assert.equal(normalizeRegistryHost('https://Registry.Example:5000/v2/'), 'registry.example:5000');
    assert.equal(normalizeRegistryHost('https://index.docker.io/v1/'), 'index.docker.io');
  });
});
