import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeInteger, encodeNull, encodeOctetString, encodeOid } from '../../../src/core/asn1-encode.js';
import { KeylessError } from '../../../src/core/errors.js';
import { OID } from '../../../src/core/oids.js';
import { MAX_NONCE_BYTES, MAX_REQUEST_BYTES, parseTimestampRequest } from '../../../src/tsa/request.js';
import { timestampQueryFromJson } from '../../../src/tsa/json-request.js';
import { DEFAULT_TSA_POLICY } from '../../../src/tsa/authority.js';
import { DATA, code, encodeRequest, sha256 } from './helpers.js';

const parse = (der: Uint8Array) => parseTimestampRequest(der, DEFAULT_TSA_POLICY);

/** The request is refused with ERR_REQUEST and `pattern` among the reasons. */
function refused(der: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parse(der), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_REQUEST' && pattern.test(err.message));
}

test('a minimal request parses to its imprint, with certReq false and no nonce or policy', () => {
  const req = parse(encodeRequest());
  assert.equal(req.hashAlgorithm, 'sha256');
  assert.deepEqual(req.hashedMessage, sha256(DATA));
  assert.equal(req.certReq, false);
  assert.equal(req.nonce, undefined);
  assert.equal(req.policy, undefined);
});

test('every accepted field is read: SHA-384/512, NULL parameters, our policy, nonce, certReq', () => {
  for (const [oid, length, name] of [[OID.sha384, 48, 'sha384'], [OID.sha512, 64, 'sha512']] as const) {
    const req = parse(encodeRequest({ hashOid: oid, digest: new Uint8Array(length).fill(7), params: encodeNull(), policy: DEFAULT_TSA_POLICY, nonce: 42n, certReq: true }));
    assert.equal(req.hashAlgorithm, name);
    assert.equal(req.policy, DEFAULT_TSA_POLICY);
    assert.deepEqual(req.nonce, encodeInteger(42n));
    assert.equal(req.certReq, true);
  }
});

test('an explicit certReq FALSE (BER, but what Go reads) is accepted as false', () => {
  assert.equal(parse(encodeRequest({ certReq: 'explicit-false' })).certReq, false);
});

test('nonces beyond any JS number are kept as their exact DER, negative ones too', () => {
  const big = (1n << 159n) + 12345n; // 160 bits, the high bit set: DER adds a 0x00 octet
  assert.deepEqual(parse(encodeRequest({ nonce: big })).nonce, encodeInteger(big));
  assert.deepEqual(parse(encodeRequest({ nonce: -5n })).nonce, encodeInteger(-5n));
  const max = (1n << BigInt(MAX_NONCE_BYTES * 8 - 1)) - 1n;
  assert.deepEqual(parse(encodeRequest({ nonce: max })).nonce, encodeInteger(max));
});

test('refused: not DER, trailing bytes, truncated, wrong outer type', () => {
  refused(new TextEncoder().encode('{"artifactHash":"x"}'), /cannot parse TimeStampReq/);
  const der = encodeRequest();
  refused(Uint8Array.from([...der, 0]), /trailing bytes/);
  refused(der.subarray(0, der.length - 1), /cannot parse TimeStampReq/);
  refused(encodeInteger(1), /cannot parse TimeStampReq/);
  refused(new Uint8Array(0), /cannot parse TimeStampReq/);
});

test('refused: a version other than 1', () => {
  refused(encodeRequest({ version: 2 }), /version must be 1, got 2/);
  refused(encodeRequest({ version: 0 }), /version must be 1, got 0/);
  refused(encodeRequest({ version: 1n << 80n }), /version must be 1/);
});

test('refused: unknown or weak hash algorithms', () => {
  refused(encodeRequest({ hashOid: '1.3.14.3.2.26', digest: new Uint8Array(20) }), /unsupported hash algorithm 1\.3\.14\.3\.2\.26/); // SHA-1
  refused(encodeRequest({ hashOid: '1.2.840.113549.2.5', digest: new Uint8Array(16) }), /unsupported hash algorithm/); // MD5
});

test('refused: a digest whose length does not fit its algorithm', () => {
  refused(encodeRequest({ digest: new Uint8Array(31) }), /hashedMessage is 31 bytes, a sha256 digest is 32/);
  refused(encodeRequest({ hashOid: OID.sha512, digest: sha256(DATA) }), /hashedMessage is 32 bytes, a sha512 digest is 64/);
  refused(encodeRequest({ digest: new Uint8Array(0) }), /hashedMessage is 0 bytes/);
});

