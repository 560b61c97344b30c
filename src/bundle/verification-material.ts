/**
 * Reads VerificationMaterial (sigstore_bundle.proto) and its transparency log entries (sigstore_rekor.proto),
 * applying the per-version rules of protobuf-specs, sigstore-go (pkg/bundle validate) and sigstore-js
 * (@sigstore/bundle validate.ts).
 */
import type { BundleVersion, InclusionProof, TransparencyLogEntry, VerificationMaterial, VerificationMaterialContent } from './types.js';
import { decodeBytes, type ObjectReader } from './json-reader.js';

const KEY_CONTENT_FIELDS = ['publicKey', 'x509CertificateChain', 'certificate'] as const;

export function readVerificationMaterial(bundle: ObjectReader, version: BundleVersion | undefined): VerificationMaterial | undefined {
  const vm = bundle.object('verificationMaterial', { required: true });
  if (vm === undefined) return undefined;
  const content = readKeyContent(vm, version);
  const tlogEntries = vm.objects('tlogEntries', (e) => readTlogEntry(e, version));
  const tsData = vm.object('timestampVerificationData');
  const rfc3161Timestamps = tsData?.objects('rfc3161Timestamps', (t) => t.bytes('signedTimestamp', { required: true })) ?? [];
  return content === undefined ? undefined : { content, tlogEntries, rfc3161Timestamps };
}

function readKeyContent(vm: ObjectReader, version: BundleVersion | undefined): VerificationMaterialContent | undefined {
  // oneof content { public_key, x509_certificate_chain, certificate }: exactly one must be set.
  const present = KEY_CONTENT_FIELDS.filter((name) => vm.has(name));
  if (present.length === 0) {
    vm.problem('content', 'needs one of publicKey, x509CertificateChain or certificate');
    return undefined;
  }
  if (present.length > 1) vm.problem('content', `has more than one of ${present.join(', ')}`);
  switch (present[0]) {
    case 'publicKey': {
      const pk = vm.object('publicKey');
      return pk && { kind: 'publicKey', hint: pk.string('hint') };
    }
    case 'x509CertificateChain': {
      // "When used in a 0.3 bundle with the PGI and "keyless" signing, form (3) [a single certificate] MUST be
      // used"; sigstore-go and sigstore-js reject a chain in any v0.3 bundle, and so do we.
      if (version === '0.3') vm.problem('x509CertificateChain', 'is not allowed in a v0.3 bundle, which carries a single certificate');
      const chain = vm.object('x509CertificateChain');
      const certificates = chain?.objects('certificates', (c) => c.bytes('rawBytes', { required: true }), { required: true });
      return certificates && { kind: 'x509CertificateChain', certificates };
    }
    default: {
      const cert = vm.object('certificate');
      return cert && { kind: 'certificate', certificate: cert.bytes('rawBytes', { required: true }) };
    }
  }
}

function readTlogEntry(e: ObjectReader, version: BundleVersion | undefined): TransparencyLogEntry {
  // log_index, log_id, kind_version, canonicalized_body are REQUIRED; integrated_time is 0 for Rekor v2 entries.
  const logIndex = e.int64('logIndex');
  const logId = e.object('logId', { required: true })?.bytes('keyId', { required: true }) ?? new Uint8Array(0);
  const kv = e.object('kindVersion', { required: true });
  const kind = kv?.string('kind', { required: true }) ?? '';
  const kindVersion = kv?.string('version', { required: true }) ?? '';
  const integratedTime = e.int64('integratedTime');
  const promise = e.object('inclusionPromise');
  const inclusionPromise = promise?.bytes('signedEntryTimestamp', { required: true });
  const proofReader = e.object('inclusionProof');
  const inclusionProof = proofReader && readInclusionProof(proofReader);
  const canonicalizedBody = e.bytes('canonicalizedBody', { required: true });
  // v0.1: "Client verification libraries MAY provide an option to support v0.1 bundles for backwards compatibility,
  // which may contain an inclusion promise and not an inclusion proof. In this case, the client MUST validate the
  // promise." sigstore-js requires the promise on every v0.1 entry.
  if (version === '0.1' && promise === undefined) e.problem('inclusionPromise', 'is required in a v0.1 bundle');
  // v0.2 and later: "An inclusion proof and an optional signed timestamp from the log."
  if (version !== undefined && version !== '0.1' && proofReader === undefined) {
    e.problem('inclusionProof', `is required in a v${version} bundle`);
  }
  return {
    logIndex,
    logId,
    kind,
    kindVersion,
    integratedTime,
    ...(inclusionPromise !== undefined ? { inclusionPromise } : {}),
    ...(inclusionProof !== undefined ? { inclusionProof } : {}),
    canonicalizedBody,
  };
}

function readInclusionProof(p: ObjectReader): InclusionProof {
  return {
    logIndex: p.int64('logIndex'),
    rootHash: p.bytes('rootHash', { required: true }),
    treeSize: p.int64('treeSize'),
    hashes: p.array('hashes', (v, path) => decodeBytes(v, path, p.problems)),
    // checkpoint is REQUIRED, and sigstore-go rejects a proof whose checkpoint envelope is empty.
    checkpoint: p.object('checkpoint', { required: true })?.string('envelope', { required: true }) ?? '',
  };
}
