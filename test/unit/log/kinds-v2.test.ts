/**
 * Every rule of the Rekor v2 kinds has a request that breaks it. Bases: the v2-message request rebuilt from its
 * bundle (protojson as sigstore-js sends it), and DSSE requests signed here with keys made for the test run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { KeylessError } from '../../../src/core/errors.js';
import { pae } from '../../../src/core/dsse.js';
import { canonicalizeV2Request, LIMITS } from '../../../src/log/kinds/index.js';
import { coded, flipBase64, vector, type Json } from '../../helpers/vectors.js';

const b64 = (data: Buffer | Uint8Array | string): string => Buffer.from(data).toString('base64');
const body = (json: unknown): Json => JSON.parse(Buffer.from(canonicalizeV2Request(json).body).toString('utf8'));
const spki = (key: KeyObject): string => b64(key.export({ type: 'spki', format: 'der' }));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_REQUEST') return (err.details.problems as { path: string }[]).map((p) => p.path);
    throw err;
  }
  throw new Error('expected ERR_REQUEST');
}

function messageRequest(): Json {
  const v = vector('v2-message');
  return {
    hashedRekordRequestV002: {
      digest: v.bundle.messageSignature.messageDigest.digest,
      signature: {
        content: v.bundle.messageSignature.signature,
        verifier: { keyDetails: 'PKIX_ECDSA_P256_SHA_256', x509Certificate: { rawBytes: v.bundle.verificationMaterial.certificate.rawBytes } },
      },
    },
  };
}

interface Signer { privateKey: KeyObject; publicKey: KeyObject }
const p256 = (): Signer => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');

/** `hash` is what each signer hashes the PAE with ('none' for pure Ed25519). */
function dsseRequest(signers: { s: Signer; hash?: string; details?: string }[], verifiers = signers): Json {
  return {
    dsseRequestV002: {
      envelope: {
        payload: b64(PAYLOAD),
        payloadType: PAYLOAD_TYPE,
        signatures: signers.map(({ s, hash }) => ({ sig: b64(sign(hash === 'none' ? null : hash ?? 'sha256', pae(PAYLOAD_TYPE, PAYLOAD), s.privateKey)), keyid: '' })),
      },
      verifiers: verifiers.map(({ s, details }) => ({ keyDetails: details ?? 'PKIX_ECDSA_P256_SHA_256', publicKey: { rawBytes: spki(s.publicKey) } })),
    },
  };
}

describe('Rekor v2 CreateEntryRequest', () => {
  test('no known entry type is unsupported, and the message lists the supported ones', () => {
    assert.throws(() => canonicalizeV2Request({ intotoRequestV002: {} }), coded('ERR_ENTRY_UNSUPPORTED', /intotoRequestV002.*hashedRekordRequestV002.*dsseRequestV002/));
    assert.throws(() => canonicalizeV2Request({}), coded('ERR_ENTRY_UNSUPPORTED'));
  });
  test('two entry types at once, or not an object', () => {
    const r = { ...messageRequest(), ...dsseRequest([{ s: p256() }]) };
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /only one entry type/));
    assert.throws(() => canonicalizeV2Request(null), coded('ERR_REQUEST'));
    assert.throws(() => canonicalizeV2Request(Object.create(messageRequest())), coded('ERR_REQUEST'));
  });
});

describe('hashedrekord 0.0.2', () => {
  test('proto field names and URL-safe unpadded base64 store the same bytes as protojson names', () => {
    const r = messageRequest().hashedRekordRequestV002;
    const snake = {
      hashed_rekord_request_v002: {
        digest: Buffer.from(r.digest, 'base64').toString('base64url'),
        signature: {
          content: r.signature.content,
          verifier: { key_details: 5, x509_certificate: { raw_bytes: r.signature.verifier.x509Certificate.rawBytes } },
        },
      },
    };
    assert.deepEqual(canonicalizeV2Request(snake).body, canonicalizeV2Request(messageRequest()).body);
  });
  test('missing fields are all listed', () => {
    assert.deepEqual(problemsOf(() => canonicalizeV2Request({ hashedRekordRequestV002: { signature: {} } })), [
      'hashedRekordRequestV002.digest',
      'hashedRekordRequestV002.signature.content',
      'hashedRekordRequestV002.signature.verifier',
    ]);
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier = { keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
    assert.deepEqual(problemsOf(() => canonicalizeV2Request(r)), ['hashedRekordRequestV002.signature.verifier']);
  });
  test('keyDetails that do not describe the key', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier.keyDetails = 'PKIX_ECDSA_P384_SHA_384';
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /keyDetails: PKIX_ECDSA_P384_SHA_384 does not describe the ecdsa-p256 key/));
    r.hashedRekordRequestV002.signature.verifier.keyDetails = 'PKIX_RSA_PKCS1V15_2048_SHA256';
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /does not describe/));
  });
  test('keyDetails that are not a value, missing, or not accepted', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier.keyDetails = 'P256';
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /is not a PublicKeyDetails value/));
    delete r.hashedRekordRequestV002.signature.verifier.keyDetails;
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /keyDetails: is required/));
    r.hashedRekordRequestV002.signature.verifier.keyDetails = 'PKIX_RSA_PSS_2048_SHA256';
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_KEY_UNSUPPORTED', /PKIX_RSA_PSS_2048_SHA256/));
    r.hashedRekordRequestV002.signature.verifier.keyDetails = 'PKIX_ED25519';
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /does not describe/));
  });
  test('a digest of the wrong length for the key details', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.digest = b64(Buffer.alloc(31, 1));
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /digest: must be 32 bytes for PKIX_ECDSA_P256_SHA_256, has 31/));
  });
  test('bad base64', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.content = 'MEUC!';
    assert.deepEqual(problemsOf(() => canonicalizeV2Request(r)), ['hashedRekordRequestV002.signature.content']);
  });
  test('both a public key and a certificate', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier.publicKey = { rawBytes: spki(p256().publicKey) };
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /only one of publicKey and x509Certificate/));
  });
  test('a signature by another key, or over another digest', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.content = b64(sign('sha256', vector('v2-message').artifact, p256().privateKey));
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_SIGNATURE'));
    const s = messageRequest();
    s.hashedRekordRequestV002.digest = flipBase64(s.hashedRekordRequestV002.digest, 0);
    assert.throws(() => canonicalizeV2Request(s), coded('ERR_SIGNATURE'));
  });
  test('a P-384 public key signs SHA-384 digests, and the entry says SHA2_384', () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const artifact = Buffer.from('artifact');
    const stored = body({
      hashedRekordRequestV002: {
        digest: b64(createHash('sha384').update(artifact).digest()),
        signature: { content: b64(sign('sha384', artifact, k.privateKey)), verifier: { keyDetails: 12, publicKey: { rawBytes: spki(k.publicKey) } } },
      },
    });
    assert.equal(stored.spec.hashedRekordV002.data.algorithm, 'SHA2_384');
    assert.equal(stored.spec.hashedRekordV002.signature.verifier.keyDetails, 'PKIX_ECDSA_P384_SHA_384');
    assert.equal(stored.spec.hashedRekordV002.signature.verifier.publicKey.rawBytes, spki(k.publicKey));
  });
  test('a certificate over 16 KiB is refused', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier.x509Certificate.rawBytes = b64(Buffer.alloc(LIMITS.keyBytes + 1));
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /rawBytes: must be at most/));
  });
  test('a certificate that is not DER', () => {
    const r = messageRequest();
    r.hashedRekordRequestV002.signature.verifier.x509Certificate.rawBytes = b64('hello');
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_REQUEST', /not a valid DER certificate/));
  });
});