test('refused: a policy this TSA does not serve', () => {
  refused(encodeRequest({ policy: '1.2.3.4.5' }), /policy 1\.2\.3\.4\.5 is not served here/);
  assert.equal(parseTimestampRequest(encodeRequest({ policy: '1.2.3.4.5' }), '1.2.3.4.5').policy, '1.2.3.4.5');
});

test('refused: request extensions', () => {
  refused(encodeRequest({ extensions: true }), /extensions are not supported/);
});

test('refused: fields after the last known one, and out of order', () => {
  refused(encodeRequest({ nonce: 1n, certReq: true, extra: encodeOctetString(Uint8Array.of(1)) }), /unexpected extra elements/);
  refused(encodeRequest({ certReq: true, extra: encodeInteger(9) }), /unexpected extra elements/); // nonce after certReq
  refused(encodeRequest({ nonce: 1n, extra: encodeInteger(9) }), /unexpected extra elements/); // two nonces
});

test('refused: nonces over the limit, hash parameters other than NULL', () => {
  refused(encodeRequest({ nonce: 1n << BigInt(MAX_NONCE_BYTES * 8) }), /nonce of \d+ bytes is over/);
  refused(encodeRequest({ params: encodeOid('1.2.3') }), /parameters must be absent or NULL/);
});

test('every problem is reported at once', () => {
  try {
    parse(encodeRequest({ version: 3, digest: new Uint8Array(5), policy: '1.2.3', extensions: true }));
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof KeylessError && err.code === 'ERR_REQUEST');
    assert.equal((err.details['problems'] as string[]).length, 4);
  }
});

test('oversize requests are ERR_TOO_LARGE before any parsing', () => {
  assert.throws(() => parse(new Uint8Array(MAX_REQUEST_BYTES + 1)), code('ERR_TOO_LARGE'));
  // a well-formed request just over the limit, so the check cannot be the parser's
  const big = encodeRequest({ extra: new Uint8Array(MAX_REQUEST_BYTES) });
  assert.throws(() => parse(big), code('ERR_TOO_LARGE'));
  assert.throws(() => parse('not bytes' as unknown as Uint8Array), TypeError);
});

test('parsed fields are copies, not views of the request buffer', () => {
  const der = encodeRequest({ nonce: 77n });
  const req = parse(der);
  der.fill(0);
  assert.deepEqual(req.hashedMessage, sha256(DATA));
  assert.deepEqual(req.nonce, encodeInteger(77n));
});

// --- the JSON form sigstore-js sends -------------------------------------------------------------------------

test('JSON requests become the equivalent DER request', () => {
  const artifactHash = Buffer.from(sha256(DATA)).toString('base64');
  const der = timestampQueryFromJson(JSON.stringify({ artifactHash, hashAlgorithm: 'SHA256' }));
  assert.deepEqual(der, encodeRequest());
  const full = timestampQueryFromJson(
    new TextEncoder().encode(JSON.stringify({ artifactHash, hashAlgorithm: 'sha256', certificates: true, nonce: 1234, tsaPolicyOID: DEFAULT_TSA_POLICY, extra: 1 })),
  );
  assert.deepEqual(full, encodeRequest({ policy: DEFAULT_TSA_POLICY, nonce: 1234n, certReq: true }));
});

test('JSON requests of the wrong shape are refused with every problem', () => {
  const bad = (body: string, pattern: RegExp) =>
    assert.throws(() => timestampQueryFromJson(body), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_REQUEST' && pattern.test(err.message));
  bad('not json', /not JSON/);
  bad('[1]', /JSON object/);
  bad('{"hashAlgorithm":"sha1","artifactHash":"AAAA"}', /hashAlgorithm must be/);
  bad('{"hashAlgorithm":"sha256"}', /artifactHash must be/);
  bad('{"hashAlgorithm":"sha256","artifactHash":"@@@"}', /not base64/);
  bad('{"hashAlgorithm":"sha256","artifactHash":"AAAA","nonce":12345678901234567890}', /nonce must be an integer/);
  bad('{"hashAlgorithm":"sha256","artifactHash":"AAAA","tsaPolicyOID":"x.y"}', /tsaPolicyOID/);
  bad('{"hashAlgorithm":"sha256","artifactHash":"AAAA","certificates":"yes"}', /certificates must be a boolean/);
  assert.throws(() => timestampQueryFromJson('x'.repeat(MAX_REQUEST_BYTES + 1)), code('ERR_TOO_LARGE'));
  // a digest of the wrong length gets through JSON and is refused by the one DER parser
  assert.throws(() => parse(timestampQueryFromJson('{"hashAlgorithm":"sha256","artifactHash":"AAAA"}')), /hashedMessage is 3 bytes/);
});
