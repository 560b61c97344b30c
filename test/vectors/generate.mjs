#!/usr/bin/env node
// Regenerates the golden vectors in test/vectors/<case>/ with sigstore-js (@sigstore/sign bundle builders
// against @sigstore/mock services on 127.0.0.1), then verifies every vector from disk with @sigstore/verify and
// exits non-zero if any fails. Run from anywhere: `node test/vectors/generate.mjs`. Needs no build of ours.
// See test/vectors/README.md for what each case is.
import { createHash, sign as nodeSign } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ecKeyPair, spkiDer, toPem } from './lib/keys.mjs';
import { gitlabClaims, unsignedJwt } from './lib/fulcio-gitlab.mjs';
import { startInstance, trustedRootJson } from './lib/services.mjs';
import { verifyVectorDir } from './lib/verify.mjs';

const require = createRequire(import.meta.url);
const {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
} = require('@sigstore/sign');
const { bundleToJSON } = require('@sigstore/bundle');

const HERE = dirname(fileURLToPath(import.meta.url));
const IDENTITY = 'https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main';
const ISSUER = 'https://gitlab.com';
const V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
const V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO = 'application/vnd.in-toto+json';

/** A FulcioSigner key holder with a fixed (derived) P-256 key, in place of sigstore-js's EphemeralSigner. */
function fixedKeyHolder(seed) {
  const { privateKey, publicKey } = ecKeyPair(seed);
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return {
    publicKey,
    sign: async (data) => ({
      signature: nodeSign('sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: pem },
    }),
  };
}

/** A self-managed-key signer (no certificate): the bundle carries only a key hint. */
function plainKeySigner(seed) {
  const holder = fixedKeyHolder(seed);
  const hint = createHash('sha256').update(spkiDer(holder.publicKey)).digest('hex');
  return {
    hint,
    publicKeyPem: toPem(spkiDer(holder.publicKey), 'PUBLIC KEY'),
    sign: async (data) => {
      const s = await holder.sign(data);
      return { signature: s.signature, key: { ...s.key, hint } };
    },
  };
}

function inTotoStatement(artifactName, artifact) {
  const sha256 = createHash('sha256').update(artifact).digest('hex');
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: artifactName, digest: { sha256 } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://keyless.test/gitlab-ci/v1',
        externalParameters: { source: 'https://gitlab.com/my-group/my-project', ref: 'refs/heads/main' },
        internalParameters: { CI_PIPELINE_ID: '574', CI_JOB_ID: '302' },
        resolvedDependencies: [
          {
            uri: 'git+https://gitlab.com/my-group/my-project@refs/heads/main',
            digest: { gitCommit: '714a629c0b401fdce83e847fc9589983fc6f46bc' },
          },
        ],
      },
      runDetails: {
        builder: { id: 'https://gitlab.com/my-group/my-project/-/runners/1' },
        metadata: { invocationId: 'https://gitlab.com/my-group/my-project/-/jobs/302' },
      },
    },
  };
}

/** sigstore-js emits message-signature bundles as v0.2 (x509CertificateChain); v0.3 wants `certificate`. */
function toV03(json) {
  const { x509CertificateChain, ...material } = json.verificationMaterial;
  const content = json.messageSignature ? { messageSignature: json.messageSignature } : { dsseEnvelope: json.dsseEnvelope };
  const keyMaterial = x509CertificateChain
    ? { certificate: x509CertificateChain.certificates[0] }
    : { publicKey: material.publicKey };
  const { publicKey: _pk, ...rest } = material;
  return { mediaType: V03, verificationMaterial: { ...keyMaterial, ...rest }, ...content };
}

/** The v0.2 form re-labelled v0.1 and without inclusion proofs: a v0.1 bundle needs only the SET. */
function toV01(json) {
  const tlogEntries = json.verificationMaterial.tlogEntries.map(({ inclusionProof: _p, ...entry }) => entry);
  return { ...json, mediaType: V01, verificationMaterial: { ...json.verificationMaterial, tlogEntries } };
}

const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

