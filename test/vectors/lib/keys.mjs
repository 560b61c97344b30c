// Deterministic test keys for the golden vectors. Every key here is derived from a public seed string, so it is
// a TEST KEY by construction: anyone can recompute the private half. Deriving instead of generating keeps the
// key material of trusted_root.json (and the signers' public keys) the same from one regeneration to the next.
import { createECDH, createHash, createPrivateKey, createPublicKey } from 'node:crypto';

const CURVES = {
  'P-256': { ecdh: 'prime256v1', hash: 'sha256', size: 32 },
  'P-384': { ecdh: 'secp384r1', hash: 'sha384', size: 48 },
};

/** An EC key pair on `curve` whose private scalar is H("keyless test vector key: " + seed). */
export function ecKeyPair(seed, curve = 'P-256') {
  const c = CURVES[curve];
  if (!c) throw new TypeError(`unsupported curve ${curve}`);
  const d = createHash(c.hash).update(`keyless test vector key: ${seed}`).digest();
  const ecdh = createECDH(c.ecdh);
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 || X || Y
  const jwk = {
    kty: 'EC',
    crv: curve,
    d: d.toString('base64url'),
    x: point.subarray(1, 1 + c.size).toString('base64url'),
    y: point.subarray(1 + c.size).toString('base64url'),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** An Ed25519 key pair whose 32-byte seed is SHA-256("keyless test vector key: " + seed). */
export function ed25519KeyPair(seed) {
  const s = createHash('sha256').update(`keyless test vector key: ${seed}`).digest();
  // PKCS#8 wrapping of an Ed25519 seed (RFC 8410): fixed 16-byte prefix, then the 32-byte seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), s]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export function spkiDer(publicKey) {
  return publicKey.export({ format: 'der', type: 'spki' });
}

/** PEM the way Go's encoding/pem writes it (64-column lines), which is what Rekor stores. */
export function toPem(der, label) {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function fromPem(pem) {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) throw new TypeError('not a PEM block');
  return { label: m[1], der: Buffer.from(m[2].replace(/\s+/g, ''), 'base64') };
}
