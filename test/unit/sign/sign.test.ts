// signBlob and attestBlob against an in-process keyless instance (real CA, logs and TSA, no socket), and the
// verify-before-return rule: whatever a service answers, a bundle that does not verify is never returned.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseBundle } from '../../../src/bundle/index.js';
import { createVerifier } from '../../../src/verify/verifier.js';
import { attestBlob, signBlob, signDsse, staticTokenSource, type SignerOptions } from '../../../src/sign/index.js';
import type { FetchLike } from '../../../src/sign/http.js';
import type { SigningConfig } from '../../../src/trust/index.js';
import { IDENTITY, INSTANCE_URL, startInProcessInstance, tamperWith, type InProcessInstance } from './instance.js';

let inst: InProcessInstance;
before(async () => {
  inst = await startInProcessInstance();
});
after(async () => {
  await inst.close();
});

const v1Only = (c: SigningConfig): SigningConfig => ({ ...c, rekorTlogUrls: c.rekorTlogUrls.filter((s) => s.majorApiVersion === 1) });

async function options(overrides: Partial<SignerOptions> = {}): Promise<SignerOptions> {
  return { tokenSource: staticTokenSource(await inst.mintToken()), signingConfig: inst.signingConfig, trustedRoot: inst.trustedRoot, fetch: inst.fetch, ...overrides };
}

function verifies(bundleJson: unknown, artifact: Uint8Array): void {
  createVerifier({ trustedRoot: inst.trustedRoot }).verify(parseBundle(bundleJson), {
    artifact: { kind: 'bytes', data: artifact },
    identity: { kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: IDENTITY }, issuer: { kind: 'exact', value: INSTANCE_URL } }] },
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KeylessError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('signing against the instance', () => {
  test('the default config: Rekor v2 with a TSA timestamp; the bundle verifies', async () => {
    const artifact = Buffer.from(`v2 ${Math.random()}`);
    const r = await signBlob({ ...(await options()), artifact });
    const b = r.bundle as { mediaType: string; verificationMaterial: { certificate?: unknown; tlogEntries: { kindVersion: { version: string } }[]; timestampVerificationData: { rfc3161Timestamps: unknown[] } }; messageSignature: { messageDigest: { algorithm: string } } };
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(b.verificationMaterial.certificate, 'leaf certificate only, not a chain');
    assert.equal(b.verificationMaterial.tlogEntries[0]?.kindVersion.version, '0.0.2');
    assert.equal(b.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
    assert.equal(b.messageSignature.messageDigest.algorithm, 'SHA2_256');
    assert.equal(r.certificate.subjectAlternativeName, IDENTITY);
    assert.equal(r.certificate.issuer, INSTANCE_URL);
    assert.equal(r.tlogEntry.logUrl, `${INSTANCE_URL}/rekor-v2`);
    assert.equal(r.tlogEntry.apiVersion, 2);
    verifies(r.bundle, artifact);
  });

  test('a v1-only config: hashedrekord 0.0.1 with SET and proof, plus the listed TSA', async () => {
    const artifact = Buffer.from(`v1 ${Math.random()}`);
    const r = await signBlob({ ...(await options({ signingConfig: v1Only(inst.signingConfig) })), artifact });
    const entry = (r.bundle as { verificationMaterial: { tlogEntries: Record<string, unknown>[] } }).verificationMaterial.tlogEntries[0]!;
    assert.deepEqual(entry['kindVersion'], { kind: 'hashedrekord', version: '0.0.1' });
    assert.ok(entry['inclusionPromise'], 'the SET');
    assert.ok(entry['integratedTime']);
    assert.ok((entry['inclusionProof'] as { checkpoint: { envelope: string } }).checkpoint.envelope);
    assert.match(r.tlogEntry.uuid ?? '', /^[0-9a-f]{80}$/);
    verifies(r.bundle, artifact);
  });

  test('attestBlob: an in-toto Statement v1 about the file, in a DSSE envelope, on both log versions', async () => {
    const artifact = Buffer.from(`attested ${Math.random()}`);
    for (const signingConfig of [inst.signingConfig, v1Only(inst.signingConfig)]) {
      const r = await attestBlob({ ...(await options({ signingConfig })), artifact, artifactName: 'artifact.txt', predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: { buildType: 'x' } } });
      const env = (r.bundle as { dsseEnvelope: { payload: string; payloadType: string } }).dsseEnvelope;
      assert.equal(env.payloadType, 'application/vnd.in-toto+json');
      const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString());
      assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
      assert.equal(statement.subject[0].name, 'artifact.txt');
      assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1');
      assert.equal(r.verification.statement?.predicateType, 'https://slsa.dev/provenance/v1');
      verifies(r.bundle, artifact);
    }
  });

  test('no consent: nothing is sent to the CA or the logs', async () => {
    inst.requests.length = 0;
    await rejectsWith(signBlob({ ...(await options({ confirmUpload: async () => { throw new KeylessError('ERR_USAGE', 'no consent'); } })), artifact: Buffer.from('x') }), 'ERR_USAGE', /no consent/);
    assert.deepEqual(inst.requests, []);
  });
});

