// Fault: damaged storage. Corrupted database pages make `keyless serve` refuse to start (ERR_STORE_CORRUPT) and
// `keyless log fsck` report it; one flipped bit in a stored tile is named by fsck, and the running server answers
// ERR_STORE_CORRUPT where a proof or tile would use it — never a wrong proof — while other entries still verify.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { base64Decode, hexDecode } from '../../src/core/encoding.js';
import { leafHash, verifyInclusion } from '../../src/core/merkle.js';
import { entryKey, hashedRekordV1, type EntryKey } from '../helpers/entries.js';
import { startServe, tempDir } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

function keyless(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function fill(url: string, key: EntryKey, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, async () => {
      const res = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedRekordV1(key)) });
      assert.equal(res.status, 201);
    }));
  }
}

async function startFails(dataDir: string): Promise<string> {
  try {
    const served = await startServe(['--only', 'log'], { dataDir });
    await served.stop();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('keyless serve started on a damaged store');
}

describe('fault: damaged storage', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const key = entryKey();

  it('corrupted database pages: serve refuses to start, fsck reports it', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('keyless-corrupt-');
    dirs.push(dataDir);
    const served = await startServe(['--only', 'log'], { dataDir });
    await fill(served.url, key, 400);
    assert.equal(await served.stop(), 0);
    const db = join(dataDir, 'db', 'log.sqlite');
    const pages = statSync(db).size / 4096;
    assert.ok(pages > 20, `the database has ${pages} pages`);
    // Garbage over the middle third of the file's pages, past each page header.
    const fd = openSync(db, 'r+');
    const buf = Buffer.alloc(4096);
    for (let p = Math.floor(pages / 3); p < Math.floor((2 * pages) / 3); p++) {
      readSync(fd, buf, 0, 4096, p * 4096);
      for (let i = 16; i < 4096; i += 7) buf[i] = (buf[i]! + 91) & 0xff;
      writeSync(fd, buf, 0, 4096, p * 4096);
    }
    closeSync(fd);
    const message = await startFails(dataDir);
    assert.match(message, /\[ERR_STORE_CORRUPT\]/, message);
    const fsck = keyless(['log', 'fsck', '--data-dir', dataDir]);
    assert.equal(fsck.status, 1, fsck.stdout + fsck.stderr);
    assert.match(fsck.stdout, /CORRUPT/);
  });

  it('one flipped bit in a stored tile: fsck names it, the server never serves it as a proof', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('keyless-tilebit-');
    dirs.push(dataDir);
    let served = await startServe(['--only', 'log'], { dataDir });
    await fill(served.url, key, 600);
    assert.equal(await served.stop(), 0);
    const clean = keyless(['log', 'fsck', '--data-dir', dataDir]);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /rekor-v1: 600 entries, \d+ tiles: OK/);

    const sqlite = new Database(join(dataDir, 'db', 'log.sqlite'));
    const where = "log = (SELECT id FROM logs WHERE name = 'rekor-v1') AND level = 0 AND idx = 0";
    const hashes = Buffer.from((sqlite.prepare(`SELECT hashes FROM tiles WHERE ${where}`).get() as { hashes: Buffer }).hashes);
    hashes[10 * 32 + 5]! ^= 0x04;
    sqlite.prepare(`UPDATE tiles SET hashes = ? WHERE ${where}`).run(hashes);
    sqlite.close();

    const fsck = keyless(['log', 'fsck', '--data-dir', dataDir]);
    assert.equal(fsck.status, 1, fsck.stdout + fsck.stderr);
    assert.match(fsck.stdout, /rekor-v1: 600 entries, \d+ tiles: \d+ problems?/);
    assert.match(fsck.stdout, /entry 10: tile tile\/0\/000 holds/);

    served = await startServe(['--only', 'log'], { dataDir }); // the right edge is intact: it starts
    try {
      // Entry 11's proof names leaf 10: refused, not a wrong proof.
      const bad = await fetch(`${served.url}/api/v1/log/entries?logIndex=11`);
      assert.equal(bad.status, 500);
      assert.equal(((await bad.json()) as { error: string }).error, 'ERR_STORE_CORRUPT');
      // Entry 400's proof uses the damaged tile only through its root, stored intact above it: it verifies.
      const good = await fetch(`${served.url}/api/v1/log/entries?logIndex=400`);
      assert.equal(good.status, 200);
      const entry = Object.values((await good.json()) as Record<string, { body: string; verification: { inclusionProof: { hashes: string[]; rootHash: string; treeSize: number } } }>)[0]!;
      const p = entry.verification.inclusionProof;
      verifyInclusion(400, p.treeSize, leafHash(base64Decode(entry.body)), p.hashes.map((h) => hexDecode(h)), hexDecode(p.rootHash));
    } finally {
      await served.stop();
    }
  });
});