describe('dsse 0.0.2', () => {
  test('signatures are stored sorted by their bytes with the verifier that verified each', () => {
    const [a, b] = [p256(), p256()];
    const stored = body(dsseRequest([{ s: a }, { s: b }], [{ s: b }, { s: a }])).spec.dsseV002;
    const sigs = stored.signatures.map((s: Json) => Buffer.from(s.content, 'base64'));
    assert.equal(sigs.length, 2);
    assert.ok(Buffer.compare(sigs[0], sigs[1]) < 0);
    assert.equal(stored.payloadHash.algorithm, 'SHA2_256');
    assert.equal(stored.payloadHash.digest, b64(createHash('sha256').update(PAYLOAD).digest()));
  });
  test('each verifier verifies with the hash its keyDetails name', () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const ok = dsseRequest([{ s: k, hash: 'sha384', details: 'PKIX_ECDSA_P384_SHA_384' }]);
    assert.equal(body(ok).spec.dsseV002.signatures.length, 1);
    const wrongHash = dsseRequest([{ s: k, hash: 'sha256', details: 'PKIX_ECDSA_P384_SHA_384' }]);
    assert.throws(() => canonicalizeV2Request(wrongHash), coded('ERR_SIGNATURE'));
    const ed = generateKeyPairSync('ed25519');
    const pure = dsseRequest([{ s: ed, hash: 'none', details: 'PKIX_ED25519' }]);
    assert.equal(body(pure).spec.dsseV002.signatures[0].verifier.keyDetails, 'PKIX_ED25519');
  });
  test('keyDetails that do not describe the key', () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.throws(() => canonicalizeV2Request(dsseRequest([{ s: k }])), coded('ERR_REQUEST', /verifiers\[0\]\.keyDetails: PKIX_ECDSA_P256_SHA_256 does not describe/));
  });
  test('more than 10 verifiers, none, or an empty signature', () => {
    const a = p256();
    const many = dsseRequest([{ s: a }], Array.from({ length: LIMITS.dsseVerifiers + 1 }, () => ({ s: p256() })));
    assert.throws(() => canonicalizeV2Request(many), coded('ERR_REQUEST', /verifiers: must have at most 10/));
    const none = dsseRequest([{ s: a }], []);
    assert.throws(() => canonicalizeV2Request(none), coded('ERR_REQUEST', /verifiers: must not be empty/));
    const empty = dsseRequest([{ s: a }]);
    empty.dsseRequestV002.envelope.signatures[0].sig = '';
    assert.throws(() => canonicalizeV2Request(empty), coded('ERR_REQUEST', /sig: must not be empty/));
  });
  test('a verifier that verifies nothing, and a signature nobody verifies', () => {
    assert.throws(() => canonicalizeV2Request(dsseRequest([{ s: p256() }], [{ s: p256() }])), coded('ERR_SIGNATURE', /verifies no signature/));
    const [a, b] = [p256(), p256()];
    assert.throws(() => canonicalizeV2Request(dsseRequest([{ s: a }, { s: b }], [{ s: a }])), coded('ERR_SIGNATURE', /not verified by any verifier/));
  });
  test('the same key twice', () => {
    const a = p256();
    assert.throws(() => canonicalizeV2Request(dsseRequest([{ s: a }], [{ s: a }, { s: a }])), coded('ERR_REQUEST', /names the same key/));
  });
  test('a payload changed after signing', () => {
    const r = dsseRequest([{ s: p256() }]);
    r.dsseRequestV002.envelope.payload = b64('{}');
    assert.throws(() => canonicalizeV2Request(r), coded('ERR_SIGNATURE'));
  });
  test('a missing envelope and verifiers are listed together', () => {
    assert.deepEqual(problemsOf(() => canonicalizeV2Request({ dsseRequestV002: {} })), ['dsseRequestV002.envelope', 'dsseRequestV002.verifiers']);
  });
});
