/**
 * Life of a signature (shared by signBlob, attestBlob and signDsse):
 * 1. pick the CA, logs and TSAs from the signing config, at `now`;
 * 2. read the identity token and check what a client can check (audience, expiry, subject);
 * 3. ask `confirmUpload`, if given, before anything leaves the machine (the log entry publishes the identity);
 * 4. make an ephemeral P-256 key and get a certificate for it from the CA (proof of possession over the subject);
 * 5. sign (the artifact, or the DSSE PAE of the payload);
 * 6. log the signature in every selected log and timestamp it at every selected TSA, concurrently;
 * 7. assemble a v0.3 bundle (certificate = leaf only), serialize it, parse it back and verify it against the trusted
 *    root with the certificate's own identity. A bundle that does not verify is never returned: it is an error.
 */
import { KeylessError, isKeylessError } from '../core/errors.js';
import { pemEncode } from '../core/encoding.js';
import { parseCertificate } from '../core/x509.js';
import { BUNDLE_V03_MEDIA_TYPE, parseBundle, serializeBundle, type Bundle, type DsseContent, type MessageSignatureContent, type TransparencyLogEntry } from '../bundle/index.js';
import type { SigningConfig, TrustedRoot } from '../trust/index.js';
import type { Artifact } from '../verify/artifact.js';
import { createVerifier, signerIdentity, type VerificationResult } from '../verify/verifier.js';
import { defaultFetch, type RetryOptions } from '../net/http.js';
import { generateEphemeralKey, type EphemeralKey } from './ephemeral-key.js';
import { requestSigningCertificate } from './fulcio.js';
import type { FetchLike } from './http.js';
import { readIdentityToken } from './identity-token.js';
import { createRekorV1Entry, type LoggedEntry } from './rekor-v1.js';
import { createRekorV2Entry } from './rekor-v2.js';
import { selectSigningServices } from './select-services.js';
import type { SignedContent } from './signed-content.js';
import { requestTimestamp } from './timestamp.js';
import type { TokenSource } from './token-source.js';

/** What the signer is about to publish, for a consent prompt. */
export interface UploadNotice {
  /** The token's subject (sub or email) and issuer: what the certificate and the log entry will name. */
  readonly subject: string;
  readonly issuer: string | undefined;
  readonly caUrl: string;
  readonly tlogUrls: readonly string[];
  readonly tsaUrls: readonly string[];
}

export interface SignerOptions {
  readonly tokenSource: TokenSource;
  readonly signingConfig: SigningConfig;
  /** The trusted root the result must verify against (the instance's own). */
  readonly trustedRoot: TrustedRoot;
  /** src/net's defaultFetch (the global fetch, or through HTTPS_PROXY/HTTP_PROXY) by default. */
  readonly fetch?: FetchLike;
  /** Timeout and retries of every request (src/net's defaults: 60 s per attempt, 4 attempts). */
  readonly retry?: RetryOptions;
  /** The clock, epoch milliseconds; Date.now by default. */
  readonly now?: () => number;
  /** Called after the token was checked and before anything is sent; throw to stop (no consent). */
  readonly confirmUpload?: (notice: UploadNotice) => Promise<void>;
}

export interface SignResult {
  /** The Sigstore bundle v0.3 as protobuf JSON, verified. */
  readonly bundle: Record<string, unknown>;
  /** The signing certificate and the identity it names. */
  readonly certificate: { readonly der: Uint8Array; readonly pem: string; readonly subjectAlternativeName: string; readonly issuer: string | undefined };
  /** The first log entry (cosign prints its index); every entry is in the bundle. */
  readonly tlogEntry: { readonly logIndex: number; readonly logUrl: string; readonly apiVersion: number; readonly uuid?: string };
  readonly signature: Uint8Array;
  /** What verifying the bundle established (times, log entries, statement). */
  readonly verification: VerificationResult;
}

