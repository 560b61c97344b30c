/**
 * The oracle: real log entries. Each golden bundle carries the `canonicalizedBody` a Rekor (the public-good one, or
 * the mock instance that made test/vectors) stored. We rebuild the request a client sent for it — with sigstore-js's
 * own request builders (@sigstore/sign toProposedEntry / toCreateEntryRequest, the code that made those requests)
 * from the bundle's signature, certificate and digest or envelope — and the log must store the same bytes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { canonicalizeV1Entry, canonicalizeV2Request } from '../../../src/log/kinds/index.js';
import { vector, type Json } from '../../helpers/vectors.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle') as Json;
const { toProposedEntry, toCreateEntryRequest } = require('@sigstore/sign/dist/witness/tlog/entry.js') as Json;
const { CreateEntryRequest } = require('@sigstore/protobuf-specs/rekor/v2') as Json;

/** The certificate as the client had it: Fulcio's PEM (its trailing newline varies by Fulcio and client version). */
function certificatePem(bundle: Json, trailingNewline: boolean): string {
  const content = bundleFromJSON(bundle).verificationMaterial.content;
  const der: Buffer = content.$case === 'certificate' ? content.certificate.rawBytes : content.x509CertificateChain.certificates[0].rawBytes;
  const pem = ['-----BEGIN CERTIFICATE-----', ...(der.toString('base64').match(/.{1,64}/g) ?? []), '-----END CERTIFICATE-----'].join('\n');
  return trailingNewline ? `${pem}\n` : pem;
}

