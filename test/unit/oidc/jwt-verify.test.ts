// jwt-verify.ts against jose's jwtVerify as the oracle: the same tokens and key sets, the same verdicts. Each case
// is a token and a key set a real issuer, a broken one or an attacker could present; the CA's options are the ones
// verify-token.ts gives (issuer, audience, clock skew, exp required). One deliberate difference, tested on its own:
// a `crit` header is refused here whatever it lists.
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { checkClaims, JwtRefusal, selectKey, strictPayload, verifyJwsSignature } from '../../../src/oidc/jwt-verify.js';
import { createTokenVerifier } from '../../../src/oidc/index.js';
import { KeylessError } from '../../../src/core/errors.js';
import { fakeIssuers } from './fixtures.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'sigstore';
const NOW = 1_700_000_000;
const SKEW = 60;

type Jwk = Record<string, unknown>;
interface Pair { readonly privateKey: KeyObject; readonly jwk: Jwk }

function pair(type: 'rsa' | 'ec' | 'ed25519', opt: { bits?: number; curve?: string } = {}, extra: Jwk = {}): Pair {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: opt.bits ?? 2048 })
      : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: opt.curve ?? 'P-256' })
        : generateKeyPairSync('ed25519');
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'k1', ...extra } };
}

const RSA = pair('rsa');
const RSA_1024 = pair('rsa', { bits: 1024 });
const P256 = pair('ec');
const P384 = pair('ec', { curve: 'P-384' });
const ED = pair('ed25519');

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** A compact JWS over exactly these bytes, signed as `alg` says (or with `signAs` to sign wrongly on purpose). */
function jws(header: Jwk, payload: Uint8Array | string, key: KeyObject, signAs = String(header['alg'])): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  const data = Buffer.from(input);
  const sig = {
    RS256: () => sign('sha256', data, key), RS384: () => sign('sha384', data, key), RS512: () => sign('sha512', data, key),
    PS256: () => sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    PS384: () => sign('sha384', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }),
    PS256_SALT0: () => sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }),
    ES256: () => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }), ES256_DER: () => sign('sha256', data, key),
    ES384: () => sign('sha384', data, { key, dsaEncoding: 'ieee-p1363' }),
    EdDSA: () => sign(null, data, key), Ed25519: () => sign(null, data, key),
  }[signAs];
  assert.ok(sig, signAs);
  return `${input}.${b64(sig())}`;
}

function claims(over: Jwk = {}): string {
  return JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', iat: NOW - 5, exp: NOW + 300, ...over });
}

async function joseVerdict(token: string, keys: Jwk[]): Promise<boolean> {
  try {
    await jwtVerify(token, createLocalJWKSet({ keys } as never), {
      issuer: ISSUER, audience: AUDIENCE, clockTolerance: SKEW, currentDate: new Date(NOW * 1000), requiredClaims: ['exp'],
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA', 'Ed25519'],
    });
    return true;
  } catch {
    return false;
  }
}

/** Ours: the refusal's reason, or 'ok'. */
function ourVerdict(token: string, keys: Jwk[]): string {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    const key = selectKey({ keys }, header.alg, header.kid);
    if (!verifyJwsSignature(token, header.alg, key)) return 'signature';
    checkClaims(strictPayload(token), { issuer: ISSUER, audience: AUDIENCE, now: NOW, skewSeconds: SKEW });
    return 'ok';
  } catch (err) {
    if (err instanceof JwtRefusal) return err.reason;
    throw err;
  }
}

const flipLast = (t: string): string => t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.at(-1);
const h = (alg: string, extra: Jwk = {}): Jwk => ({ alg, kid: 'k1', typ: 'JWT', ...extra });

