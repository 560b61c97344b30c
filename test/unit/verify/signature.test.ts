/**
 * Check 5 in isolation: the signature is over this artifact (message signatures and DSSE envelopes), with keys made
 * on the spot; and the `sha256:<hex>` digest form of an artifact. Every refusal asserts its code and which check
 * refused, since several checks share a code.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { pae } from '../../../src/core/dsse.js';
import { publicKeyFromSpki, type PublicKey } from '../../../src/core/keys.js';
import type { DsseContent, MessageSignatureContent } from '../../../src/bundle/index.js';
import { parseDigestArtifact, type Artifact } from '../../../src/verify/artifact.js';
import { IN_TOTO_PAYLOAD_TYPE, verifyDsseSignature, verifyMessageSignature } from '../../../src/verify/signature.js';
import { coded } from '../../helpers/vectors.js';

interface Signer {
  readonly privateKey: KeyObject;
  readonly key: PublicKey;
}

function signer(type: 'P-256' | 'P-384' | 'ed25519'): Signer {
  const pair = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: type });
  return { privateKey: pair.privateKey, key: publicKeyFromSpki(new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }))) };
}

const ARTIFACT = new TextEncoder().encode('the artifact');
const OTHER = new TextEncoder().encode('another artifact');
const bytes = (data: Uint8Array): Artifact => ({ kind: 'bytes', data });
const hashOf = (alg: 'sha256' | 'sha384' | 'sha512' | 'sha1', data: Uint8Array) => new Uint8Array(createHash(alg).update(data).digest());
const digestOf = (alg: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Artifact => ({ kind: 'digest', algorithm: alg, digest: hashOf(alg, data) });

const P256 = signer('P-256');
const ED25519 = signer('ed25519');

function messageSignature(s: Signer, data: Uint8Array, hash: 'sha256' | 'sha384' | null, digest?: MessageSignatureContent['messageDigest']): MessageSignatureContent {
  const signature = new Uint8Array(sign(hash, data, s.privateKey));
  return { kind: 'messageSignature', signature, ...(digest !== undefined ? { messageDigest: digest } : {}) };
}

describe('a message signature', () => {
  const withDigest = messageSignature(P256, ARTIFACT, 'sha256', { algorithm: 'SHA2_256', digest: hashOf('sha256', ARTIFACT) });

  test('verifies over the artifact bytes and over its digest alone', () => {
    verifyMessageSignature(withDigest, P256.key, bytes(ARTIFACT));
    verifyMessageSignature(withDigest, P256.key, digestOf('sha256', ARTIFACT));
  });

  test('the bundle\'s digest names another artifact (the signature itself is over this one)', () => {
    const lying = { ...withDigest, messageDigest: { algorithm: 'SHA2_256' as const, digest: hashOf('sha256', OTHER) } };
    assert.throws(() => verifyMessageSignature(lying, P256.key, bytes(ARTIFACT)), coded('ERR_SIGNATURE', /its digest differs from the bundle's/));
  });

  test('a signature over another artifact, with no digest in the bundle', () => {
    const content = messageSignature(P256, OTHER, 'sha256');
    assert.throws(() => verifyMessageSignature(content, P256.key, bytes(ARTIFACT)), coded('ERR_SIGNATURE', /does not verify/));
    assert.throws(() => verifyMessageSignature(content, P256.key, digestOf('sha256', ARTIFACT)), coded('ERR_SIGNATURE', /does not verify/));
  });

  test('the bundle\'s digest algorithm decides the hash, not the key\'s default (SHA-384 with a P-256 key)', () => {
    const content = messageSignature(P256, ARTIFACT, 'sha384', { algorithm: 'SHA2_384', digest: hashOf('sha384', ARTIFACT) });
    verifyMessageSignature(content, P256.key, bytes(ARTIFACT));
    verifyMessageSignature(content, P256.key, digestOf('sha384', ARTIFACT));
  });

  test('an artifact given as a digest of another algorithm than the bundle\'s', () => {
    assert.throws(() => verifyMessageSignature(withDigest, P256.key, digestOf('sha384', ARTIFACT)), coded('ERR_SIGNATURE', /the bundle's digest is sha256, but the artifact was given as a sha384 digest/));
  });

  test('Ed25519 signs the whole artifact: it verifies from the bytes, and cannot from a digest', () => {
    const content = messageSignature(ED25519, ARTIFACT, null);
    verifyMessageSignature(content, ED25519.key, bytes(ARTIFACT));
    assert.throws(() => verifyMessageSignature(content, ED25519.key, bytes(OTHER)), coded('ERR_SIGNATURE', /does not verify/));
    assert.throws(() => verifyMessageSignature(content, ED25519.key, digestOf('sha256', ARTIFACT)), coded('ERR_SIGNATURE', /cannot be checked from its digest/));
  });
});

function envelope(s: Signer, payloadType: string, payload: Uint8Array, count = 1): DsseContent {
  const sig = new Uint8Array(sign(s.key.type === 'ed25519' ? null : 'sha256', pae(payloadType, payload), s.privateKey));
  return { kind: 'dsseEnvelope', envelope: { payloadType, payload, signatures: Array.from({ length: count }, () => ({ keyid: '', sig })) } };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function statement(subjects: unknown): Uint8Array {
  return json({ _type: 'https://in-toto.io/Statement/v1', subject: subjects, predicateType: 'https://slsa.dev/provenance/v1', predicate: {} });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('a DSSE envelope', () => {
  const good = statement([{ name: 'artifact', digest: { sha256: hex(hashOf('sha256', ARTIFACT)) } }]);

  test('an in-toto statement naming the artifact verifies and is returned', () => {
    const s = verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, good), P256.key, bytes(ARTIFACT));
    assert.equal(s?.subject[0]?.name, 'artifact');
  });

  test('without an artifact, the statement is returned unchecked', () => {
    const s = verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, good), P256.key, undefined);
    assert.equal(s?.predicateType, 'https://slsa.dev/provenance/v1');
  });

  test('a Sigstore envelope carries exactly one signature, even when both verify', () => {
    assert.throws(() => verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, good, 2), P256.key, bytes(ARTIFACT)), coded('ERR_SIGNATURE', /exactly one signature, this one has 2/));
    assert.throws(() => verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, good, 0), P256.key, bytes(ARTIFACT)), coded('ERR_SIGNATURE', /exactly one signature, this one has 0/));
  });

  test('a signature by another key', () => {
    assert.throws(() => verifyDsseSignature(envelope(signer('P-256'), IN_TOTO_PAYLOAD_TYPE, good), P256.key, bytes(ARTIFACT)), coded('ERR_SIGNATURE', /does not verify/));
  });

  test('a payload that is not in-toto: returned as nothing without an artifact, refused with one', () => {
    const content = envelope(P256, 'text/plain', new TextEncoder().encode('not a statement'));
    assert.equal(verifyDsseSignature(content, P256.key, undefined), undefined);
    assert.throws(() => verifyDsseSignature(content, P256.key, bytes(ARTIFACT)), coded('ERR_SUBJECT', /type text\/plain/));
  });

  test('an in-toto payload that is not JSON', () => {
    const content = envelope(P256, IN_TOTO_PAYLOAD_TYPE, new TextEncoder().encode('{not json'));
    assert.throws(() => verifyDsseSignature(content, P256.key, bytes(ARTIFACT)), coded('ERR_SUBJECT', /not a JSON in-toto statement/));
  });

  const base = { _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: hex(hashOf('sha256', ARTIFACT)) } }], predicateType: 'p' };
  const malformed: [string, unknown][] = [
    ['null', null],
    ['a string', 'statement'],
    ['an array', [base]],
    ['no _type', { ...base, _type: undefined }],
    ['a numeric _type', { ...base, _type: 1 }],
    ['no predicateType', { ...base, predicateType: undefined }],
    ['subject not an array', { ...base, subject: { digest: {} } }],
    ['a null subject', { ...base, subject: [null] }],
    ['a subject without digest', { ...base, subject: [{ name: 'x' }] }],
    ['a subject with a null digest', { ...base, subject: [{ digest: null }] }],
    ['a subject with a string digest', { ...base, subject: [{ digest: 'sha256:00' }] }],
    ['a good subject, then a bad one', { ...base, subject: [...base.subject, { name: 'x' }] }],
    ['a bad subject, then a good one', { ...base, subject: [7, ...base.subject] }],
  ];
  for (const [name, value] of malformed) {
    test(`an in-toto payload that is not a statement: ${name}`, () => {
      const content = envelope(P256, IN_TOTO_PAYLOAD_TYPE, json(value));
      assert.throws(() => verifyDsseSignature(content, P256.key, bytes(ARTIFACT)), coded('ERR_SUBJECT', /not an in-toto statement \(needs/));
    });
  }

  test('the artifact must be named by a SHA-2 digest: a matching SHA-1 does not count', () => {
    const sha1Only = statement([{ digest: { sha1: hex(hashOf('sha1', ARTIFACT)) } }]);
    assert.throws(() => verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, sha1Only), P256.key, bytes(ARTIFACT)), coded('ERR_SUBJECT', /no subject of the in-toto statement names this artifact/));
    for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
      const named = statement([{ digest: { sha1: '00', [alg]: hex(hashOf(alg, ARTIFACT)).toUpperCase() } }]);
      verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, named), P256.key, bytes(ARTIFACT));
    }
  });

  test('a subject digest of another algorithm than the given artifact digest does not match', () => {
    const named = statement([{ digest: { sha512: hex(hashOf('sha512', ARTIFACT)) } }]);
    assert.throws(() => verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, named), P256.key, digestOf('sha256', ARTIFACT)), coded('ERR_SUBJECT', /names this artifact/));
    verifyDsseSignature(envelope(P256, IN_TOTO_PAYLOAD_TYPE, named), P256.key, digestOf('sha512', ARTIFACT));
  });
});

describe('an artifact given as <algorithm>:<hex>', () => {
  test('parses each SHA-2 digest of the right length', () => {
    for (const [alg, len] of [['sha256', 32], ['sha384', 48], ['sha512', 64]] as const) {
      const parsed = parseDigestArtifact(`${alg}:${'ab'.repeat(len)}`);
      assert.ok(parsed?.kind === 'digest');
      assert.equal(parsed.algorithm, alg);
      assert.equal(hex(parsed.digest), 'ab'.repeat(len));
    }
  });

  test('text of another form is not a digest (a file name, say)', () => {
    for (const text of ['artifact.tgz', 'md5:00112233445566778899aabbccddeeff', 'sha256:', ` sha256:${'00'.repeat(32)}`, `sha256:${'zz'.repeat(32)}`]) {
      assert.equal(parseDigestArtifact(text), undefined, text);
    }
  });

  test('a digest of the wrong length', () => {
    assert.throws(() => parseDigestArtifact(`sha256:${'00'.repeat(31)}`), coded('ERR_USAGE', /a sha256 digest has 64 hex digits, got 62/));
    assert.throws(() => parseDigestArtifact(`sha384:${'00'.repeat(32)}`), coded('ERR_USAGE', /a sha384 digest has 96 hex digits, got 64/));
  });
});
