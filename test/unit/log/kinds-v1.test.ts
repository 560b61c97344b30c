/**
 * Every rule of the Rekor v1 kinds has a request that breaks it. Bases are valid requests: the v1-message
 * hashedrekord rebuilt from its bundle, and entries signed here with keys made for the test run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { KeylessError } from '../../../src/core/errors.js';
import { pae } from '../../../src/core/dsse.js';
import { canonicalizeV1Entry, LIMITS } from '../../../src/log/kinds/index.js';
import { clone, coded, flipBase64, vector, type Json } from '../../helpers/vectors.js';

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');
const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const body = (json: unknown): Json => JSON.parse(Buffer.from(canonicalizeV1Entry(json).body).toString('utf8'));
const pemOf = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

function problemsOf(fn: () => unknown): { path: string; problem: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_REQUEST') return err.details.problems as { path: string; problem: string }[];
    throw err;
  }
  throw new Error('expected ERR_REQUEST');
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** The hashedrekord sigstore-js sent for v1-message (certificate PEM as Fulcio returned it). */
function messageEntry(): Json {
  const v = vector('v1-message');
  const cert = Buffer.from(v.bundle.verificationMaterial.certificate.rawBytes, 'base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: sha256Hex(v.artifact) } },
      signature: { content: v.bundle.messageSignature.signature, publicKey: { content: b64(pem) } },
    },
  };
}

function keyEntry(message: Buffer, hash: 'sha256' | 'sha384' | 'sha512', keys: { privateKey: KeyObject; publicKey: KeyObject }, pem = pemOf(keys.publicKey)): Json {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: hash, value: createHash(hash).update(message).digest('hex') } },
      signature: { content: b64(sign(hash, message, keys.privateKey)), publicKey: { content: b64(pem) } },
    },
  };
}

interface Signer { privateKey: KeyObject; publicKey: KeyObject }
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');

function dsseSig(signer: Signer, payload = PAYLOAD): string {
  return b64(sign('sha256', pae(PAYLOAD_TYPE, payload), signer.privateKey));
}

function dsseEntry(signers: Signer[], verifiers: Signer[] = signers): Json {
  const envelope = { payload: b64(PAYLOAD), payloadType: PAYLOAD_TYPE, signatures: signers.map((s) => ({ sig: dsseSig(s), keyid: '' })) };
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: verifiers.map((s) => b64(pemOf(s.publicKey))) } },
  };
}

function intotoEntry(signers: Signer[], keys: Signer[] = signers): Json {
  return {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType: PAYLOAD_TYPE,
          payload: b64(b64(PAYLOAD)),
          signatures: signers.map((s, i) => ({ sig: b64(dsseSig(s)), publicKey: b64(pemOf((keys[i] ?? s).publicKey)) })),
        },
        hash: { algorithm: 'sha256', value: sha256Hex('the client says') },
      },
    },
  };
}

describe('Rekor v1 proposed entries', () => {
  test('an unknown kind is unsupported, and the message lists what is', () => {
    const e = { ...messageEntry(), kind: 'rekord' };
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_ENTRY_UNSUPPORTED', /"rekord".*hashedrekord 0\.0\.1, dsse 0\.0\.1, intoto 0\.0\.2/));
  });
  test('an unknown version of a known kind is unsupported', () => {
    assert.throws(() => canonicalizeV1Entry({ ...messageEntry(), apiVersion: '0.0.2' }), coded('ERR_ENTRY_UNSUPPORTED', /hashedrekord apiVersion "0\.0\.2"/));
    assert.throws(() => canonicalizeV1Entry({ ...intotoEntry([p256()]), apiVersion: '0.0.1' }), coded('ERR_ENTRY_UNSUPPORTED'));
  });
  test('kind, apiVersion and spec are required', () => {
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry({})).map((p) => p.path), ['kind', 'apiVersion', 'spec']);
    assert.throws(() => canonicalizeV1Entry('hashedrekord'), coded('ERR_REQUEST'));
    assert.throws(() => canonicalizeV1Entry([messageEntry()]), coded('ERR_REQUEST'));
  });
  test('inherited properties are not read, and only plain objects are', () => {
    assert.throws(() => canonicalizeV1Entry(Object.create(messageEntry())), coded('ERR_REQUEST', /plain JSON object/));
    const sneaky = JSON.parse(`{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"__proto__":${JSON.stringify(messageEntry().spec)}}}`);
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry(sneaky)).map((p) => p.path), ['spec.signature', 'spec.data']);
  });
});

