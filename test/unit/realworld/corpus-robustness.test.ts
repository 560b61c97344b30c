/**
 * Robustness over the real-world corpus: seeded random corruption of every corpus bundle (bytes of its JSON text,
 * one JSON field replaced, removed, retyped, or a byte flipped in a base64 field) must end in a KeylessError with a
 * code, never a TypeError, RangeError or any other uncoded exception; must never turn a bundle keyless refuses into
 * one it accepts; and may turn an accepted bundle into an accepted one only when nothing the verifier vouches for
 * changed, or evidence was only dropped (see `evidence` below; compare test/unit/verify/robustness.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { parseBundleText, type Bundle } from '../../../src/bundle/index.js';
import { parseTrustedRoot } from '../../../src/trust/index.js';
import { createVerifier, type Verifier } from '../../../src/verify/verifier.js';
import type { Json } from '../../helpers/vectors.js';
import { keylessInputs, loadManifest, type KeylessInputs } from './corpus.js';
import { hex, noteFingerprint, rng } from '../../helpers/fuzz.js';

/** Mutations per corpus bundle; the whole file stays within a few seconds of CPU. */
const PER_BUNDLE = 16;


/**
 * What a verification vouches for. Fields no signature covers (key hints, DSSE keyids, extra chain certificates) are
 * left out, and log entries and timestamps count as a set: the same evidence twice is no new evidence (whether it
 * may count twice toward a threshold is asserted in corpus.test.ts). The messageDigest is left out too: the signature
 * is checked against the artifact's own digest, so a bundle may omit it. An inclusion proof may be dropped where the
 * SET suffices (bundle v0.1), and an RFC 3161 timestamp where a SET already gives a trusted time, but whatever is
 * kept must be the original: see `sameEvidence`.
 */
const unique = (items: string[]): string[] => [...new Set(items)].sort();

interface Evidence {
  readonly main: string;
  /** Inclusion proof (or '-') per log entry body. */
  readonly proofs: ReadonlyMap<string, string>;
  readonly timestamps: ReadonlySet<string>;
}

function evidence(bundle: Bundle): Evidence {
  const m = bundle.verificationMaterial;
  const c = bundle.content;
  const proofs = new Map<string, string>();
  for (const e of m.tlogEntries) {
    const p = e.inclusionProof;
    proofs.set(hex(e.canonicalizedBody), p === undefined ? '-' : JSON.stringify({ i: p.logIndex, root: hex(p.rootHash), size: p.treeSize, hashes: p.hashes.map(hex), cp: noteFingerprint(p.checkpoint) }));
  }
  return {
    main: JSON.stringify({
      content: c.kind === 'messageSignature'
        ? { sig: hex(c.signature) }
        : { type: c.envelope.payloadType, payload: hex(c.envelope.payload), sigs: c.envelope.signatures.map((s) => hex(s.sig)) },
      leaf: m.content.kind === 'certificate' ? hex(m.content.certificate) : m.content.kind === 'x509CertificateChain' ? hex(m.content.certificates[0]) : 'key',
      tlog: unique(m.tlogEntries.map((e) => JSON.stringify({
        body: hex(e.canonicalizedBody), index: e.logIndex, id: hex(e.logId), kind: e.kind, v: e.kindVersion, t: e.integratedTime, set: hex(e.inclusionPromise),
      }))),
    }),
    proofs,
    timestamps: new Set(m.rfc3161Timestamps.map(hex)),
  };
}

/** The same evidence, or less of it: no changed field, at most a dropped inclusion proof or RFC 3161 timestamp. */
function sameEvidence(original: Evidence, mutated: Evidence): boolean {
  if (original.main !== mutated.main) return false;
  for (const ts of mutated.timestamps) if (!original.timestamps.has(ts)) return false;
  for (const [body, proof] of mutated.proofs) {
    if (proof !== '-' && original.proofs.get(body) !== proof) return false;
  }
  return true;
}

type Outcome = { readonly kind: 'rejected' } | { readonly kind: 'accepted'; readonly evidence: Evidence };

