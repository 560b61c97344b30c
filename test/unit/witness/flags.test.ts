/** `serve --witness NAME=URL+VKEY`: the vkey is found at the end even when its base64, or the URL, holds a `+`. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createCosigner } from '../../../src/core/cosignature.js';
import { parseWitnessFlag, witnessServeOptions } from '../../../src/cli/commands/witness-flags.js';
import { KeylessError } from '../../../src/core/errors.js';

describe('--witness NAME=URL+VKEY', () => {
  test('splits name, URL and vkey; base64 and URLs may contain "+"', () => {
    let vkey = '';
    // Find a key whose vkey's base64 contains a "+" (most do; a few tries at most).
    for (let i = 0; i < 100 && !vkey.split('+').slice(2).join('+').includes('+'); i++) vkey = createCosigner('w1.example', generateKeyPairSync('ed25519').privateKey).vkey;
    assert.ok(vkey.split('+').length > 3, 'a vkey with a + in its key');
    assert.deepEqual(parseWitnessFlag(`w1=https://w.example/a+b/prefix+${vkey}`, ''), { name: 'w1', url: 'https://w.example/a+b/prefix', vkey });
    assert.deepEqual(parseWitnessFlag(`w1=http://127.0.0.1:3001+${vkey}`, ''), { name: 'w1', url: 'http://127.0.0.1:3001', vkey });
  });

  test('bad values are usage errors; the quorum must fit the witnesses', () => {
    const vkey = createCosigner('w1.example', generateKeyPairSync('ed25519').privateKey).vkey;
    for (const bad of ['w1', `=http://x+${vkey}`, `w1=ftp://x+${vkey}`, 'w1=http://x+notakey']) {
      assert.throws(() => parseWitnessFlag(bad, ''), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_USAGE', bad);
    }
    const get = (values: Record<string, string>) => (name: string) => values[name];
    assert.throws(() => witnessServeOptions(get({ witness: `w1=http://x+${vkey}`, 'witness-quorum': '2' }), new Set(['log']), 'http://127.0.0.1:3000', ''), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_USAGE');
    const ok = witnessServeOptions(get({ witness: `w1=http://x+${vkey} w2=http://y+${vkey}`, 'witness-quorum': '1', 'witness-timeout': '500' }), new Set(['log']), 'http://127.0.0.1:3000', '');
    assert.equal(ok.witnessing?.witnesses.length, 2);
    assert.equal(ok.witnessing?.quorum, 1);
    assert.equal(ok.witnessing?.timeoutMs, 500);
    assert.throws(() => witnessServeOptions(get({}), new Set(['witness']), 'http://127.0.0.1:3000', ''), /--witness-config/);
  });
});
