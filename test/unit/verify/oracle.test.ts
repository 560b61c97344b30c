/**
 * sigstore-js (@sigstore/verify) as an independent oracle: it and keyless agree on every golden and public bundle,
 * and on the one-change mutations both implement. Where keyless is deliberately stricter, the test says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { clone, GENERATED, vector, verifyJson, type Json } from '../../helpers/vectors.js';

function sigstoreJs(bundle: Json, trustedRoot: Json, artifact: Buffer, identity?: { san: string; issuer: string }): boolean {
  try {
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot)));
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(bundle), artifact));
    if (identity !== undefined) {
      return signer.identity?.subjectAlternativeName === identity.san && signer.identity?.extensions?.issuer === identity.issuer;
    }
    return true;
  } catch {
    return false;
  }
}

function keyless(bundle: Json, trustedRoot: Json, artifact: Buffer, identity?: { san: string; issuer: string }): boolean {
  try {
    verifyJson(bundle, trustedRoot, artifact, identity === undefined ? { kind: 'withoutIdentitiesUnsafe' } : {
      kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: identity.san }, issuer: { kind: 'exact', value: identity.issuer } }],
    });
    return true;
  } catch {
    return false;
  }
}

test('both accept every golden bundle made by sigstore-js', () => {
  for (const name of GENERATED) {
    const v = vector(name);
    const id = { san: v.expected.identity, issuer: v.expected.issuer };
    assert.equal(sigstoreJs(v.bundle, v.trustedRoot, v.artifact, id), true, `sigstore-js: ${name}`);
    assert.equal(keyless(v.bundle, v.trustedRoot, v.artifact, id), true, `keyless: ${name}`);
  }
});

test('both accept the public-good bundles with the production trusted root', () => {
  for (const name of ['public/message-tsa-v03', 'public/rekor-v2-message', 'public/npm-provenance-intoto']) {
    const v = vector(name);
    assert.equal(sigstoreJs(v.bundle, productionTrustedRootJson, v.artifact), true, `sigstore-js: ${name}`);
    assert.equal(keyless(v.bundle, productionTrustedRootJson, v.artifact, { san: v.expected.identity, issuer: v.expected.issuer }), true, `keyless: ${name}`);
  }
});

test('both accept a public v0.1 bundle whose chain carries its root certificate (a hint, never an anchor)', () => {
  const v = vector('public/v01-dsse-2022');
  assert.equal(sigstoreJs(v.bundle, productionTrustedRootJson, v.artifact), true);
  assert.equal(keyless(v.bundle, productionTrustedRootJson, v.artifact, { san: v.expected.identity, issuer: v.expected.issuer }), true);
});

test('keyless is stricter than sigstore-js on an inclusion proof whose root hash is not the checkpoint\'s', () => {
  // sigstore-js checks the proof against the checkpoint's root and never reads inclusionProof.rootHash; keyless
  // requires the two to agree, so a bundle cannot say one thing and prove another.
  const v = vector('v1-message');
  const b = clone(v.bundle);
  b.verificationMaterial.tlogEntries[0].inclusionProof.rootHash = Buffer.alloc(32).toString('base64');
  assert.equal(sigstoreJs(b, v.trustedRoot, v.artifact), true);
  assert.equal(keyless(b, v.trustedRoot, v.artifact), false);
});

test('both reject the same one-change mutations', () => {
  const v = vector('v1-message');
  const v2 = vector('v2-message');
  const mutations: [string, Json, Json, Buffer][] = [];
  const add = (what: string, base: typeof v, mutate: (b: Json, r: Json) => void) => {
    const b = clone(base.bundle);
    const r = clone(base.trustedRoot);
    mutate(b, r);
    mutations.push([what, b, r, base.artifact]);
  };
  add('other artifact', { ...v, artifact: Buffer.from('x') }, () => undefined);
  add('SET', v, (b) => { b.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = Buffer.alloc(70, 1).toString('base64'); });
  add('integrated time', v, (b) => { b.verificationMaterial.tlogEntries[0].integratedTime = '1'; });
  add('proof hash', v2, (b) => { b.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0] = Buffer.alloc(32).toString('base64'); });
  add('no CA', v, (_b, r) => { r.certificateAuthorities = []; });
  add('no CT log', v, (_b, r) => { r.ctlogs = []; });
  add('no tlog', v, (_b, r) => { r.tlogs = []; });
  add('no TSA for a v2 bundle', v2, (_b, r) => { r.timestampAuthorities = []; });
  for (const [what, bundle, root, artifact] of mutations) {
    assert.equal(sigstoreJs(bundle, root, artifact), false, `sigstore-js accepted: ${what}`);
    assert.equal(keyless(bundle, root, artifact), false, `keyless accepted: ${what}`);
  }
});
