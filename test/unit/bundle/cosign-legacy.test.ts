/**
 * cosign 2's `sign-blob --bundle` format (what GitLab's documented jobs write with cosign 2) is read and verified
 * with every check. The legacy bundle here is written from a golden vector the way cosign writes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { clone, coded, flipBase64, vector, verifyJson, type Json } from '../../helpers/vectors.js';

function toCosignBundle(bundle: Json): Json {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  const pem = `-----BEGIN CERTIFICATE-----\n${bundle.verificationMaterial.certificate.rawBytes.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    base64Signature: bundle.messageSignature.signature,
    cert: Buffer.from(pem).toString('base64'),
    rekorBundle: {
      SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
      },
    },
  };
}

const v = vector('v1-message');

test('a cosign bundle reads as a v0.1 bundle and verifies', () => {
  const legacy = toCosignBundle(v.bundle);
  const parsed = parseBundle(legacy);
  assert.equal(parsed.version, '0.1');
  assert.equal(parsed.verificationMaterial.tlogEntries[0]?.inclusionPromise?.length !== undefined, true);
  const result = verifyJson(legacy, v.trustedRoot, v.artifact);
  assert.equal(result.times[0]?.source, 'transparency-log');
});

test('every check still applies: another artifact, a changed SET, another signature', () => {
  const legacy = toCosignBundle(v.bundle);
  assert.throws(() => verifyJson(legacy, v.trustedRoot, Buffer.from('other')), coded('ERR_SIGNATURE'));
  const badSet = clone(legacy);
  badSet.rekorBundle.SignedEntryTimestamp = flipBase64(badSet.rekorBundle.SignedEntryTimestamp);
  assert.throws(() => verifyJson(badSet, v.trustedRoot, v.artifact), coded('ERR_TLOG_SET'));
  const badSig = clone(legacy);
  badSig.base64Signature = flipBase64(badSig.base64Signature);
  assert.throws(() => verifyJson(badSig, v.trustedRoot, v.artifact), coded('ERR_TLOG_BODY'));
});

test('malformed cosign bundles are coded errors', () => {
  const legacy = toCosignBundle(v.bundle);
  const noRekor = clone(legacy);
  delete noRekor.rekorBundle;
  assert.throws(() => parseBundle(noRekor), coded('ERR_BUNDLE_INVALID', /rekorBundle is missing/));
  const noCert = clone(legacy);
  delete noCert.cert;
  assert.throws(() => parseBundle(noCert), coded('ERR_BUNDLE_UNSUPPORTED'));
  const badBody = clone(legacy);
  badBody.rekorBundle.Payload.body = Buffer.from('not json').toString('base64');
  assert.throws(() => parseBundle(badBody), coded('ERR_BUNDLE_INVALID'));
  const badIndex = clone(legacy);
  badIndex.rekorBundle.Payload.logIndex = -1;
  assert.throws(() => parseBundle(badIndex), coded('ERR_BUNDLE_INVALID'));
});

test('fuzz: 3,000 mutations of a cosign bundle never throw anything but a KeylessError', () => {
  const text = JSON.stringify(toCosignBundle(v.bundle));
  const odd: Json[] = [null, 0, -1, '', 'x', [], {}, 'bnVsbA==', 'NQ==', 'WzFd'];
  let seed = 42;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 3000; i++) {
    let candidate: Json;
    if (i % 2 === 0) {
      const at = Math.floor(r() * text.length);
      const mutated = text.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 90)) + text.slice(at + 1);
      try { candidate = JSON.parse(mutated); } catch { continue; }
    } else {
      candidate = clone(JSON.parse(text));
      const paths: [Json, string][] = [[candidate, 'base64Signature'], [candidate, 'cert'], [candidate, 'rekorBundle'], [candidate.rekorBundle, 'SignedEntryTimestamp'],
        [candidate.rekorBundle, 'Payload'], [candidate.rekorBundle.Payload, 'body'], [candidate.rekorBundle.Payload, 'logID'], [candidate.rekorBundle.Payload, 'logIndex'], [candidate.rekorBundle.Payload, 'integratedTime']];
      const [obj, key] = paths[Math.floor(r() * paths.length)]!;
      obj[key] = clone(odd[Math.floor(r() * odd.length)]);
    }
    try {
      verifyJson(candidate, v.trustedRoot, v.artifact);
    } catch (err) {
      if (!(err instanceof KeylessError)) throw err;
    }
  }
});
