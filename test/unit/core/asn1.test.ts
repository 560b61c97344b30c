import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  Asn1Reader,
  MAX_DEPTH,
  TAG,
  contextTag,
  decodeBitFlags,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeNull,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  parseDer,
  withErrorCode,
} from '../../../src/core/asn1.js';
import {
  encodeBitString,
  encodeBoolean,
  encodeGeneralizedTime,
  encodeInteger,
  encodeLength,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../../../src/core/asn1-encode.js';
import { hexDecode, hexEncode, utf8Encode } from '../../../src/core/encoding.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const hex = (h: string) => hexDecode(h.replace(/\s+/g, ''));
const der = (h: string) => parseDer(hex(h));
const tlv = (tag: number, h: string) => parseDer(encodeTlv(tag, hex(h)));

test('parseDer splits a SEQUENCE into views of the input, without copying', () => {
  const input = hex('30 0a 02 01 05 04 03 61 62 63 05 00');
  const root = parseDer(input);
  assert.equal(root.tag, 0x30);
  assert.equal(root.constructed, true);
  assert.equal(root.header, 2);
  assert.equal(root.content.length, 10);
  const [int, oct, nul] = root.children();
  assert.ok(int && oct && nul);
  assert.equal(decodeSmallInteger(int), 5);
  assert.equal(hexEncode(decodeOctetString(oct)), '616263');
  assert.equal(decodeNull(nul), null);
  assert.equal(oct.content.buffer, input.buffer);
  assert.equal(oct.content.byteOffset, input.byteOffset + 7);
  assert.equal(root.children(), root.children(), 'children are parsed once');
});

test('parseDer reads long-form lengths', () => {
  const content = new Uint8Array(300).fill(7);
  const node = parseDer(encodeOctetString(content));
  assert.equal(node.header, 4);
  assert.equal(node.content.length, 300);
});

test('parseDer refuses what is not exactly one DER element', () => {
  const bad: Record<string, string> = {
    empty: '',
    'one byte': '30',
    'trailing bytes': '05 00 00',
    'truncated content': '04 05 61 62',
    'truncated long length': '04 82 01',
    'indefinite length': '30 80 05 00 00 00',
    'long form for a short length': '04 81 05 61 62 63 64 65',
    'leading zero in length': '04 82 00 80' + '00'.repeat(128),
    'length of five octets': '04 85 00 00 00 00 01 00',
    'high tag number': '1f 81 00 00',
    'length past the end': '04 84 7f ff ff ff 00',
  };
  for (const [name, h] of Object.entries(bad)) {
    assert.throws(() => parseDer(hex(h)), code('ERR_ASN1'), name);
  }
  assert.throws(() => parseDer('30 00' as unknown as Uint8Array), TypeError);
});

test('children() checks the inside lazily, and only of constructed nodes', () => {
  const root = der('30 03 04 05 61'); // the child claims more than its parent holds
  assert.throws(() => root.children(), code('ERR_ASN1'));
  assert.throws(() => der('04 01 61').children(), code('ERR_ASN1'));
});

test('nesting deeper than MAX_DEPTH is refused', () => {
  let node = encodeNull();
  for (let i = 0; i < MAX_DEPTH + 2; i++) node = encodeSequence(node);
  let cur = parseDer(node);
  assert.throws(() => {
    for (;;) {
      const next = cur.children()[0];
      assert.ok(next);
      cur = next;
    }
  }, code('ERR_ASN1'));
  let shallow = encodeNull();
  for (let i = 0; i < MAX_DEPTH - 1; i++) shallow = encodeSequence(shallow);
  let walk = parseDer(shallow);
  for (let i = 0; i < MAX_DEPTH - 1; i++) walk = walk.children()[0] ?? assert.fail('missing child');
  assert.equal(walk.tag, TAG.NULL);
});

test('OIDs decode, including big arcs, and refuse non-minimal arcs', () => {
  assert.equal(decodeOid(der('06 09 2a 86 48 86 f7 0d 01 01 0b')), '1.2.840.113549.1.1.11');
  assert.equal(decodeOid(der('06 03 55 1d 11')), '2.5.29.17');
  assert.equal(decodeOid(der('06 0a 2b 06 01 04 01 83 bf 30 01 08')), '1.3.6.1.4.1.57264.1.8');
  const uuid = '2.25.329800735698586629295641978511506172918';
  assert.equal(decodeOid(parseDer(encodeOid(uuid))), uuid);
  assert.equal(decodeOid(parseDer(encodeOid('2.999.3'))), '2.999.3');
  assert.equal(decodeOid(parseDer(encodeOid('0.0'))), '0.0');
  assert.throws(() => decodeOid(der('06 00')), code('ERR_ASN1'));
  assert.throws(() => decodeOid(der('06 03 2a 80 01')), code('ERR_ASN1'), 'leading 0x80 in an arc');
  assert.throws(() => decodeOid(der('06 02 2a 86')), code('ERR_ASN1'), 'ends inside an arc');
  assert.throws(() => decodeOid(der('04 01 2a')), code('ERR_ASN1'), 'wrong tag');
});

test('encodeOid matches asn1js and round-trips random OIDs', () => {
  for (let i = 0; i < 200; i++) {
    const arcs = [Math.floor(Math.random() * 3), Math.floor(Math.random() * 40)];
    const n = 1 + Math.floor(Math.random() * 8);
    for (let j = 0; j < n; j++) arcs.push(Math.floor(Math.random() * 2 ** (1 + Math.floor(Math.random() * 40))));
    const oid = arcs.join('.');
    const ours = encodeOid(oid);
    const theirs = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER());
    assert.equal(hexEncode(ours), hexEncode(theirs), oid);
    assert.equal(decodeOid(parseDer(ours)), oid);
  }
  assert.throws(() => encodeOid('1.40'), TypeError);
  assert.throws(() => encodeOid('3.1'), TypeError);
  assert.throws(() => encodeOid('1.02'), TypeError);
});

