// The transparency log served by `keyless serve` (a real process, real HTTP): sigstore-js's own Rekor clients
// submit to it, and the bundles they build verify in @sigstore/verify and in keyless with the instance's trusted
// root. Bad input gets a clear 4xx and appends nothing; the read APIs answer as upstream's do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, sign } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/index.js';
import { base64Decode, hexEncode } from '../../src/core/encoding.js';
import { publicKeyFromPem } from '../../src/core/keys.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { parseTrustedRoot } from '../../src/trust/index.js';
import { createVerifier } from '../../src/verify/verifier.js';
import { entryKey, hashedRekordV1, hashedRekordV2, signedArtifact, type EntryKey } from '../helpers/entries.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROOT } from '../helpers/vectors.js';

const require = createRequire(import.meta.url);
const { MessageSignatureBundleBuilder, DSSEBundleBuilder, RekorWitness, TSAWitness } = require('@sigstore/sign');
const { bundleToJSON, bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const HINT = 'test-key';

function sigstoreSigner(key: EntryKey) {
  return {
    sign: async (data: Buffer) => ({ signature: sign('sha256', data, key.privateKey), key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: HINT } }),
  };
}

async function post(url: string, body: unknown, raw?: string): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

describe('log service over HTTP', () => {
  let served: Served;
  let key: EntryKey;
  before(async () => {
    served = await startServe(['--only', 'log,tsa']);
    key = entryKey();
  });
  after(async () => {
    assert.equal(await served.stop(), 0, 'graceful shutdown exits 0');
  });

  const verifyBoth = (bundleJson: unknown, artifact: Buffer | undefined) => {
    const trustedRootJson = served.trustedRoot();
    // sigstore-js's verifier, with the instance's trusted root and the signing key.
    const trust = toTrustMaterial(TrustedRoot.fromJSON(trustedRootJson), { [HINT]: { rawBytes: key.spkiDer, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } });
    const sjs = bundleFromJSON(bundleJson);
    new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0 }).verify(toSignedEntity(sjs, artifact));
    // keyless's verifier.
    const verifier = createVerifier({ trustedRoot: parseTrustedRoot(trustedRootJson), ctlogThreshold: 0 });
    const result = verifier.verify(parseBundle(bundleJson), {
      ...(artifact ? { artifact: { kind: 'bytes' as const, data: artifact } } : {}),
      identity: { kind: 'key', key: publicKeyFromPem(key.publicKeyPem) },
    });
    assert.equal(result.tlogEntries.length, 1);
    return result;
  };

  for (const [api, entryType] of [[1, undefined], [1, 'dsse'], [1, 'intoto']] as const) {
    it(`sigstore-js signs through our Rekor v${api} API${entryType ? ` (${entryType})` : ''} and both verifiers accept the bundle`, async () => {
      const witness = new RekorWitness({ rekorBaseURL: served.url, majorApiVersion: api, ...(entryType ? { entryType } : {}), fetchOnConflict: true });
      const artifact = Buffer.from(`artifact for v${api} ${entryType ?? 'message'} ${Math.random()}`);
      const builder = entryType === undefined
        ? new MessageSignatureBundleBuilder({ signer: sigstoreSigner(key), witnesses: [witness] })
        : new DSSEBundleBuilder({ signer: sigstoreSigner(key), witnesses: [witness] });
      const bundle = await builder.create(entryType === undefined ? { data: artifact } : { data: artifact, type: 'text/plain' });
      const json = bundleToJSON(bundle);
      verifyBoth(json, entryType === undefined ? artifact : undefined);
      const kind = json.verificationMaterial.tlogEntries[0].kindVersion;
      assert.equal(`${kind.kind}/${kind.version}`, `${entryType ?? 'hashedrekord'}/${entryType === 'intoto' ? '0.0.2' : '0.0.1'}`);
    });
  }

  // sigstore-js's Rekor v2 client sends a bare public key as `x509Certificate` (a TODO in @sigstore/sign), which
  // rekor-tiles refuses and so do we; with a key (not a certificate) the request is built here, the bundle by
  // sigstore-js's builder, and the entry our log returns goes into it unchanged. (Keyless v2 signing with a
  // certificate, through sigstore-js end to end, is in the signing tests.)
  for (const content of ['messageSignature', 'dsseEnvelope'] as const) {
    it(`a Rekor v2 entry (${content}) from our log verifies in @sigstore/verify and in keyless`, async () => {
      const artifact = Buffer.from(`v2 ${content} ${Math.random()}`);
      // Rekor v2 gives no signed time: the timestamp comes from our TSA, through sigstore-js's TSA client.
      const tsa = new TSAWitness({ tsaBaseURL: served.url });
      const builder = content === 'messageSignature'
        ? new MessageSignatureBundleBuilder({ signer: sigstoreSigner(key), witnesses: [tsa] })
        : new DSSEBundleBuilder({ signer: sigstoreSigner(key), witnesses: [tsa] });
      const json = bundleToJSON(await builder.create(content === 'messageSignature' ? { data: artifact } : { data: artifact, type: 'text/plain' }));
      const verifier = { publicKey: { rawBytes: key.spkiDer.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
      const request = content === 'messageSignature'
        ? { hashedRekordRequestV002: { digest: json.messageSignature.messageDigest.digest, signature: { content: json.messageSignature.signature, verifier } } }
        : { dsseRequestV002: { envelope: json.dsseEnvelope, verifiers: [verifier] } };
      const res = await post(`${served.url}/rekor-v2/api/v2/log/entries`, request);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      json.verificationMaterial.tlogEntries = [res.json];
      assert.equal((res.json['kindVersion'] as { version: string }).version, '0.0.2');
      verifyBoth(json, content === 'messageSignature' ? artifact : undefined);
    });
  }

  it('answers a repeated v1 entry with 409 and its location, and sigstore-js fetches it', async () => {
    const s = signedArtifact(key);
    const first = await post(`${served.url}/api/v1/log/entries`, hashedRekordV1(key, s));
    assert.equal(first.status, 201);
    const uuid = Object.keys(first.json)[0]!;
    assert.equal(first.headers.get('location'), `/api/v1/log/entries/${uuid}`);
    const again = await post(`${served.url}/api/v1/log/entries`, hashedRekordV1(key, s));
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('location'), `/api/v1/log/entries/${uuid}`);
    assert.match(String(again.json['message']), /already exists/);
    const got = (await (await fetch(`${served.url}${again.headers.get('location')}`)).json()) as Record<string, { logIndex: number }>;
    assert.equal(got[uuid]!.logIndex, (first.json[uuid] as { logIndex: number }).logIndex);
  });

  it('refuses bad input with a clear 4xx and appends nothing', async () => {
    const sizeBefore = ((await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
    const good = hashedRekordV1(key) as { spec: { signature: { content: string } } };
    const otherKey = entryKey();
    const cases: [string, unknown, number, RegExp, string?][] = [
      ['malformed JSON', undefined, 400, /not valid JSON/, '{"apiVersion": '],
      ['oversize body', { pad: 'x'.repeat(1_100_000) }, 413, /larger than the limit/],
      ['not an object', [1, 2], 400, /./],
      ['unknown kind', { apiVersion: '0.0.1', kind: 'rpm', spec: {} }, 400, /rpm/],
      ['unknown version', { ...good, apiVersion: '9.9.9' }, 400, /9\.9\.9/],
      ['signature by another key', hashedRekordV1(otherKey, { ...signedArtifact(key) }), 400, /signature/i],
      ['missing fields', { apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} }, 400, /./],
    ];
    for (const [name, body, status, message, raw] of cases) {
      const res = await post(`${served.url}/api/v1/log/entries`, body, raw);
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.json)}`);
      assert.match(String(res.json['message']), message, name);
      assert.equal(typeof res.json['error'], 'string', `${name} carries an error code`);
    }
    const v2 = await post(`${served.url}/rekor-v2/api/v2/log/entries`, { somethingElse: {} });
    assert.equal(v2.status, 400);
    const sizeAfter = ((await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
    assert.equal(sizeAfter, sizeBefore, 'nothing was appended');
  });

  it('serves the v1 read API: log info, entries by index and UUID, retrieve, proofs, index search', async () => {
    const s = signedArtifact(key);
    const created = await post(`${served.url}/api/v1/log/entries`, hashedRekordV1(key, s));
    const uuid = Object.keys(created.json)[0]!;
    const entry = created.json[uuid] as { logIndex: number; body: string };
    assert.match(uuid, /^[0-9a-f]{80}$/);

    const info = (await (await fetch(`${served.url}/api/v1/log`)).json()) as { treeSize: number; rootHash: string; signedTreeHead: string; treeID: string };
    assert.ok(info.treeSize > entry.logIndex);
    assert.ok(uuid.startsWith(BigInt(info.treeID).toString(16).padStart(16, '0')));

    const byIndex = (await (await fetch(`${served.url}/api/v1/log/entries?logIndex=${entry.logIndex}`)).json()) as Record<string, { verification: { inclusionProof: { hashes: string[]; treeSize: number; rootHash: string } } }>;
    const proof = byIndex[uuid]!.verification.inclusionProof;
    verifyInclusion(entry.logIndex, proof.treeSize, leafHash(base64Decode(entry.body)), proof.hashes.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex'));
    assert.ok((await (await fetch(`${served.url}/api/v1/log/entries/${uuid.slice(16)}`)).json() as Record<string, unknown>)[uuid]);
    assert.equal((await fetch(`${served.url}/api/v1/log/entries/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await fetch(`${served.url}/api/v1/log/entries?logIndex=999999`)).status, 404);
    assert.equal((await fetch(`${served.url}/api/v1/log/entries?logIndex=-1`)).status, 400);

    const retrieved = await post(`${served.url}/api/v1/log/entries/retrieve`, { entryUUIDs: [uuid], logIndexes: [entry.logIndex] });
    assert.equal((retrieved.json as unknown as unknown[]).length, 2);

    const cons = (await (await fetch(`${served.url}/api/v1/log/proof?firstSize=1&lastSize=${info.treeSize}`)).json()) as { rootHash: string; hashes: string[] };
    const first = (await (await fetch(`${served.url}/api/v1/log/entries?logIndex=0`)).json()) as Record<string, { body: string }>;
    const root1 = leafHash(base64Decode(Object.values(first)[0]!.body));
    verifyConsistency(1, info.treeSize, cons.hashes.map((h) => Buffer.from(h, 'hex')), root1, Buffer.from(info.rootHash, 'hex'));

    const byHash = await post(`${served.url}/api/v1/index/retrieve`, { hash: `sha256:${hexEncode(s.digest)}` });
    assert.deepEqual(byHash.json, [uuid]);
    const byKey = await post(`${served.url}/api/v1/index/retrieve`, { publicKey: { format: 'x509', content: Buffer.from(key.publicKeyPem).toString('base64') } });
    assert.ok((byKey.json as unknown as string[]).includes(uuid));
    const pem = await (await fetch(`${served.url}/api/v1/log/publicKey`)).text();
    assert.equal(createPublicKey(pem).export({ format: 'der', type: 'spki' }).length, 91);
  });

  it('serves the v2 read side as C2SP tiles: checkpoint, hash tiles and entry bundles with cache headers', async () => {
    // Fill past one full tile so that an immutable full tile exists.
    const size0 = Number((await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text()).split('\n')[1]);
    const need = Math.max(0, 260 - size0);
    for (let i = 0; i < need; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, need - i) }, () => post(`${served.url}/rekor-v2/api/v2/log/entries`, hashedRekordV2(key))));
    }
    const cpRes = await fetch(`${served.url}/rekor-v2/checkpoint`);
    assert.equal(cpRes.headers.get('cache-control'), 'no-cache');
    const size = Number((await cpRes.text()).split('\n')[1]);
    assert.ok(size >= 260);
    const full = await fetch(`${served.url}/rekor-v2/tile/0/000`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await full.arrayBuffer()).byteLength, 256 * 32);
    const partialWidth = size % 256;
    if (partialWidth > 0) {
      const partial = await fetch(`${served.url}/rekor-v2/tile/0/001.p/${partialWidth}`);
      assert.equal(partial.status, 200);
      assert.equal(partial.headers.get('cache-control'), 'no-cache');
      assert.equal((await partial.arrayBuffer()).byteLength, partialWidth * 32);
    }
    assert.equal((await fetch(`${served.url}/rekor-v2/tile/entries/000`)).status, 200);
    assert.equal((await fetch(`${served.url}/rekor-v2/tile/0/999`)).status, 404);
    assert.equal((await fetch(`${served.url}/rekor-v2/tile/0/00x`)).status, 400);
    // Hash tiles are the leaf hashes of the entry bundle's entries.
    const tile = new Uint8Array(await (await fetch(`${served.url}/rekor-v2/tile/0/000`)).arrayBuffer());
    const { decodeEntryBundle } = await import('../../src/log/tiles.js');
    const entries = decodeEntryBundle(new Uint8Array(await (await fetch(`${served.url}/rekor-v2/tile/entries/000`)).arrayBuffer()));
    assert.equal(entries.length, 256);
    assert.deepEqual(Buffer.from(tile.subarray(0, 32)), Buffer.from(leafHash(entries[0]!)));
    assert.deepEqual(Buffer.from(tile.subarray(255 * 32)), Buffer.from(leafHash(entries[255]!)));
  });

  it('serves a v2 entry by index (keyless extension): what POST answered, with a proof to the current head', async () => {
    const created = await post(`${served.url}/rekor-v2/api/v2/log/entries`, hashedRekordV2(key));
    assert.equal(created.status, 201, JSON.stringify(created.json));
    // One more entry, so that the head the read proves against is newer than the one POST answered with.
    await post(`${served.url}/rekor-v2/api/v2/log/entries`, hashedRekordV2(key));
    const index = String(created.json['logIndex']);
    const res = await fetch(`${served.url}/rekor-v2/api/v2/log/entries/${index}`);
    assert.equal(res.status, 200);
    const entry = (await res.json()) as Record<string, unknown> & { inclusionProof: { rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } } };
    const { inclusionProof: createdProof, ...createdRest } = created.json as typeof entry;
    const { inclusionProof, ...rest } = entry;
    assert.deepEqual(rest, createdRest);
    assert.deepEqual(rest['kindVersion'], { kind: 'hashedrekord', version: '0.0.2' });
    assert.ok(Number(inclusionProof.treeSize) > Number(createdProof.treeSize));
    // The proof leads to the root its checkpoint states, and that checkpoint is the log's current one.
    const [, size, root] = inclusionProof.checkpoint.envelope.split('\n');
    assert.equal(size, inclusionProof.treeSize);
    assert.equal(root, inclusionProof.rootHash);
    verifyInclusion(Number(index), Number(size), leafHash(base64Decode(String(entry['canonicalizedBody']))), inclusionProof.hashes.map((h) => base64Decode(h)), base64Decode(root));
    assert.equal(await (await fetch(`${served.url}/rekor-v2/checkpoint`)).text(), inclusionProof.checkpoint.envelope);
    // A tampered proof fails: the check above could fail.
    const tampered = inclusionProof.hashes.map((h) => base64Decode(h));
    const first = tampered[0]!;
    first[0] = first[0]! ^ 1;
    assert.throws(() => verifyInclusion(Number(index), Number(size), leafHash(base64Decode(String(entry['canonicalizedBody']))), tampered, base64Decode(root)));

    assert.equal((await fetch(`${served.url}/rekor-v2/api/v2/log/entries/${Number(size) + 5}`)).status, 404);
    assert.equal((await fetch(`${served.url}/rekor-v2/api/v2/log/entries/1.5`)).status, 400);
    assert.equal((await fetch(`${served.url}/rekor-v2/api/v2/log/entries/abc`)).status, 400);
  });

  it('keyless log audit: records a checkpoint, accepts growth, exits 1 with evidence when the history it saw is not extended', async () => {
    const state = join(served.dataDir, 'audit-state.json');
    const audit = (url: string) => spawnSync(process.execPath, [join(ROOT, 'bin', 'keyless.js'), 'log', 'audit', '--url', url, '--trusted-root', join(served.dataDir, 'trusted_root.json'), '--state', state], { encoding: 'utf8' });
    for (const url of [served.url, `${served.url}/rekor-v2`]) {
      const first = audit(url);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /first checkpoint recorded/);
      await post(`${served.url}${url.endsWith('rekor-v2') ? '/rekor-v2/api/v2' : '/api/v1'}/log/entries`, url.endsWith('rekor-v2') ? hashedRekordV2(key) : hashedRekordV1(key));
      const second = audit(url);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /consistent: .* grew from \d+ to \d+ entries/);
      // A remembered root that this log never had: as if the log had shown us a different history before.
      const remembered = JSON.parse(readFileSync(state, 'utf8')) as { rootHash: string; size: number };
      await post(`${served.url}${url.endsWith('rekor-v2') ? '/rekor-v2/api/v2' : '/api/v1'}/log/entries`, url.endsWith('rekor-v2') ? hashedRekordV2(key) : hashedRekordV1(key));
      writeFileSync(state, JSON.stringify({ ...remembered, rootHash: 'ab'.repeat(32) }));
      const forked = audit(url);
      assert.equal(forked.status, 1, forked.stderr);
      assert.match(forked.stderr, /ERR_TLOG_CONSISTENCY/);
      const evidence = JSON.parse(forked.stdout) as { status: string; evidence: { previous: string; current: string; proof: string[] } };
      assert.equal(evidence.status, 'inconsistent');
      assert.ok(evidence.evidence.current.length > 0 && Array.isArray(evidence.evidence.proof));
      rmSync(state);
    }
  });

  it('reports health', async () => {
    const res = await fetch(`${served.url}/healthz`);
    assert.equal(res.status, 200);
    const health = (await res.json()) as { status: string; logs: Record<string, number> };
    assert.equal(health.status, 'ok');
    assert.ok(health.logs['rekor-v1']! > 0);
  });
});
