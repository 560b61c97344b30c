import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBundle, serializeBundle, type Bundle } from '../../../src/bundle/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { sigstoreJsBundles } from './sigstore-js-bundles.js';
import { clone, v01Bundle } from './fixtures.js';

const REPLACEMENTS: unknown[] = [null, -1, 1.5, 0, '', '!!', '-1', 'AAAA', '9007199254740993', [], {}, true, 2 ** 60, 'application/vnd.dev.sigstore.bundle.v0.3+json', [{}], { x: 1 }];

test('fuzz: thousands of mutated bundles never throw anything but a KeylessError, and what parses round-trips', async () => {
  const seeds = [...Object.values(await sigstoreJsBundles()), v01Bundle()];
  let seed = 1234;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const json = clone(pick(seeds));
    for (let m = 0, n = 1 + rand(3); m < n; m++) {
      // Walk to a random container, then change one of its members.
      let node: Record<string, unknown> | unknown[] = json;
      for (let depth = rand(6); depth > 0; depth--) {
        const children = Object.values(node).filter((v) => typeof v === 'object' && v !== null) as (Record<string, unknown> | unknown[])[];
        if (children.length === 0) break;
        node = pick(children);
      }
      const keys = Object.keys(node);
      if (keys.length === 0) continue;
      const key = pick(keys);
      const target = node as Record<string, unknown>;
      switch (rand(4)) {
        case 0:
          delete target[key];
          break;
        case 1:
          target[key] = pick(REPLACEMENTS);
          break;
        case 2:
          target[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = target[key];
          break;
        default:
          target[key] = typeof target[key] === 'string' ? `${target[key] as string}=` : [target[key]];
      }
    }
    let bundle: Bundle;
    try {
      bundle = parseBundle(json);
    } catch (err) {
      assert.ok(err instanceof KeylessError, String(err));
      assert.ok(['ERR_BUNDLE_INVALID', 'ERR_BUNDLE_UNSUPPORTED', 'ERR_JSON'].includes(err.code), err.code);
      continue;
    }
    accepted++;
    const { raw: _raw, ...model } = bundle;
    assert.deepEqual(serializeBundle(bundle), json);
    const again = parseBundle(serializeBundle(model));
    const { raw: _raw2, ...modelAgain } = again;
    assert.deepEqual(modelAgain, model);
  }
  assert.ok(accepted > 0);
});