test('INTEGERs decode as two’s complement and must be minimal', () => {
  const cases: [string, bigint][] = [
    ['02 01 00', 0n],
    ['02 01 7f', 127n],
    ['02 02 00 80', 128n],
    ['02 01 ff', -1n],
    ['02 01 80', -128n],
    ['02 02 ff 7f', -129n],
    ['02 09 00 ff ff ff ff ff ff ff ff', 2n ** 64n - 1n],
  ];
  for (const [h, v] of cases) {
    assert.equal(decodeInteger(der(h)), v, h);
    assert.equal(hexEncode(encodeInteger(v)), h.replace(/ /g, ''), `encode ${v}`);
  }
  assert.throws(() => decodeInteger(der('02 00')), code('ERR_ASN1'));
  assert.throws(() => decodeInteger(der('02 02 00 7f')), code('ERR_ASN1'));
  assert.throws(() => decodeInteger(der('02 02 ff 80')), code('ERR_ASN1'));
  assert.equal(decodeSmallInteger(der('02 03 01 00 00')), 65536);
  assert.equal(decodeSmallInteger(der('02 02 ff 7f')), -129);
  assert.equal(decodeSmallInteger(parseDer(encodeInteger(2n ** 53n - 1n))), Number.MAX_SAFE_INTEGER);
  assert.throws(() => decodeSmallInteger(parseDer(encodeInteger(2n ** 53n))), code('ERR_ASN1'));
  assert.equal(decodeSmallInteger(tlv(contextTag(0, false), '03 e7'), contextTag(0, false)), 999);
});

test('encodeInteger round-trips random values and agrees with asn1js on non-negative ones', () => {
  for (let i = 0; i < 300; i++) {
    const bytes = randomBytes(1 + Math.floor(Math.random() * 20));
    let v = BigInt(`0x${hexEncode(bytes)}`);
    if (i % 2 === 1) v = -v;
    const ours = encodeInteger(v);
    assert.equal(decodeInteger(parseDer(ours)), v); // decodeInteger refuses non-minimal encodings
    // asn1js mis-encodes some negative values (e.g. -128 as ff80), so only non-negative ones are compared
    if (v >= 0n) assert.equal(hexEncode(ours), hexEncode(new Uint8Array(asn1js.Integer.fromBigInt(v).toBER())), String(v));
  }
});

