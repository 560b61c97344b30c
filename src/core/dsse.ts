/**
 * DSSE v1 pre-authentication encoding (github.com/secure-systems-lab/dsse, protocol.md): the bytes a DSSE
 * signature is computed over.
 */
import { concatBytes, utf8Encode } from './encoding.js';

/** The DSSE payload type of an in-toto statement (in-toto attestation framework, envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP + LEN(body) + SP + body
 * where LEN(s) is the ASCII decimal encoding of the byte length of s, with no leading zeros, and type is UTF-8.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8Encode(payloadType);
  const header = utf8Encode(`DSSEv1 ${type.length} `);
  return concatBytes(header, type, utf8Encode(` ${payload.length} `), payload);
}