describe('verify before return', () => {
  test('a Rekor v1 entry for another body is caught: error, no bundle', async () => {
    // A genuine entry, but for another signature: what a log (or anyone between) could hand back instead of ours.
    let other: unknown;
    const capture = tamperWith(inst.fetch, '/api/v1/log/entries', (json) => (other = json));
    await signBlob({ ...(await options({ signingConfig: v1Only(inst.signingConfig), fetch: capture })), artifact: Buffer.from('another artifact') });
    assert.ok(other);
    const replay = tamperWith(inst.fetch, '/api/v1/log/entries', () => other);
    await rejectsWith(
      signBlob({ ...(await options({ signingConfig: v1Only(inst.signingConfig), fetch: replay })), artifact: Buffer.from('ours') }),
      'ERR_TLOG_BODY', /does not verify against the trusted root, so none was written/,
    );
  });

  test('a Rekor v2 entry whose proof was altered is caught', async () => {
    const altered = tamperWith(inst.fetch, '/rekor-v2/api/v2/log/entries', (json) => {
      const proof = json['inclusionProof'] as { rootHash: string };
      proof.rootHash = Buffer.alloc(32, 9).toString('base64');
      return json;
    });
    await assert.rejects(signBlob({ ...(await options({ fetch: altered })), artifact: Buffer.from('v2 altered') }), (err: unknown) =>
      err instanceof KeylessError && /^ERR_TLOG_/.test(err.code) && /so none was written/.test(err.message));
  });

  test('an in-toto statement whose subject is not the artifact is caught', async () => {
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: '00'.repeat(32) } }], predicateType: 'https://example.com/p', predicate: {} }));
    await rejectsWith(
      signDsse({ ...(await options()), payload: statement, payloadType: 'application/vnd.in-toto+json', artifact: { kind: 'bytes', data: Buffer.from('not the subject') } }),
      'ERR_SUBJECT', /so none was written/,
    );
  });

  test('a certificate for another key is refused before anything is logged', async () => {
    let otherCert: unknown;
    await signBlob({ ...(await options({ fetch: tamperWith(inst.fetch, '/api/v2/signingCert', (json) => (otherCert = json)) })), artifact: Buffer.from('a') });
    inst.requests.length = 0;
    await rejectsWith(
      signBlob({ ...(await options({ fetch: tamperWith(inst.fetch, '/api/v2/signingCert', () => otherCert) })), artifact: Buffer.from('b') }),
      'ERR_CERT_INVALID', /another public key/,
    );
    assert.deepEqual(inst.requests, ['POST /api/v2/signingCert']);
  });
});

describe('service failures are coded and say which service, where, and what it said', () => {
  const failing = (path: string, status: number, body: string): FetchLike => async (url, init) => {
    if (new URL(url).pathname !== path) return inst.fetch(url, init);
    const bytes = Buffer.from(body);
    return { status, ok: false, headers: { get: () => null }, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  };

  test('the CA refuses the token (400 with a message)', async () => {
    await rejectsWith(signBlob({ ...(await options({ fetch: failing('/api/v2/signingCert', 400, '{"code":400,"message":"the token has expired"}') })), artifact: Buffer.from('x') }),
      'ERR_REQUEST', /certificate authority at http:\/\/keyless\.test\/api\/v2\/signingCert answered HTTP 400: the token has expired/);
  });

  test('the log is down (503, text body) and the TSA unreachable', async () => {
    // A 503 is pushback: retried (here without waiting) a bounded number of times, then reported with the count.
    let tries = 0;
    const busy = failing('/rekor-v2/api/v2/log/entries', 503, 'upstream overloaded');
    const counting: FetchLike = async (url, init) => {
      if (new URL(url).pathname === '/rekor-v2/api/v2/log/entries') tries++;
      return busy(url, init);
    };
    await rejectsWith(signBlob({ ...(await options({ fetch: counting, retry: { attempts: 3, sleep: async () => undefined } })), artifact: Buffer.from('x') }),
      'ERR_PUSHBACK', /transparency log \(Rekor v2\) at http:\/\/keyless\.test\/rekor-v2\/api\/v2\/log\/entries answered HTTP 503: upstream overloaded \(after 3 attempts\)/);
    assert.equal(tries, 3);
    const unreachable: FetchLike = async (url, init) => {
      if (new URL(url).pathname === '/api/v1/timestamp') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
      return inst.fetch(url, init);
    };
    await rejectsWith(signBlob({ ...(await options({ fetch: unreachable })), artifact: Buffer.from('x') }),
      'ERR_SERVICE', /cannot reach the timestamp authority at http:\/\/keyless\.test\/api\/v1\/timestamp: connect ECONNREFUSED/);
  });

  test('a Rekor v2 config without a TSA fails before any request', async () => {
    inst.requests.length = 0;
    await rejectsWith(signBlob({ ...(await options({ signingConfig: { ...inst.signingConfig, tsaUrls: [] } })), artifact: Buffer.from('x') }), 'ERR_TRUST_INVALID', /lists no timestamp authority/);
    assert.deepEqual(inst.requests, []);
  });
});