// [name, token, key set, our expected reason ('ok' when accepted)]
const cases: [string, string, Jwk[], string][] = [
  ['RS256', jws(h('RS256'), claims(), RSA.privateKey), [RSA.jwk], 'ok'],
  ['RS384', jws(h('RS384'), claims(), RSA.privateKey), [RSA.jwk], 'ok'],
  ['RS512', jws(h('RS512'), claims(), RSA.privateKey), [RSA.jwk], 'ok'],
  ['PS256', jws(h('PS256'), claims(), RSA.privateKey), [RSA.jwk], 'ok'],
  ['PS384', jws(h('PS384'), claims(), RSA.privateKey), [RSA.jwk], 'ok'],
  ['PS256 with a salt of 0 bytes (RFC 7518 wants the digest length)', jws(h('PS256'), claims(), RSA.privateKey, 'PS256_SALT0'), [RSA.jwk], 'signature'],
  ['ES256', jws(h('ES256'), claims(), P256.privateKey), [P256.jwk], 'ok'],
  ['ES384', jws(h('ES384'), claims(), P384.privateKey), [P384.jwk], 'ok'],
  ['EdDSA', jws(h('EdDSA'), claims(), ED.privateKey), [ED.jwk], 'ok'],
  ['Ed25519', jws(h('Ed25519'), claims(), ED.privateKey), [ED.jwk], 'ok'],
  ['RS256 key of 1024 bits', jws(h('RS256'), claims(), RSA_1024.privateKey), [RSA_1024.jwk], 'key'],
  ['ES256 signature in DER', jws(h('ES256'), claims(), P256.privateKey, 'ES256_DER'), [P256.jwk], 'signature'],
  ['ES256 header, P-384 key', jws(h('ES256'), claims(), P384.privateKey, 'ES384'), [P384.jwk], 'kid'],
  ['RS256 header, EC key', jws(h('RS256'), claims(), RSA.privateKey), [P256.jwk], 'kid'],
  ['tampered signature', flipLast(jws(h('RS256'), claims(), RSA.privateKey)), [RSA.jwk], 'signature'],
  ['tampered ES256 signature', flipLast(jws(h('ES256'), claims(), P256.privateKey)), [P256.jwk], 'signature'],
  ['signature with base64 padding', `${jws(h('ES256'), claims(), P256.privateKey)}=`, [P256.jwk], 'signature'],
  ['signature with a character outside base64url', `${jws(h('ES256'), claims(), P256.privateKey)}+`, [P256.jwk], 'signature'],
  ['no signature', jws(h('RS256'), claims(), RSA.privateKey).replace(/[^.]*$/, ''), [RSA.jwk], 'signature'],
  ['tampered payload', (() => { const [a, , c] = jws(h('RS256'), claims(), RSA.privateKey).split('.'); return `${a}.${b64(claims({ sub: 'y' }))}.${c}`; })(), [RSA.jwk], 'signature'],
  ['signed by another key of the same kid', jws(h('RS256'), claims(), pair('rsa').privateKey), [RSA.jwk], 'signature'],
  ['JWK use enc', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, use: 'enc' }], 'kid'],
  ['JWK use sig', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, use: 'sig' }], 'ok'],
  ['JWK alg RS384, token RS256', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, alg: 'RS384' }], 'kid'],
  ['JWK key_ops without verify', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, key_ops: ['encrypt'] }], 'kid'],
  ['JWK key_ops with verify', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, key_ops: ['verify'] }], 'ok'],
  ['JWK key_ops repeated', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, key_ops: ['verify', 'verify'] }], 'kid'],
  ['JWK ext not a boolean', jws(h('RS256'), claims(), RSA.privateKey), [{ ...RSA.jwk, ext: 'yes' }], 'kid'],
  ['two keys with the kid', jws(h('RS256'), claims(), RSA.privateKey), [RSA.jwk, pair('rsa').jwk], 'kid'],
  ['another kid in the header', jws(h('RS256', { kid: 'k2' }), claims(), RSA.privateKey), [RSA.jwk], 'kid'],
  ['a private JWK in the set', jws(h('ES256'), claims(), P256.privateKey), [{ ...P256.privateKey.export({ format: 'jwk' }), kid: 'k1' }], 'key'],
  ['aud as an array', jws(h('RS256'), claims({ aud: ['other', AUDIENCE] }), RSA.privateKey), [RSA.jwk], 'ok'],
  ['another aud', jws(h('RS256'), claims({ aud: 'other' }), RSA.privateKey), [RSA.jwk], 'aud'],
  ['aud an object', jws(h('RS256'), claims({ aud: { a: AUDIENCE } }), RSA.privateKey), [RSA.jwk], 'aud'],
  ['no aud', jws(h('RS256'), claims({ aud: undefined }), RSA.privateKey), [RSA.jwk], 'aud'],
  ['another iss', jws(h('RS256'), claims({ iss: `${ISSUER}/` }), RSA.privateKey), [RSA.jwk], 'iss'],
  ['no iss', jws(h('RS256'), claims({ iss: undefined }), RSA.privateKey), [RSA.jwk], 'iss'],
  ['no exp', jws(h('RS256'), claims({ exp: undefined }), RSA.privateKey), [RSA.jwk], 'exp'],
  ['exp a string', jws(h('RS256'), claims({ exp: String(NOW + 300) }), RSA.privateKey), [RSA.jwk], 'exp'],
  ['expired beyond the skew', jws(h('RS256'), claims({ exp: NOW - SKEW }), RSA.privateKey), [RSA.jwk], 'exp'],
  ['expired within the skew', jws(h('RS256'), claims({ exp: NOW - SKEW + 1 }), RSA.privateKey), [RSA.jwk], 'ok'],
  ['nbf beyond the skew', jws(h('RS256'), claims({ nbf: NOW + SKEW + 1 }), RSA.privateKey), [RSA.jwk], 'nbf'],
  ['nbf within the skew', jws(h('RS256'), claims({ nbf: NOW + SKEW }), RSA.privateKey), [RSA.jwk], 'ok'],
  ['nbf null', jws(h('RS256'), claims({ nbf: null }), RSA.privateKey), [RSA.jwk], 'nbf'],
  ['iat a string', jws(h('RS256'), claims({ iat: 'yesterday' }), RSA.privateKey), [RSA.jwk], 'iat'],
  ['payload not UTF-8', jws(h('RS256'), Buffer.concat([Buffer.from(claims().slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]), RSA.privateKey), [RSA.jwk], 'format'],
  ['payload a JSON array', jws(h('RS256'), '[1,2]', RSA.privateKey), [RSA.jwk], 'format'],
];

