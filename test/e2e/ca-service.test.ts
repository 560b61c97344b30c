// The CA, CT log, TSA and dev OIDC issuer of `keyless serve` (a real process, real HTTP), used by sigstore-js
// unchanged: `sigstore.sign` with fulcioURL/rekorURL/tsaServerURL, and @sigstore/sign's builder with Rekor v2.
// The bundles verify in @sigstore/verify and in `keyless verify-blob` with the instance's trusted root; bad tokens,
// proofs and keys get a 400 with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const require = createRequire(import.meta.url);
const sigstore = require('sigstore');
const { MessageSignatureBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = require('@sigstore/sign');
const { bundleToJSON, bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

function keyless(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('certificate authority, CT and TSA over HTTP, with the dev OIDC issuer', () => {
  let served: Served;
  let token: string;
  let identity: string;
  before(async () => {
    served = await startServe(['--dev-oidc-issuer']);
    const minted = keyless(['dev-token', '--data-dir', served.dataDir, '--issuer', served.url, '--project', 'my-group/my-project', '--ref', 'main']);
    assert.equal(minted.status, 0, minted.stderr);
    token = minted.stdout.trim();
    identity = `https://${new URL(served.url).host}/my-group/my-project//.gitlab-ci.yml@refs/heads/main`;
  });
  after(async () => {
    assert.equal(await served.stop(), 0);
  });

  const verifySjs = (bundleJson: unknown, artifact: Buffer) => {
    const trust = toTrustMaterial(TrustedRoot.fromJSON(served.trustedRoot()));
    const signer = new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundleJson), artifact), {
      subjectAlternativeName: identity,
      extensions: { issuer: served.url },
    });
    assert.equal(signer.identity?.subjectAlternativeName, identity);
  };

  const verifyKeyless = (bundleJson: unknown, artifact: Buffer) => {
    const dir = served.dataDir;
    writeFileSync(join(dir, 'artifact.txt'), artifact);
    writeFileSync(join(dir, 'cosign.bundle'), JSON.stringify(bundleJson));
    const r = keyless(['verify-blob', join(dir, 'artifact.txt'), '--bundle', join(dir, 'cosign.bundle'), '--trusted-root', join(dir, 'trusted_root.json'),
      '--certificate-identity', identity, '--certificate-oidc-issuer', served.url]);
    assert.equal(r.status, 0, r.stderr);
    const wrong = keyless(['verify-blob', join(dir, 'artifact.txt'), '--bundle', join(dir, 'cosign.bundle'), '--trusted-root', join(dir, 'trusted_root.json'),
      '--certificate-identity', identity.replace('main', 'dev'), '--certificate-oidc-issuer', served.url]);
    assert.equal(wrong.status, 1, 'a different expected identity is refused');
  };

  it('sigstore.sign gets a certificate with an embedded SCT, a Rekor v1 entry and a timestamp; both verifiers accept it', async () => {
    const artifact = Buffer.from(`signed with sigstore-js against keyless ${Date.now()}`);
    const bundle = await sigstore.sign(artifact, { fulcioURL: served.url, rekorURL: served.url, tsaServerURL: served.url, identityToken: token });
    assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
    assert.equal(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
    verifySjs(bundle, artifact);
    verifyKeyless(bundle, artifact);
    // The log finds the entry by the signer's identity and by its GitLab project.
    // protobuf JSON leaves out a zero logIndex (the first entry of a fresh log).
    const logIndex = Number((bundle as { verificationMaterial: { tlogEntries: { logIndex?: string }[] } }).verificationMaterial.tlogEntries[0]!.logIndex ?? '0');
    for (const query of [{ subject: identity }, { repository: `${served.url}/my-group/my-project` }]) {
      const res = await fetch(`${served.url}/api/v1/index/retrieve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query) });
      const uuids = (await res.json()) as string[];
      const entries = await Promise.all(uuids.map(async (u) => Object.values((await (await fetch(`${served.url}/api/v1/log/entries/${u}`)).json()) as Record<string, { logIndex: number }>)[0]!.logIndex));
      assert.ok(entries.includes(logIndex), `${JSON.stringify(query)} finds log index ${logIndex}`);
    }
  });

  it('the sigstore-js CLI verifies a bundle made against the instance, with trust from the instance\'s TUF repository', async () => {
    const artifact = Buffer.from(`for the sigstore CLI ${Date.now()}`);
    const bundle = await sigstore.sign(artifact, { fulcioURL: served.url, rekorURL: served.url, tsaServerURL: served.url, identityToken: token });
    writeFileSync(join(served.dataDir, 'cli-artifact.txt'), artifact);
    writeFileSync(join(served.dataDir, 'cli.bundle'), JSON.stringify(bundle));
    const run = (expectedIdentity: string) => spawnSync(join(ROOT, 'node_modules', '.bin', 'sigstore'), ['verify', join(served.dataDir, 'cli.bundle'),
      '--blob-file', join(served.dataDir, 'cli-artifact.txt'), '--certificate-identity-uri', expectedIdentity, '--certificate-issuer', served.url,
      '--tuf-mirror-url', `${served.url}/tuf`, '--tuf-root-path', join(served.dataDir, 'tuf', 'root.json'), '--tuf-cache-path', join(served.dataDir, 'tuf-cache')], { encoding: 'utf8' });
    const ok = run(identity);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.notEqual(run(identity.replace('main', 'other')).status, 0, 'another identity is refused');
  });

  it('@sigstore/sign with Rekor v2 and the TSA: both verifiers accept it', async () => {
    const artifact = Buffer.from(`v2 ${Date.now()}`);
    const signer = new FulcioSigner({ fulcioBaseURL: served.url, identityProvider: { getToken: async () => token } });
    const builder = new MessageSignatureBundleBuilder({
      signer,
      witnesses: [new RekorWitness({ rekorBaseURL: `${served.url}/rekor-v2`, majorApiVersion: 2 }), new TSAWitness({ tsaBaseURL: served.url })],
    });
    const json = bundleToJSON(await builder.create({ data: artifact }));
    assert.equal(json.verificationMaterial.tlogEntries[0].kindVersion.version, '0.0.2');
    verifySjs(json, artifact);
    verifyKeyless(json, artifact);
  });

  it('serves the trust bundle, configuration, the CT tree head and the issuer discovery', async () => {
    const bundle = (await (await fetch(`${served.url}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
    assert.equal(bundle.chains[0]!.certificates.length, 2);
    const config = (await (await fetch(`${served.url}/api/v2/configuration`)).json()) as { issuers: { issuerUrl?: string }[] };
    assert.ok(config.issuers.some((i) => i.issuerUrl === served.url));
    const sth = (await (await fetch(`${served.url}/ct/v1/get-sth`)).json()) as { tree_size: number };
    assert.ok(sth.tree_size >= 2, 'each certificate put a precertificate in the CT log');
    const discovery = (await (await fetch(`${served.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    assert.equal(discovery.issuer, served.url);
    assert.equal((await fetch(discovery.jwks_uri)).status, 200);
  });

  it('refuses bad tokens, proofs and keys with a 400 that says why', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const sub = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;
    const request = (tok: string, proof = sign('sha256', Buffer.from(sub), privateKey), keyPem = pem) => ({
      credentials: { oidcIdentityToken: tok },
      publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: keyPem }, proofOfPossession: proof.toString('base64') },
    });
    const post = async (body: unknown) => {
      const res = await fetch(`${served.url}/api/v2/signingCert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { message: string; error: string } };
    };
    assert.equal((await post(request(token))).status, 201, 'the good request works');

    const devKey = createPrivateKey(readFileSync(join(served.dataDir, 'oidc', 'dev-issuer.key')));
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
    const forge = (change: Record<string, unknown>) => new SignJWT({ ...claims, ...change }).setProtectedHeader({ alg: 'RS256', kid }).sign(devKey);
    const now = Math.floor(Date.now() / 1000);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${token.split('.')[1]}.`;
    const cases: [string, unknown, number, RegExp][] = [
      ['alg none', request(none), 400, /alg|algorithm/i],
      ['wrong audience', request(await forge({ aud: 'not-sigstore' })), 400, /aud/],
      ['expired', request(await forge({ exp: now - 3600, iat: now - 4000, nbf: now - 4000 })), 400, /expired|exp/],
      ['tampered payload', request(`${token.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims, project_path: 'evil/project' })).toString('base64url')}.${token.split('.')[2]}`), 400, /signature/i],
      ['null ci_config_ref_uri', request(await forge({ ci_config_ref_uri: null })), 400, /ci_config_ref_uri/],
      ['bad proof of possession', request(token, sign('sha256', Buffer.from('someone else'), privateKey)), 400, /proof|possession/i],
      ['weak RSA key', request(token, Buffer.from('x'), generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()), 400, /RSA|2048|weak|bits/i],
      ['oversize body', { pad: 'x'.repeat(1_100_000) }, 413, /larger than the limit/],
    ];
    for (const [name, body, status, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message, name);
    }
  });
});