test('BOOLEAN is DER: one octet, 0x00 or 0xff', () => {
  assert.equal(decodeBoolean(der('01 01 ff')), true);
  assert.equal(decodeBoolean(der('01 01 00')), false);
  assert.throws(() => decodeBoolean(der('01 01 01')), code('ERR_ASN1'));
  assert.throws(() => decodeBoolean(der('01 02 00 00')), code('ERR_ASN1'));
  assert.equal(hexEncode(encodeBoolean(true)), '0101ff');
  assert.throws(() => decodeNull(der('05 01 00')), code('ERR_ASN1'));
});

test('BIT STRINGs: octet-aligned for keys, named bits for KeyUsage, zero padding enforced', () => {
  assert.equal(hexEncode(decodeBitString(der('03 03 00 ab cd'))), 'abcd');
  assert.throws(() => decodeBitString(der('03 02 07 80')), code('ERR_ASN1'), 'not octet-aligned');
  assert.throws(() => decodeBitString(der('03 00')), code('ERR_ASN1'));
  assert.throws(() => decodeBitString(der('03 01 01')), code('ERR_ASN1'));
  assert.throws(() => decodeBitString(der('03 02 08 00')), code('ERR_ASN1'));
  assert.throws(() => decodeBitFlags(der('03 02 07 81')), code('ERR_ASN1'), 'padding bit set');
  assert.equal(decodeBitFlags(der('03 02 07 80')), 0b1, 'digitalSignature');
  assert.equal(decodeBitFlags(der('03 02 01 06')), 0b1100000, 'keyCertSign + cRLSign');
  assert.equal(decodeBitFlags(der('03 03 07 00 80')), 0b1_0000_0000, 'decipherOnly');
  assert.equal(hexEncode(encodeBitString(hex('abcd'))), '030300abcd');
});

test('strings: each type’s alphabet is enforced', () => {
  assert.equal(decodeString(parseDer(encodeUtf8String('héllo ✓'))), 'héllo ✓');
  assert.equal(decodeString(tlv(TAG.PRINTABLE_STRING, '41 2d 7a')), 'A-z');
  assert.equal(decodeString(tlv(TAG.IA5_STRING, '61 40 62')), 'a@b');
  assert.equal(decodeString(tlv(TAG.BMP_STRING, '00 41 00 e9')), 'Aé');
  assert.equal(decodeString(tlv(TAG.UNIVERSAL_STRING, '00 01 f6 00')), '😀');
  assert.equal(decodeString(tlv(TAG.NUMERIC_STRING, '31 20 32')), '1 2');
  assert.equal(decodeString(tlv(TAG.VISIBLE_STRING, '7e')), '~');
  assert.equal(decodeString(tlv(TAG.TELETEX_STRING, 'e9')), 'é');
  assert.throws(() => decodeString(tlv(TAG.UTF8_STRING, 'ff')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.PRINTABLE_STRING, '40')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.IA5_STRING, '80')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.NUMERIC_STRING, '41')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.VISIBLE_STRING, '0a')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.BMP_STRING, '00')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.UNIVERSAL_STRING, '00 11 00 00')), code('ERR_ASN1'));
  assert.throws(() => decodeString(tlv(TAG.OCTET_STRING, '41')), code('ERR_ASN1'));
});

const time = (tag: number, s: string) => parseDer(encodeTlv(tag, utf8Encode(s)));

test('times: UTCTime and GeneralizedTime to epoch milliseconds', () => {
  assert.equal(decodeTime(time(TAG.UTC_TIME, '230615182113Z')), Date.UTC(2023, 5, 15, 18, 21, 13));
  assert.equal(decodeTime(time(TAG.UTC_TIME, '491231235959Z')), Date.UTC(2049, 11, 31, 23, 59, 59));
  assert.equal(decodeTime(time(TAG.UTC_TIME, '500101000000Z')), Date.UTC(1950, 0, 1));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '20250725195304Z')), Date.UTC(2025, 6, 25, 19, 53, 4));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '20250725195304.5Z')), Date.UTC(2025, 6, 25, 19, 53, 4, 500));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '20250725195304.123456Z')), Date.UTC(2025, 6, 25, 19, 53, 4, 123));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '99991231235959Z')), Date.UTC(9999, 11, 31, 23, 59, 59));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '20240229000000Z')), Date.UTC(2024, 1, 29));
  assert.equal(decodeTime(time(TAG.GENERALIZED_TIME, '20000229000000Z')), Date.UTC(2000, 1, 29));
});

