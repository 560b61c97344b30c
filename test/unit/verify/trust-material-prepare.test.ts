/**
 * The trusted root as the verifier prepares it: CA chains that must hold together, validity windows inclusive at
 * both ends; and certificate transparency's refusals for a leaf without SCTs or SCTs from unknown logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRUSTED_ROOT_MEDIA_TYPE_V01, type TrustedRoot } from '../../../src/trust/types.js';
import { prepareTrustMaterial, withinWindow } from '../../../src/verify/trust-material.js';
import { verifySignedCertificateTimestamps } from '../../../src/verify/sct.js';
import { clone, coded, vector, verifyJson } from '../../helpers/vectors.js';
import { CA_EXTENSIONS, DAY, T0, authority, issue, makeCa, makeLeaf, trustMaterial } from './pki.js';

const root = (cas: TrustedRoot['certificateAuthorities'], tsas: TrustedRoot['timestampAuthorities'] = []): TrustedRoot => ({
  mediaType: TRUSTED_ROOT_MEDIA_TYPE_V01, tlogs: [], ctlogs: [], certificateAuthorities: cas, timestampAuthorities: tsas,
});

test('a validity window includes its start and its end; without an end it stays open', () => {
  assert.equal(withinWindow({ start: 10, end: 20 }, 10), true);
  assert.equal(withinWindow({ start: 10, end: 20 }, 20), true);
  assert.equal(withinWindow({ start: 10, end: 20 }, 9), false);
  assert.equal(withinWindow({ start: 10, end: 20 }, 21), false);
  assert.equal(withinWindow({ start: 10 }, Number.MAX_SAFE_INTEGER), true);
  assert.equal(withinWindow({ start: 10 }, 9), false);
});

test('a CA or TSA with an empty certificate chain', () => {
  const empty = { ...authority('https://ca.test', []), certChain: [] };
  assert.match(prepareTrustMaterial(root([empty])).unusable[0]?.reason ?? '', /certificate authority \(https:\/\/ca\.test\) has an empty certificate chain/);
  assert.match(prepareTrustMaterial(root([], [empty])).unusable[0]?.reason ?? '', /timestamp authority \(https:\/\/ca\.test\) has an empty certificate chain/);
});

test('a CA chain whose certificates do not sign each other', () => {
  const a = makeCa();
  const b = makeCa();
  // b's intermediate is not signed by a's root.
  assert.match(prepareTrustMaterial(root([authority('https://ca.test', [b.intermediate, a.root])])).unusable[0]?.reason ?? '', /certificate 0 is not signed by the next one/);
  // The last certificate must sign itself: a's intermediate is signed by a's root, not by itself.
  assert.match(prepareTrustMaterial(root([authority('https://ca.test', [a.intermediate])])).unusable[0]?.reason ?? '', /certificate 0 is not signed by the next one/);
  const notSelfSigned = issue({ issuer: a.root, notBefore: T0, notAfter: T0 + DAY, extensions: CA_EXTENSIONS });
  assert.match(prepareTrustMaterial(root([authority('https://ca.test', [a.intermediate, notSelfSigned])])).unusable[0]?.reason ?? '', /certificate 0 is not signed/);
  prepareTrustMaterial(root([authority('https://ca.test', [a.intermediate, a.root]), authority('https://root-only.test', [a.root])]));
});

test('a signing certificate without embedded SCTs', () => {
  const ca = makeCa();
  const leaf = makeLeaf(ca, T0 + DAY);
  const trust = trustMaterial({ cas: [authority('https://ca.test', [ca.intermediate, ca.root])] });
  assert.throws(() => verifySignedCertificateTimestamps(leaf.cert, ca.intermediate.cert, trust, 1), coded('ERR_SCT', /has no embedded SCT/));
});

test('an SCT from a CT log the trusted root does not list is named as such', () => {
  const v = vector('v1-message');
  const r = clone(v.trustedRoot);
  r.ctlogs = [];
  assert.throws(() => verifyJson(v.bundle, r, v.artifact), coded('ERR_SCT', /0 of 1 embedded SCTs verified, 1 required: SCT from unknown CT log/));
});
