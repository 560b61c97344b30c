// The head record's file (src/log/head-record.ts): two slots, each written in place and made durable with one
// fdatasync; a torn slot is read as empty and the other slot is the record; the single-checkpoint file of earlier
// versions is read and converted; a process killed while writing leaves a record at least as large as the last
// write that returned. What the record protects against (a store that rolled back) is in never-fork.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { formatCheckpoint } from '../../../src/core/checkpoint.js';
import { signNote } from '../../../src/core/note.js';
import { FileHeadRecord } from '../../../src/log/head-record.js';
import { createLogSigner } from '../../../src/log/signer.js';
import type { LogHead } from '../../../src/log/store/types.js';
import { coded, ROOT } from '../../helpers/vectors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-record-'));
  dirs.push(dir);
  return dir;
}

const signer = createLogSigner(generateKeyPairSync('ed25519').privateKey, 'test.example/log', 'c2sp');

function head(size: number, extraLines = 0): LogHead {
  const rootHash = new Uint8Array(32).fill(size % 251);
  let checkpoint = signNote(formatCheckpoint({ origin: 'test.example/log', size, rootHash, extensions: [] }), [signer.noteSigner]);
  // A checkpoint with many cosignatures: more signature lines after the log's own.
  for (let i = 0; i < extraLines; i++) checkpoint += `— witness-${i}.example ${Buffer.alloc(72, i).toString('base64')}\n`;
  return { size, rootHash, checkpoint };
}

/** Byte offset of slot `i`'s checkpoint text in the file (after its header line). */
function textOffset(bytes: Buffer, slot: 0 | 1): number {
  const start = (slot * bytes.length) / 2;
  return bytes.indexOf(0x0a, start) + 1;
}

