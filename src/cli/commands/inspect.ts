/**
 * `keyless inspect BUNDLE`: what a bundle claims, decoded for people (or `--output json`). Nothing here is
 * verified; `verify-blob` is what establishes trust.
 */
import { hexEncode, utf8Decode } from '../../core/encoding.js';
import { FULCIO_EXTENSIONS } from '../../core/oids.js';
import { parseTimestamp } from '../../core/rfc3161.js';
import { parseCertificate } from '../../core/x509.js';
import type { Bundle } from '../../bundle/index.js';
import { signerIdentity } from '../../verify/verifier.js';
import { parse, str, usageError } from '../args.js';
import { readBundle, type Output } from '../io.js';

export const USAGE = 'Usage: keyless inspect BUNDLE [--output json]';

export function describeBundle(bundle: Bundle): Record<string, unknown> {
  const material = bundle.verificationMaterial.content;
  const certDer = material.kind === 'certificate' ? material.certificate : material.kind === 'x509CertificateChain' ? material.certificates[0] : undefined;
  let certificate: Record<string, unknown> | undefined;
  if (certDer !== undefined) {
    const cert = parseCertificate(certDer);
    let signer: ReturnType<typeof signerIdentity>;
    let note: string | undefined;
    try {
      signer = signerIdentity(cert);
    } catch (err) {
      // An extension that does not decode: show the rest, and say what could not be read.
      signer = { subjectAlternativeNames: cert.subjectAltNames.map((n) => n.value), issuer: undefined, extensions: {}, extensionsByOid: {} };
      note = `Fulcio extensions not shown: ${(err as Error).message}`;
    }
    certificate = {
      ...(note !== undefined ? { note } : {}),
      subjectAlternativeNames: signer.subjectAlternativeNames,
      issuer: signer.issuer,
      extensions: Object.fromEntries(FULCIO_EXTENSIONS.filter((e) => signer.extensions[e.name] !== undefined).map((e) => [e.name, signer.extensions[e.name]])),
      certificateIssuer: cert.issuerText(),
      notBefore: new Date(cert.notBefore).toISOString(),
      notAfter: new Date(cert.notAfter).toISOString(),
      serialNumber: hexEncode(cert.serialNumber),
    };
  }
  let statement: Record<string, unknown> | undefined;
  if (bundle.content.kind === 'dsseEnvelope') {
    const env = bundle.content.envelope;
    statement = { payloadType: env.payloadType };
    // Show what can be shown: a payload that is not UTF-8 is decoded with U+FFFD in place of the bad bytes, and
    // marked, rather than ending the output.
    let textPayload: string;
    try {
      textPayload = utf8Decode(env.payload);
    } catch {
      textPayload = Buffer.from(env.payload).toString('utf8');
      statement = { ...statement, note: 'payload is not valid UTF-8 (bad bytes shown as \uFFFD)' };
    }
    try {
      const parsed = JSON.parse(textPayload) as { _type?: unknown; predicateType?: unknown; subject?: unknown };
      statement = { ...statement, type: parsed._type, predicateType: parsed.predicateType, subjects: parsed.subject };
    } catch {
      statement = { ...statement, note: [statement['note'], 'payload is not JSON'].filter(Boolean).join('; ') };
    }
  }
  return {
    mediaType: bundle.mediaType,
    content: bundle.content.kind,
    ...(material.kind === 'publicKey' ? { publicKeyHint: material.hint } : {}),
    ...(certificate !== undefined ? { certificate } : {}),
    tlogEntries: bundle.verificationMaterial.tlogEntries.map((e) => ({
      logIndex: e.logIndex,
      logId: hexEncode(e.logId),
      kind: `${e.kind} ${e.kindVersion}`,
      ...(e.integratedTime > 0 ? { integratedTime: new Date(e.integratedTime * 1000).toISOString() } : {}),
      signedEntryTimestamp: e.inclusionPromise !== undefined,
      inclusionProof: e.inclusionProof !== undefined ? { treeSize: e.inclusionProof.treeSize, checkpointOrigin: e.inclusionProof.checkpoint.split('\n')[0] } : undefined,
    })),
    timestamps: bundle.verificationMaterial.rfc3161Timestamps.map((der) => {
      try {
        return { genTime: new Date(parseTimestamp(der).genTime).toISOString() };
      } catch (err) {
        return { error: (err as Error).message };
      }
    }),
    ...(statement !== undefined ? { statement } : {}),
  };
}

function text(desc: Record<string, unknown>): string {
  const lines: string[] = [`Bundle: ${String(desc.mediaType)} (${String(desc.content)}), not verified`];
  const cert = desc.certificate as Record<string, unknown> | undefined;
  if (cert !== undefined) {
    lines.push(`Identity: ${(cert.subjectAlternativeNames as string[]).join(', ')}`, `Issuer: ${String(cert.issuer)}`);
    lines.push(`Certificate: issued by ${String(cert.certificateIssuer)}, valid ${String(cert.notBefore)} to ${String(cert.notAfter)}`);
    if (cert.note !== undefined) lines.push(`  (${String(cert.note)})`);
    const ext = cert.extensions as Record<string, string>;
    for (const e of FULCIO_EXTENSIONS) if (ext[e.name] !== undefined) lines.push(`  ${e.label} (${e.oid}): ${ext[e.name]}`);
  }
  if (desc.publicKeyHint !== undefined) lines.push(`Signed with a key: hint ${JSON.stringify(desc.publicKeyHint)}`);
  for (const e of desc.tlogEntries as Record<string, unknown>[]) {
    lines.push(`Log entry ${String(e.logIndex)}: ${String(e.kind)}${e.integratedTime ? `, integrated ${String(e.integratedTime)}` : ''}, log ${String(e.logId).slice(0, 16)}…`);
  }
  for (const t of desc.timestamps as Record<string, unknown>[]) lines.push(`RFC 3161 timestamp: ${String(t.genTime ?? t.error)}`);
  const st = desc.statement as Record<string, unknown> | undefined;
  if (st !== undefined) {
    lines.push(`Statement: ${String(st.payloadType)}${st.predicateType ? `, predicate ${String(st.predicateType)}` : ''}`);
    if (st.note !== undefined) lines.push(`  (${String(st.note)})`);
    if (Array.isArray(st.subjects)) {
      for (const s of st.subjects as unknown[]) {
        const subject = typeof s === 'object' && s !== null ? (s as { name?: unknown; digest?: unknown }) : {};
        const digest = typeof subject.digest === 'object' && subject.digest !== null ? Object.entries(subject.digest).map(([k, v]) => `${k}:${String(v)}`).join(' ') : '(no digest)';
        lines.push(`  subject ${typeof subject.name === 'string' ? subject.name : '(no name)'} ${digest}`);
      }
    }
  }
  return lines.join('\n');
}

export async function inspect(argv: string[], io: Output): Promise<number> {
  const parsed = parse(argv, { output: { type: 'string' } }, USAGE);
  const [path, ...extra] = parsed.positionals;
  if (path === undefined || extra.length > 0) throw usageError('give exactly one BUNDLE', USAGE);
  const desc = describeBundle(readBundle(path));
  io.out(str(parsed, 'output') === 'json' ? JSON.stringify(desc, null, 2) : text(desc));
  return 0;
}
