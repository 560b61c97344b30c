// The rate-limited error log: the first of identical errors in an interval in full, then one count per interval;
// a stack only at debug level. A fake clock and a recording sink, no sleeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeylessError } from '../../../src/core/errors.js';
import { createErrorLog, type LogSink } from '../../../src/server/error-log.js';

function recorder(debug = false): LogSink & { lines: { obj: Record<string, unknown>; msg: string }[] } {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, error: (obj, msg) => lines.push({ obj, msg }), isLevelEnabled: (level) => debug && level === 'debug' };
}

test('identical errors: the first is logged, the rest of the interval only counted, then one summary line', () => {
  const clock = { ms: 0 };
  const log = createErrorLog({ intervalMs: 10_000, now: () => clock.ms });
  const sink = recorder();
  const full = () => new KeylessError('ERR_STORE_UNAVAILABLE', 'log store unavailable: append: commit failed: database or disk is full', {}, { cause: new Error('SQLITE_FULL') });
  assert.equal(log.report(sink, full()), true);
  for (let i = 0; i < 999; i++) {
    clock.ms += 5;
    assert.equal(log.report(sink, full()), false);
  }
  assert.equal(sink.lines.length, 1, 'one line for 1000 identical errors in one interval');
  assert.equal(sink.lines[0]!.obj['code'], 'ERR_STORE_UNAVAILABLE');
  assert.equal(sink.lines[0]!.obj['cause'], 'SQLITE_FULL');
  assert.equal(sink.lines[0]!.obj['stack'], undefined, 'no stack below debug level');
  log.flush();
  assert.equal(sink.lines.length, 1, 'the interval has not ended yet');
  clock.ms = 10_000;
  log.flush();
  assert.equal(sink.lines.length, 2);
  assert.equal(sink.lines[1]!.obj['repeated'], 999);
  assert.match(sink.lines[1]!.msg, /repeated 999 more times in 10 s/);
  // A new interval starts with the error in full again.
  assert.equal(log.report(sink, full()), true);
  assert.equal(sink.lines.length, 3);
});

test('errors that differ only in their numbers count as one; different codes or messages do not', () => {
  const clock = { ms: 0 };
  const log = createErrorLog({ intervalMs: 1000, now: () => clock.ms });
  const sink = recorder();
  assert.equal(log.report(sink, new KeylessError('ERR_PUSHBACK', 'the log has 20001 submissions waiting')), true);
  assert.equal(log.report(sink, new KeylessError('ERR_PUSHBACK', 'the log has 20002 submissions waiting')), false);
  assert.equal(log.report(sink, new KeylessError('ERR_STORE', 'the log has 20002 submissions waiting')), true);
  assert.equal(log.report(sink, new KeylessError('ERR_PUSHBACK', 'shutting down')), true);
  assert.equal(log.report(sink, new TypeError('bug')), true);
  assert.equal(sink.lines[3]!.obj['code'], 'ERR_INTERNAL');
  log.flushAll();
  assert.equal(sink.lines.length, 5, 'the one suppressed error is summarized at shutdown');
  assert.equal(sink.lines[4]!.obj['repeated'], 1);
});

test('at debug level the stack is logged', () => {
  const log = createErrorLog({ now: () => 0 });
  const sink = recorder(true);
  log.report(sink, new KeylessError('ERR_STORE', 'broken'));
  assert.match(String(sink.lines[0]!.obj['stack']), /KeylessError: broken\n\s+at /);
});

test('the number of distinct errors tracked is bounded; the oldest is summarized when forgotten', () => {
  const log = createErrorLog({ now: () => 0, maxKeys: 3 });
  const sink = recorder();
  log.report(sink, new Error('a'));
  log.report(sink, new Error('a'));
  log.report(sink, new Error('b'));
  log.report(sink, new Error('c'));
  log.report(sink, new Error('d'));
  assert.deepEqual(sink.lines.map((l) => l.msg.split(' ')[0]), ['a', 'b', 'c', 'a', 'd']);
  assert.equal(sink.lines[3]!.obj['repeated'], 1);
});
