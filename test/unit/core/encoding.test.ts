import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Decode, base64Encode, hexDecode, pemDecode, pemEncode, utf8Decode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

test('base64 accepts standard and URL-safe alphabets, padded or not', () => {
  assert.deepEqual([...base64Decode('+/8=')], [0xfb, 0xff]);
  assert.deepEqual([...base64Decode('-_8')], [0xfb, 0xff]);
  assert.equal(base64Encode(base64Decode('aGVsbG8=')), 'aGVsbG8=');
});

test('base64 ignores CR and LF, as the base64 tool writes them (76 columns), and nothing else', () => {
  const long = Buffer.from('x'.repeat(100));
  const wrapped = long.toString('base64').replace(/.{76}/g, '$&\n');
  assert.ok(wrapped.includes('\n'));
  assert.deepEqual(Buffer.from(base64Decode(wrapped)), long);
  assert.deepEqual(Buffer.from(base64Decode(wrapped.replace(/\n/g, '\r\n'))), long);
  assert.deepEqual([...base64Decode('+/\r\n8=')], [0xfb, 0xff]);
  assert.throws(() => base64Decode('+/ 8='), code('ERR_ENCODING'));
  assert.throws(() => base64Decode('+/\t8='), code('ERR_ENCODING'));
  assert.throws(() => base64Decode('aGVs\nbG8\n=='), code('ERR_ENCODING'));
});

test('base64 refuses characters outside the alphabet and impossible lengths', () => {
  assert.throws(() => base64Decode('aGVs*G8='), code('ERR_ENCODING'));
  assert.throws(() => base64Decode('a'), code('ERR_ENCODING'));
  assert.throws(() => base64Decode('+_8='), code('ERR_ENCODING'));
  assert.throws(() => base64Decode('aGVsbG8=='), code('ERR_ENCODING'));
});

test('hex and UTF-8 decoding are strict', () => {
  assert.throws(() => hexDecode('abc'), code('ERR_ENCODING'));
  assert.throws(() => hexDecode('zz'), code('ERR_ENCODING'));
  assert.throws(() => utf8Decode(new Uint8Array([0xff])), code('ERR_ENCODING'));
});

test('PEM round-trips and wants exactly one block', () => {
  const der = new Uint8Array(100).fill(7);
  assert.deepEqual([...pemDecode(pemEncode(der, 'CERTIFICATE'), 'CERTIFICATE')], [...der]);
  assert.throws(() => pemDecode('nothing here', 'CERTIFICATE'), code('ERR_ENCODING'));
});