/** How to sign, once the key exists: the bundle content and what the logs and TSAs see. */
export interface ContentToSign {
  sign(key: EphemeralKey): { readonly content: MessageSignatureContent | DsseContent; readonly signed: SignedContent };
  /** The artifact the verifier checks the signature (or the in-toto subject) against; none for a bare DSSE payload. */
  readonly artifact?: Artifact;
}

export async function createBundle(toSign: ContentToSign, opts: SignerOptions): Promise<SignResult> {
  const clock = opts.now ?? Date.now;
  const fetchFn: FetchLike = opts.fetch ?? (defaultFetch() as unknown as FetchLike);
  const retry = opts.retry !== undefined ? { retry: opts.retry } : {};
  const services = selectSigningServices(opts.signingConfig, clock());
  const token = await readIdentityToken(opts.tokenSource, clock());
  await opts.confirmUpload?.({
    subject: token.subject,
    issuer: token.issuer,
    caUrl: services.ca.url,
    tlogUrls: services.tlogs.map((t) => t.url),
    tsaUrls: services.tsas.map((t) => t.url),
  });

  const key = generateEphemeralKey();
  const cert = await requestSigningCertificate({ caUrl: services.ca.url, token, key, fetch: fetchFn, ...retry });
  const { content, signed } = toSign.sign(key);

  const logged: Promise<LoggedEntry>[] = services.tlogs.map((log) => {
    const args = { logUrl: log.url, content: signed, certificate: cert.leaf, fetch: fetchFn, ...retry };
    return log.majorApiVersion >= 2 ? createRekorV2Entry(args) : createRekorV1Entry(args);
  });
  const stamped = services.tsas.map((tsa) => requestTimestamp({ tsaUrl: tsa.url, signature: signed.signature, fetch: fetchFn, ...retry }));
  const [entries, timestamps] = await Promise.all([Promise.all(logged), Promise.all(stamped)]);

  const model: Bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    version: '0.3',
    verificationMaterial: {
      content: { kind: 'certificate', certificate: cert.leaf },
      tlogEntries: entries.map((e): TransparencyLogEntry => e.entry),
      rfc3161Timestamps: timestamps,
    },
    content,
  };
  const json = serializeBundle(model);
  const leaf = parseCertificate(cert.leaf);
  const identity = signerIdentity(leaf);
  const san = identity.subjectAlternativeNames[0] ?? '';
  let verification: VerificationResult;
  try {
    verification = createVerifier({ trustedRoot: opts.trustedRoot }).verify(parseBundle(json), {
      ...(toSign.artifact !== undefined ? { artifact: toSign.artifact } : {}),
      identity: { kind: 'certificate', identities: [{ subjectAlternativeName: { kind: 'exact', value: san }, issuer: { kind: 'exact', value: identity.issuer ?? '' } }] },
    });
  } catch (err) {
    if (!isKeylessError(err)) throw err;
    throw new KeylessError(err.code, `the bundle made with ${services.ca.url} and ${services.tlogs.map((t) => t.url).join(', ')} does not verify against the trusted root, so none was written: ${err.message}`, {
      ...err.details,
      ca: services.ca.url,
      tlogs: services.tlogs.map((t) => t.url),
      tsas: services.tsas.map((t) => t.url),
    }, { cause: err });
  }
  const first = entries[0];
  const firstLog = services.tlogs[0];
  if (first === undefined || firstLog === undefined) throw new TypeError('unreachable: selectSigningServices returned no log');
  return {
    bundle: json,
    certificate: { der: cert.leaf, pem: pemEncode(cert.leaf, 'CERTIFICATE'), subjectAlternativeName: san, issuer: identity.issuer },
    tlogEntry: { logIndex: first.entry.logIndex, logUrl: firstLog.url, apiVersion: firstLog.majorApiVersion, ...(first.uuid !== undefined ? { uuid: first.uuid } : {}) },
    signature: signed.signature,
    verification,
  };
}
