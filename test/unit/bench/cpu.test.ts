import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuSeconds, parseProcIo, parseProcNetTcp, parseProcStat, postgresClientPort } from '../../../bench/cpu.js';

// proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
test('parseProcStat reads utime and stime, counting fields after the last parenthesis', () => {
  const line = '4242 (node) S 1 4242 4242 0 -1 4194304 1200 0 3 0 731 88 0 0 20 0 11 0 5000 1 2 3\n';
  assert.deepEqual(parseProcStat(line), { utime: 731, stime: 88 });
  // A command name with spaces and parentheses must not shift the fields.
  const odd = '77 (we) ird (name) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1\n';
  assert.deepEqual(parseProcStat(odd), { utime: 5, stime: 6 });
});

test('parseProcStat refuses a line that is not a stat line', () => {
  assert.throws(() => parseProcStat('no parenthesis here'), /no command name/);
  assert.throws(() => parseProcStat('1 (x) S 1 2'), /not integers/);
});

test('parseProcStat reads this very process', () => {
  const s = cpuSeconds(process.pid);
  if (s === undefined) return; // not Linux
  assert.ok(s >= 0);
});

test('parseProcIo reads write_bytes and syscw', () => {
  const text = 'rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 0\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n';
  assert.deepEqual(parseProcIo(text), { writeBytes: 8192, writeCalls: 4 });
  assert.throws(() => parseProcIo('rchar: 1\n'), /no write_bytes/);
});

test('parseProcNetTcp reads hex ports and the inode column', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:D431 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1',
    '   1: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 777 1 0000000000000000 100 0 0 10 0',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseProcNetTcp(text), [
    { localPort: 0xd431, remotePort: 5432, inode: 123456 },
    { localPort: 5432, remotePort: 0, inode: 777 },
  ]);
});

test('postgresClientPort reads the client port of a backend process title', () => {
  assert.equal(postgresClientPort('postgres: postgres test 127.0.0.1(54321) idle\0\0\0'), 54321);
  assert.equal(postgresClientPort('postgres: walwriter '), undefined);
  assert.equal(postgresClientPort('node\0server.js\0(123)'), undefined);
});