test('times: anything but the DER forms is refused', () => {
  const bad: [number, string][] = [
    [TAG.UTC_TIME, '2306151821Z'], // no seconds
    [TAG.UTC_TIME, '230615182113'], // no Z
    [TAG.UTC_TIME, '230615182113+0000'],
    [TAG.UTC_TIME, '23061518211aZ'],
    [TAG.UTC_TIME, '231315182113Z'], // month 13
    [TAG.UTC_TIME, '230631182113Z'], // June 31
    [TAG.UTC_TIME, '230615242113Z'],
    [TAG.UTC_TIME, '230615186013Z'],
    [TAG.UTC_TIME, '230615182160Z'], // leap seconds are not DER times
    [TAG.GENERALIZED_TIME, '20230229000000Z'], // not a leap year
    [TAG.GENERALIZED_TIME, '21000229000000Z'],
    [TAG.GENERALIZED_TIME, '20250725195304.Z'],
    [TAG.GENERALIZED_TIME, '20250725195304.10Z'], // trailing zero
    [TAG.GENERALIZED_TIME, '20250725195304,1Z'],
    [TAG.GENERALIZED_TIME, '20250725195304.1aZ'],
    [TAG.GENERALIZED_TIME, '202507251953Z'],
    [TAG.GENERALIZED_TIME, '20250725195304'],
    [TAG.GENERALIZED_TIME, '20250725195304-0100'],
    [TAG.GENERALIZED_TIME, '20250700195304Z'],
    [TAG.OCTET_STRING, '20250725195304Z'],
  ];
  for (const [tag, s] of bad) assert.throws(() => decodeTime(time(tag, s)), code('ERR_ASN1'), s);
});

test('encodeTime/encodeGeneralizedTime round-trip through decodeTime', () => {
  for (let i = 0; i < 500; i++) {
    const ms = Math.floor(Math.random() * Date.UTC(2200, 0, 1));
    const seconds = Math.floor(ms / 1000) * 1000;
    const t = parseDer(encodeTime(ms));
    assert.equal(t.tag, new Date(ms).getUTCFullYear() < 2050 && new Date(ms).getUTCFullYear() >= 1950 ? TAG.UTC_TIME : TAG.GENERALIZED_TIME);
    assert.equal(decodeTime(t), seconds);
    assert.equal(decodeTime(parseDer(encodeGeneralizedTime(ms))), ms);
  }
  assert.equal(new TextDecoder().decode(parseDer(encodeGeneralizedTime(Date.UTC(2025, 0, 2, 3, 4, 5, 120))).content), '20250102030405.12Z');
});

test('encoders: lengths, TLVs, SETs sorted per DER, strings', () => {
  const lengths: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8180'],
    [255, '81ff'],
    [256, '820100'],
    [65536, '83010000'],
  ];
  for (const [n, h] of lengths) assert.equal(hexEncode(encodeLength(n)), h);
  assert.throws(() => encodeLength(-1), TypeError);
  assert.equal(hexEncode(encodeSequence(encodeNull(), encodeBoolean(false))), '3005050001010' + '0');
  assert.equal(hexEncode(encodeSet(hex('0401ff'), hex('020101'), hex('0400'))), '3108020101040004' + '01ff');
  assert.equal(hexEncode(encodeUtf8String('hi')), '0c026869');
  assert.equal(hexEncode(encodeOctetString(hex('00'))), '040100');
  const big = encodeTlv(TAG.OCTET_STRING, new Uint8Array(70000));
  assert.equal(parseDer(big).content.length, 70000);
});

