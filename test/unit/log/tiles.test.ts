import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TILE_HEIGHT,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  parseTilePath,
  tileIndexPath,
  tilePath,
  tileWidth,
} from '../../../src/log/tiles.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;

test('tile geometry is 256 hashes, height 8', () => {
  assert.equal(TILE_WIDTH, 256);
  assert.equal(TILE_HEIGHT, 8);
  assert.equal(2 ** TILE_HEIGHT, TILE_WIDTH);
});

test('tile index paths follow the spec example and pad every element to three digits', () => {
  // "For example, index 1234067 will be encoded as `x001/x234/067`."
  assert.equal(tileIndexPath(1234067), 'x001/x234/067');
  assert.equal(tileIndexPath(0), '000');
  assert.equal(tileIndexPath(7), '007');
  assert.equal(tileIndexPath(999), '999');
  assert.equal(tileIndexPath(1000), 'x001/000');
  assert.equal(tileIndexPath(1000000), 'x001/x000/000');
  assert.equal(tileIndexPath(Number.MAX_SAFE_INTEGER), 'x009/x007/x199/x254/x740/991');
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) assert.throws(() => tileIndexPath(bad), TypeError);
});

test('tile and entry-bundle paths, full and partial', () => {
  assert.equal(tilePath(0, 1234067), 'tile/0/x001/x234/067');
  assert.equal(tilePath(0, 1234067, 256), 'tile/0/x001/x234/067');
  assert.equal(tilePath(0, 1234067, 5), 'tile/0/x001/x234/067.p/5');
  assert.equal(tilePath(63, 0, 255), 'tile/63/000.p/255');
  assert.equal(entriesPath(1234067), 'tile/entries/x001/x234/067');
  assert.equal(entriesPath(3, 1), 'tile/entries/003.p/1');
  for (const w of [0, 257, 1.5, -1]) {
    assert.throws(() => tilePath(0, 0, w), TypeError);
    assert.throws(() => entriesPath(0, w), TypeError);
  }
  for (const l of [-1, 64, 0.5]) assert.throws(() => tilePath(l, 0), TypeError);
});

test('parseTilePath inverts tilePath and entriesPath for many values', () => {
  const indexes = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 999999, 1000000, 1234067, 2 ** 32, 2 ** 45 - 1, Number.MAX_SAFE_INTEGER];
  let seed = 1;
  for (let i = 0; i < 200; i++) {
    seed = (seed * 48271) % 2147483647;
    indexes.push(seed * (i % 3 === 0 ? 4099 : 1));
  }
  const widths = [1, 2, 127, 255, 256];
  for (const index of indexes) {
    for (const width of widths) {
      for (const level of [0, 1, 2, 9, 10, 63]) {
        assert.deepEqual(parseTilePath(tilePath(level, index, width)), { kind: 'hash', level, index, width });
      }
      assert.deepEqual(parseTilePath(entriesPath(index, width)), { kind: 'entries', index, width });
    }
    assert.deepEqual(parseTilePath(tilePath(4, index)), { kind: 'hash', level: 4, index, width: 256 });
  }
});

test('parseTilePath refuses every non-canonical or malformed form with ERR_REQUEST', () => {
  const refused = [
    '', // nothing
    'tile', // no level
    'tile/0', // no index
    'tile/0/', // empty index
    '/tile/0/000', // leading slash: paths are relative to the prefix
    'tile/0/000/', // trailing slash
    'tile//000', // empty level
    'tile/00/000', // level with a leading zero
    'tile/01/000', // level with a leading zero
    'tile/64/000', // level above 63
    'tile/99/000', // level above 63
    'tile/100/000', // level above 63
    'tile/-1/000', // negative level
    'tile/+1/000', // sign
    'tile/a/000', // non-digit level
    'tile/1.0/000', // fractional level
    'tile/0/0', // index element not three digits
    'tile/0/00', // index element not three digits
    'tile/0/0000', // index element not three digits
    'tile/0/1234067', // index not split
    'tile/0/x001', // last element with x
    'tile/0/001/234', // non-last element without x
    'tile/0/x01/234', // short element
    'tile/0/x0001/234', // long element
    'tile/0/x000/067', // leading x000 element: a second name for 067
    'tile/0/x000/x001/067', // leading x000 element
    'tile/0/X001/067', // upper-case X
    'tile/0/x00a/067', // non-digit
    'tile/0/0x1/067', // hex-looking
    'tile/0/ 67', // space
    'tile/0/067 ', // trailing space
    'tile/0/x010/x000/x000/x000/x000/x000/000', // index above 2^53
    'tile/0/067.p', // partial without width
    'tile/0/067.p/', // partial without width
    'tile/0/067.p/0', // width 0
    'tile/0/067.p/00', // width with leading zero
    'tile/0/067.p/05', // width with leading zero
    'tile/0/067.p/256', // width 256 is the full tile, which has no suffix
    'tile/0/067.p/999', // width above 255
    'tile/0/067.p/1000', // width above 255
    'tile/0/067.p/-1', // negative width
    'tile/0/067.p/1/', // trailing slash
    'tile/0/067.P/1', // upper-case P
    'tile/0/067.x/1', // wrong suffix
    'tile/0/067/p/1', // wrong suffix
    'tile/0/../000', // traversal
    'tile/entries', // no index
    'tile/entries/', // no index
    'tile/entries/67', // short element
    'tile/entries/x000/067', // leading x000 element
    'tile/entries/067.p/0', // width 0
    'tile/entries/067.p/256', // width 256
    'tile/Entries/067', // case
    'tile/entries/067?x=1', // query
    'tiles/0/000', // wrong root
    'TILE/0/000', // wrong root
    'tile/0/000\n', // trailing newline
    'tile/0/٠٦٧', // non-ASCII digits
  ];
  for (const path of refused) assert.throws(() => parseTilePath(path), code('ERR_REQUEST'), JSON.stringify(path));
  assert.throws(() => parseTilePath(42 as unknown as string), code('ERR_REQUEST'));
});

