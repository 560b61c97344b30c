/**
 * The crypto floor: what the unavoidable cryptography of one unit of work (a log entry, a certificate, a timestamp,
 * a verification) costs on this machine, measured in the same run as the benchmark, so that a benchmark can print
 * its server CPU per unit as a multiple of it. An absolute rate on a shared machine says little; "2.4× the floor"
 * stays comparable across machines and hours.
 *
 * `calibrate()` measures each primitive in-process with node:crypto (single thread, warm, median of several
 * rounds); `floor()` and `costLine()` are the arithmetic, pure and unit-tested.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { verifyPrehashedKey } from '../src/core/prehash.js';
import { publicKeyFromSpki } from '../src/core/keys.js';
import { nativeStatus, verifyDigestWithKey } from '../src/native/index.js';

/** µs per operation on this machine. */
export interface Calibration {
  /** ECDSA P-256 verify of a short message (native OpenSSL: hash + verify). */
  readonly p256Verify: number;
  /** ECDSA P-256 verify from a SHA-256 digest as the log does it: the native addon when it is loaded (src/native). */
  readonly p256VerifyDigest: number;
  /** The same in JavaScript (src/core/prehash.ts: node:crypto has no digest verify), the path without the addon. */
  readonly p256VerifyDigestJs: number;
  readonly p256Sign: number;
  readonly p384Verify: number;
  readonly ed25519Verify: number;
  readonly ed25519Sign: number;
  /** RSA-2048 PKCS#1 v1.5 SHA-256 verify of a JWT-sized message (RS256). */
  readonly rsa2048Verify: number;
  /** SHA-256 of 1 KiB. */
  readonly sha256Kib: number;
  /** P-256 public key from SPKI DER (src/core/keys.ts publicKeyFromSpki: DER parse + JWK import + point check). */
  readonly p256KeyImport: number;
}

export const CALIBRATION_LABELS: Readonly<Record<keyof Calibration, string>> = {
  p256Verify: 'P-256 verify (message)',
  p256VerifyDigest: `P-256 verify from digest (${nativeStatus().loaded ? 'native addon' : 'JavaScript: addon not in use'})`,
  p256VerifyDigestJs: 'P-256 verify from digest (JavaScript prehash.ts)',
  p256Sign: 'P-256 sign',
  p384Verify: 'P-384 verify',
  ed25519Verify: 'Ed25519 verify',
  ed25519Sign: 'Ed25519 sign',
  rsa2048Verify: 'RSA-2048 verify',
  sha256Kib: 'SHA-256 1 KiB',
  p256KeyImport: 'P-256 key import',
};

/**
 * CPU µs per call of `fn`: the median of `rounds` rounds of about `ms` milliseconds each, after a warm-up. CPU time
 * (process.cpuUsage), not wall time: on a shared machine this process is descheduled now and then, and the servers'
 * costs it is set against are CPU times too.
 */
export function timeOp(fn: () => unknown, ms = 150, rounds = 5): number {
  for (let i = 0; i < 50; i++) fn();
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const cpu0 = process.cpuUsage();
    const until = performance.now() + ms;
    while (performance.now() < until) {
      for (let i = 0; i < 10; i++) fn();
      n += 10;
    }
    const cpu = process.cpuUsage(cpu0);
    perRound.push((cpu.user + cpu.system) / n);
  }
  return median(perRound);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Measures every primitive of `Calibration` (about 5 s in all at the defaults). */
