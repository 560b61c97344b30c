import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLine, transportFloor, transportLine } from '../../../bench/transport-peer.js';
import { drivePaced } from '../../../bench/http-load.js';

const T = { saturatedUs: 40, saturatedRate: 18000, pacedUs: 55, pacedRate: 3000, replyBytes: 1536 };

test('splitLine splits a cost into crypto floor, transport floor (saturated) and keyless own work', () => {
  const peer = transportLine(T);
  const split = splitLine(T, 'entry', 300, 60);
  assert.match(peer, /1\.5 KiB reply uses 40 µs CPU per request saturated \(18000\/s\), 55 µs at keyless's 3000\/s/);
  assert.equal(split, "split: 300 µs per entry = 60 crypto floor + 40 transport floor + 200 keyless's own work (67%); 3.0× crypto + transport floors");
});

test('splitLine has no split when a cost was not measured', () => {
  assert.equal(splitLine(T, 'entry', undefined, 60), undefined);
  assert.equal(splitLine({ ...T, saturatedUs: undefined }, 'entry', 300, 60), undefined);
});

test('drivePaced keeps to its rate whatever the number of clients', async () => {
  let calls = 0;
  await drivePaced(8, 0.5, 100, async () => {
    calls++;
  });
  // 100/s for 0.5 s: about 50 slots (timer slack may lose a few, never add a burst).
  assert.ok(calls >= 35 && calls <= 52, `${calls} calls`);
  let unpaced = 0;
  await drivePaced(2, 0.05, undefined, async () => {
    unpaced++;
    await new Promise((r) => setImmediate(r));
  });
  assert.ok(unpaced > 52, `${unpaced} calls without pacing`);
});

test('transportFloor measures a real peer process answering the given reply', async () => {
  const bodies = [Buffer.from('{"a":1}'), Buffer.from('{"b":[1,2,3]}')];
  const t = await transportFloor({ bodies, reply: '{"ok":true}', status: 201, clients: 2, seconds: 0.3, rate: 200, warmupSeconds: 0.2 });
  assert.equal(t.replyBytes, 11);
  assert.ok(t.saturatedRate > t.pacedRate, `saturated ${t.saturatedRate}/s, paced ${t.pacedRate}/s`);
  if (process.platform === 'linux') assert.ok(t.saturatedUs !== undefined && t.saturatedUs > 0);
});
