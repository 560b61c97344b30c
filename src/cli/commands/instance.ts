/**
 * Flags and plumbing the signing commands share: which Sigstore instance to use (files, an instance URL, or the
 * public-good default), the identity token, cosign's consent before publishing to a transparency log, what to print
 * afterwards, and writing the bundle atomically.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { KeylessError } from '../../core/errors.js';
import { parseSigningConfig, parseTrustedRoot, type SigningConfig, type TrustedRoot } from '../../trust/index.js';
import { productionSigningConfigJson } from '../../trust/production-signing-config.js';
import { productionTrustedRootJson } from '../../trust/production-root.js';
import { getJson, joinUrl, predicateTypeUri, staticTokenSource, type FetchLike, type SignerOptions, type SignResult, type UploadNotice } from '../../sign/index.js';
import { flag, str, usageError, type Options, type Parsed } from '../args.js';
import { fetchInstanceTrustedRoot, instanceUrl } from '../instance-trust.js';

export { fetchInstanceTrustedRoot, instanceUrl };
import { readFileOrFail, type Output } from '../io.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The public-good search UI, where cosign users look up entries of rekor.sigstore.dev. */
const PUBLIC_GOOD_SEARCH = 'https://search.sigstore.dev';

export const INSTANCE_OPTIONS = {
  'signing-config': { type: 'string' },
  'trusted-root': { type: 'string' },
  instance: { type: 'string' },
} as const satisfies Options;

export const SIGNING_OPTIONS = {
  ...INSTANCE_OPTIONS,
  'identity-token': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  bundle: { type: 'string' },
  'output-signature': { type: 'string' },
  'output-certificate': { type: 'string' },
  // cosign 2 needs this for v0.3 bundles; keyless always writes them, so it is accepted and changes nothing.
  'new-bundle-format': { type: 'boolean' },
} as const satisfies Options;

export const INSTANCE_USAGE = `Which Sigstore instance (default: the public-good instance, fulcio/rekor.sigstore.dev):
  --instance URL            a keyless instance: its URL/signing_config.json and URL/trusted_root.json (env KEYLESS_INSTANCE)
  --signing-config FILE     the CA, logs and TSAs to use (SigningConfig v0.2)
  --trusted-root FILE       the trusted root the new bundle must verify against`;

export const SIGNING_USAGE = `  --identity-token TOKEN|FILE   the OIDC ID token, or a file holding it (default: env SIGSTORE_ID_TOKEN)
  -y, --yes                 skip the confirmation prompt (env COSIGN_YES=true or KEYLESS_YES=true)
  --output-signature FILE   also write the signature (base64) to FILE
  --output-certificate FILE also write the signing certificate (PEM) to FILE
${INSTANCE_USAGE}`;

export interface SigningInstance {
  readonly signingConfig: SigningConfig;
  readonly trustedRoot: TrustedRoot;
  /** The explorer page for a log index, when the instance has one. */
  explorerLink(logIndex: number, logUrl: string): string;
  /** The explorer page for a Rekor v2 log index: only a keyless instance serves one (public-good has none). */
  explorerLinkV2(logIndex: number): string | undefined;
}

function readJsonFile(path: string, what: string): unknown {
  const text = readFileOrFail(path, what, 16 * 1024 * 1024).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new KeylessError('ERR_JSON', `${what} ${path} is not JSON: ${(cause as Error).message}`, {}, { cause });
  }
}

/**
 * The instance from the flags: `--signing-config`/`--trusted-root` files win; otherwise `--instance URL` (or
 * KEYLESS_INSTANCE) serves both; with nothing given, the public-good instance built in.
 */
export async function loadSigningInstance(parsed: Parsed, env: Env, fetchFn: FetchLike = globalThis.fetch as unknown as FetchLike): Promise<SigningInstance> {
  const instance = instanceUrl(parsed, env);
  const fromInstance = async (file: string, what: string): Promise<unknown> => getJson({ service: `keyless instance (${what})`, url: joinUrl(instance ?? '', `/${file}`), fetch: fetchFn });

  const configPath = str(parsed, 'signing-config');
  const rootPath = str(parsed, 'trusted-root');
  const signingConfig = parseSigningConfig(
    configPath !== undefined ? readJsonFile(configPath, 'signing config') : instance !== undefined ? await fromInstance('signing_config.json', 'signing config') : productionSigningConfigJson,
  );
  const trustedRoot = parseTrustedRoot(
    rootPath !== undefined ? readJsonFile(rootPath, 'trusted root') : instance !== undefined ? await fetchInstanceTrustedRoot(instance, fetchFn) : productionTrustedRootJson,
  );
  const publicGood = instance === undefined && configPath === undefined;
  return {
    signingConfig,
    trustedRoot,
    explorerLink: (logIndex, logUrl) => {
      if (publicGood) return `${PUBLIC_GOOD_SEARCH}/?logIndex=${logIndex}`;
      // A keyless instance serves its explorer at its root; a log of a signing config file at its own origin.
      return `${instance ?? new URL(logUrl).origin}/?logIndex=${logIndex}`;
    },
    explorerLinkV2: (logIndex) => (instance === undefined ? undefined : `${instance.replace(/\/+$/, '')}/?log=v2&logIndex=${logIndex}`),
  };
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(?:1|true|yes|y)$/i.test(v.trim());

export interface ConsentIo {
  readonly stdinIsTty: boolean;
  /** Asks on the terminal; resolves to the answer line. */
  ask(question: string): Promise<string>;
}

export const terminalConsentIo: ConsentIo = {
  stdinIsTty: process.stdin.isTTY === true,
  ask: (question) =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer);
      });
    }),
};

