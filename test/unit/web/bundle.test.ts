// The page's bundle of src/core (web/dist/core.js, built by scripts/build-web.mjs) runs core's code on two browser
// substitutes: web/src/browser/buffer.ts for node:buffer and web/src/browser/sha256.ts for node:crypto's hashing.
// Core's strict decoders rely on exactly how Node decodes (skipping characters outside the alphabet, stopping at
// '=') and then check the length, so the substitutes are held to Node's answers byte for byte; and the bundle's
// readers to core's verdicts on the same inputs.
import assert from 'node:assert/strict';
import { Buffer as NodeBuffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { base64Decode, hexDecode } from '../../../src/core/encoding.js';
import { parseCheckpoint } from '../../../src/core/checkpoint.js';
import { parseSignedNote } from '../../../src/core/note.js';
import { inclusionProofPath, leafHash, rootFromInclusionProof, rootFromLeaves } from '../../../src/core/merkle.js';
import { Buffer as ShimBuffer } from '../../../web/src/browser/buffer.js';
import { Sha256, sha256 } from '../../../web/src/browser/sha256.js';
import { ROOT, type Json } from '../../helpers/vectors.js';

const BUNDLE = join(ROOT, 'web', 'dist', 'core.js');
const bundle = async (): Promise<Json> => import(pathToFileURL(BUNDLE).href);
const hexOf = (b: Uint8Array): string => NodeBuffer.from(b).toString('hex');
const outcome = (fn: () => Uint8Array | string): string => {
  try {
    const v = fn();
    return typeof v === 'string' ? `ok ${v}` : `ok ${hexOf(v)}`;
  } catch (err) {
    return `refused ${(err as { code?: string }).code ?? (err as Error).name}`;
  }
};

describe('the browser substitutes give Node\'s answers', () => {
  it('SHA-256 of every length around the block boundaries, whole and in pieces', () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      const expected = createHash('sha256').update(data).digest('hex');
      assert.equal(hexOf(sha256(data)), expected, `length ${n}`);
      const cut = Math.floor(n / 3);
      assert.equal(hexOf(new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut)).digest()), expected, `length ${n} in two pieces`);
    }
    const big = randomBytes(100_003);
    assert.equal(hexOf(sha256(big)), createHash('sha256').update(big).digest('hex'));
  });

  it('base64, base64url and hex, encoded and decoded as Node does, including what Node skips', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=!. \n*é';
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: i % 23 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
      for (const enc of ['base64', 'base64url'] as const) {
        assert.equal(hexOf(ShimBuffer.from(text, enc)), NodeBuffer.from(text, enc).toString('hex'), `${enc} ${JSON.stringify(text)}`);
      }
      const bytes = randomBytes(i % 40);
      for (const enc of ['base64', 'base64url', 'hex'] as const) {
        assert.equal(ShimBuffer.from(bytes).toString(enc), NodeBuffer.from(bytes).toString(enc));
      }
      assert.equal(hexOf(ShimBuffer.from(bytes.toString('hex'), 'hex')), bytes.toString('hex'));
    }
  });
});

describe('the bundle reads as core does', () => {
  it('holds no Node built-in', () => {
    const text = readFileSync(BUNDLE, 'utf8');
    assert.doesNotMatch(text, /from\s*["']node:|require\(["']node:|import\(["']node:/);
  });

  it('base64 and hex: the same bytes or the same refusal', async () => {
    const m = await bundle();
    const inputs = ['', 'AQID', 'AQI', 'AQ', 'A', 'AQ==', 'AQ=', 'AQ-_', 'AQ+/', 'AQ-/', 'AQ\nID', 'AQ ID', 'AQ!D', '====', 'YW=J', 'Zm9v\r\nYmFy'];
    for (const s of inputs) assert.equal(outcome(() => m.base64Bytes(s)), outcome(() => base64Decode(s)), JSON.stringify(s));
    for (const s of ['', '00ff', '0', 'zz', '0G', 'ABCdef']) {
      assert.equal(outcome(() => m.hexBytes(s, 'x')).replace('ProofError', 'ERR_ENCODING').replace('refused Error', 'refused ERR_ENCODING'), outcome(() => hexDecode(s)), s);
    }
  });

  it('Merkle inclusion: the same roots', async () => {
    const m = await bundle();
    const leaves = Array.from({ length: 13 }, () => leafHash(randomBytes(10)));
    for (let i = 0; i < leaves.length; i++) {
      const proof = inclusionProofPath(i, leaves.length).map((r) => rootFromLeaves(leaves.slice(r.start, r.end)));
      assert.equal(hexOf(m.rootFromInclusionProof(i, leaves.length, leaves[i], proof)), hexOf(rootFromInclusionProof(i, leaves.length, leaves[i]!, proof)));
      assert.equal(hexOf(m.leafHash(Uint8Array.of(i))), hexOf(leafHash(Uint8Array.of(i))));
    }
  });

  it('checkpoints: the same origin, size and root, or the same refusal', async () => {
    const m = await bundle();
    const root = NodeBuffer.alloc(32, 7).toString('base64');
    const sig = `— example.org/log ${NodeBuffer.alloc(68, 1).toString('base64')}\n`;
    const notes = [
      `example.org/log\n5\n${root}\n\n${sig}`,
      `example.org/log\n5\n${root}\nextension\n\n${sig}`,
      `example.org/log\n05\n${root}\n\n${sig}`,
      `example.org/log\n5\n${root.slice(0, -1)}\n\n${sig}`,
      `example.org/log\n5\n${NodeBuffer.alloc(31).toString('base64')}\n\n${sig}`,
      `example.org/log\n5\n${root}\n\n`,
      `example.org/log\n5\n${root}\n`,
      `example.org/log\n\n${root}\n\n${sig}`,
      `example.org/log\n5\n${root}\n\n— example.org/log !!!!\n`,
    ];
    const core = (text: string) => {
      const cp = parseCheckpoint(parseSignedNote(text).text);
      return `${cp.origin} ${cp.size} ${hexOf(cp.rootHash)} ${cp.extensions.join(',')}`;
    };
    const page = (text: string) => {
      const cp = m.parseCheckpoint(text);
      return `${cp.origin} ${cp.size} ${hexOf(cp.rootHash)} ${cp.extensions.join(',')}`;
    };
    const verdicts = notes.map((text) => [outcome(() => page(text)), outcome(() => core(text))]);
    for (const [i, [p, c]] of verdicts.entries()) assert.equal(p, c, JSON.stringify(notes[i]));
    assert.ok(verdicts.some(([p]) => p!.startsWith('ok')) && verdicts.some(([p]) => p!.startsWith('refused')));
  });
});
