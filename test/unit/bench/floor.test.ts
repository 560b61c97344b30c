import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateFloor, costLine, entryFloor, floor, formatPart, median, timestampFloor, verificationFloor, type Calibration } from '../../../bench/floor.js';
import { metricSample } from '../../../bench/http-load.js';

const CAL: Calibration = {
  p256Verify: 80, p256VerifyDigest: 200, p256VerifyDigestJs: 200, p256Sign: 40, p384Verify: 600, ed25519Verify: 100, ed25519Sign: 30,
  rsa2048Verify: 25, sha256Kib: 2, p256KeyImport: 50,
};

test('floor sums count × µs, fractional counts included', () => {
  const f = floor([{ label: 'a', count: 1, us: 80 }, { label: 'b', count: 0.5, us: 30 }, { label: 'c', count: 3, us: 2 }]);
  assert.equal(f.totalUs, 80 + 15 + 6);
});

test('formatPart writes a count below one as 1/batch', () => {
  assert.equal(formatPart({ label: 'checkpoint sign/batch', count: 1 / 40, us: 30 }), '1/40.0 checkpoint sign/batch 0.75');
  assert.equal(formatPart({ label: 'P-256 verify', count: 1, us: 80.4 }), '1 P-256 verify 80.4');
  assert.equal(formatPart({ label: 'x', count: 2.5, us: 100 }), '2.50× x 250');
});

test('costLine prints the multiple of the floor, or says it was not measured', () => {
  const f = floor([{ label: 'P-256 verify', count: 1, us: 100 }]);
  assert.equal(costLine('server', 'entry', 250, f), 'cost: 250 µs server CPU per entry = 2.5× crypto floor (floor 100 µs: 1 P-256 verify 100)');
  assert.match(costLine('server', 'entry', undefined, f), /^cost: server CPU per entry not measured \(floor 100 µs/);
});

test('entryFloor: v2 is one verify, an Ed25519 checkpoint per batch and hashing; v1 adds a SET', () => {
  assert.equal(floor(entryFloor(CAL, 'v2', 10)).totalUs, 80 + 3 + 6);
  assert.equal(floor(entryFloor(CAL, 'v1', 4)).totalUs, 80 + 40 + 10 + 6);
  // A batch below one (nothing observed) counts as one.
  assert.equal(floor(entryFloor(CAL, 'v2', 0)).totalUs, 80 + 30 + 6);
});

test('certificateFloor and timestampFloor', () => {
  assert.equal(floor(certificateFloor(CAL, 8)).totalUs, 25 + 80 + 3 * 40 + 5 + 8);
  assert.equal(floor(timestampFloor(CAL)).totalUs, 40 + 4);
});

test('verificationFloor prices counted operations; two ECDH calls are one digest verify', () => {
  const { parts, unpriced } = verificationFloor(CAL, new Map([['verify ec-prime256v1', 3], ['ecdh prime256v1', 2], ['verify ed25519', 1], ['verify dsa', 1]]));
  assert.equal(floor(parts).totalUs, 4 * 80 + 100 + 4);
  assert.deepEqual(unpriced, ['1× verify dsa']);
});

test('median', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('metricSample reads one sample of Prometheus text', () => {
  const text = '# HELP x\nkeyless_log_batch_size_sum{log="rekor-v2"} 1234\nkeyless_log_batch_size_count{log="rekor-v2"} 56\nplain 7\n';
  assert.equal(metricSample(text, 'keyless_log_batch_size_sum', 'log="rekor-v2"'), 1234);
  assert.equal(metricSample(text, 'keyless_log_batch_size_count', 'log="ct"'), undefined);
  assert.equal(metricSample(text, 'plain'), 7);
});