describe('hashedrekord 0.0.1', () => {
  test('the v1-message entry is accepted', () => {
    assert.equal(body(messageEntry()).kind, 'hashedrekord');
    assert.equal('attestation' in canonicalizeV1Entry(messageEntry()), false, 'no attestation');
  });
  test('missing fields are all listed', () => {
    const e = messageEntry();
    e.spec = { signature: {}, data: { hash: {} } };
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry(e)).map((p) => p.path), [
      'spec.signature.content',
      'spec.signature.publicKey',
      'spec.data.hash.algorithm',
    ]);
  });
  test('bad base64 in the signature and the key', () => {
    const e = messageEntry();
    e.spec.signature.content = 'MEUC*IQ==';
    e.spec.signature.publicKey.content = `${e.spec.signature.publicKey.content.slice(0, -4)}A===`;
    const problems = problemsOf(() => canonicalizeV1Entry(e));
    assert.deepEqual(problems.map((p) => p.path), ['spec.signature.content', 'spec.signature.publicKey.content']);
    assert.match(problems[0]?.problem ?? '', /base64/);
  });
  test('URL-safe base64 is not Go StdEncoding', () => {
    const e = messageEntry();
    e.spec.signature.content = Buffer.from(e.spec.signature.content, 'base64').toString('base64url');
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /spec\.signature\.content/));
  });
  test('a hash of the wrong length for its algorithm', () => {
    const e = messageEntry();
    e.spec.data.hash.value = e.spec.data.hash.value.slice(2);
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /spec\.data\.hash\.value: must be 64 hex digits/));
    const f = messageEntry();
    f.spec.data.hash.algorithm = 'sha512';
    assert.throws(() => canonicalizeV1Entry(f), coded('ERR_REQUEST', /must be 128 hex digits/));
  });
  test('an unknown hash algorithm', () => {
    const e = messageEntry();
    e.spec.data.hash.algorithm = 'md5';
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /must be one of sha256, sha384, sha512/));
  });
  test('upper-case hex is refused (the schema documents lower case)', () => {
    const e = messageEntry();
    e.spec.data.hash.value = e.spec.data.hash.value.toUpperCase();
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /lower-case hex/));
  });
  test('a signature by another key', () => {
    const e = messageEntry();
    e.spec.signature.content = b64(sign('sha256', vector('v1-message').artifact, p256().privateKey));
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_SIGNATURE'));
  });
  test('a signature over another digest', () => {
    const e = messageEntry();
    e.spec.data.hash.value = sha256Hex('another artifact');
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_SIGNATURE'));
    const f = messageEntry();
    f.spec.signature.content = flipBase64(f.spec.signature.content, 10);
    assert.throws(() => canonicalizeV1Entry(f), coded('ERR_SIGNATURE'));
  });
  test('P-384 over SHA-384 and RSA over SHA-512 are accepted; the key is stored as canonical PEM', () => {
    const message = Buffer.from('artifact');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const sloppy = pemOf(p384.publicKey).replace(/\n/g, '\r\n').trimEnd();
    const stored = body(keyEntry(message, 'sha384', p384, `\n  ${sloppy}  \n`));
    assert.equal(Buffer.from(stored.spec.signature.publicKey.content, 'base64').toString(), pemOf(p384.publicKey));
    assert.equal(stored.spec.data.hash.algorithm, 'sha384');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.equal(body(keyEntry(message, 'sha512', rsa)).spec.data.hash.algorithm, 'sha512');
  });
  test('keys we cannot check over a digest, or do not accept, are ERR_KEY_UNSUPPORTED', () => {
    const message = Buffer.from('artifact');
    const ed = generateKeyPairSync('ed25519');
    const e = keyEntry(message, 'sha256', p256(), pemOf(ed.publicKey));
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_KEY_UNSUPPORTED', /ed25519/));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => canonicalizeV1Entry(keyEntry(message, 'sha256', small)), coded('ERR_KEY_UNSUPPORTED', /RSA keys must have/));
  });
  test('a certificate chain, or no PEM at all, is a malformed key', () => {
    const e = messageEntry();
    const pem = Buffer.from(e.spec.signature.publicKey.content, 'base64').toString();
    e.spec.signature.publicKey.content = b64(pem + pem);
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /chains are not accepted/));
    e.spec.signature.publicKey.content = b64('not a key');
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /is not PEM/));
  });
  test('a key over 16 KiB is refused before it is decoded', () => {
    const e = messageEntry();
    e.spec.signature.publicKey.content = b64(Buffer.alloc(LIMITS.keyBytes + 1, 0x41));
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /publicKey\.content: must be at most/));
  });
});

