/**
 * Keyless signing of a DSSE payload: one signature over PAE(payloadType, payload), in a verified Sigstore bundle.
 * With the in-toto payload type the payload must be an in-toto statement (the verifier reads it back); pass the
 * artifact to have its subject checked too.
 */
import { pae } from '../core/dsse.js';
import type { Artifact } from '../verify/artifact.js';
import { createBundle, type SignerOptions, type SignResult } from './create-bundle.js';

export { IN_TOTO_PAYLOAD_TYPE } from '../core/dsse.js';

export interface SignDsseOptions extends SignerOptions {
  readonly payload: Uint8Array;
  readonly payloadType: string;
  /** The artifact the in-toto statement's subject must name, checked when the bundle is verified. */
  readonly artifact?: Artifact;
}

export async function signDsse(opts: SignDsseOptions): Promise<SignResult> {
  return createBundle({
    ...(opts.artifact !== undefined ? { artifact: opts.artifact } : {}),
    sign: (key) => {
      const signature = key.sign(pae(opts.payloadType, opts.payload));
      return {
        content: { kind: 'dsseEnvelope', envelope: { payload: opts.payload, payloadType: opts.payloadType, signatures: [{ sig: signature, keyid: '' }] } },
        signed: { kind: 'dsse', payloadType: opts.payloadType, payload: opts.payload, signature },
      };
    },
  }, opts);
}
