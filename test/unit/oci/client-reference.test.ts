// Image references: distribution/reference's grammar and Docker's normalisation (docker.io, library/), table-driven.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKeylessError } from '../../../src/core/errors.js';
import { formatReference, parseReference, registryApiHost } from '../../../src/oci/reference.js';

const D = `sha256:${'a1'.repeat(32)}`;
const D512 = `sha512:${'b2'.repeat(64)}`;

describe('parseReference', () => {
  const valid: [string, string, string, (string | undefined)?, (string | undefined)?][] = [
    // input, registry, repository, tag, digest
    ['ubuntu', 'docker.io', 'library/ubuntu'],
    ['ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04'],
    ['library/ubuntu', 'docker.io', 'library/ubuntu'],
    ['foo/bar', 'docker.io', 'foo/bar'],
    ['docker.io/ubuntu', 'docker.io', 'library/ubuntu'],
    ['index.docker.io/foo/bar:1', 'docker.io', 'foo/bar', '1'],
    ['localhost/foo', 'localhost', 'foo'],
    ['localhost:5000/foo/bar:tag', 'localhost:5000', 'foo/bar', 'tag'],
    [`127.0.0.1:5000/a/b@${D}`, '127.0.0.1:5000', 'a/b', undefined, D],
    [`ghcr.io/owner/repo:v1@${D}`, 'ghcr.io', 'owner/repo', 'v1', D],
    [`quay.io/x/y@${D512}`, 'quay.io', 'x/y', undefined, D512],
    ['registry.gitlab.com/group/sub/project/image:v1.2.3', 'registry.gitlab.com', 'group/sub/project/image', 'v1.2.3'],
    ['[::1]:5000/foo:latest', '[::1]:5000', 'foo', 'latest'],
    ['Foo/bar', 'Foo', 'bar'], // normalize.go: an uppercase first component can only be a host
    ['a__b/c-d.e_f--g', 'docker.io', 'a__b/c-d.e_f--g'],
    [`x/y:${'t'.repeat(128)}`, 'docker.io', 'x/y', 't'.repeat(128)],
  ];
  for (const [input, registry, repository, tag, digest] of valid) {
    it(`parses ${input.length > 60 ? `${input.slice(0, 60)}…` : input}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) });
      assert.deepEqual(parseReference(formatReference(ref)), ref, 'formatReference round-trips');
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['UPPER', /must be lowercase/],
    ['foo/Bar', /must be lowercase/],
    ['ubuntu@sha256:abc', /not a sha256 or sha512 digest/],
    [`ubuntu@sha256:${'A1'.repeat(32)}`, /digest/],
    [`ubuntu@md5:${'a1'.repeat(16)}`, /digest/],
    [`ubuntu@sha256:${'a1'.repeat(33)}`, /digest/],
    ['ubuntu:', /not a valid tag/],
    ['ubuntu:-bad', /not a valid tag/],
    [`ubuntu:${'t'.repeat(129)}`, /not a valid tag/],
    ['foo//bar', /not a valid repository name/],
    ['foo/bar/', /not a valid repository name/],
    ['-foo', /not a valid repository name/],
    ['foo___bar', /not a valid repository name/],
    ['foo_-bar', /not a valid repository name/],
    ['a'.repeat(64).replace(/a/g, 'f'), /image ID/],
    ['localhost:5000/', /no repository/],
    ['localhost:abc/foo', /registry host/],
    ['exa mple/foo', /not a valid/],
    [`x/${'a'.repeat(300)}`, /longer than 255/],
  ];
  for (const [input, reason] of invalid) {
    it(`refuses ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(() => parseReference(input), (err: unknown) => {
        assert.ok(isKeylessError(err), String(err));
        assert.equal(err.code, 'ERR_REQUEST');
        assert.match(err.message, reason);
        assert.equal(err.details.reference, input);
        return true;
      });
    });
  }
});

describe('formatReference and the API host', () => {
  it('writes registry/repository[:tag][@digest]', () => {
    assert.equal(formatReference({ registry: 'docker.io', repository: 'library/ubuntu' }), 'docker.io/library/ubuntu');
    assert.equal(formatReference({ registry: 'r.example:5000', repository: 'a/b', tag: 'v1', digest: D }), `r.example:5000/a/b:v1@${D}`);
  });
  it('speaks to Docker Hub at index.docker.io', () => {
    assert.equal(registryApiHost('docker.io'), 'index.docker.io');
    assert.equal(registryApiHost('ghcr.io'), 'ghcr.io');
  });
});
