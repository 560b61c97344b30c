import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { KeylessError } from '../../../src/core/errors.js';
import { generateTufKeys, tufKeyId, tufKeysFromPem, tufKeysToPem, tufPublicKey } from '../../../src/trust/tuf/index.js';
import { canonical, publicKeyOf, sha256 } from './helpers.js';

test('generates four distinct Ed25519 keys', () => {
  const keys = generateTufKeys();
  const ids = new Set(Object.values(keys).map((k) => tufKeyId(k)));
  assert.equal(ids.size, 4);
  for (const k of Object.values(keys)) assert.equal(k.asymmetricKeyType, 'ed25519');
});

test('the TUF key object carries the raw public key in hex, and its keyid is the sha256 of its canonical JSON', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tufKey = tufPublicKey(privateKey);
  assert.deepEqual(tufKey, tufPublicKey(publicKey));
  assert.match(tufKey.keyval.public, /^[0-9a-f]{64}$/);
  assert.equal(tufKeyId(privateKey), sha256(canonical(tufKey)));
  const message = Buffer.from('m');
  assert.ok(verify(null, message, publicKeyOf(tufKey), sign(null, message, privateKey)));
});

test('refuses keys that are not Ed25519', () => {
  assert.throws(() => tufPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), TypeError);
});

test('a PEM bundle round-trips', () => {
  const keys = generateTufKeys();
  const pem = tufKeysToPem(keys);
  assert.equal((pem.match(/BEGIN PRIVATE KEY/g) ?? []).length, 4);
  const back = tufKeysFromPem(pem);
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    assert.equal(tufKeyId(back[role]), tufKeyId(keys[role]), role);
    assert.equal(back[role].type, 'private');
  }
  // CRLF line ends (a bundle edited on Windows) still read.
  assert.equal(tufKeyId(tufKeysFromPem(pem.replace(/\n/g, '\r\n')).root), tufKeyId(keys.root));
  assert.throws(() => tufKeysToPem({ ...keys, root: createPublicKey(keys.root) }), TypeError);
});

function rejects(pem: string, code: string, roles: string[]): void {
  assert.throws(
    () => tufKeysFromPem(pem),
    (err) => {
      assert.ok(err instanceof KeylessError, String(err));
      assert.equal(err.code, code, err.message);
      assert.deepEqual((err.details['problems'] as { role: string }[]).map((p) => p.role).sort(), [...roles].sort(), err.message);
      return true;
    },
  );
}

test('a broken bundle fails with every problem listed', () => {
  const pem = tufKeysToPem(generateTufKeys());
  rejects('', 'ERR_ENCODING', ['root', 'targets', 'snapshot', 'timestamp']);
  rejects(pem.replace('role: snapshot', 'role: snapshat'), 'ERR_ENCODING', ['snapshat', 'snapshot']);
  const rootBlock = /role: root\n[^]*?END PRIVATE KEY-----\n/.exec(pem)![0];
  rejects(pem + rootBlock, 'ERR_ENCODING', ['root']);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  rejects(pem.replace(rootBlock, `role: root\n${ec}`), 'ERR_KEY_UNSUPPORTED', ['root']);
  const corrupt = pem.replace(/(role: targets\n-----BEGIN PRIVATE KEY-----\n)..../, '$1AAAA');
  rejects(corrupt, 'ERR_ENCODING', ['targets']);
});