function attempt(verifier: Verifier, inputs: KeylessInputs, text: string): Outcome {
  let bundle: Bundle;
  try {
    bundle = parseBundleText(text);
  } catch (err) {
    if (err instanceof KeylessError) return { kind: 'rejected' };
    throw new Error(`parse threw an uncoded ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
  try {
    verifier.verify(bundle, { ...(inputs.artifact !== undefined ? { artifact: inputs.artifact } : {}), identity: inputs.identity });
  } catch (err) {
    if (err instanceof KeylessError) return { kind: 'rejected' };
    throw new Error(`verify threw an uncoded ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack}`);
  }
  return { kind: 'accepted', evidence: evidence(bundle) };
}

// --- mutations ---------------------------------------------------------------------------------------------

function mutateText(text: string, r: () => number): string {
  const buf = Buffer.from(text);
  const at = Math.floor(r() * buf.length);
  switch (Math.floor(r() * 4)) {
    case 0: buf[at] = (buf[at] ?? 0) ^ (1 << Math.floor(r() * 8)); return buf.toString('latin1');
    case 1: return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 8));
    case 2: return text.slice(0, at);
    default: return text.slice(0, at) + ['"', '{', ']', ',', '\\u0000', '0', '-', 'null'][Math.floor(r() * 8)] + text.slice(at);
  }
}

/** Every path to a leaf (or container) of the JSON value. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 0) out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) paths(value[k], [...prefix, k], out);
  return out;
}

const REPLACEMENTS: Json[] = [null, 0, -1, '', 'x', [], {}, true, '99999999999999999999999', 1.5, 'AAAA', '-1', [{}], { rawBytes: '' }];

function mutateField(bundle: Json, r: () => number): Json {
  const copy = structuredClone(bundle);
  const all = paths(copy);
  const path = all[Math.floor(r() * all.length)];
  if (path === undefined) return copy;
  const parent = path.slice(0, -1).reduce((o: Json, k) => o[k], copy);
  const key = path[path.length - 1] as string | number;
  const current = parent[key];
  switch (Math.floor(r() * 4)) {
    case 0: // remove it
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 1: // a byte flipped in a base64 (or any) string, or a number nudged
      if (typeof current === 'string' && current.length > 0) {
        const bytes = Buffer.from(current, 'base64');
        if (bytes.length > 0 && /^[A-Za-z0-9+/=_-]+$/.test(current)) {
          const i = Math.floor(r() * bytes.length);
          bytes[i] = (bytes[i] ?? 0) ^ (1 << Math.floor(r() * 8));
          parent[key] = bytes.toString('base64');
        } else {
          const i = Math.floor(r() * current.length);
          parent[key] = current.slice(0, i) + String.fromCharCode(current.charCodeAt(i) ^ 1) + current.slice(i + 1);
        }
      } else if (typeof current === 'number') {
        parent[key] = current + 1;
      } else {
        parent[key] = REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)];
      }
      break;
    case 2: // another value, often of another type
      parent[key] = structuredClone(REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)]);
      break;
    default: // duplicated array element or an unknown sibling field
      if (Array.isArray(current) && current.length > 0) current.push(structuredClone(current[0]));
      else if (!Array.isArray(parent)) parent[`${String(key)}Extra`] = 'x';
      else parent.push(structuredClone(current));
  }
  return copy;
}

const manifest = loadManifest();

/** A seed per entry, from its id: adding or skipping entries does not move the others' mutations. */
function seedOf(id: string): number {
  let h = 0x5eed;
  for (const ch of Buffer.from(id)) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h;
}

for (const entry of manifest.entries) {
  test(`random corruption of ${entry.id} gives a coded error or the same accepted bundle`, () => {
    const inputs = keylessInputs(entry);
    let verifier: Verifier;
    try {
      verifier = createVerifier({ ...(entry.verifierOptions ?? {}), trustedRoot: parseTrustedRoot(inputs.trustedRoot) });
    } catch (err) {
      // The root itself is refused (reported by corpus.test.ts); the bundle cannot be exercised here.
      assert.ok(err instanceof KeylessError, `the trusted root of ${entry.id} threw an uncoded ${(err as Error)?.name}`);
      return;
    }
    const text = JSON.stringify(inputs.bundle, null, 1);
    const baseline = attempt(verifier, inputs, text);
    if (entry.expected === 'reject' && baseline.kind === 'accepted') {
      // keyless accepts this known-bad bundle today (corpus.test.ts reports it); its mutations prove nothing more.
      return;
    }
    let original: Evidence | undefined;
    try {
      original = evidence(parseBundleText(text));
    } catch {
      original = undefined; // a bundle that does not even parse: nothing derived from it may be accepted
    }
    const entrySeed = seedOf(entry.id);
    const r = rng(entrySeed);
    for (let n = 0; n < PER_BUNDLE; n++) {
      const mutated = n % 3 === 0 ? mutateText(text, r) : JSON.stringify(mutateField(inputs.bundle, r), null, 1);
      let outcome: Outcome;
      try {
        outcome = attempt(verifier, inputs, mutated);
      } catch (err) {
        assert.fail(`${entry.id}, seed ${entrySeed} mutation ${n}: ${(err as Error).message}`);
      }
      if (outcome.kind === 'accepted') {
        assert.equal(entry.expected, 'accept', `${entry.id}, seed ${entrySeed} mutation ${n}: a bundle that must be refused was accepted after corruption`);
        assert.ok(original !== undefined && sameEvidence(original, outcome.evidence), `${entry.id}, seed ${entrySeed} mutation ${n}: accepted with a changed signature, content, certificate, log entry or timestamp`);
      }
    }
  });
}
