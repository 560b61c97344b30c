import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

test('RFC 8785 §3.2.2 example: literals, numbers and string escapes', () => {
  const input = JSON.parse(String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`) as unknown;
  assert.equal(
    canonicalize(input),
    String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
  );
});

test('RFC 8785 §3.2.3 example: properties sorted by UTF-16 code units', () => {
  const input = JSON.parse(String.raw`{
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }`) as unknown;
  assert.equal(
    canonicalize(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('RFC 8785 Appendix B number serialization samples', () => {
  const f64 = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0);
  const samples: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, text] of samples) assert.equal(canonicalize(f64(bits)), text, bits);
  assert.throws(() => canonicalize(f64('7fffffffffffffff')), code('ERR_JSON'));
  assert.throws(() => canonicalize(f64('7ff0000000000000')), code('ERR_JSON'));
});

test('Rekor SET payload shape canonicalizes with sorted keys and no whitespace', () => {
  const payload = { logIndex: 1, logID: 'c0d2', integratedTime: 1700000000, body: 'eyJh' };
  assert.equal(canonicalize(payload), '{"body":"eyJh","integratedTime":1700000000,"logID":"c0d2","logIndex":1}');
  assert.equal(canonicalize({ a: undefined, b: [] , c: {} }), '{"b":[],"c":{}}');
  assert.equal(canonicalize(Object.assign(Object.create(null) as object, { z: 1, a: 2 })), '{"a":2,"z":1}');
});

test('values JSON cannot carry are refused', () => {
  assert.throws(() => canonicalize({ s: 'x\ud800' }), code('ERR_JSON'));
  assert.throws(() => canonicalize({ ['\udc00']: 1 }), code('ERR_JSON'));
  assert.throws(() => canonicalize(Infinity), code('ERR_JSON'));
  assert.throws(() => canonicalize(undefined), TypeError);
  assert.throws(() => canonicalize(1n), TypeError);
  assert.throws(() => canonicalize([undefined]), TypeError);
  assert.throws(() => canonicalize(new Date(0)), TypeError);
  assert.throws(() => canonicalize(new Uint8Array(1)), TypeError);
  assert.equal(canonicalize('😀'), '"😀"');
});
