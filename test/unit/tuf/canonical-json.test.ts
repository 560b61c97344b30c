import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { canonicalize as tufCanonical } from '@tufjs/canonical-json';
import { buildTufRepository, generateTufKeys, TUF_EPOCH_MS } from '../../../src/trust/tuf/index.js';
import { canonicalize as jcs } from '../../../src/core/canonical-json.js';

interface Envelope {
  signed: Record<string, unknown>;
  signatures: { keyid: string; sig: string }[];
}

test('every role is signed over the OLPC canonical JSON tuf-js computes from the served file', () => {
  const keys = generateTufKeys();
  const repo = buildTufRepository({
    keys,
    targets: { 'trusted_root.json': new TextEncoder().encode('{}\n') },
    now: TUF_EPOCH_MS + 86_400_000,
  });
  for (const [role, file] of [['root', '1.root.json'], ['targets', `${repo.version}.targets.json`], ['snapshot', `${repo.version}.snapshot.json`], ['timestamp', 'timestamp.json']] as const) {
    const bytes = repo.files.get(file);
    assert.ok(bytes, file);
    const envelope = JSON.parse(new TextDecoder().decode(bytes)) as Envelope;
    const [signature] = envelope.signatures;
    assert.ok(signature, `${file} is signed`);
    assert.ok(verify(null, Buffer.from(tufCanonical(envelope.signed), 'utf8'), keys[role], Buffer.from(signature.sig, 'hex')), `${role} signature`);
  }
});

test('OLPC canonical JSON is not RFC 8785: control characters are written raw', () => {
  const value = { s: 'a\nb' };
  assert.equal(tufCanonical(value), '{"s":"a\nb"}');
  assert.notEqual(tufCanonical(value), jcs(value));
});
