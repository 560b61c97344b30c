/** in-toto Statement and SLSA provenance types, and the type URIs npm writes. */

export { IN_TOTO_PAYLOAD_TYPE } from '../core/dsse.js';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** An in-toto ResourceDescriptor as a subject: a name and digests by algorithm (lower-case hex). */
export interface Subject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface Statement<P = unknown> {
  readonly _type: string;
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  readonly predicate: P;
}

/** The CI job's environment as given: values may be missing, and missing ones are left out of the statement. */
export type CiEnv = Readonly<Record<string, string | undefined>>;

/**
 * The statement's bytes as npm signs them: `JSON.stringify` in insertion order, which drops keys whose value is
 * undefined — so a variable GitLab does not set is absent from the document, as in npm's.
 */
export function serializeStatement(statement: Statement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statement));
}
