/**
 * Keyless attestation about a file (cosign attest-blob): an in-toto Statement v1 whose subject is the file's name
 * and SHA-256 digest, signed as a DSSE envelope, in a verified Sigstore bundle.
 */
import { hexEncode, utf8Encode } from '../core/encoding.js';
import { sha256 } from '../core/keys.js';
import type { SignerOptions, SignResult } from './create-bundle.js';
import { IN_TOTO_PAYLOAD_TYPE, signDsse } from './sign-dsse.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

export interface AttestBlobOptions extends SignerOptions {
  readonly artifact: Uint8Array;
  /** The subject's name, usually the file's base name. */
  readonly artifactName: string;
  /** The predicate type URI (see predicateTypeUri for cosign's short names). */
  readonly predicateType: string;
  /** The predicate, any JSON value. */
  readonly predicate: unknown;
}

/** The in-toto Statement v1 for one artifact. */
export function inTotoStatement(artifactName: string, artifact: Uint8Array, predicateType: string, predicate: unknown): Record<string, unknown> {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: artifactName, digest: { sha256: hexEncode(sha256(artifact)) } }],
    predicateType,
    predicate,
  };
}

export async function attestBlob(opts: AttestBlobOptions): Promise<SignResult> {
  const statement = inTotoStatement(opts.artifactName, opts.artifact, opts.predicateType, opts.predicate);
  return signDsse({
    ...opts,
    payload: utf8Encode(JSON.stringify(statement)),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    artifact: { kind: 'bytes', data: opts.artifact },
  });
}