export function calibrate(ms = 150, rounds = 5): Calibration {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = randomBytes(64);
  const digest = createHash('sha256').update(message).digest();
  const ecSig = sign('sha256', message, ec.privateKey);
  const p384Sig = sign('sha384', message, p384.privateKey);
  const edSig = sign(null, message, ed.privateKey);
  const ecKey = publicKeyFromSpki(ec.publicKey.export({ format: 'der', type: 'spki' }));
  // A JWT signing input is a few hundred bytes (header.payload, base64url).
  const jwtInput = randomBytes(900);
  const rsaSig = sign('sha256', jwtInput, rsa.privateKey);
  const kib = randomBytes(1024);
  // Fresh keys for the import, so that no cache anywhere turns it into a lookup.
  const spkis = Array.from({ length: 64 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }));
  let k = 0;
  const check = (ok: boolean): void => {
    if (!ok) throw new Error('calibration: a signature did not verify');
  };
  return {
    p256Verify: timeOp(() => check(verify('sha256', message, ec.publicKey, ecSig)), ms, rounds),
    p256VerifyDigest: timeOp(() => check(verifyDigestWithKey(ecKey, 'sha256', digest, ecSig)), ms, rounds),
    p256VerifyDigestJs: timeOp(() => check(verifyPrehashedKey(ecKey, 'sha256', digest, ecSig)), ms, rounds),
    p256Sign: timeOp(() => sign('sha256', message, ec.privateKey), ms, rounds),
    p384Verify: timeOp(() => check(verify('sha384', message, p384.publicKey, p384Sig)), ms, rounds),
    ed25519Verify: timeOp(() => check(verify(null, message, ed.publicKey, edSig)), ms, rounds),
    ed25519Sign: timeOp(() => sign(null, message, ed.privateKey), ms, rounds),
    rsa2048Verify: timeOp(() => check(verify('sha256', jwtInput, rsa.publicKey, rsaSig)), ms, rounds),
    sha256Kib: timeOp(() => createHash('sha256').update(kib).digest(), ms, rounds),
    p256KeyImport: timeOp(() => publicKeyFromSpki(spkis[k++ % spkis.length]!), ms, rounds),
  };
}

/** One line with every calibration value, for the benchmark's header. */
export function calibrationLine(c: Calibration): string {
  return `crypto floor on this machine (CPU µs/op, median of rounds): ${(Object.keys(CALIBRATION_LABELS) as (keyof Calibration)[]).map((k) => `${CALIBRATION_LABELS[k]} ${c[k].toFixed(1)}`).join(', ')}`;
}

/** One term of a floor: `count` operations (may be fractional: a checkpoint signature amortised over a batch). */
export interface FloorPart {
  readonly label: string;
  readonly count: number;
  readonly us: number;
}

export interface Floor {
  readonly parts: readonly FloorPart[];
  readonly totalUs: number;
}

export function floor(parts: readonly FloorPart[]): Floor {
  return { parts, totalUs: parts.reduce((sum, p) => sum + p.count * p.us, 0) };
}

function formatUs(us: number): string {
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}

/** "1 P-256 verify (digest) 80", "checkpoint sign/42 0.95": count, label, and the µs it contributes. */
export function formatPart(p: FloorPart): string {
  const count = Number.isInteger(p.count) ? `${p.count} ` : p.count < 1 ? `1/${formatUs(1 / p.count)} ` : `${formatUs(p.count)}× `;
  return `${count}${p.label} ${formatUs(p.count * p.us)}`;
}

/**
 * `cost: 310 µs server CPU per entry = 2.4× crypto floor (floor 130 µs: 1 P-256 verify (digest) 80 + …)`.
 * `cpuUs` undefined (the CPU could not be read) prints the floor alone.
 */
export function costLine(what: string, unit: string, cpuUs: number | undefined, f: Floor): string {
  const parts = f.parts.map(formatPart).join(' + ');
  const head = cpuUs === undefined || !Number.isFinite(cpuUs)
    ? `cost: ${what} CPU per ${unit} not measured`
    : `cost: ${formatUs(cpuUs)} µs ${what} CPU per ${unit} = ${(cpuUs / f.totalUs).toFixed(1)}× crypto floor`;
  return `${head} (floor ${formatUs(f.totalUs)} µs: ${parts})`;
}