describe('head record file', () => {
  it('is two 4 KiB slots; each write goes to the slot the record is not in, and the newer one is read', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    const path = join(dir, 'test.checkpoint');
    record.write('test', head(5));
    assert.equal(statSync(path).size, 8192);
    record.write('test', head(9));
    const bytes = readFileSync(path);
    const text = bytes.toString('utf8');
    assert.match(text, /^keyless-head-record 1 1 \d+ [0-9a-f]{64}\ntest\.example\/log\n5\n/, 'slot 0 holds the first write');
    assert.match(bytes.subarray(4096).toString('utf8'), /^keyless-head-record 1 2 \d+ [0-9a-f]{64}\ntest\.example\/log\n9\n/, 'slot 1 holds the second');
    assert.equal(record.read('test')?.checkpoint, head(9).checkpoint);
    record.write('test', head(12));
    assert.match(readFileSync(path, 'utf8'), /^keyless-head-record 1 3 \d+ [0-9a-f]{64}\ntest\.example\/log\n12\n/, 'the third goes back to slot 0');
    assert.equal(record.read('test')?.size, 12);
    record.write('test', head(7));
    assert.equal(record.read('test')?.size, 12, 'a smaller head does not replace the record');
    assert.deepEqual(readdirSync(dir), ['test.checkpoint'], 'no temporary files are left behind');
  });

  it('reads a torn newer slot as empty: the older slot is the record, and the next write replaces the torn one', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    const path = join(dir, 'test.checkpoint');
    record.write('test', head(5));
    record.write('test', head(9)); // slot 1, seq 2
    const bytes = readFileSync(path);
    bytes[textOffset(bytes, 1) + 20]! ^= 0x01; // a write that reached the disk only in part
    writeFileSync(path, bytes);
    assert.equal(record.read('test')?.size, 5);
    record.write('test', head(10));
    assert.equal(record.read('test')?.size, 10);
    assert.match(readFileSync(path).subarray(4096).toString('utf8'), /^keyless-head-record 1 2 \d+ [0-9a-f]{64}\ntest\.example\/log\n10\n/, 'written over the torn slot, slot 0 kept');
    assert.match(readFileSync(path, 'utf8'), /^keyless-head-record 1 1 \d+ [0-9a-f]{64}\ntest\.example\/log\n5\n/);
  });

  it('refuses a file with no intact slot, or of the wrong size, with ERR_STORE_CORRUPT', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    const path = join(dir, 'test.checkpoint');
    record.write('test', head(5));
    record.write('test', head(9));
    const bytes = readFileSync(path);
    bytes[textOffset(bytes, 0) + 20]! ^= 0x01;
    bytes[textOffset(bytes, 1) + 20]! ^= 0x01;
    writeFileSync(path, bytes);
    assert.throws(() => record.read('test'), coded('ERR_STORE_CORRUPT'));
    assert.throws(() => record.write('test', head(20)), coded('ERR_STORE_CORRUPT'), 'nor is it written over');
    writeFileSync(path, bytes.subarray(0, 5000));
    assert.throws(() => record.read('test'), coded('ERR_STORE_CORRUPT'));
  });

  it('refuses a slot whose digest matches but which holds no checkpoint, with ERR_STORE_CORRUPT', () => {
    const dir = tempDir();
    const path = join(dir, 'test.checkpoint');
    const text = 'not a checkpoint\n';
    const slot = Buffer.alloc(4096, 0x0a);
    slot.write(`keyless-head-record 1 1 ${text.length} ${createHash('sha256').update(text).digest('hex')}\n${text}`);
    writeFileSync(path, Buffer.concat([slot, Buffer.alloc(4096, 0x0a)]));
    assert.throws(() => new FileHeadRecord(dir).read('test'), coded('ERR_STORE_CORRUPT'));
  });

  it('reads the single-checkpoint file of earlier versions, and converts it at the next larger write', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    const path = join(dir, 'test.checkpoint');
    writeFileSync(path, head(8).checkpoint);
    assert.equal(record.read('test')?.checkpoint, head(8).checkpoint);
    record.write('test', head(3));
    assert.equal(readFileSync(path, 'utf8'), head(8).checkpoint, 'a smaller head leaves the old file as it was');
    record.write('test', head(11));
    assert.equal(statSync(path).size, 8192);
    assert.equal(record.read('test')?.size, 11);
  });

  it('grows its slots for a checkpoint longer than 4 KiB, and keeps them', () => {
    const dir = tempDir();
    const record = new FileHeadRecord(dir);
    const path = join(dir, 'test.checkpoint');
    record.write('test', head(5));
    const long = head(6, 60); // ~7 KiB of cosignatures
    assert.ok(long.checkpoint.length > 4096);
    record.write('test', long);
    assert.equal(statSync(path).size, 2 * 8192);
    assert.equal(record.read('test')?.checkpoint, long.checkpoint);
    record.write('test', head(7));
    assert.equal(statSync(path).size, 2 * 8192);
    assert.equal(record.read('test')?.checkpoint, head(7).checkpoint);
  });

  it('a process killed while it writes leaves a record at least as large as the last write that returned', async () => {
    const dir = tempDir();
    const moduleUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'log', 'head-record.js')).href;
    const signerUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'log', 'signer.js')).href;
    const checkpointUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'checkpoint.js')).href;
    const noteUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'note.js')).href;
    // The child writes ever larger heads and prints each size once its write has returned.
    const script = `
      const { FileHeadRecord } = await import(${JSON.stringify(moduleUrl)});
      const { createLogSigner } = await import(${JSON.stringify(signerUrl)});
      const { formatCheckpoint } = await import(${JSON.stringify(checkpointUrl)});
      const { signNote } = await import(${JSON.stringify(noteUrl)});
      const { generateKeyPairSync } = await import('node:crypto');
      const signer = createLogSigner(generateKeyPairSync('ed25519').privateKey, 'test.example/log', 'c2sp');
      const record = new FileHeadRecord(${JSON.stringify(dir)});
      for (let size = 1; ; size++) {
        const rootHash = new Uint8Array(32);
        const checkpoint = signNote(formatCheckpoint({ origin: 'test.example/log', size, rootHash, extensions: [] }), [signer.noteSigner]);
        record.write('test', { size, rootHash, checkpoint });
        process.stdout.write(size + '\\n');
      }`;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8');
      const killed = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.split('\n').length > 50 + round * 37) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
      });
      await killed;
      const acknowledged = Math.max(...out.split('\n').filter((l) => l !== '').map(Number));
      const recorded = new FileHeadRecord(dir).read('test');
      assert.ok(recorded !== undefined && recorded.size >= acknowledged, `round ${round}: record ${recorded?.size}, last returned write ${acknowledged}`);
      assert.equal(statSync(join(dir, 'test.checkpoint')).size, 8192);
      rmSync(join(dir, 'test.checkpoint'));
    }
  });
});