test('Asn1Reader walks SEQUENCEs with OPTIONAL fields and refuses leftovers', () => {
  const seq = parseDer(encodeSequence(encodeInteger(1), encodeOctetString(hex('aa'))));
  const r = new Asn1Reader(seq, 'Thing');
  assert.equal(r.optional(TAG.BOOLEAN), undefined);
  assert.equal(decodeSmallInteger(r.next(TAG.INTEGER, 'n')), 1);
  assert.equal(r.done, false);
  assert.throws(() => r.end(), code('ERR_ASN1'));
  assert.throws(() => r.next(TAG.INTEGER, 'm'), code('ERR_ASN1'), 'wrong tag');
  r.any('value');
  assert.throws(() => r.next(TAG.INTEGER, 'more'), code('ERR_ASN1'), 'missing');
  r.end();
  assert.throws(() => new Asn1Reader(parseDer(encodeNull()), 'x'), code('ERR_ASN1'));
});

test('withErrorCode gives one code to every failure and keeps the cause', () => {
  assert.equal(withErrorCode('ERR_CERT_INVALID', 'x', () => 5), 5);
  assert.throws(
    () => withErrorCode('ERR_CERT_INVALID', 'cert', () => parseDer(new Uint8Array())),
    (err: unknown) => err instanceof KeylessError && err.code === 'ERR_CERT_INVALID' && err.cause instanceof KeylessError,
  );
  assert.throws(
    () =>
      withErrorCode('ERR_CERT_INVALID', 'cert', () => {
        throw new RangeError('boom');
      }),
    code('ERR_CERT_INVALID'),
  );
});

test('fuzz: random bytes and walks never throw anything but ERR_ASN1', () => {
  const decoders = [decodeOid, decodeInteger, decodeSmallInteger, decodeBoolean, decodeTime, decodeString, decodeBitString, decodeBitFlags];
  const walk = (n: ReturnType<typeof parseDer>, depth: number): void => {
    for (const d of decoders) {
      try {
        d(n);
      } catch (err) {
        assert.ok(err instanceof KeylessError && err.code === 'ERR_ASN1', String(err));
      }
    }
    if (n.constructed && depth < 40) for (const c of n.children()) walk(c, depth + 1);
  };
  for (let i = 0; i < 3000; i++) {
    const bytes = randomBytes(Math.floor(Math.random() * 40));
    if (i % 3 === 0 && bytes.length > 0) bytes[0] = 0x30;
    try {
      walk(parseDer(bytes), 0);
    } catch (err) {
      assert.ok(err instanceof KeylessError && err.code === 'ERR_ASN1', String(err));
    }
  }
});

test('encodeOid hands out a fresh copy of a remembered encoding; a bad OID throws every time', () => {
  const first = encodeOid('1.3.6.1.4.1.57264.1.8');
  assert.equal(hexEncode(first), '060a2b0601040183bf300108');
  first[2] = 0xff;
  assert.equal(hexEncode(encodeOid('1.3.6.1.4.1.57264.1.8')), '060a2b0601040183bf300108');
  assert.notEqual(encodeOid('2.5.29.17'), encodeOid('2.5.29.17'));
  for (let i = 0; i < 2; i++) assert.throws(() => encodeOid('1.3.06'), TypeError);
});

test('encodeTlv: lengths at every size boundary read back, and TLVs cut from the shared chunk never overlap', () => {
  const made = [0, 1, 127, 128, 255, 256, 4096, 4097, 65535, 65536].map((n) => {
    const content = new Uint8Array(n).fill(n % 251);
    const tlv = encodeTlv(TAG.OCTET_STRING, content);
    const node = parseDer(tlv, 'tlv');
    assert.equal(node.tag, TAG.OCTET_STRING);
    assert.deepEqual(node.content, content, `length ${n}`);
    return { tlv, copy: Uint8Array.from(tlv) };
  });
  for (const m of made) m.tlv.fill(0xee); // writing one must not touch another
  for (const [i, m] of made.entries()) {
    assert.ok(m.tlv.every((b) => b === 0xee), `tlv ${i}`);
    for (const other of made) if (other !== m) assert.ok(other.tlv.byteOffset + other.tlv.length <= m.tlv.byteOffset || m.tlv.byteOffset + m.tlv.length <= other.tlv.byteOffset || other.tlv.buffer !== m.tlv.buffer);
  }
  const a = encodeTlv(TAG.SEQUENCE, Uint8Array.of(1, 2, 3));
  const copy = a.slice();
  copy[2] = 9;
  assert.equal(a[2], 1, 'slice() of a TLV is a copy');
});