test('tileWidth follows the spec examples for trees of size 70,000 and 256', () => {
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of width 112,
  // one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
  for (let i = 0; i < 273; i++) assert.equal(tileWidth(0, i, 70000), 256);
  assert.equal(tileWidth(0, 273, 70000), 112);
  assert.equal(tileWidth(0, 274, 70000), 0);
  assert.equal(tileWidth(1, 0, 70000), 256);
  assert.equal(tileWidth(1, 1, 70000), 17);
  assert.equal(tileWidth(1, 2, 70000), 0);
  assert.equal(tileWidth(2, 0, 70000), 1);
  assert.equal(tileWidth(3, 0, 70000), 0);
  // "Note that a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
  assert.equal(tileWidth(0, 0, 256), 256);
  assert.equal(tileWidth(0, 1, 256), 0);
  assert.equal(tileWidth(1, 0, 256), 1);
  assert.equal(tileWidth(2, 0, 256), 0);
  // "The partial tile at level l for a tree of size s has floor(s / 256**l) mod 256 entries."
  for (const s of [0, 1, 255, 257, 65535, 65536, 65537, 16777216, 10 ** 9, Number.MAX_SAFE_INTEGER]) {
    for (let l = 0; l < 8; l++) {
      const hashes = Math.floor(s / 256 ** l);
      const partial = hashes % 256;
      const last = Math.floor(hashes / 256);
      assert.equal(tileWidth(l, last, s), partial, `s=${s} l=${l}`);
      if (last > 0) assert.equal(tileWidth(l, last - 1, s), 256);
    }
  }
  assert.equal(tileWidth(6, 0, Number.MAX_SAFE_INTEGER), 31);
  assert.equal(tileWidth(63, 0, Number.MAX_SAFE_INTEGER), 0);
  assert.throws(() => tileWidth(64, 0, 1), TypeError);
  assert.throws(() => tileWidth(0, -1, 1), TypeError);
  assert.throws(() => tileWidth(0, 0, 2 ** 53), TypeError);
});

test('entry bundles are uint16 big-endian length-prefixed entries and round-trip', () => {
  const entries = [new Uint8Array([]), new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7), new Uint8Array(65535).fill(9)];
  const bundle = encodeEntryBundle(entries);
  assert.deepEqual([...bundle.subarray(0, 7)], [0, 0, 0, 3, 1, 2, 3]);
  assert.deepEqual([...bundle.subarray(7, 9)], [0x01, 0x2c]); // 300
  assert.equal(bundle.length, 2 * 4 + 3 + 300 + 65535);
  const decoded = decodeEntryBundle(bundle);
  assert.deepEqual(decoded, entries);
  // Decoded entries are copies: the caller may reuse the buffer.
  bundle.fill(0);
  assert.equal(decoded[1]?.[0], 1);
  assert.deepEqual(decodeEntryBundle(encodeEntryBundle([])), []);
  const full = Array.from({ length: 256 }, (_, i) => new Uint8Array([i]));
  assert.deepEqual(decodeEntryBundle(encodeEntryBundle(full)), full);
});

test('entry bundle encoding refuses oversized entries and too many entries', () => {
  assert.throws(() => encodeEntryBundle([new Uint8Array(65536)]), code('ERR_TOO_LARGE'));
  assert.throws(() => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array(1))), TypeError);
});

test('entry bundle decoding is strict about truncation and size', () => {
  const bundle = encodeEntryBundle([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])]);
  // Every proper prefix that does not end on an entry boundary is truncated.
  for (let cut = 1; cut < bundle.length; cut++) {
    if (cut === 5) continue; // the boundary after the first entry: a valid one-entry bundle
    assert.throws(() => decodeEntryBundle(bundle.subarray(0, cut)), code('ERR_REQUEST'), `cut ${cut}`);
  }
  assert.equal(decodeEntryBundle(bundle.subarray(0, 5)).length, 1);
  assert.throws(() => decodeEntryBundle(new Uint8Array([0xff, 0xff, 1])), code('ERR_REQUEST'));
  assert.throws(() => decodeEntryBundle(new Uint8Array([0])), code('ERR_REQUEST'));
  const tooMany = new Uint8Array(2 * 257); // 257 empty entries
  assert.throws(() => decodeEntryBundle(tooMany), code('ERR_REQUEST'));
  assert.equal(decodeEntryBundle(tooMany.subarray(0, 512)).length, 256);
});
