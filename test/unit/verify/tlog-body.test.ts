/**
 * Check 3a in isolation: a log entry's body must name the bundle's signature, digest and certificate, in each body
 * shape keyless reads (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2). Bodies are written here, so a
 * test can change one field; refusals assert ERR_TLOG_BODY and which field was refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { pae } from '../../../src/core/dsse.js';
import { checkTlogBody, type SignedContent } from '../../../src/verify/tlog-body.js';
import { coded } from '../../helpers/vectors.js';

type Json = Record<string, unknown>;

const CERT = new Uint8Array(randomBytes(64));
const SIG = new Uint8Array(randomBytes(70));
const PAYLOAD = new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v1"}');
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const sha = (alg: string, data: Uint8Array) => new Uint8Array(createHash(alg).update(data).digest());
const DIGEST = sha('sha256', new TextEncoder().encode('the artifact'));

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pem = (der: Uint8Array, label = 'CERTIFICATE') => `-----BEGIN ${label}-----\n${b64(der)}\n-----END ${label}-----\n`;

const message: SignedContent = { kind: 'messageSignature', signature: SIG, digest: { algorithm: 'sha256', value: DIGEST }, verifier: { kind: 'certificate', der: CERT } };
const dsse: SignedContent = {
  kind: 'dsseEnvelope',
  signature: SIG,
  digest: { algorithm: 'sha256', value: sha('sha256', PAYLOAD) },
  verifier: { kind: 'certificate', der: CERT },
  dsse: { payloadType: PAYLOAD_TYPE, payload: PAYLOAD, signatureCount: 1 },
};

const hashedrekord1 = (): Json => ({
  kind: 'hashedrekord', apiVersion: '0.0.1',
  spec: { signature: { content: b64(SIG), publicKey: { content: b64(pem(CERT)) } }, data: { hash: { algorithm: 'sha256', value: hex(DIGEST) } } },
});
const hashedrekord2 = (digest = DIGEST): Json => ({
  kind: 'hashedrekord', apiVersion: '0.0.2',
  spec: { hashedRekordV002: { data: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: { content: b64(SIG), verifier: { x509Certificate: { rawBytes: b64(CERT) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } } } },
});
const dsse1 = (): Json => ({
  kind: 'dsse', apiVersion: '0.0.1',
  spec: { signatures: [{ signature: b64(SIG), verifier: b64(pem(CERT)) }], payloadHash: { algorithm: 'sha256', value: hex(sha('sha256', PAYLOAD)) } },
});
const dsse2 = (): Json => ({
  kind: 'dsse', apiVersion: '0.0.2',
  spec: { dsseV002: { signatures: [{ content: b64(SIG), verifier: { x509Certificate: { rawBytes: b64(CERT) } } }], payloadHash: { algorithm: 'SHA2_256', digest: b64(sha('sha256', PAYLOAD)) } } },
});
const intoto2 = (): Json => ({
  kind: 'intoto', apiVersion: '0.0.2',
  spec: { content: { envelope: { signatures: [{ sig: b64(b64(SIG)), publicKey: b64(pem(CERT)) }] }, payloadHash: { algorithm: 'sha256', value: hex(sha('sha256', PAYLOAD)) } } },
});

function check(body: Json | string, content: SignedContent): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const b = body as { kind?: string; apiVersion?: string };
  checkTlogBody(b.kind ?? 'hashedrekord', b.apiVersion ?? '0.0.1', new TextEncoder().encode(text), content);
}

/** A copy of `body` with the value at `path` (dot-separated, numeric parts index arrays) replaced. */
function edit(body: Json, path: string, value: unknown): Json {
  const copy = structuredClone(body);
  const parts = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  const last = parts.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const refused = (pattern: RegExp) => coded('ERR_TLOG_BODY', pattern);

describe('each body shape that names the bundle\'s content is accepted', () => {
  test('hashedrekord 0.0.1 and 0.0.2 for a message signature', () => {
    check(hashedrekord1(), message);
    check(hashedrekord2(), message);
  });
  test('dsse 0.0.1, dsse 0.0.2 and intoto 0.0.2 for a DSSE envelope', () => {
    check(dsse1(), dsse);
    check(dsse2(), dsse);
    check(intoto2(), dsse);
  });
  test('a v2 body naming a public key instead of a certificate', () => {
    const key = { ...message, verifier: { kind: 'publicKey' as const, der: CERT } };
    check(edit(hashedrekord2(), 'spec.hashedRekordV002.signature.verifier', { publicKey: { rawBytes: b64(CERT) } }), key);
  });
});

describe('the body must be a JSON object of the entry\'s kind', () => {
  test('not JSON, or JSON but not an object', () => {
    assert.throws(() => checkTlogBody('hashedrekord', '0.0.1', new TextEncoder().encode('{"kind":'), message), refused(/the canonicalized body is not a JSON object/));
    // Not UTF-8 at all: still this check's refusal, not a decoding error.
    assert.throws(() => checkTlogBody('hashedrekord', '0.0.1', Uint8Array.of(0x7b, 0xff, 0x7d), message), refused(/the canonicalized body is not a JSON object/));
    for (const text of ['[]', 'null', '"hashedrekord"', '7']) {
      assert.throws(() => checkTlogBody('hashedrekord', '0.0.1', new TextEncoder().encode(text), message), refused(/body is missing or not an object/), text);
    }
  });
  test('a body of another kind or version than the entry says', () => {
    assert.throws(() => checkTlogBody('hashedrekord', '0.0.2', new TextEncoder().encode(JSON.stringify(hashedrekord1())), message), refused(/says hashedrekord 0\.0\.2 but its body is hashedrekord 0\.0\.1/));
    assert.throws(() => checkTlogBody('dsse', '0.0.1', new TextEncoder().encode(JSON.stringify(hashedrekord1())), dsse), refused(/but its body is hashedrekord/));
  });
  test('a kind keyless does not read', () => {
    const body = { kind: 'rekord', apiVersion: '0.0.1', spec: {} };
    assert.throws(() => check(body, message), coded('ERR_BUNDLE_UNSUPPORTED', /rekord 0\.0\.1 are not supported/));
  });
  test('a hashedrekord cannot log a DSSE envelope as a v1 entry, nor a dsse or intoto entry a message signature', () => {
    assert.throws(() => check(hashedrekord1(), dsse), refused(/a hashedrekord entry cannot log a DSSE envelope/));
    assert.throws(() => check(dsse1(), message), refused(/a dsse entry cannot log a message signature/));
    assert.throws(() => check(dsse2(), message), refused(/a dsse entry cannot log a message signature/));
    assert.throws(() => check(intoto2(), message), refused(/an? intoto entry cannot log a message signature/));
  });
});

describe('malformed fields are refused with their path', () => {
  const cases: [string, Json, RegExp][] = [
    ['spec an array', edit(hashedrekord1(), 'spec', []), /spec is missing or not an object/],
    ['spec null', edit(hashedrekord1(), 'spec', null), /spec is missing or not an object/],
    ['signature missing', edit(hashedrekord1(), 'spec.signature', undefined), /spec\.signature is missing or not an object/],
    ['signature content a number', edit(hashedrekord1(), 'spec.signature.content', 7), /spec\.signature\.content is missing or not a string/],
    ['signature content not base64', edit(hashedrekord1(), 'spec.signature.content', '!!not base64!!'), /spec\.signature\.content is not base64/],
    ['hash value a number', edit(hashedrekord1(), 'spec.data.hash.value', 7), /spec\.data\.hash\.value is missing or not a string/],
    ['hash value not hex', edit(hashedrekord1(), 'spec.data.hash.value', 'xyz'), /spec\.data\.hash\.value is not hex/],
    ['two PEM blocks', edit(hashedrekord1(), 'spec.signature.publicKey.content', b64(pem(CERT) + pem(CERT))), /not one PEM certificate or key/],
    ['no PEM block', edit(hashedrekord1(), 'spec.signature.publicKey.content', b64('no pem here')), /not one PEM certificate or key/],
    ['dsse signatures not an array', edit(dsse1(), 'spec.signatures', { signature: b64(SIG) }), /spec\.signatures is missing or not an array/],
    ['a v2 verifier naming neither a certificate nor a key', edit(hashedrekord2(), 'spec.hashedRekordV002.signature.verifier', { keyDetails: 'X' }), /names neither a certificate nor a public key/],
  ];
  for (const [name, body, pattern] of cases) {
    test(name, () => {
      const content = (body.kind === 'hashedrekord' ? message : dsse);
      assert.throws(() => check(body, content), refused(pattern));
    });
  }
});

describe('the body must name the bundle\'s signature, certificate and digest', () => {
  const other = new Uint8Array(randomBytes(32));
  test('another signature, certificate or digest (v1)', () => {
    assert.throws(() => check(edit(hashedrekord1(), 'spec.signature.content', b64(other)), message), refused(/the signature differs/));
    assert.throws(() => check(edit(hashedrekord1(), 'spec.signature.publicKey.content', b64(pem(other))), message), refused(/certificate or key differs/));
    assert.throws(() => check(edit(hashedrekord1(), 'spec.data.hash.value', hex(other)), message), refused(/artifact digest differs/));
  });
  test('the same digest bytes under another algorithm name', () => {
    assert.throws(() => check(edit(hashedrekord1(), 'spec.data.hash.algorithm', 'sha384'), message), refused(/artifact digest algorithm differs \(log: sha384, bundle: sha256\)/));
    assert.throws(() => check(edit(hashedrekord1(), 'spec.data.hash.algorithm', 'md5'), message), refused(/algorithm differs \(log: unknown/));
    assert.throws(() => check(edit(hashedrekord2(), 'spec.hashedRekordV002.data.algorithm', 'SHA2_512'), message), refused(/algorithm differs/));
  });
  test('another public key in a v2 body', () => {
    const key = { ...message, verifier: { kind: 'publicKey' as const, der: CERT } };
    assert.throws(() => check(edit(hashedrekord2(), 'spec.hashedRekordV002.signature.verifier', { publicKey: { rawBytes: b64(other) } }), key), refused(/certificate or key differs/));
  });
});

describe('DSSE entries carry exactly one signature', () => {
  const two = { ...dsse, dsse: { payloadType: PAYLOAD_TYPE, payload: PAYLOAD, signatureCount: 2 } };
  test('an entry with two signatures', () => {
    const sigs = [{ signature: b64(SIG), verifier: b64(pem(CERT)) }, { signature: b64(SIG), verifier: b64(pem(CERT)) }];
    assert.throws(() => check(edit(dsse1(), 'spec.signatures', sigs), dsse), refused(/must each have exactly one signature/));
  });
  test('an envelope with two signatures, against an entry with one', () => {
    for (const body of [dsse1(), dsse2(), intoto2()]) assert.throws(() => check(body, two), refused(/must each have exactly one signature/), String(body.kind));
  });

  test('a DSSE envelope logged as a hashedrekord 0.0.2: the digest is of the PAE', () => {
    const paeDigest = sha('sha256', pae(PAYLOAD_TYPE, PAYLOAD));
    check(hashedrekord2(paeDigest), dsse);
    // The payload's digest (what a dsse entry names) is not what a hashedrekord of the envelope names.
    assert.throws(() => check(hashedrekord2(sha('sha256', PAYLOAD)), dsse), refused(/the envelope digest differs/));
    assert.throws(() => check(hashedrekord2(paeDigest), two), refused(/exactly one signature/));
    // A message signature's hashedrekord names the artifact digest, never a PAE.
    assert.throws(() => check(hashedrekord2(paeDigest), message), refused(/the artifact digest differs/));
  });
});