/**
 * A Rekor hashedrekord entry: its signature checked (from the digest: counted at the native verify's cost, since
 * the arithmetic is the same and only node:crypto's missing digest API makes keyless pay more); the checkpoint signed once per batch (Ed25519
 * for v2, P-256 for v1, which also signs a SET per entry); a few SHA-256 (leaf hash, tile node, search key).
 * `batch` is the observed mean number of submissions per committed batch.
 */
export function entryFloor(c: Calibration, api: 'v1' | 'v2', batch: number): FloorPart[] {
  const b = Math.max(1, batch);
  return [
    { label: 'P-256 verify', count: 1, us: c.p256Verify },
    ...(api === 'v1' ? [{ label: 'SET P-256 sign', count: 1, us: c.p256Sign }] : []),
    { label: `checkpoint ${api === 'v1' ? 'P-256' : 'Ed25519'} sign/batch`, count: 1 / b, us: api === 'v1' ? c.p256Sign : c.ed25519Sign },
    { label: 'SHA-256 (≤1 KiB)', count: 3, us: c.sha256Kib },
  ];
}

/**
 * A Fulcio certificate with an embedded SCT (dev GitLab issuer, RS256 token; P-256 issuing CA and CT log): the
 * token's signature, the proof of possession, the precertificate, the SCT and the certificate, and the CT log's
 * append (its P-256 checkpoint amortised over `ctBatch`, leaf and node hashes).
 */
export function certificateFloor(c: Calibration, ctBatch: number): FloorPart[] {
  return [
    { label: 'JWT RS256 verify', count: 1, us: c.rsa2048Verify },
    { label: 'PoP P-256 verify', count: 1, us: c.p256Verify },
    { label: 'precert+SCT+cert P-256 sign', count: 3, us: c.p256Sign },
    { label: 'CT checkpoint P-256 sign/batch', count: 1 / Math.max(1, ctBatch), us: c.p256Sign },
    { label: 'SHA-256 (≤1 KiB)', count: 4, us: c.sha256Kib },
  ];
}

/** An RFC 3161 timestamp from a P-256 TSA: one signature over the signed attributes, and its hashing. */
export function timestampFloor(c: Calibration): FloorPart[] {
  return [
    { label: 'P-256 sign', count: 1, us: c.p256Sign },
    { label: 'SHA-256 (≤1 KiB)', count: 2, us: c.sha256Kib },
  ];
}

/**
 * The floor of a verification from the public-key operations it was counted making (bench/crypto-count.ts): each
 * signature check at the native verify's cost for its key (a check from a digest, made of two ECDH calls, at the
 * native cost of one verify), plus hashing. Kinds it has no price for are returned in `unpriced`.
 */
export function verificationFloor(c: Calibration, counts: ReadonlyMap<string, number>): { parts: FloorPart[]; unpriced: string[] } {
  const price: Record<string, { label: string; us: number; per?: number }> = {
    'verify ec-prime256v1': { label: 'P-256 verify', us: c.p256Verify },
    'ecdh prime256v1': { label: 'P-256 verify (from digest)', us: c.p256Verify, per: 2 },
    'verify ec-secp384r1': { label: 'P-384 verify', us: c.p384Verify },
    'verify ed25519': { label: 'Ed25519 verify', us: c.ed25519Verify },
    'verify rsa-2048': { label: 'RSA-2048 verify', us: c.rsa2048Verify },
    'publicDecrypt rsa-2048': { label: 'RSA-2048 verify (from digest)', us: c.rsa2048Verify },
  };
  const parts: FloorPart[] = [];
  const unpriced: string[] = [];
  for (const [kind, n] of [...counts].sort()) {
    const p = price[kind];
    if (p === undefined) unpriced.push(`${n}× ${kind}`);
    else parts.push({ label: p.label, count: n / (p.per ?? 1), us: p.us });
  }
  parts.push({ label: 'SHA-256 (≤1 KiB)', count: 2, us: c.sha256Kib });
  return { parts, unpriced };
}
