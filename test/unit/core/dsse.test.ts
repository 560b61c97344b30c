import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pae } from '../../../src/core/dsse.js';

test('PAE matches the DSSE protocol example', () => {
  // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world")
  const out = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
  assert.equal(Buffer.from(out).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('PAE lengths are byte lengths, not UTF-16 lengths', () => {
  const out = pae('application/é', Uint8Array.of(0xff, 0x00));
  assert.deepEqual(Buffer.from(out), Buffer.concat([Buffer.from('DSSEv1 14 application/é 2 '), Buffer.from([0xff, 0x00])]));
  assert.equal(Buffer.from(pae('', new Uint8Array())).toString(), 'DSSEv1 0  0 ');
});
