/**
 * Robustness: thousands of random mutations of valid bundles (bytes of the JSON text, decoded binary fields, JSON
 * shape) never produce an uncoded exception, a hang, or a false accept.
 *
 * A false accept is a mutated bundle that verifies although something the verifier vouches for changed. What it
 * vouches for is the fingerprint below: the signature, digest, envelope, leaf certificate, every log entry's
 * covered fields; and every trusted time it reports must be one the original reported. Fields no signature covers (a DSSE keyid, a key hint, extra
 * chain certificates, a checkpoint signer's display name) may change freely.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseBundleText, type Bundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { createVerifier, type VerificationResult } from '../../../src/verify/verifier.js';
import { productionTrustedRootJson } from '../../../src/trust/production-root.js';
import { clone, gitlabIdentity, vector, type Json } from '../../helpers/vectors.js';
import { hex, noteFingerprint, rng } from '../../helpers/fuzz.js';


/**
 * What the verifier vouches for in `bundle`. A Rekor v1 entry's SET is evidence a mutation may drop (as it may drop
 * a trusted time), so SET-covered fields are compared only for the entries that keep one (`withSet`): without a
 * SET, a v1 entry's global log index and integrated time are information, and its inclusion proof carries the rest.
 */
function fingerprint(bundle: Bundle, withSet: readonly boolean[]): string {
  const m = bundle.verificationMaterial;
  const c = bundle.content;
  return JSON.stringify({
    content: c.kind === 'messageSignature'
      ? { sig: hex(c.signature) }
      : { type: c.envelope.payloadType, payload: hex(c.envelope.payload), sigs: c.envelope.signatures.map((s) => hex(s.sig)) },
    leaf: m.content.kind === 'certificate' ? hex(m.content.certificate) : m.content.kind === 'x509CertificateChain' ? hex(m.content.certificates[0]) : 'key',
    tlog: m.tlogEntries.map((e, i) => ({
      body: hex(e.canonicalizedBody), id: hex(e.logId), kind: e.kind, v: e.kindVersion,
      ...(withSet[i] === true ? { index: e.logIndex, t: e.integratedTime, set: hex(e.inclusionPromise) } : e.integratedTime === 0 ? { index: e.logIndex } : {}),
      proof: e.inclusionProof && { i: e.inclusionProof.logIndex, root: hex(e.inclusionProof.rootHash), size: e.inclusionProof.treeSize, hashes: e.inclusionProof.hashes.map(hex), cp: noteFingerprint(e.inclusionProof.checkpoint) },
    })),
  });
}

const hasSets = (bundle: Bundle) => bundle.verificationMaterial.tlogEntries.map((e) => e.inclusionPromise !== undefined);

/** Times a verification reports; a mutation may drop one (less evidence) but never add or move one. */
function times(result: VerificationResult): string[] {
  return result.times.map((t) => `${t.source} ${t.time} ${t.by}`);
}

interface Subject {
  name: string;
  text: string;
  verify: (bundle: Bundle) => VerificationResult;
  original: Bundle;
  baselineTimes: Set<string>;
}

function subject(name: string, trustedRoot: Json, artifact: Buffer, identity: Json): Subject {
  const v = vector(name);
  const verifier = createVerifier({ trustedRoot: parseTrustedRoot(trustedRoot ?? v.trustedRoot) });
  const verify = (bundle: Bundle) => verifier.verify(bundle, { artifact: { kind: 'bytes', data: artifact }, identity });
  const text = JSON.stringify(v.bundle, null, 1);
  const original = parseBundleText(text);
  return { name, text, verify, original, baselineTimes: new Set(times(verify(original))) };
}

const SUBJECTS: Subject[] = [
  ...['v1-message', 'v01-message', 'v02-message', 'v1-dsse', 'v1-intoto', 'v2-message', 'v2-dsse', 'tsa-message', 'p384-message'].map((n) => {
    const v = vector(n);
    return subject(n, v.trustedRoot, v.artifact, gitlabIdentity);
  }),
  ...(() => {
    const v = vector('public/message-tsa-v03');
    return [subject('public/message-tsa-v03', productionTrustedRootJson, v.artifact, {
      kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: v.expected.identity }, issuer: { kind: 'exact', value: v.expected.issuer } }],
    })];
  })(),
];

type Outcome = 'rejected' | 'accepted-same' | 'false-accept';

