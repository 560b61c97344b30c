/**
 * verify/witness.ts: the quorum check fails for each reason it can — too few cosigners, a cosignature that names a
 * policy witness but does not verify, one dated in the future — and names who did and did not cosign.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createCosigner } from '../../../src/core/cosignature.js';
import { KeylessError } from '../../../src/core/errors.js';
import { parseSignedNote } from '../../../src/core/note.js';
import { parseWitnessPolicy } from '../../../src/core/tlog-policy.js';
import { verifyWitnessQuorum } from '../../../src/verify/witness.js';
import { ToyLog } from './fixtures.js';

const NOW = 1_800_000_000_000;
const cosigners = ['a', 'b', 'c'].map((n) => createCosigner(`${n}.test`, generateKeyPairSync('ed25519').privateKey));
const policy = (quorum: string) => parseWitnessPolicy(`${cosigners.map((c, i) => `witness ${'abc'[i]} ${c.vkey}`).join('\n')}\n${quorum}\n`);
const log = new ToyLog().append(3);
const body = parseSignedNote(log.checkpoint()).text;
const cosigned = (...lines: string[]) => `${log.checkpoint()}${lines.join('')}`;
const line = (i: number, t = NOW / 1000 - 10) => cosigners[i]!.cosign(body, t);

function witnessError(fn: () => unknown): KeylessError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeylessError && err.code === 'ERR_WITNESS') return err;
    throw err;
  }
  throw new Error('expected ERR_WITNESS');
}

describe('verifyWitnessQuorum', () => {
  test('a quorum of valid cosignatures passes and reports who cosigned when', () => {
    const v = verifyWitnessQuorum(cosigned(line(0), line(2)), policy('group q 2 a b c\nquorum q'), { now: () => NOW });
    assert.deepEqual(v.cosigned.map((c) => c.name), ['a', 'c']);
    assert.equal(v.cosigned[0]!.timestamp, NOW / 1000 - 10);
    assert.deepEqual(v.missing, ['b']);
  });

  test('too few cosigners: ERR_WITNESS names who did and did not cosign', () => {
    const err = witnessError(() => verifyWitnessQuorum(cosigned(line(0)), policy('group q 2 a b c\nquorum q'), { now: () => NOW }));
    assert.deepEqual(err.details['cosigned'], ['a']);
    assert.deepEqual(err.details['missing'], ['b', 'c']);
    assert.match(err.message, /cosigned by a; not by b, c/);
  });

  test('a cosignature that names a policy witness but does not verify does not count (over another checkpoint)', () => {
    const other = new ToyLog(log.origin, log.key).append(4);
    const wrong = cosigners[1]!.cosign(parseSignedNote(other.checkpoint()).text, NOW / 1000);
    const err = witnessError(() => verifyWitnessQuorum(cosigned(line(0), wrong), policy('group q 2 a b c\nquorum q'), { now: () => NOW }));
    assert.deepEqual(err.details['invalid'], ['b']);
  });

  test('a cosignature dated more than ten minutes ahead does not count', () => {
    const err = witnessError(() => verifyWitnessQuorum(cosigned(line(0), line(1, NOW / 1000 + 3600)), policy('group q 2 a b c\nquorum q'), { now: () => NOW }));
    assert.deepEqual(err.details['future'], ['b']);
  });

  test('cosignatures by keys the policy does not list are ignored; quorum none needs none', () => {
    const stranger = createCosigner('a.test', generateKeyPairSync('ed25519').privateKey).cosign(body, NOW / 1000);
    witnessError(() => verifyWitnessQuorum(cosigned(stranger), policy('quorum a'), { now: () => NOW }));
    assert.deepEqual(verifyWitnessQuorum(log.checkpoint(), policy('quorum none')).cosigned, []);
  });
});

describe('the verifier with a witness policy (check 3e)', () => {
  test('a generated v2 bundle verifies with quorum none, fails with ERR_WITNESS when a witness is required, and its checkpoint still verifies once cosigned', async () => {
    const { vector, gitlabIdentity } = await import('../../helpers/vectors.js');
    const { parseBundle } = await import('../../../src/bundle/index.js');
    const { parseTrustedRoot } = await import('../../../src/trust/index.js');
    const { createVerifier } = await import('../../../src/verify/verifier.js');
    const v = vector('v2-message');
    const now = () => Date.parse('2030-01-01T00:00:00Z');
    const verify = (bundleJson: unknown, quorum: string) => createVerifier({ trustedRoot: parseTrustedRoot(v.trustedRoot), witnessPolicy: policy(quorum), now })
      .verify(parseBundle(bundleJson), { artifact: { kind: 'bytes', data: v.artifact }, identity: gitlabIdentity });
    assert.deepEqual(verify(v.bundle, 'quorum none').witnesses?.[0]?.cosigned, []);
    const err = witnessError(() => verify(v.bundle, 'quorum a'));
    assert.deepEqual(err.details['missing'], ['a', 'b', 'c']);
    // Cosign the bundle's checkpoint with a: the log signature is untouched, and the quorum is now met.
    const bundle = structuredClone(v.bundle) as { verificationMaterial: { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] } };
    const cp = bundle.verificationMaterial.tlogEntries[0]!.inclusionProof.checkpoint;
    cp.envelope += cosigners[0]!.cosign(parseSignedNote(cp.envelope).text, 1_700_000_000);
    assert.deepEqual(verify(bundle, 'quorum a').witnesses?.[0]?.cosigned.map((c) => c.name), ['a']);
  });
});
