// web/checkpoint.js: the page's check of checkpoint signatures with WebCrypto (here Node's, the same API as
// Chromium's) against a TrustedRoot's log keys, for notes signed by core's signNote with ECDSA P-256 (Rekor v1 key
// IDs) and Ed25519 (C2SP key IDs). Every way a checkpoint can fail to be signed by the log is refused with a reason.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { noteKeyHash, noteKeyHint, signNote, type NoteSigner } from '../../../src/core/note.js';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { ROOT, type Json } from '../../helpers/vectors.js';

const page = async (): Promise<Json> => import(pathToFileURL(join(ROOT, 'web', 'checkpoint.js')).href);

interface Log {
  readonly name: string;
  readonly type: 'ecdsa-p256' | 'ed25519';
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}
function log(name: string, type: Log['type']): Log {
  const { privateKey, publicKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { name, type, privateKey, spki: publicKey.export({ format: 'der', type: 'spki' }) };
}
const scheme = (l: Log) => (l.type === 'ed25519' ? 'c2sp' : 'rekor-v1');
const signer = (l: Log): NoteSigner => ({
  name: l.name,
  keyHint: noteKeyHint(l.name, l, scheme(l)),
  sign: (msg) => sign(l.type === 'ed25519' ? null : 'sha256', msg, l.privateKey),
});
const trustedRoot = (...logs: Log[]) => ({
  tlogs: logs.map((l) => ({
    baseUrl: `https://${l.name}`,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: Buffer.from(l.spki).toString('base64'), keyDetails: l.type === 'ed25519' ? 'PKIX_ED25519' : 'PKIX_ECDSA_P256_SHA_256' },
    logId: { keyId: Buffer.from(noteKeyHash(l.name, l, scheme(l))).toString('base64') },
  })),
});
const body = (origin: string) => `${origin}\n7\n${Buffer.alloc(32, 9).toString('base64')}\n`;

describe('checkpoint signatures in the page', () => {
  const v1 = log('rekor.example.com', 'ecdsa-p256');
  const v2 = log('log2.example.com', 'ed25519');
  const witness = log('witness.example.org', 'ed25519');

  for (const l of [v1, v2]) {
    it(`a ${l.type} checkpoint signed by the log verifies; a witness cosignature is listed, not trusted`, async () => {
      const { verifyCheckpointSignature, signedBy } = await page();
      const { logKeys } = await import(pathToFileURL(join(ROOT, 'web', 'dist', 'core.js')).href);
      const keys = logKeys(trustedRoot(v1, v2));
      const note = signNote(body(l.name), [signer(l), signer(witness)]);
      const result = await verifyCheckpointSignature(note, keys);
      assert.equal(result.checkpoint.size, 7);
      assert.match(signedBy(result), new RegExp(`^signed by ${l.name} \\(key ID [0-9a-f]{8}, PKIX_.*cosigned by keys this page does not trust: witness\\.example\\.org`));
    });
  }

  it('refuses a checkpoint whose log signature does not verify, one with no trusted signature, and a malformed one', async () => {
    const { verifyCheckpointSignature } = await page();
    const { logKeys } = await import(pathToFileURL(join(ROOT, 'web', 'dist', 'core.js')).href);
    const keys = logKeys(trustedRoot(v1, v2));
    for (const l of [v1, v2]) {
      const note = signNote(body(l.name), [signer(l)]);
      const sigLine = note.slice(note.lastIndexOf('\n\n') + 2);
      const bytes = Buffer.from(sigLine.trim().split(' ')[2]!, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      const tampered = note.slice(0, note.lastIndexOf('\n\n') + 2) + `\u2014 ${l.name} ${bytes.toString('base64')}\n`;
      await assert.rejects(verifyCheckpointSignature(tampered, keys), /the signature by .* does not verify with the key of https:\/\//);
      // the same signature over another tree
      const otherText = note.replace('\n7\n', '\n8\n');
      await assert.rejects(verifyCheckpointSignature(otherText, keys), /does not verify/);
    }
    await assert.rejects(verifyCheckpointSignature(signNote(body('x'), [signer(witness)]), keys), /no signature by a log key of the instance's trusted root; signed only by witness/);
    await assert.rejects(verifyCheckpointSignature(signNote(body(v1.name), [signer(v1)]), logKeys(trustedRoot(v2))), /no signature by a log key/);
    await assert.rejects(verifyCheckpointSignature('not a note', keys), { code: 'ERR_NOTE_INVALID' });
  });

  it('a Rekor v1 signed entry timestamp verifies with the log its logID names, and nothing it covers can change', async () => {
    const { verifySet } = await page();
    const { logKeys } = await import(pathToFileURL(join(ROOT, 'web', 'dist', 'core.js')).href);
    const keys = logKeys(trustedRoot(v1, v2));
    const logID = Buffer.from(noteKeyHash(v1.name, v1, 'rekor-v1')).toString('hex');
    const fields = { body: Buffer.from('{"kind":"hashedrekord"}').toString('base64'), integratedTime: 1764800000, logID, logIndex: 41 };
    const set = sign('sha256', Buffer.from(canonicalize(fields)), v1.privateKey).toString('base64');
    const entry = { ...fields, verification: { signedEntryTimestamp: set } };
    assert.match(await verifySet(entry, keys), /^signed by the log at https:\/\/rekor\.example\.com \(PKIX_ECDSA_P256_SHA_256\): integrated at 2025-12-03T22:13:20\.000Z as entry 41$/);
    for (const change of [{ logIndex: 42 }, { integratedTime: 1764800001 }, { body: Buffer.from('{"kind":"dsse"}').toString('base64') }]) {
      await assert.rejects(verifySet({ ...entry, ...change }, keys), /does not verify with the key of https:\/\/rekor\.example\.com/, JSON.stringify(change));
    }
    await assert.rejects(verifySet({ ...entry, logID: 'ab'.repeat(32) }, keys), /names no log of the instance's trusted root/);
    await assert.rejects(verifySet({ ...entry, verification: {} }, keys), /has no signed entry timestamp/);
    await assert.rejects(verifySet({ ...entry, integratedTime: 'soon' }, keys), /lacks a field/);
  });

  it('converts DER ECDSA signatures with short or padded integers, and refuses oversized ones', async () => {
    const { ecdsaSignatureToP1363 } = await import(pathToFileURL(join(ROOT, 'web', 'dist', 'core.js')).href);
    const der = (r: number[], s: number[]) => Uint8Array.from([0x30, 4 + r.length + s.length, 2, r.length, ...r, 2, s.length, ...s]);
    assert.deepEqual([...ecdsaSignatureToP1363(der([1], [0x00, 0x80]), 32)], [...Array(31).fill(0), 1, ...Array(31).fill(0), 0x80]);
    assert.throws(() => ecdsaSignatureToP1363(der([1, ...Array(32).fill(1)], [1]), 32));
    assert.throws(() => ecdsaSignatureToP1363(der([0xff], [1]), 32));
  });
});
