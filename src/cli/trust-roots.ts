/**
 * The trusted roots a verifying command uses, and a verifier over them that says which root it used when a bundle
 * names a CA, log or timestamp authority that root does not list.
 *
 * `--trusted-root FILE` takes one trusted root, or several as JSON lines (what `gh attestation trusted-root` prints:
 * the public-good root and GitHub's). Each bundle is verified against the root whose CA issued its certificate,
 * with that root's own thresholds (`domainThresholds`): GitHub's trust domain has no log and no CT, so it needs an
 * RFC 3161 timestamp instead. `--insecure-ignore-tlog`/`--insecure-ignore-sct` lower the thresholds for every root.
 */
import { KeylessError } from '../core/errors.js';
import { parseCertificate } from '../core/x509.js';
import { bytesEqual } from '../core/encoding.js';
import type { Bundle } from '../bundle/index.js';
import { parseTrustedRoot, type TrustedRoot } from '../trust/index.js';
import { productionTrustedRootJson } from '../trust/production-root.js';
import { domainThresholds } from '../verify/trust-domain.js';
import { createVerifier, type VerificationPolicy, type VerificationResult, type Verifier } from '../verify/verifier.js';
import { flag, str, type Parsed } from './args.js';
import { fetchInstanceTrustedRoot, instanceUrl } from './instance-trust.js';
import { readFileOrFail } from './io.js';
import { witnessPolicyFromFlags } from './witness-policy.js';

type Env = Readonly<Record<string, string | undefined>>;

const MAX_ROOT_FILE = 64 * 1024 * 1024;

export interface TrustSource {
  readonly roots: readonly TrustedRoot[];
  /** Where the roots came from, for messages: "the built-in public-good Sigstore root", "trusted root file X", … */
  readonly label: string;
}

/** One trusted root (a JSON object), or several, one JSON object per line. */
export function parseTrustedRoots(text: string, what: string): TrustedRoot[] {
  try {
    return [parseTrustedRoot(JSON.parse(text))];
  } catch (err) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!(err instanceof SyntaxError) || lines.length < 2) {
      if (err instanceof SyntaxError) throw new KeylessError('ERR_JSON', `${what} is not JSON: ${err.message}`, {}, { cause: err });
      throw err;
    }
    const values = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (cause) {
        throw new KeylessError('ERR_JSON', `${what}, line ${i + 1}: not JSON: ${(cause as Error).message}`, {}, { cause });
      }
    });
    return values.map((json) => parseTrustedRoot(json));
  }
}

/** The roots from --trusted-root, --instance (or KEYLESS_INSTANCE), or the built-in public-good root. */
export async function trustSourceFromFlags(parsed: Parsed, env: Env): Promise<TrustSource> {
  const rootPath = str(parsed, 'trusted-root');
  if (rootPath !== undefined) {
    return { roots: parseTrustedRoots(readFileOrFail(rootPath, 'trusted root', MAX_ROOT_FILE).toString('utf8'), `trusted root ${rootPath}`), label: `the trusted root in ${rootPath}` };
  }
  const instance = instanceUrl(parsed, env);
  if (instance !== undefined) {
    return { roots: [parseTrustedRoot(await fetchInstanceTrustedRoot(instance))], label: `the trusted root served by ${instance}` };
  }
  return { roots: [parseTrustedRoot(productionTrustedRootJson)], label: 'the built-in public-good Sigstore trusted root' };
}

export interface CliVerifier {
  verify(bundle: Bundle, policy: VerificationPolicy): VerificationResult;
  /** Warnings to show once: unusable trusted root entries, checks a root's trust domain cannot support. */
  readonly notes: readonly string[];
}

function leafIssuer(bundle: Bundle): Uint8Array | undefined {
  const content = bundle.verificationMaterial.content;
  const der = content.kind === 'certificate' ? content.certificate : content.kind === 'x509CertificateChain' ? content.certificates[0] : undefined;
  if (der === undefined) return undefined;
  try {
    return parseCertificate(der).issuer;
  } catch {
    return undefined; // the verifier reports the unreadable certificate itself
  }
}

/** Adds which trusted root was used, and what to pass instead, to a failure that says the root lacks something. */
function withTrustHint(err: unknown, source: TrustSource): unknown {
  if (!(err instanceof KeylessError) || err.details['notInTrustedRoot'] !== true) return err;
  return new KeylessError(
    err.code,
    `${err.message} (checked against ${source.label}; a bundle from a private instance needs its root: --trusted-root trusted_root.json or --instance URL)`,
    { ...err.details, trustedRoot: source.label },
    { cause: err },
  );
}

export function createCliVerifier(source: TrustSource, parsed: Parsed): CliVerifier {
  const ignoreTlog = flag(parsed, 'insecure-ignore-tlog');
  const ignoreSct = flag(parsed, 'insecure-ignore-sct');
  const notes: string[] = [];
  const witnessPolicy = witnessPolicyFromFlags(parsed);
  const verifiers: { verifier: Verifier; caSubjects: Uint8Array[] }[] = source.roots.map((root) => {
    const domain = domainThresholds(root);
    const verifier = createVerifier({
      trustedRoot: root,
      tlogThreshold: ignoreTlog ? 0 : domain.tlogThreshold,
      ctlogThreshold: ignoreSct ? 0 : domain.ctlogThreshold,
      timestampThreshold: domain.timestampThreshold,
      ...(witnessPolicy !== undefined ? { witnessPolicy } : {}),
    });
    const name = source.roots.length > 1 ? `${source.label} (${root.certificateAuthorities[0]?.uri ?? 'no CA'})` : source.label;
    for (const note of domain.notes) if (!(ignoreTlog && note.includes('transparency log:')) && !(ignoreSct && note.includes('certificate transparency'))) notes.push(`${name}: ${note}`);
    for (const u of verifier.unusable) notes.push(`${name}: its ${u.kind} ${u.name} is set aside: ${u.reason}`);
    return { verifier, caSubjects: caSubjects(root) };
  });
  return {
    notes,
    verify(bundle, policy) {
      // The root whose CA issued the leaf decides; with none (a key, or a CA no root lists) the first one reports.
      const issuer = leafIssuer(bundle);
      const chosen = (issuer !== undefined ? verifiers.find((v) => v.caSubjects.some((s) => bytesEqual(s, issuer))) : undefined) ?? verifiers[0];
      if (chosen === undefined) throw new KeylessError('ERR_TRUST_INVALID', `${source.label} holds no trusted root`);
      try {
        return chosen.verifier.verify(bundle, policy);
      } catch (err) {
        throw withTrustHint(err, source);
      }
    },
  };
}

/** The subjects of the certificates that issue leaves in `root` (the first of each CA's chain). */
function caSubjects(root: TrustedRoot): Uint8Array[] {
  return root.certificateAuthorities.flatMap((ca) => {
    const first = ca.certChain[0];
    if (first === undefined) return [];
    try {
      return [parseCertificate(first).subject];
    } catch {
      return []; // the verifier sets this CA aside and says why
    }
  });
}