function attempt(s: Subject, text: string): Outcome {
  let bundle: Bundle;
  try {
    bundle = parseBundleText(text);
  } catch (err) {
    if (err instanceof KeylessError) return 'rejected';
    throw new Error(`${s.name}: parse threw an uncoded ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
  let result: VerificationResult;
  try {
    result = s.verify(bundle);
  } catch (err) {
    if (err instanceof KeylessError) return 'rejected';
    throw new Error(`${s.name}: verify threw an uncoded ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack}`);
  }
  const sameTimes = times(result).every((t) => s.baselineTimes.has(t));
  const withSet = hasSets(bundle);
  return fingerprint(bundle, withSet) === fingerprint(s.original, withSet) && sameTimes ? 'accepted-same' : 'false-accept';
}

// --- mutations -------------------------------------------------------------------------------------------

function mutateText(text: string, r: () => number): string {
  const buf = Buffer.from(text);
  const at = Math.floor(r() * buf.length);
  switch (Math.floor(r() * 5)) {
    case 0: buf[at] = (buf[at] ?? 0) ^ (1 << Math.floor(r() * 8)); return buf.toString('latin1');
    case 1: return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 8));
    case 2: return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(at);
    case 3: return text.slice(0, at);
    default: return text.slice(0, at) + text.slice(at, at + Math.floor(r() * 64)) + text.slice(at);
  }
}

/** Every string leaf that holds base64 bytes, with its path. */
function base64Paths(value: Json, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value === 'string') {
    if (value.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) out.push(path);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) base64Paths(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

function allPaths(value: Json, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) allPaths(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

function getParent(root: Json, path: (string | number)[]): [Json, string | number] {
  let node = root;
  for (const p of path.slice(0, -1)) node = node[p];
  return [node, path[path.length - 1] as string | number];
}

function mutateField(json: Json, r: () => number): Json {
  const copy = clone(json);
  const paths = base64Paths(copy);
  const path = paths[Math.floor(r() * paths.length)] as (string | number)[];
  const [parent, key] = getParent(copy, path);
  const bytes = Buffer.from(parent[key], 'base64');
  const at = Math.floor(r() * bytes.length);
  let out: Buffer;
  switch (Math.floor(r() * 3)) {
    case 0: out = Buffer.from(bytes); out[at] = (out[at] ?? 0) ^ (1 << Math.floor(r() * 8)); break;
    case 1: out = bytes.subarray(0, at); break;
    default: out = Buffer.concat([bytes, Buffer.from([Math.floor(r() * 256)])]);
  }
  parent[key] = out.toString('base64');
  return copy;
}

const ODD_VALUES: Json[] = [null, 0, -1, 1.5, '', '-5', '1e400', '18446744073709551616', 'not base64!', [], {}, [[]], true, 'A'.repeat(5000)];

function mutateShape(json: Json, r: () => number): Json {
  const copy = clone(json);
  const paths = allPaths(copy).filter((p) => p.length > 0);
  const path = paths[Math.floor(r() * paths.length)] as (string | number)[];
  const [parent, key] = getParent(copy, path);
  if (r() < 0.4) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    parent[key] = clone(ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]);
  }
  return copy;
}

/** Paths at which two JSON values differ (for the debug output). */
function diffPaths(a: Json, b: Json, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b ? [] : [path || '/'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffPaths(a[k], b[k], `${path}/${k}`));
}

// --- the test ----------------------------------------------------------------------------------------------

const ROUNDS = Number(process.env.KEYLESS_FUZZ_ROUNDS ?? 300); // per subject and mutation kind

test(`robustness: ${ROUNDS * 3} mutations of each of ${SUBJECTS.length} valid bundles`, { timeout: 120_000 }, () => {
  const tally: Record<string, Record<Outcome, number>> = {};
  let slowest = 0;
  for (const [si, s] of SUBJECTS.entries()) {
    const json = JSON.parse(s.text);
    for (const kind of ['text', 'field', 'shape'] as const) {
      const counts = (tally[kind] ??= { rejected: 0, 'accepted-same': 0, 'false-accept': 0 });
      for (let i = 0; i < ROUNDS; i++) {
        const seed = si * 1_000_003 + i * 7 + kind.length;
        const r = rng(seed);
        const text = kind === 'text' ? mutateText(s.text, r) : JSON.stringify(kind === 'field' ? mutateField(json, r) : mutateShape(json, r));
        const start = performance.now();
        const outcome = attempt(s, text);
        slowest = Math.max(slowest, performance.now() - start);
        counts[outcome]++;
        if (process.env.KEYLESS_FUZZ_DEBUG && outcome === 'accepted-same' && kind !== 'text') console.log(`accepted ${s.name} ${kind} ${seed}: ${JSON.stringify(diffPaths(json, JSON.parse(text))).slice(0, 300)}`);
        assert.notEqual(outcome, 'false-accept', `${s.name}: ${kind} mutation with seed ${seed} verified but changed what is vouched for`);
        // A changed binary field that still verifies must have changed nothing vouched for (e.g. an unused chain certificate).
      }
    }
  }
  // The mutations must actually reach the checks: most are rejected, and field mutations nearly always.
  const field = tally.field as Record<Outcome, number>;
  assert.ok(field.rejected / (field.rejected + field['accepted-same']) > 0.9, `field mutations rejected too rarely: ${JSON.stringify(field)}`);
  assert.ok(slowest < 2000, `a single verification took ${slowest.toFixed(0)} ms`);
  console.log(`robustness tally ${JSON.stringify(tally)}; slowest attempt ${slowest.toFixed(1)} ms`);
});