describe('jwt-verify agrees with jose jwtVerify', () => {
  for (const [name, token, keys, expected] of cases) {
    it(`${name}: ${expected === 'ok' ? 'accepted' : `refused (${expected})`} by both`, async () => {
      const ours = ourVerdict(token, keys);
      assert.equal(ours, expected);
      assert.equal(await joseVerdict(token, keys), expected === 'ok', 'jose gives the same verdict');
    });
  }
});

describe('the token verifier', () => {
  const net = fakeIssuers({ [ISSUER]: [RSA.jwk] });
  const verifier = createTokenVerifier({ issuers: [{ issuerUrl: ISSUER, clientId: AUDIENCE, type: 'email' }], fetch: net.fetch, now: () => NOW * 1000 });
  const refusedFor = async (token: string, reason: string) => {
    await assert.rejects(verifier.verify(token), (err) => err instanceof KeylessError && err.code === 'ERR_TOKEN' && err.details['reason'] === reason);
  };

  it('refuses a crit header, even one that jose would accept', async () => {
    const token = jws(h('RS256', { crit: ['b64'], b64: true }), claims({ email: 'a@example.com', email_verified: true }), RSA.privateKey);
    assert.equal(await joseVerdict(token, [RSA.jwk]), true, 'jose accepts crit ["b64"] with b64 true');
    await refusedFor(token, 'crit');
  });

  it('refuses a key too small, a bad signature and a claim of the wrong type with their reasons', async () => {
    const ok = jws(h('RS256'), claims({ email: 'a@example.com', email_verified: true }), RSA.privateKey);
    assert.equal((await verifier.verify(ok)).subject, 'a@example.com');
    await refusedFor(flipLast(ok), 'signature');
    await refusedFor(jws(h('RS256'), claims({ email: 'a@example.com', email_verified: true, iat: 'x' }), RSA.privateKey), 'iat');
    const small = createTokenVerifier({ issuers: [{ issuerUrl: ISSUER, clientId: AUDIENCE, type: 'email' }], fetch: fakeIssuers({ [ISSUER]: [RSA_1024.jwk] }).fetch, now: () => NOW * 1000 });
    await assert.rejects(small.verify(jws(h('RS256'), claims({ email: 'a@example.com', email_verified: true }), RSA_1024.privateKey)), (err) => err instanceof KeylessError && err.details['reason'] === 'key');
  });
});
