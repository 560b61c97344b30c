// Verifies a vector directory with sigstore-js's verifier (@sigstore/verify), an implementation independent of
// ours, so that every checked-in vector is known to be good. Reads only what is on disk.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * expect: { identity?, issuer?, publicKeyHint?, artifact?: file name, digest?: "alg:hex" (DSSE subject),
 *           thresholds?: { ctlogThreshold, tlogThreshold, timestampThreshold } }
 * trustedRoot: parsed trusted_root.json (defaults to <dir>/trusted_root.json).
 * Returns a short description of what was verified; throws on any failure.
 */
export function verifyVectorDir(dir, expect, trustedRootJson = readJson(join(dir, 'trusted_root.json'))) {
  const bundle = bundleFromJSON(readJson(join(dir, 'bundle.json')));
  const artifact = expect.artifact ? readFileSync(join(dir, expect.artifact)) : undefined;

  let keys;
  if (expect.publicKeyHint) {
    const pem = readFileSync(join(dir, 'key.pub'), 'utf8');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
    keys = { [expect.publicKeyHint]: { rawBytes: der, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } };
  }
  const trust = toTrustMaterial(TrustedRoot.fromJSON(trustedRootJson), keys);
  const verifier = new Verifier(trust, expect.thresholds ?? {});
  const entity = toSignedEntity(bundle, bundle.content.$case === 'messageSignature' ? artifact : undefined);
  const policy = expect.identity
    ? { subjectAlternativeName: expect.identity, extensions: { issuer: expect.issuer } }
    : undefined;
  const signer = verifier.verify(entity, policy);

  if (bundle.content.$case === 'dsseEnvelope') checkStatementSubject(bundle, artifact, expect.digest);
  const kinds = bundle.verificationMaterial.tlogEntries.map((e) => `${e.kindVersion.kind}/${e.kindVersion.version}`);
  return {
    mediaType: bundle.mediaType,
    content: bundle.content.$case,
    tlog: kinds,
    timestamps: entity.timestamps.map((t) => t.$case),
    identity: signer.identity?.subjectAlternativeName,
    issuer: signer.identity?.extensions?.issuer,
  };
}

/** For in-toto payloads: the artifact's digest (or the given "alg:hex") must be one of the statement's subjects. */
function checkStatementSubject(bundle, artifact, digest) {
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== 'application/vnd.in-toto+json') {
    if (artifact && !Buffer.from(env.payload).equals(artifact)) throw new Error('DSSE payload is not the artifact');
    return;
  }
  const statement = JSON.parse(Buffer.from(env.payload).toString('utf8'));
  const [alg, hex] = digest ? digest.split(':') : ['sha256', createHash('sha256').update(artifact).digest('hex')];
  if (artifact && digest) {
    const actual = createHash(alg).update(artifact).digest('hex');
    if (actual !== hex) throw new Error(`artifact ${alg} ${actual} is not ${hex}`);
  }
  if (!statement.subject.some((s) => s.digest?.[alg] === hex)) {
    throw new Error(`no in-toto subject has ${alg}:${hex}`);
  }
}

export function readExpect(dir) {
  const path = join(dir, 'expected.json');
  return existsSync(path) ? readJson(path) : {};
}