function logged(bundle: Json): Buffer {
  return Buffer.from(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64');
}

/**
 * What sigstore-js POSTs to /api/v1/log/entries, as JSON on the wire. `entryType` is its RekorWitness option:
 * DSSE content goes in a dsse or intoto entry, a message signature always in a hashedrekord.
 */
function proposedV1(bundle: Json, entryType: 'dsse' | 'intoto', trailingNewline = true): Json {
  return JSON.parse(JSON.stringify(toProposedEntry(bundleFromJSON(bundle).content, certificatePem(bundle, trailingNewline), entryType)));
}

/** What sigstore-js POSTs to /api/v2/log/entries, as protojson on the wire. */
function requestV2(bundle: Json): Json {
  return JSON.parse(JSON.stringify(CreateEntryRequest.toJSON(toCreateEntryRequest(bundleFromJSON(bundle).content, certificatePem(bundle, true)))));
}

const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('Rekor v1: the stored body is what Rekor stored', () => {
  const cases = [
    // name, entry type, PEM trailing newline (what the client sent: sigstore-js 4 adds one; the 2025 npm client did not)
    ['v1-message', 'dsse', true],
    ['public/message-tsa-v03', 'dsse', true],
    ['v1-dsse', 'dsse', true],
    ['v1-intoto', 'intoto', true],
    ['public/npm-provenance-intoto', 'intoto', false],
  ] as const;
  for (const [name, entryType, newline] of cases) {
    test(name, () => {
      const v = vector(name);
      const proposed = proposedV1(v.bundle, entryType, newline);
      const entry = canonicalizeV1Entry(proposed);
      assert.equal(Buffer.from(entry.body).toString('utf8'), logged(v.bundle).toString('utf8'));
      assert.deepEqual(Buffer.from(entry.body), logged(v.bundle));
      const kv = v.bundle.verificationMaterial.tlogEntries[0].kindVersion;
      assert.deepEqual([entry.kind, entry.apiVersion], [kv.kind, kv.version]);
    });
  }

  test('public/v01-dsse-2022: intoto from a 2022 client, whose envelope hash we take as it sent it', () => {
    // The 2022 client hashed its envelope in a way we cannot rebuild; Rekor stores that client value unchecked.
    const v = vector('public/v01-dsse-2022');
    const proposed = proposedV1(v.bundle, 'intoto');
    proposed.spec.content.hash.value = JSON.parse(logged(v.bundle).toString()).spec.content.hash.value;
    assert.deepEqual(Buffer.from(canonicalizeV1Entry(proposed).body), logged(v.bundle));
  });

  test('the artifact beside the bundle is what the hashedrekord logged', () => {
    const v = vector('v1-message');
    const entry = canonicalizeV1Entry(proposedV1(v.bundle, 'dsse'));
    assert.equal(JSON.parse(Buffer.from(entry.body).toString()).spec.data.hash.value, sha256Hex(v.artifact));
  });

  test('dsse 0.0.1 envelopeHash is over the envelope text exactly as sent', () => {
    const v = vector('v1-dsse');
    const proposed = proposedV1(v.bundle, 'dsse');
    const spaced = JSON.stringify(JSON.parse(proposed.spec.proposedContent.envelope), null, 2);
    proposed.spec.proposedContent.envelope = spaced;
    const spec = JSON.parse(Buffer.from(canonicalizeV1Entry(proposed).body).toString()).spec;
    assert.equal(spec.envelopeHash.value, sha256Hex(spaced));
    assert.equal(spec.payloadHash.value, JSON.parse(logged(v.bundle).toString()).spec.payloadHash.value);
  });

  test('intoto 0.0.2 stores the client envelope hash that sigstore-js computes', () => {
    const v = vector('v1-intoto');
    const proposed = proposedV1(v.bundle, 'intoto');
    const body = JSON.parse(Buffer.from(canonicalizeV1Entry(proposed).body).toString());
    assert.equal(body.spec.content.hash.value, proposed.spec.content.hash.value);
    assert.equal(body.spec.content.payloadHash.value, sha256Hex(Buffer.from(v.bundle.dsseEnvelope.payload, 'base64')));
    assert.equal(body.spec.content.envelope.payload, undefined);
  });
});

describe('Rekor v2: the stored body is what rekor-tiles stored', () => {
  for (const name of ['v2-message', 'public/rekor-v2-message', 'v2-dsse']) {
    test(name, () => {
      const v = vector(name);
      const entry = canonicalizeV2Request(requestV2(v.bundle));
      assert.deepEqual(Buffer.from(entry.body), logged(v.bundle));
      const kv = v.bundle.verificationMaterial.tlogEntries[0].kindVersion;
      assert.deepEqual([entry.kind, entry.apiVersion], [kv.kind, kv.version]);
    });
  }
});

describe('search keys', () => {
  test('hashedrekord: digest, key, URI SAN, and the GitLab project (source repository URI)', () => {
    const v = vector('v1-message');
    const entry = canonicalizeV1Entry(proposedV1(v.bundle, 'dsse'));
    const spki = bundleFromJSON(v.bundle).verificationMaterial.content.certificate.rawBytes;
    const keyDer = new X509Certificate(spki).publicKey.export({ type: 'spki', format: 'der' });
    assert.deepEqual(entry.searchKeys, [
      `sha256:${sha256Hex(v.artifact)}`,
      `key:${sha256Hex(keyDer)}`,
      `subject:${v.expected.identity}`,
      'repository:https://gitlab.com/my-group/my-project',
    ]);
  });

  test('an rfc822Name SAN is an email: key, in lower case', () => {
    const v = vector('public/message-tsa-v03');
    const entry = canonicalizeV1Entry(proposedV1(v.bundle, 'dsse'));
    assert.ok(entry.searchKeys.includes(`email:${String(v.expected.identity).toLowerCase()}`), entry.searchKeys.join());
  });

  test('dsse: payload and envelope hashes; intoto: payload hash only (the envelope hash is the client\'s claim)', () => {
    const dsse = vector('v1-dsse');
    const dsseBody = JSON.parse(logged(dsse.bundle).toString()).spec;
    const dsseKeys = canonicalizeV1Entry(proposedV1(dsse.bundle, 'dsse')).searchKeys;
    assert.ok(dsseKeys.includes(`sha256:${dsseBody.payloadHash.value}`));
    assert.ok(dsseKeys.includes(`sha256:${dsseBody.envelopeHash.value}`));
    const intoto = vector('v1-intoto');
    const intotoBody = JSON.parse(logged(intoto.bundle).toString()).spec.content;
    const intotoKeys = canonicalizeV1Entry(proposedV1(intoto.bundle, 'intoto')).searchKeys;
    assert.ok(intotoKeys.includes(`sha256:${intotoBody.payloadHash.value}`));
    assert.ok(!intotoKeys.includes(`sha256:${intotoBody.hash.value}`));
  });

  test('v2 keys match v1 keys for the same kind of content', () => {
    const v = vector('v2-message');
    const keys = canonicalizeV2Request(requestV2(v.bundle)).searchKeys;
    assert.equal(keys[0], `sha256:${sha256Hex(v.artifact)}`);
    assert.match(keys[1] ?? '', /^key:[0-9a-f]{64}$/);
    assert.equal(keys[2], `subject:${v.expected.identity}`);
  });
});