describe('dsse 0.0.1', () => {
  test('signatures are stored sorted by their text, each with the key that verified it', () => {
    const [a, b] = [p256(), p256()];
    const stored = body(dsseEntry([a, b], [b, a]));
    const sigs = stored.spec.signatures.map((s: Json) => s.signature);
    assert.deepEqual(sigs, [...sigs].sort());
    assert.equal(sigs.length, 2);
    assert.ok(stored.spec.proposedContent === undefined);
    for (const s of stored.spec.signatures) {
      const key = Buffer.from(s.verifier, 'base64').toString();
      assert.ok(verify('sha256', pae(PAYLOAD_TYPE, PAYLOAD), key, Buffer.from(s.signature, 'base64')), 'each signature names its own key');
    }
  });
  test('the DSSE payload is kept as the attestation, not in the body', () => {
    const entry = canonicalizeV1Entry(dsseEntry([p256()]));
    assert.deepEqual(Buffer.from(entry.attestation ?? []), PAYLOAD);
    assert.ok(!Buffer.from(entry.body).includes(b64(PAYLOAD)));
  });
  test('a payload over the attestation limit is logged without an attestation', () => {
    const a = p256();
    const big = Buffer.alloc(LIMITS.attestationBytes + 1, 0x20);
    const envelope = { payload: b64(big), payloadType: PAYLOAD_TYPE, signatures: [{ sig: dsseSig(a, big), keyid: '' }] };
    const e = dsseEntry([a]);
    e.spec.proposedContent.envelope = JSON.stringify(envelope);
    const entry = canonicalizeV1Entry(e);
    assert.equal(entry.attestation, undefined);
    assert.equal(JSON.parse(Buffer.from(entry.body).toString()).spec.payloadHash.value, sha256Hex(big));
    const atLimit = big.subarray(1);
    e.spec.proposedContent.envelope = JSON.stringify({ ...envelope, payload: b64(atLimit), signatures: [{ sig: dsseSig(a, atLimit), keyid: '' }] });
    assert.equal(canonicalizeV1Entry(e).attestation?.byteLength, LIMITS.attestationBytes);
  });
  test('server-computed fields in a proposal are refused', () => {
    const e = dsseEntry([p256()]);
    e.spec.envelopeHash = { algorithm: 'sha256', value: sha256Hex('x') };
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /spec\.envelopeHash: is computed by the log/));
  });
  test('an envelope that is not JSON, or lacks its parts', () => {
    const e = dsseEntry([p256()]);
    e.spec.proposedContent.envelope = '{"payload":';
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /envelope: is not JSON/));
    e.spec.proposedContent.envelope = '{}';
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry(e)).map((p) => p.path.replace('spec.proposedContent.envelope', 'env')), [
      'env.payloadType',
      'env.payload',
      'env.signatures',
    ]);
  });
  test('more than the allowed signatures or verifiers', () => {
    const signers = Array.from({ length: LIMITS.dsseSignatures + 1 }, p256);
    assert.throws(() => canonicalizeV1Entry(dsseEntry(signers)), coded('ERR_REQUEST', /signatures: must have at most 10 items/));
  });
  test('a verifier that verifies no signature', () => {
    assert.throws(() => canonicalizeV1Entry(dsseEntry([p256()], [p256()])), coded('ERR_SIGNATURE', /verifies no signature/));
  });
  test('a signature that no verifier verifies', () => {
    const [a, b] = [p256(), p256()];
    assert.throws(() => canonicalizeV1Entry(dsseEntry([a, b], [a])), coded('ERR_SIGNATURE', /signature 1 .* not verified/));
  });
  test('the same key twice', () => {
    const a = p256();
    assert.throws(() => canonicalizeV1Entry(dsseEntry([a], [a, a])), coded('ERR_REQUEST', /verifiers\[1\]: names the same key as/));
  });
  test('a payload changed after signing', () => {
    const e = dsseEntry([p256()]);
    const env = JSON.parse(e.spec.proposedContent.envelope);
    env.payload = b64('{"_type":"something else"}');
    e.spec.proposedContent.envelope = JSON.stringify(env);
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_SIGNATURE'));
  });
  test('a repeated signature counts once', () => {
    const a = p256();
    const e = dsseEntry([a]);
    const env = JSON.parse(e.spec.proposedContent.envelope);
    env.signatures.push(env.signatures[0]);
    e.spec.proposedContent.envelope = JSON.stringify(env);
    assert.equal(body(e).spec.signatures.length, 1);
  });
  test('a verifier that is not base64 PEM', () => {
    const e = dsseEntry([p256()]);
    e.spec.proposedContent.verifiers = ['%%%', b64('nope')];
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry(e)).map((p) => p.path), ['spec.proposedContent.verifiers[0]', 'spec.proposedContent.verifiers[1]']);
  });
});

