import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCheckpoint, parseCheckpoint } from '../../../src/core/checkpoint.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const HASH = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';

test('parses the C2SP example checkpoint and formats it back', () => {
  const body = `example.com/behind-the-sofa\n20852163\n${HASH}\n`;
  const cp = parseCheckpoint(body);
  assert.equal(cp.origin, 'example.com/behind-the-sofa');
  assert.equal(cp.size, 20852163);
  assert.equal(Buffer.from(cp.rootHash).toString('base64'), HASH);
  assert.deepEqual(cp.extensions, []);
  assert.equal(formatCheckpoint(cp), body);
});

test('accepts Rekor v1 origins with spaces and its Timestamp extension line', () => {
  const body = `rekor.sigstore.dev - 1193050959916656506\n0\n${HASH}\nTimestamp: 1689177396617352539\n`;
  const cp = parseCheckpoint(body);
  assert.equal(cp.origin, 'rekor.sigstore.dev - 1193050959916656506');
  assert.equal(cp.size, 0);
  assert.deepEqual(cp.extensions, ['Timestamp: 1689177396617352539']);
  assert.equal(formatCheckpoint(cp), body);
});

test('every malformed checkpoint is ERR_NOTE_INVALID', () => {
  const bad = [
    `o\n1\n${HASH}`, // no final newline
    `o\n1\n`, // two lines
    `\n1\n${HASH}\n`, // empty origin
    `o\n01\n${HASH}\n`, // leading zero
    `o\n-1\n${HASH}\n`,
    `o\n1e3\n${HASH}\n`,
    `o\n+1\n${HASH}\n`,
    `o\n 1\n${HASH}\n`,
    `o\n9007199254740992\n${HASH}\n`, // not a safe integer
    `o\n1\n${HASH.replace('=', '')}\n`, // unpadded
    `o\n1\n${Buffer.alloc(31).toString('base64')}\n`, // 31 bytes
    `o\n1\n${Buffer.alloc(33).toString('base64')}\n`,
    `o\n1\n${HASH.replace('/', '_')}\n`, // URL-safe
    `o\n1\n${HASH.replace('2I=', '2J=')}\n`, // non-zero trailing bits: a second encoding of other bytes
    `o\n1\n${HASH}\n\n`, // empty extension line
    `o\n1\n${HASH}\next\u0007\n`, // control character
    `o\r\n1\n${HASH}\n`,
  ];
  for (const body of bad) assert.throws(() => parseCheckpoint(body), code('ERR_NOTE_INVALID'), JSON.stringify(body));
});

test('formatCheckpoint refuses fields it cannot write', () => {
  const ok = { origin: 'o', size: 1, rootHash: new Uint8Array(32), extensions: [] };
  assert.throws(() => formatCheckpoint({ ...ok, origin: '' }), TypeError);
  assert.throws(() => formatCheckpoint({ ...ok, origin: 'a\nb' }), TypeError);
  assert.throws(() => formatCheckpoint({ ...ok, size: -1 }), TypeError);
  assert.throws(() => formatCheckpoint({ ...ok, size: 1.5 }), TypeError);
  assert.throws(() => formatCheckpoint({ ...ok, rootHash: new Uint8Array(31) }), TypeError);
  assert.throws(() => formatCheckpoint({ ...ok, extensions: [''] }), TypeError);
});

test('fuzz: thousands of mutated checkpoints never throw anything but ERR_NOTE_INVALID', () => {
  const alphabet = ['\n', ' ', '0', '1', '9', '=', '/', '+', 'A', '\u0000', '-', '\ud800'];
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const base = `rekor.sigstore.dev - 1193050959916656506\n20852163\n${HASH}\nTimestamp: 1\n`;
  let parsed = 0;
  for (let i = 0; i < 5000; i++) {
    const chars = [...base];
    for (let m = 0, n = 1 + rand(3); m < n; m++) {
      const at = rand(chars.length + 1);
      const op = rand(3);
      const ch = alphabet[rand(alphabet.length)] as string;
      if (op === 0) chars.splice(at, 0, ch);
      else if (op === 1) chars.splice(at, 1);
      else chars[at] = ch;
    }
    let cp;
    try {
      cp = parseCheckpoint(chars.join(''));
    } catch (err) {
      assert.ok(err instanceof KeylessError && err.code === 'ERR_NOTE_INVALID', String(err));
      continue;
    }
    // Whatever parses formats back to exactly what was parsed.
    assert.equal(formatCheckpoint(cp), chars.join(''));
    parsed++;
  }
  assert.ok(parsed > 0);
});

test('a checkpoint of fewer than three lines is refused as such; a non-string is a TypeError', () => {
  assert.throws(() => parseCheckpoint(7 as unknown as string), TypeError);
  for (const body of ['origin\n', 'origin\n5\n']) {
    assert.throws(() => parseCheckpoint(body), (e: unknown) => e instanceof KeylessError && e.code === 'ERR_NOTE_INVALID' && /at least 3 are required/.test(e.message), JSON.stringify(body));
  }
});
