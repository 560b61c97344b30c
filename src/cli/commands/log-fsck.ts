/**
 * `keyless log fsck`: checks every entry and tile of the logs in a store against their signed heads and the
 * head record (see src/log/fsck.ts). The server must be stopped for an SQLite data directory (it holds the file's
 * exclusive lock); a PostgreSQL store can be checked while frontends run, as of the head read when each log starts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KeylessError } from '../../core/errors.js';
import { fsckLog, type FsckReport } from '../../log/fsck.js';
import { FileHeadRecord } from '../../log/head-record.js';
import { createPostgresStore, createSqliteStore } from '../../log/store/index.js';
import type { LogStore } from '../../log/store/types.js';
import { flag, list, parse, str, usageError } from '../args.js';
import type { Output } from '../io.js';

export const USAGE = `Usage: keyless log fsck [--data-dir DIR] [--postgres-url URL] [options]

Reads every entry and tile of the instance's logs and checks them against the signed heads: leaf hashes, tile
widths, each full tile's root in its parent, the root of the whole tree, and the head record in
DIR/checkpoints. Exit 0: all consistent; 1: a mismatch (each one listed); 2: could not check.
Stop keyless serve first for an SQLite data directory.

Options:
  --data-dir DIR          the instance's data directory (default ./keyless-data)
  --postgres-url URL      check this PostgreSQL store instead of DIR/db/log.sqlite
  --postgres-schema S     schema of keyless's tables (default keyless)
  --log ID                check only this log (rekor-v1, rekor-v2, ct; repeatable)
  --json                  print the reports as JSON`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  'postgres-url': { type: 'string' },
  'postgres-schema': { type: 'string' },
  log: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const LOG_IDS = ['rekor-v1', 'rekor-v2', 'ct'];

export async function fsckCommand(argv: string[], io: Output): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument ${parsed.positionals[0]}`, USAGE);
  const dataDir = str(parsed, 'data-dir') ?? 'keyless-data';
  const logs = list(parsed, 'log');
  for (const id of logs) if (!LOG_IDS.includes(id)) throw usageError(`unknown log ${JSON.stringify(id)} (known: ${LOG_IDS.join(', ')})`, USAGE);
  const postgresUrl = str(parsed, 'postgres-url');
  let store: LogStore;
  if (postgresUrl !== undefined) {
    store = await createPostgresStore({ connectionString: postgresUrl, schema: str(parsed, 'postgres-schema') ?? 'keyless' });
  } else {
    const path = join(dataDir, 'db', 'log.sqlite');
    if (!existsSync(path)) throw new KeylessError('ERR_USAGE', `no log store at ${path}; give the instance's --data-dir (or --postgres-url)`);
    try {
      store = await createSqliteStore({ path });
    } catch (err) {
      // Damaged pages are a finding of fsck, not a failure to check.
      if (err instanceof KeylessError && err.code === 'ERR_STORE_CORRUPT') {
        io.out(flag(parsed, 'json') ? JSON.stringify({ status: 'corrupt', problems: [err.message] }) : `${path}: CORRUPT\n  ${err.message}`);
        return 1;
      }
      throw err;
    }
  }
  const record = new FileHeadRecord(join(dataDir, 'checkpoints'));
  const progress = process.stderr.isTTY === true;
  const reports: FsckReport[] = [];
  try {
    for (const id of logs.length > 0 ? logs : LOG_IDS) {
      let lastShown = 0;
      reports.push(await fsckLog(store, id, {
        recorded: record.read(id),
        ...(progress && {
          onProgress: ({ checked, total }) => {
            const now = Date.now();
            if (now - lastShown < 200 && checked < total) return;
            lastShown = now;
            process.stderr.write(`\r${id}: ${checked} of ${total} entries checked`);
          },
        }),
      }));
      if (progress) process.stderr.write('\r\x1b[K');
    }
  } finally {
    await store.close();
  }
  const bad = reports.filter((r) => r.problemCount > 0);
  if (flag(parsed, 'json')) {
    io.out(JSON.stringify({ status: bad.length === 0 ? 'ok' : 'mismatch', logs: reports }, null, 2));
  } else {
    for (const r of reports) {
      if (!r.present && r.problemCount === 0) {
        io.out(`${r.logId}: not in this store`);
        continue;
      }
      io.out(`${r.logId}: ${r.size} entries, ${r.tilesChecked} tiles: ${r.problemCount === 0 ? 'OK' : `${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}`}`);
      for (const p of r.problems) io.out(`  ${p}`);
      if (r.problemCount > r.problems.length) io.out(`  … and ${r.problemCount - r.problems.length} more`);
    }
  }
  return bad.length === 0 ? 0 : 1;
}