describe('intoto 0.0.2', () => {
  test('stores signatures and keys as sent, payload hash computed, payload dropped', () => {
    const a = p256();
    const e = intotoEntry([a]);
    const stored = body(e).spec.content;
    assert.deepEqual(stored.envelope.signatures, e.spec.content.envelope.signatures);
    assert.equal(stored.payloadHash.value, sha256Hex(PAYLOAD));
    assert.deepEqual(stored.hash, e.spec.content.hash);
    assert.equal(stored.envelope.payload, undefined);
    assert.deepEqual(Buffer.from(canonicalizeV1Entry(e).attestation ?? []), PAYLOAD, 'kept as the attestation instead');
  });
  test('a keyid is kept when it is not empty, and dropped when it is', () => {
    const e = intotoEntry([p256()]);
    e.spec.content.envelope.signatures[0].keyid = '';
    assert.equal(body(e).spec.content.envelope.signatures[0].keyid, undefined);
    e.spec.content.envelope.signatures[0].keyid = 'k1';
    assert.equal(body(e).spec.content.envelope.signatures[0].keyid, 'k1');
  });
  test('a signature encoded once instead of twice', () => {
    const e = intotoEntry([p256()]);
    e.spec.content.envelope.signatures[0].sig = Buffer.from(e.spec.content.envelope.signatures[0].sig, 'base64').toString();
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /signatures\[0\]\.sig \(decoded\)/));
  });
  test('the envelope hash is required', () => {
    const e = intotoEntry([p256()]);
    delete e.spec.content.hash;
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_REQUEST', /spec\.content\.hash: is required/));
  });
  test('each signature must verify with its own key', () => {
    const [a, b] = [p256(), p256()];
    assert.throws(() => canonicalizeV1Entry(intotoEntry([a, b], [b, a])), coded('ERR_SIGNATURE', /its own publicKey/));
  });
  test('a signature by a key other than the one sent', () => {
    assert.throws(() => canonicalizeV1Entry(intotoEntry([p256()], [p256()])), coded('ERR_SIGNATURE'));
  });
  test('a payload changed after signing', () => {
    const e = intotoEntry([p256()]);
    e.spec.content.envelope.payload = b64(b64('other'));
    assert.throws(() => canonicalizeV1Entry(e), coded('ERR_SIGNATURE'));
  });
  test('missing payloadType and signatures are listed together', () => {
    const e = intotoEntry([p256()]);
    delete e.spec.content.envelope.payloadType;
    e.spec.content.envelope.signatures = [];
    assert.deepEqual(problemsOf(() => canonicalizeV1Entry(clone(e))).map((p) => p.path), [
      'spec.content.envelope.payloadType',
      'spec.content.envelope.signatures',
    ]);
  });
});
