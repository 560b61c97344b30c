/**
 * Fulcio v2 client: `POST {ca}/api/v2/signingCert` with the token and the ephemeral public key, proven by a signature
 * over the token's subject (fulcio.proto CreateSigningCertificateRequest.public_key_request). Returns the leaf and
 * its chain as DER. Only certificates with an embedded SCT are accepted: a detached SCT would have to travel beside
 * the bundle, which Sigstore bundles cannot carry.
 */
import { base64Encode, pemDecodeAll, utf8Encode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding.js';
import { parseCertificate } from '../core/x509.js';
import type { EphemeralKey } from './ephemeral-key.js';
import type { RetryOptions } from '../net/http.js';
import { joinUrl, postJson, type FetchLike } from './http.js';
import type { IdentityToken } from './identity-token.js';

export interface SigningCertificate {
  readonly leaf: Uint8Array;
  /** The issuing CA certificates, leaf excluded, as the CA sent them. */
  readonly chain: readonly Uint8Array[];
}

export interface RequestCertificateOptions {
  readonly caUrl: string;
  readonly token: IdentityToken;
  readonly key: EphemeralKey;
  readonly fetch: FetchLike;
  readonly retry?: RetryOptions;
}

const SERVICE = 'certificate authority';

export async function requestSigningCertificate(opts: RequestCertificateOptions): Promise<SigningCertificate> {
  const url = joinUrl(opts.caUrl, '/api/v2/signingCert');
  const response = await postJson({
    service: SERVICE,
    url,
    fetch: opts.fetch,
    ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
    json: {
      credentials: { oidcIdentityToken: opts.token.token },
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: opts.key.publicKeyPem },
        proofOfPossession: base64Encode(opts.key.sign(utf8Encode(opts.token.subject))),
      },
    },
  });
  const bad = (why: string): KeylessError => new KeylessError('ERR_JSON', `the ${SERVICE} at ${url} answered ${why}`, { service: SERVICE, url });
  if (typeof response !== 'object' || response === null) throw bad('with something that is not a JSON object');
  const r = response as Record<string, unknown>;
  if (r['signedCertificateDetachedSct'] !== undefined) {
    throw new KeylessError('ERR_SCT', `the ${SERVICE} at ${url} returned a certificate with a detached SCT; a Sigstore bundle needs the SCT embedded in the certificate`, { url });
  }
  const embedded = r['signedCertificateEmbeddedSct'] as { chain?: { certificates?: unknown } } | undefined;
  const pems = embedded?.chain?.certificates;
  if (!Array.isArray(pems) || pems.length === 0 || pems.some((p) => typeof p !== 'string')) {
    throw bad('without signedCertificateEmbeddedSct.chain.certificates (a list of PEM certificates)');
  }
  const ders = (pems as string[]).map((pem) => {
    const blocks = pemDecodeAll(pem, 'CERTIFICATE');
    if (blocks.length !== 1 || blocks[0] === undefined) throw bad('with a chain entry that is not one PEM certificate');
    return blocks[0];
  });
  const [leaf, ...chain] = ders as [Uint8Array, ...Uint8Array[]];
  // The certificate must be for our key: a CA that swapped the key would have us publish a signature it can forge.
  if (!bytesEqual(parseCertificate(leaf).spki, opts.key.spki)) {
    throw new KeylessError('ERR_CERT_INVALID', `the ${SERVICE} at ${url} issued a certificate for another public key than the one sent`, { url });
  }
  return { leaf, chain };
}