async function main() {
  const started = performance.now();
  // One instant for every service; one second ahead so the mock roots (stamped "now" at start-up) precede it.
  const clock = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
  const validFrom = new Date(clock.getTime() - 3600_000);
  const instance = await startInstance({ clock });
  const token = unsignedJwt(gitlabClaims({ now: clock }));
  const identityProvider = { getToken: async () => token };
  const { endpoints } = instance;

  const fulcio = (caCurve, seed) =>
    new FulcioSigner({
      fulcioBaseURL: endpoints.fulcio[caCurve],
      identityProvider,
      keyHolder: fixedKeyHolder(seed),
    });
  const rekorV1 = (entryType) => new RekorWitness({ rekorBaseURL: endpoints.rekorV1, entryType });
  const rekorV2 = () => new RekorWitness({ rekorBaseURL: endpoints.rekorV2, majorApiVersion: 2 });
  const tsa = () => new TSAWitness({ tsaBaseURL: endpoints.tsa });

  const certExpect = { identity: IDENTITY, issuer: ISSUER, artifact: 'artifact' };
  const cases = [
    { name: 'v1-message', kind: 'message', signer: () => fulcio('P-256', 'signer v1-message'),
      witnesses: () => [rekorV1()], forms: { 'v1-message': toV03, 'v02-message': (j) => j, 'v01-message': toV01 } },
    { name: 'v1-dsse', kind: 'dsse', signer: () => fulcio('P-256', 'signer v1-dsse'),
      witnesses: () => [rekorV1('dsse')] },
    { name: 'v1-intoto', kind: 'dsse', signer: () => fulcio('P-256', 'signer v1-intoto'),
      witnesses: () => [rekorV1('intoto')] },
    { name: 'v2-message', kind: 'message', signer: () => fulcio('P-256', 'signer v2-message'),
      witnesses: () => [rekorV2(), tsa()] },
    { name: 'v2-dsse', kind: 'dsse', signer: () => fulcio('P-256', 'signer v2-dsse'),
      witnesses: () => [rekorV2(), tsa()] },
    { name: 'tsa-message', kind: 'message', signer: () => fulcio('P-256', 'signer tsa-message'),
      witnesses: () => [rekorV1(), tsa()] },
    { name: 'p384-message', kind: 'message', caCurve: 'P-384', signer: () => fulcio('P-384', 'signer p384-message'),
      witnesses: () => [rekorV1()] },
    { name: 'publickey-message', kind: 'message', plainKey: plainKeySigner('signer publickey-message'),
      witnesses: () => [rekorV1()] },
  ];

  const written = [];
  for (const c of cases) {
    const artifact = Buffer.from(`keyless golden vector ${c.name}: signed by sigstore-js against @sigstore/mock\n`);
    const signer = c.plainKey ?? c.signer();
    const options = { signer, witnesses: c.witnesses() };
    const bundle =
      c.kind === 'message'
        ? await new MessageSignatureBundleBuilder(options).create({ data: artifact })
        : await new DSSEBundleBuilder({ ...options, certificateChain: false }).create({
            data: Buffer.from(JSON.stringify(inTotoStatement('artifact', artifact))),
            type: IN_TOTO,
          });
    const json = bundleToJSON(bundle);
    const forms = c.forms ?? { [c.name]: c.kind === 'message' ? toV03 : (j) => j };
    for (const [dirName, form] of Object.entries(forms)) {
      const dir = join(HERE, dirName);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeJson(join(dir, 'bundle.json'), form(json));
      writeFileSync(join(dir, 'artifact'), artifact);
      writeJson(join(dir, 'trusted_root.json'), trustedRootJson(instance, { caCurve: c.caCurve, validFrom }));
      let expected = { ...certExpect };
      if (c.plainKey) {
        writeFileSync(join(dir, 'key.pub'), c.plainKey.publicKeyPem);
        expected = { publicKeyHint: c.plainKey.hint, artifact: 'artifact', thresholds: { ctlogThreshold: 0 } };
      }
      if (c.kind === 'dsse') {
        expected.digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;
      }
      writeJson(join(dir, 'expected.json'), { signingTime: clock.toISOString(), ...expected });
      written.push({ dir, expected });
    }
  }
  await instance.close();
  const generatedMs = performance.now() - started;

  // Independent check of what is on disk.
  let failures = 0;
  for (const { dir, expected } of written) {
    const name = dir.slice(HERE.length + 1);
    try {
      const r = verifyVectorDir(dir, expected);
      console.log(`ok   ${name.padEnd(18)} ${r.mediaType.replace('application/vnd.dev.sigstore.', '')} ${r.content} ` +
        `tlog=[${r.tlog}] timestamps=[${r.timestamps}]`);
    } catch (e) {
      failures++;
      console.error(`FAIL ${name}: ${e.code ?? ''} ${e.message}${e.cause ? ` (cause: ${e.cause.message})` : ''}`);
    }
  }
  const totalMs = performance.now() - started;
  console.log(`${written.length - failures} passed, ${failures} failed ` +
    `(generated in ${Math.round(generatedMs)} ms, total ${Math.round(totalMs)} ms)`);
  if (failures > 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
