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
import { KeylessError, type ErrorCode } from '../../../src/core/errors.js';
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

/**
 * keyless's verdict: true when it accepts, else the code of the KeylessError it refused with. Anything else it
 * throws (a TypeError from a missing check, say) is a bug, not a rejection, and fails the test.
 */
function keyless(bundle: Json, trustedRoot: Json, artifact: Buffer, identity?: { san: string; issuer: string }): true | ErrorCode {
  try {
    verifyJson(bundle, trustedRoot, artifact, identity === undefined ? { kind: 'withoutIdentitiesUnsafe' } : {
      kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: identity.san }, issuer: { kind: 'exact', value: identity.issuer } }],
    });
    return true;
  } catch (err) {
    if (err instanceof KeylessError && typeof err.code === 'string' && err.code.startsWith('ERR_')) return err.code;
    throw err;
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
  assert.equal(keyless(b, v.trustedRoot, v.artifact), 'ERR_TLOG_INCLUSION');
});

test('both reject the same one-change mutations', () => {
  const v = vector('v1-message');
  const v2 = vector('v2-message');
  const mutations: [string, Json, Json, Buffer, ErrorCode][] = [];
  const add = (what: string, base: typeof v, mutate: (b: Json, r: Json) => void, code: ErrorCode) => {
    const b = clone(base.bundle);
    const r = clone(base.trustedRoot);
    mutate(b, r);
    mutations.push([what, b, r, base.artifact, code]);
  };
  add('other artifact', { ...v, artifact: Buffer.from('x') }, () => undefined, 'ERR_SIGNATURE');
  add('SET', v, (b) => { b.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = Buffer.alloc(70, 1).toString('base64'); }, 'ERR_TLOG_SET');
  add('integrated time', v, (b) => { b.verificationMaterial.tlogEntries[0].integratedTime = '1'; }, 'ERR_TLOG_UNKNOWN');
  add('proof hash', v2, (b) => { b.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0] = Buffer.alloc(32).toString('base64'); }, 'ERR_TLOG_INCLUSION');
  add('no CA', v, (_b, r) => { r.certificateAuthorities = []; }, 'ERR_CERT_CHAIN');
  add('no CT log', v, (_b, r) => { r.ctlogs = []; }, 'ERR_SCT');
  add('no tlog', v, (_b, r) => { r.tlogs = []; }, 'ERR_TLOG_UNKNOWN');
  add('no TSA for a v2 bundle', v2, (_b, r) => { r.timestampAuthorities = []; }, 'ERR_TIMESTAMP');
  for (const [what, bundle, root, artifact, code] of mutations) {
    assert.equal(sigstoreJs(bundle, root, artifact), false, `sigstore-js accepted: ${what}`);
    assert.equal(keyless(bundle, root, artifact), code, `keyless: ${what}`);
  }
});
