import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { publicKeyFromSpki, verifySignature } from '../../../src/core/keys.js';
import { verifyPrehashedKey } from '../../../src/core/prehash.js';
import { verifyDigestSignature, verifierFromDer } from '../../../src/log/kinds/verifier.js';
import { nativeStatus, verifyDigestWithKey, verifyMessageWithKey } from '../../../src/native/index.js';
import { requireOrSkip } from '../../helpers/requirements.js';
import { ROOT } from '../../helpers/vectors.js';

const ADDON = join(ROOT, 'native', 'build', 'Release', 'keyless_native.node');
const skip = requireOrSkip('the native addon (npm run build:native)', nativeStatus().loaded, `native addon not in use: ${nativeStatus().reason}`);

/** The addon's own entry point, to feed it what verifyDigestWithKey never would (a point off the curve). */
function rawAddon(): (bits: number, point: Uint8Array, digest: Uint8Array, sig: Uint8Array) => boolean {
  const m = { exports: {} as { verifyDigest: (bits: number, point: Uint8Array, digest: Uint8Array, sig: Uint8Array) => boolean } };
  process.dlopen(m, ADDON);
  return m.exports.verifyDigest;
}

const ORDER: Record<string, bigint> = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384': 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  'P-521': 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

function derInt(v: bigint, padding = 0): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  b = Buffer.concat([Buffer.alloc(padding), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

function derSig(r: bigint, s: bigint, rPadding = 0): Buffer {
  const body = Buffer.concat([derInt(r, rPadding), derInt(s)]);
  return Buffer.concat([body.length < 0x80 ? Buffer.from([0x30, body.length]) : Buffer.from([0x30, 0x81, body.length]), body]);
}

function readSig(sig: Buffer): { r: bigint; s: bigint } {
  const at = sig[1]! & 0x80 ? 3 : 2;
  const rLen = sig[at + 1]!;
  const r = BigInt(`0x${sig.subarray(at + 2, at + 2 + rLen).toString('hex')}`);
  const sAt = at + 2 + rLen;
  const s = BigInt(`0x${sig.subarray(sAt + 2, sAt + 2 + sig[sAt + 1]!).toString('hex')}`);
  return { r, s };
}

const flip = (b: Buffer, i: number): Buffer => {
  const c = Buffer.from(b);
  c[i] = c[i]! ^ 1;
  return c;
};

for (const [curve, hash] of [['P-256', 'sha256'], ['P-256', 'sha512'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
  test(`native digest verify agrees with the JavaScript path and node:crypto on ${curve}/${hash}, accepting and refusing`, { skip }, () => {
    const message = Buffer.from(`the artifact for ${curve}`);
    const digest = createHash(hash).update(message).digest();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const key = publicKeyFromSpki(publicKey.export({ format: 'der', type: 'spki' }));
    const other = generateKeyPairSync('ec', { namedCurve: curve });
    const n = ORDER[curve]!;
    for (let round = 0; round < 3; round++) {
      const sig = sign(hash, message, privateKey);
      const { r, s } = readSig(sig);
      const cases: [string, Buffer, Buffer, boolean, KeyObject?][] = [
        ['valid', digest, sig, true],
        ['high S (n - s), which ECDSA accepts', digest, derSig(r, n - s), true],
        ['another digest', flip(digest, 0), sig, false],
        ['a changed signature', digest, flip(sig, sig.length - 1), false],
        ['r with a non-minimal leading zero', digest, derSig(r, s, 1), false],
        ['a trailing byte after the signature', digest, Buffer.concat([sig, Buffer.from([0])]), false],
        ['r = 0', digest, derSig(0n, s), false],
        ['s = n', digest, derSig(r, n), false],
        ['s = n + s (out of range, same value mod n)', digest, derSig(r, n + s), false],
        ['a truncated signature', digest, sig.subarray(0, 10), false],
        ['an empty digest', Buffer.alloc(0), sig, false],
        ['another key', digest, sig, false, other.publicKey],
      ];
      for (const [what, d, sg, expected, otherKey] of cases) {
        const k = otherKey === undefined ? key : publicKeyFromSpki(otherKey.export({ format: 'der', type: 'spki' }));
        assert.equal(verifyDigestWithKey(k, hash, d, sg), expected, `native: ${what}`);
        assert.equal(verifyPrehashedKey(k, hash, d, sg), expected, `JavaScript: ${what}`);
        if (d === digest) {
          assert.equal(verify(hash, message, otherKey ?? publicKey, sg), expected, `node:crypto over the message: ${what}`);
          assert.equal(verifyMessageWithKey(k, message, sg, hash), expected, `native over the message: ${what}`);
          assert.equal(verifySignature(k, message, sg, hash), expected, `core verifySignature over the message: ${what}`);
        }
      }
    }
  });
}

test('the addon refuses a point that is not on the curve, a curve it does not know, and a compressed point', { skip }, () => {
  const verifyDigest = rawAddon();
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = Buffer.from('m');
  const digest = createHash('sha256').update(message).digest();
  const sig = sign('sha256', message, privateKey);
  const point = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
  assert.equal(verifyDigest(256, point, digest, sig), true);
  assert.equal(verifyDigest(256, flip(point, 64), digest, sig), false, 'off the curve');
  assert.equal(verifyDigest(384, point, digest, sig), false, 'another curve');
  assert.equal(verifyDigest(255, point, digest, sig), false, 'no such curve');
  const compressed = Buffer.concat([Buffer.from([0x02 + (point[64]! & 1)]), point.subarray(1, 33)]);
  assert.equal(verifyDigest(256, compressed, digest, sig), false, 'compressed points are not taken');
});

test('the addon throws a coded TypeError for arguments that are not bytes', { skip }, () => {
  const verifyDigest = rawAddon() as unknown as (...a: unknown[]) => boolean;
  for (const args of [[256, 'point', new Uint8Array(32), new Uint8Array(8)], [256, new Uint8Array(65)], ['256', new Uint8Array(65), new Uint8Array(32), new Uint8Array(8)], [256, new Uint16Array(65), new Uint8Array(32), new Uint8Array(8)]]) {
    assert.throws(() => verifyDigest(...args), (err: Error & { code?: string }) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE');
  }
});

test('a failed native check leaves no OpenSSL error behind for node:crypto to report', { skip }, () => {
  const verifyDigest = rawAddon();
  const garbage = Buffer.from('30030201', 'hex');
  const errorOf = (): string => {
    try {
      createPublicKey({ key: garbage, format: 'der', type: 'spki' });
      return 'no error';
    } catch (err) {
      return `${(err as { code?: string }).code} ${(err as Error).message}`;
    }
  };
  const before = errorOf();
  for (let i = 0; i < 5; i++) verifyDigest(256, Buffer.alloc(65, 4), Buffer.alloc(32), garbage);
  assert.equal(errorOf(), before);
});

test('the log refuses a bad signature with ERR_SIGNATURE through the native path', { skip }, () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const v = verifierFromDer('key', publicKey.export({ format: 'der', type: 'spki' }));
  assert.ok('ok' in v);
  const message = Buffer.from('artifact');
  const digest = createHash('sha256').update(message).digest();
  const sig = sign('sha256', message, privateKey);
  verifyDigestSignature(v.ok, 'sha256', digest, sig, 'signature');
  assert.throws(() => verifyDigestSignature(v.ok, 'sha256', flip(digest, 3), sig, 'signature'), (err: Error & { code?: string }) => err.code === 'ERR_SIGNATURE');
});

test('KEYLESS_NATIVE=0 turns the addon off, and says so', () => {
  const script = `import('./dist/src/native/index.js').then((m) => console.log(JSON.stringify(m.nativeStatus())))`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, KEYLESS_NATIVE: '0' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { loaded: false, reason: 'KEYLESS_NATIVE=0' });
});
