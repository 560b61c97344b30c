/**
 * The instance's data directory: keys (generated on first start, file mode 0600) and the instance identity
 * (log origins, tree ID) that must never change once clients have seen them. Files are created atomically
 * (write a temporary file, then link it into place), so a process killed mid-write leaves no half a key, and two
 * frontends starting at once on a shared directory end up with the same key.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/** Returns the file's content, creating it with `create()` first if it does not exist. */
export function ensureFile(path: string, create: () => string, mode = 0o600): string {
  return readExisting(path) ?? placeFile(path, create(), mode);
}

/** ensureFile for content that takes a promise to make (a certificate chain, say). */
export async function ensureFileAsync(path: string, create: () => Promise<string>, mode = 0o600): Promise<string> {
  return readExisting(path) ?? placeFile(path, await create(), mode);
}

function readExisting(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

function placeFile(path: string, content: string, mode: number): string {
  ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    // Someone else created it first: theirs wins, ours is dropped.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readFileSync(path, 'utf8');
}

export function dataPath(dataDir: string, ...parts: string[]): string {
  return join(dataDir, ...parts);
}
