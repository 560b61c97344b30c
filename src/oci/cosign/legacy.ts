/**
 * cosign's legacy layout: one image manifest per signed digest, tagged `sha256-<hex>.sig` (or `.att`), one layer
 * per signature (specs/SIGNATURE_SPEC.md "OCI Image Manifest V1"; pkg/oci/static/signature.go; pkg/oci/mutate):
 *   - `.sig`: the layer is the Simple Signing payload (mediaType application/vnd.dev.cosign.simplesigning.v1+json);
 *   - `.att`: the layer is a DSSE envelope (application/vnd.dsse.envelope.v1+json), signature annotation empty;
 * with layer annotations `dev.cosignproject.cosign/signature` (base64), `dev.sigstore.cosign/certificate` (PEM),
 * `dev.sigstore.cosign/chain` (PEM), `dev.sigstore.cosign/bundle` (Rekor v1 entry + SET, pkg/cosign/bundle
 * RekorBundle) and `dev.sigstore.cosign/rfc3161timestamp`.
 *
 * Life of a legacy signature: the signer turns its verified v0.3 bundle into a layer (legacyLayerFromBundle), adds
 * it to what the tag already holds (appendLegacyLayer) and pushes payload, config, then the manifest. A verifier
 * turns each layer back into a Sigstore bundle v0.1 (legacyLayerToBundleJson) and verifies it with every check.
 */
import { KeylessError } from '../../core/errors.js';
import { base64Decode, base64Encode, hexDecode, hexEncode, pemDecodeAll, pemEncode, utf8Decode } from '../../core/encoding.js';
import { sha256 } from '../../core/keys.js';
import { BUNDLE_V01_MEDIA_TYPE } from '../../bundle/index.js';
import { ANNOTATIONS, DSSE_ENVELOPE_MEDIA_TYPE, OCI_IMAGE_CONFIG_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE, SIMPLE_SIGNING_MEDIA_TYPE } from './constants.js';
import { descriptorFor, parseJsonBytes, serializeManifest, type OciDescriptor, type OciManifest } from './descriptor.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** cosign's RekorBundle JSON: a Rekor v1 entry and its signed entry timestamp. */
export interface RekorBundleJson {
  readonly SignedEntryTimestamp: string;
  readonly Payload: { readonly body: string; readonly integratedTime: number; readonly logIndex: number; readonly logID: string };
}

export interface LegacyLayer {
  readonly descriptor: OciDescriptor;
  /** The layer's bytes: the Simple Signing payload or the DSSE envelope JSON. */
  readonly payload: Uint8Array;
}

function bundleError(message: string): KeylessError {
  return new KeylessError('ERR_BUNDLE_UNSUPPORTED', message);
}

/**
 * The layer for a verified Sigstore bundle v0.3 (protobuf JSON). The legacy layout carries a Rekor v1 SET, not an
 * inclusion proof, so the bundle must hold a Rekor v1 entry with an inclusion promise.
 */
export function legacyLayerFromBundle(bundle: Json, payload: Uint8Array, extraAnnotations: Record<string, string> = {}): LegacyLayer {
  const vm = bundle['verificationMaterial'];
  if (!isObject(vm)) throw new TypeError('bundle has no verificationMaterial');
  const certDer = isObject(vm['certificate']) ? vm['certificate']['rawBytes'] : undefined;
  if (typeof certDer !== 'string') throw bundleError('the legacy .sig/.att layout needs a certificate in the bundle');
  const entries = Array.isArray(vm['tlogEntries']) ? vm['tlogEntries'] : [];
  const entry = entries.find((e): e is Json => isObject(e) && isObject(e['inclusionPromise']));
  if (entry === undefined) {
    throw bundleError('the legacy .sig/.att layout carries a Rekor v1 entry with its signed entry timestamp (SET), and this bundle has none (Rekor v2 entries have no SET): sign with a Rekor v1 log, or use the bundle (OCI referrer) format');
  }
  const rekorBundle: RekorBundleJson = {
    SignedEntryTimestamp: String((entry['inclusionPromise'] as Json)['signedEntryTimestamp']),
    Payload: {
      body: String(entry['canonicalizedBody']),
      // protobuf JSON leaves out zero values: the first entry of a log has no logIndex field.
      integratedTime: Number(entry['integratedTime'] ?? 0),
      logIndex: Number(entry['logIndex'] ?? 0),
      logID: hexEncode(base64Decode(String((entry['logId'] as Json)['keyId']), 'logId.keyId')),
    },
  };
  let mediaType: string;
  let signature: string;
  const message = bundle['messageSignature'];
  const envelope = bundle['dsseEnvelope'];
  if (isObject(message)) {
    mediaType = SIMPLE_SIGNING_MEDIA_TYPE;
    signature = String(message['signature']);
  } else if (isObject(envelope)) {
    // An attestation's signature is inside the envelope (the layer itself); cosign leaves the annotation empty.
    mediaType = DSSE_ENVELOPE_MEDIA_TYPE;
    signature = '';
  } else {
    throw new TypeError('bundle has neither messageSignature nor dsseEnvelope');
  }
  const annotations: Record<string, string> = {
    ...extraAnnotations,
    [ANNOTATIONS.signature]: signature,
    [ANNOTATIONS.certificate]: pemEncode(base64Decode(certDer, 'certificate'), 'CERTIFICATE'),
    [ANNOTATIONS.chain]: '',
    [ANNOTATIONS.bundle]: JSON.stringify(rekorBundle),
  };
  const tsd = vm['timestampVerificationData'];
  const stamp = isObject(tsd) && Array.isArray(tsd['rfc3161Timestamps']) ? tsd['rfc3161Timestamps'][0] : undefined;
  if (isObject(stamp) && typeof stamp['signedTimestamp'] === 'string') {
    annotations[ANNOTATIONS.rfc3161Timestamp] = JSON.stringify({ SignedRFC3161Timestamp: stamp['signedTimestamp'] });
  }
  return { descriptor: descriptorFor(payload, mediaType, annotations), payload };
}

