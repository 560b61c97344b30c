import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { gitlabIdentity } from '../../../src/verify/gitlab.js';
import { checkIdentity, type SignerIdentity } from '../../../src/verify/identity.js';

const SAN = 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main';
const signer: SignerIdentity = {
  subjectAlternativeNames: [SAN],
  issuer: 'https://gitlab.com',
  extensions: { sourceRepositoryRef: 'refs/heads/main', buildTrigger: 'push' },
  extensionsByOid: { '1.3.6.1.4.1.57264.1.14': 'refs/heads/main', '1.3.6.1.4.1.57264.1.20': 'push' },
};
const exact = (value: string) => ({ kind: 'exact', value }) as const;
const identityError = (pattern: RegExp) => (err: unknown) => err instanceof KeylessError && err.code === 'ERR_IDENTITY' && pattern.test(err.message);

test('exact SAN and issuer match', () => {
  assert.ok(checkIdentity(signer, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com') }]));
});

test('a regexp must match the whole SAN', () => {
  assert.ok(checkIdentity(signer, [{ subjectAlternativeName: { kind: 'regexp', pattern: 'https://gitlab\\.com/my-group/.*' }, issuer: exact('https://gitlab.com') }]));
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: { kind: 'regexp', pattern: 'my-group/my-project' }, issuer: exact('https://gitlab.com') }]),
    identityError(/none of the expected identities matched/),
  );
});

test('a wrong issuer fails with cosign\'s wording and both values', () => {
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://token.actions.githubusercontent.com') }]),
    identityError(/found subjects \[https:\/\/gitlab\.com\/my-group\/my-project\/\/\.gitlab-ci\.yml@refs\/heads\/main\] with issuer https:\/\/gitlab\.com/),
  );
});

test('near misses get a hint: single slash, tag vs branch, trailing slash', () => {
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN.replace('//.gitlab', '/.gitlab')), issuer: exact('https://gitlab.com') }]),
    identityError(/hint: GitLab identities have a double slash/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN.replace('refs/heads', 'refs/tags')), issuer: exact('https://gitlab.com') }]),
    identityError(/hint: the artifact was signed from a branch, not a tag/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com/') }]),
    identityError(/hint: the issuer differs only by a trailing slash/),
  );
});

