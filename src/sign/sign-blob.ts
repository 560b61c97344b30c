/** Keyless signing of a file: a message signature over its bytes, in a verified Sigstore bundle (cosign sign-blob). */
import { sha256 } from '../core/keys.js';
import { createBundle, type SignerOptions, type SignResult } from './create-bundle.js';

export interface SignBlobOptions extends SignerOptions {
  readonly artifact: Uint8Array;
}

export async function signBlob(opts: SignBlobOptions): Promise<SignResult> {
  const digest = sha256(opts.artifact);
  return createBundle({
    artifact: { kind: 'bytes', data: opts.artifact },
    sign: (key) => {
      // ECDSA P-256 with SHA-256 over the artifact: the same as a signature over its SHA-256 digest, which is what
      // the log's hashedrekord entry records.
      const signature = key.sign(opts.artifact);
      return {
        content: { kind: 'messageSignature', messageDigest: { algorithm: 'SHA2_256', digest }, signature },
        signed: { kind: 'message', digest, signature },
      };
    },
  }, opts);
}