/** The DSSE envelope JSON a `.att` layer holds, from a bundle's dsseEnvelope (the same JSON names). */
export function envelopeBytes(bundle: Json): Uint8Array {
  const envelope = bundle['dsseEnvelope'];
  if (!isObject(envelope)) throw new TypeError('bundle has no dsseEnvelope');
  return new TextEncoder().encode(JSON.stringify({ payloadType: envelope['payloadType'], payload: envelope['payload'], signatures: envelope['signatures'] }));
}

/** The config blob of a signature image: cosign's empty image config with one diff ID per layer. */
export function legacyConfig(layers: readonly OciDescriptor[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  }));
}

/**
 * The `.sig`/`.att` manifest after adding `layer` to the layers the tag already holds. A layer already there (same
 * payload and signature) is not added twice, as cosign's dupe detector does.
 */
export function appendLegacyLayer(existing: readonly OciDescriptor[], layer: OciDescriptor): { manifest: Uint8Array; config: Uint8Array; configDescriptor: OciDescriptor; added: boolean } {
  const duplicate = existing.some((l) => l.digest === layer.digest && l.annotations?.[ANNOTATIONS.signature] === layer.annotations?.[ANNOTATIONS.signature]
    && l.annotations?.[ANNOTATIONS.certificate] === layer.annotations?.[ANNOTATIONS.certificate]);
  const layers = duplicate ? [...existing] : [...existing, layer];
  const config = legacyConfig(layers);
  const configDescriptor = descriptorFor(config, OCI_IMAGE_CONFIG_MEDIA_TYPE);
  const manifest: OciManifest = { schemaVersion: 2, mediaType: OCI_MANIFEST_MEDIA_TYPE, config: configDescriptor, layers };
  return { manifest: serializeManifest(manifest), config, configDescriptor, added: !duplicate };
}

function certificateFromPem(pem: string, what: string): Uint8Array {
  let blocks: Uint8Array[];
  try {
    blocks = pemDecodeAll(pem, 'CERTIFICATE');
  } catch (cause) {
    throw new KeylessError('ERR_BUNDLE_INVALID', `${what} is not a PEM certificate`, {}, { cause });
  }
  const first = blocks[0];
  if (first === undefined) throw new KeylessError('ERR_BUNDLE_INVALID', `${what} holds no PEM certificate`);
  return first;
}