test('extensions are matched by name or OID', () => {
  const base = { subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com') };
  assert.ok(checkIdentity(signer, [{ ...base, extensions: { buildTrigger: 'push' } }]));
  assert.ok(checkIdentity(signer, [{ ...base, extensions: { '1.3.6.1.4.1.57264.1.20': 'push' } }]));
  assert.throws(() => checkIdentity(signer, [{ ...base, extensions: { buildTrigger: 'schedule' } }]), identityError(/extension buildTrigger: expected "schedule", got "push"/));
});

test('any of several identities may match', () => {
  const wrong = { subjectAlternativeName: exact('x'), issuer: exact('y') };
  const right = { subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com') };
  assert.equal(checkIdentity(signer, [wrong, right]), right);
});

test('GitLab flags build the documented identity', () => {
  const id = gitlabIdentity({ project: 'my-group/my-project', ref: 'refs/heads/main' });
  assert.deepEqual(id.subjectAlternativeName, exact(SAN));
  assert.deepEqual(id.issuer, exact('https://gitlab.com'));
  const selfManaged = gitlabIdentity({ project: 'a/b/c', ref: 'v1.0.0', configPath: 'ci/release.yml', server: 'https://gitlab.example.com/' });
  assert.deepEqual(selfManaged.subjectAlternativeName, exact('https://gitlab.example.com/a/b/c//ci/release.yml@refs/heads/v1.0.0'));
  assert.deepEqual(selfManaged.issuer, exact('https://gitlab.example.com'));
  assert.throws(() => gitlabIdentity({ project: 'just-a-name', ref: 'main' }), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_USAGE');
  assert.throws(() => gitlabIdentity({ project: 'a/b', ref: 'main', server: 'gitlab.example.com' }), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_USAGE' && /--gitlab-server must be a URL/.test(e.message));
});

const details = (err: unknown) => (err as KeylessError).details as { hints: string[]; expected: { subjectAlternativeName: string; issuer: string }[] };

/** The KeylessError checkIdentity throws for `expected` (asserting its code). */
function refusal(s: SignerIdentity, expected: Parameters<typeof checkIdentity>[1]): KeylessError {
  try {
    checkIdentity(s, expected);
  } catch (err) {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_IDENTITY', `expected ERR_IDENTITY, got ${String(err)}`);
    return err;
  }
  return assert.fail('the identity matched');
}

test('an invalid regular expression is a usage error', () => {
  assert.throws(() => checkIdentity(signer, [{ subjectAlternativeName: { kind: 'regexp', pattern: '(' }, issuer: exact('https://gitlab.com') }]), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_USAGE' && /invalid regular expression/.test(e.message));
});

test('a certificate without an issuer matches no issuer, not even a pattern that matches anything', () => {
  const noIssuer: SignerIdentity = { ...signer, issuer: undefined };
  const err = refusal(noIssuer, [{ subjectAlternativeName: exact(SAN), issuer: { kind: 'regexp', pattern: '.*' } }]);
  assert.match(err.message, /with issuer \(none\)/);
  refusal(noIssuer, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com') }]);
});

test('one of several SANs may match', () => {
  const two: SignerIdentity = { ...signer, subjectAlternativeNames: ['https://example.com/other', SAN] };
  assert.ok(checkIdentity(two, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.com') }]));
});

test('no expected identity at all is a programmer error', () => {
  assert.throws(() => checkIdentity(signer, []), TypeError);
});

test('the refusal describes patterns as /pattern/ and exact values as they are', () => {
  const err = refusal(signer, [{ subjectAlternativeName: { kind: 'regexp', pattern: 'x.*' }, issuer: exact('https://other.example') }]);
  assert.deepEqual(details(err).expected.map((e) => [e.subjectAlternativeName, e.issuer]), [['/x.*/', 'https://other.example']]);
});

test('hints only for near misses', () => {
  const gitlab = exact('https://gitlab.com');
  // The SAN matched; only the issuer is wrong, and not by a slash: nothing to hint about the SAN.
  // An issuer pattern, or no issuer in the certificate: no issuer hint, and no crash.

  assert.deepEqual(details(refusal({ ...signer, issuer: undefined }, [{ subjectAlternativeName: exact(SAN), issuer: gitlab }])).hints, []);
  // A trailing slash on the SAN, letter case, a tag for a branch.
  assert.match(details(refusal(signer, [{ subjectAlternativeName: exact(`${SAN}/`), issuer: gitlab }])).hints.join(), /identity differs only by a trailing slash/);
  assert.match(details(refusal(signer, [{ subjectAlternativeName: exact(SAN.toUpperCase()), issuer: gitlab }])).hints.join(), /differs only in letter case/);
  // Another ref kind *and* another ref name is not a near miss.
  // Another project altogether is not a near miss either.
  assert.deepEqual(details(refusal(signer, [{ subjectAlternativeName: exact('https://gitlab.com/other/project//.gitlab-ci.yml@refs/heads/main'), issuer: gitlab }])).hints, []);
});

test('every identity error shows what was expected next to what was found', () => {
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact('https://gitlab.com/other/project//.gitlab-ci.yml@refs/heads/main'), issuer: exact('https://gitlab.com') }]),
    identityError(/expected subject https:\/\/gitlab\.com\/other\/project\/\/\.gitlab-ci\.yml@refs\/heads\/main with issuer https:\/\/gitlab\.com; found subjects \[https:\/\/gitlab\.com\/my-group/),
  );
});

test('more near misses: http/https, the issuer being what differs, another ref, a regexp matching part of the SAN', () => {
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN.replace('https://', 'http://')), issuer: exact('https://gitlab.com') }]),
    identityError(/hint: the identity differs only in http\/https: the certificate says https:\/\/gitlab\.com/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN), issuer: exact('http://gitlab.com') }]),
    identityError(/hint: the issuer differs only in http\/https/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN), issuer: exact('https://gitlab.example.com') }]),
    identityError(/hint: the identity matches; the issuer is what differs: the certificate says https:\/\/gitlab\.com/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: exact(SAN.replace('refs/heads/main', 'refs/heads/release')), issuer: exact('https://gitlab.com') }]),
    identityError(/hint: the same pipeline signed from another ref: the certificate says refs\/heads\/main, you expected refs\/heads\/release/),
  );
  assert.throws(
    () => checkIdentity(signer, [{ subjectAlternativeName: { kind: 'regexp', pattern: 'https://gitlab\\.com/my-group/' }, issuer: exact('https://gitlab.com') }]),
    identityError(/hint: the identity regexp matches part of .* but must match all of it/),
  );
});

test('--gitlab-server builds the SAN as Fulcio does (always https://) and takes the issuer as given', () => {
  const local = gitlabIdentity({ project: 'my-group/my-project', ref: 'main', server: 'http://127.0.0.1:3000' });
  assert.deepEqual(local.subjectAlternativeName, exact('https://127.0.0.1:3000/my-group/my-project//.gitlab-ci.yml@refs/heads/main'));
  assert.deepEqual(local.issuer, exact('http://127.0.0.1:3000'));
});