/** What every signing command hands the signer: the token it read up front, the instance's trust, the consent gate, one fetch. */
export function signerOptions(
  instance: SigningInstance, token: string, parsed: Parsed, env: Env, io: Output, fetch: FetchLike,
): Pick<SignerOptions, 'tokenSource' | 'signingConfig' | 'trustedRoot' | 'confirmUpload' | 'fetch'> {
  return { tokenSource: staticTokenSource(token), signingConfig: instance.signingConfig, trustedRoot: instance.trustedRoot, confirmUpload: consentGate(yesFlag(parsed), env, io), fetch };
}

/**
 * cosign's consent: uploading to a transparency log publishes the signer's identity for good, so without --yes (or
 * COSIGN_YES=true / KEYLESS_YES=true) the user is asked on the terminal, and with no terminal to ask on, refused.
 */
export function consentGate(yes: boolean, env: Env, io: Output, consent: ConsentIo = terminalConsentIo): (notice: UploadNotice) => Promise<void> {
  return async (notice) => {
    if (yes || truthy(env['COSIGN_YES']) || truthy(env['KEYLESS_YES'])) return;
    if (!consent.stdinIsTty) {
      throw new KeylessError('ERR_USAGE', `signing publishes your identity in the transparency log at ${notice.tlogUrls.join(', ')}, and stdin is not a terminal to ask for consent: pass --yes (or set COSIGN_YES=true) to go ahead`);
    }
    io.err(`Signing publishes the identity of this token (subject ${notice.subject}${notice.issuer !== undefined ? `, issuer ${notice.issuer}` : ''}) in the certificate and in the transparency log at ${notice.tlogUrls.join(', ')}.
That log is an immutable public record: entries cannot be removed later.`);
    const answer = await consent.ask('Are you sure you would like to continue? [y/N] ');
    if (!/^y(?:es)?$/i.test(answer.trim())) throw new KeylessError('ERR_USAGE', 'signing cancelled: no consent to upload to the transparency log');
  };
}

/** Writes `data` to `path` through a temporary file and a rename, so a reader never sees half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw new KeylessError('ERR_USAGE', `cannot write ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
}

/** What cosign prints about a signature (stderr), then the bundle and any extra outputs written. */
export function reportSignature(result: SignResult, instance: SigningInstance, io: Output): void {
  io.err(`Certificate identity: ${result.certificate.subjectAlternativeName}`);
  io.err(`Certificate issuer: ${result.certificate.issuer ?? '(none)'}`);
  io.err(`tlog entry created with index: ${result.tlogEntry.logIndex}`);
  if (result.tlogEntry.apiVersion === 2) {
    // A keyless instance's explorer shows v2 entries too (?log=v2); elsewhere a v2 entry is read from its C2SP tiles.
    io.err(`  in the Rekor v2 log ${result.tlogEntry.logUrl} (its checkpoint and C2SP tiles are under that URL)`);
    const link = instance.explorerLinkV2(result.tlogEntry.logIndex);
    if (link !== undefined) io.err(`  ${link}`);
  } else {
    io.err(`  ${instance.explorerLink(result.tlogEntry.logIndex, result.tlogEntry.logUrl)}`);
  }
}

export function writeOutputs(parsed: Parsed, result: SignResult, bundlePath: string, io: Output, signatureText: string): void {
  writeFileAtomic(bundlePath, `${JSON.stringify(result.bundle)}\n`);
  io.err(`Wrote bundle to file ${bundlePath}`);
  const sigPath = str(parsed, 'output-signature');
  if (sigPath !== undefined) {
    writeFileAtomic(sigPath, signatureText);
    io.err(`Wrote signature to file ${sigPath}`);
  }
  const certPath = str(parsed, 'output-certificate');
  if (certPath !== undefined) {
    writeFileAtomic(certPath, result.certificate.pem);
    io.err(`Wrote certificate to file ${certPath}`);
  }
}

export function yesFlag(parsed: Parsed): boolean {
  return flag(parsed, 'yes');
}

/** `--predicate FILE` (JSON, required) and `--type` (cosign's names or a URI; default custom) of the attest commands. */
export function readPredicate(parsed: Parsed, usage: string): { predicateType: string; predicate: unknown } {
  const predicatePath = str(parsed, 'predicate');
  if (predicatePath === undefined) throw usageError('--predicate is required', usage);
  const predicateType = predicateTypeUri(str(parsed, 'type') ?? 'custom');
  try {
    return { predicateType, predicate: JSON.parse(readFileOrFail(predicatePath, 'predicate', 16 * 1024 * 1024).toString('utf8')) };
  } catch (cause) {
    if (cause instanceof KeylessError) throw cause;
    throw new KeylessError('ERR_JSON', `predicate ${predicatePath} is not JSON: ${(cause as Error).message}`, { path: predicatePath }, { cause });
  }
}