function rekorEntry(annotation: string): Json {
  const rekor = parseJsonBytes(new TextEncoder().encode(annotation), `the ${ANNOTATIONS.bundle} annotation`);
  const invalid = (problem: string): never => {
    throw new KeylessError('ERR_BUNDLE_INVALID', `the ${ANNOTATIONS.bundle} annotation is invalid: ${problem}`);
  };
  if (!isObject(rekor)) return invalid('not an object');
  const set = rekor['SignedEntryTimestamp'];
  const p = rekor['Payload'];
  if (typeof set !== 'string') return invalid('SignedEntryTimestamp is not a string');
  if (!isObject(p)) return invalid('Payload is not an object');
  const { body, integratedTime, logIndex, logID } = p;
  if (typeof body !== 'string') return invalid('Payload.body is not a string');
  for (const [name, n] of [['integratedTime', integratedTime], ['logIndex', logIndex]] as const) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) invalid(`Payload.${name} is not a non-negative integer`);
  }
  if (typeof logID !== 'string') return invalid('Payload.logID is not a string');
  let entry: unknown;
  try {
    entry = JSON.parse(utf8Decode(base64Decode(body, 'Payload.body')));
  } catch {
    return invalid('Payload.body is not a base64 JSON log entry');
  }
  if (!isObject(entry) || typeof entry['kind'] !== 'string' || typeof entry['apiVersion'] !== 'string') return invalid('Payload.body has no kind and apiVersion');
  return {
    logIndex: String(logIndex),
    logId: { keyId: base64Encode(hexDecode(logID, 'Payload.logID')) },
    kindVersion: { kind: entry['kind'], version: entry['apiVersion'] },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: set },
    canonicalizedBody: body,
  };
}

function dsseEnvelopeJson(payload: Uint8Array): Json {
  const env = parseJsonBytes(payload, 'the DSSE envelope layer');
  if (!isObject(env) || typeof env['payloadType'] !== 'string' || typeof env['payload'] !== 'string' || !Array.isArray(env['signatures'])) {
    throw new KeylessError('ERR_BUNDLE_INVALID', 'the .att layer is not a DSSE envelope (payloadType, payload, signatures)');
  }
  return {
    payload: env['payload'],
    payloadType: env['payloadType'],
    signatures: env['signatures'].map((s) => (isObject(s) ? { sig: s['sig'], keyid: typeof s['keyid'] === 'string' ? s['keyid'] : '' } : s)),
  };
}

/**
 * The Sigstore bundle v0.1 JSON that says what a legacy layer says: its certificate, its Rekor v1 entry with the
 * SET, its RFC 3161 timestamp, and the signature (message signature over the payload, or the DSSE envelope).
 * `payload` must already be checked against the layer's digest.
 */
export function legacyLayerToBundleJson(layer: LegacyLayer): Json {
  const a = layer.descriptor.annotations ?? {};
  const certPem = a[ANNOTATIONS.certificate];
  if (certPem === undefined || certPem === '') {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', 'the layer has no certificate annotation: it was signed with a key, which keyless does not verify in this layout');
  }
  const rekor = a[ANNOTATIONS.bundle];
  if (rekor === undefined || rekor === '') {
    throw new KeylessError('ERR_TLOG_THRESHOLD', `the layer has no ${ANNOTATIONS.bundle} annotation: no transparency log entry to verify`);
  }
  const vm: Json = {
    x509CertificateChain: { certificates: [{ rawBytes: base64Encode(certificateFromPem(certPem, `the ${ANNOTATIONS.certificate} annotation`)) }] },
    tlogEntries: [rekorEntry(rekor)],
  };
  const stamp = a[ANNOTATIONS.rfc3161Timestamp];
  if (stamp !== undefined && stamp !== '') {
    const t = parseJsonBytes(new TextEncoder().encode(stamp), `the ${ANNOTATIONS.rfc3161Timestamp} annotation`);
    if (!isObject(t) || typeof t['SignedRFC3161Timestamp'] !== 'string') throw new KeylessError('ERR_BUNDLE_INVALID', `the ${ANNOTATIONS.rfc3161Timestamp} annotation has no SignedRFC3161Timestamp`);
    vm['timestampVerificationData'] = { rfc3161Timestamps: [{ signedTimestamp: t['SignedRFC3161Timestamp'] }] };
  }
  const out: Json = { mediaType: BUNDLE_V01_MEDIA_TYPE, verificationMaterial: vm };
  if (layer.descriptor.mediaType === DSSE_ENVELOPE_MEDIA_TYPE) {
    out['dsseEnvelope'] = dsseEnvelopeJson(layer.payload);
  } else if (layer.descriptor.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) {
    const signature = a[ANNOTATIONS.signature];
    if (signature === undefined || signature === '') throw new KeylessError('ERR_BUNDLE_INVALID', `the layer has no ${ANNOTATIONS.signature} annotation`);
    out['messageSignature'] = { messageDigest: { algorithm: 'SHA2_256', digest: base64Encode(sha256(layer.payload)) }, signature };
  } else {
    throw new KeylessError('ERR_BUNDLE_UNSUPPORTED', `a layer of media type ${layer.descriptor.mediaType} is neither a Simple Signing payload nor a DSSE envelope`);
  }
  return out;
}
