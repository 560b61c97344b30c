/**
 * in-toto statements about an image (in-toto Statement v1), as cosign writes them:
 *   - `cosign sign` in the bundle format (cmd/cosign/cli/sign signDigestBundle): subject = the digest alone (with
 *     the signer's annotations), predicateType https://sigstore.dev/cosign/sign/v1, predicate {};
 *   - `cosign attest` (pkg/cosign/attestation GenerateStatement): subject = {name: registry/repository, digest}.
 */
import { KeylessError } from '../../core/errors.js';
import { COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_STATEMENT_V1 } from './constants.js';
import { invalid, isSha256Digest, parseJsonBytes, type Problem } from './descriptor.js';

function hex(digest: string): string {
  if (!isSha256Digest(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest.slice('sha256:'.length);
}

export function signatureStatement(digest: string, annotations: Record<string, string> = {}): Uint8Array {
  const subject = { digest: { sha256: hex(digest) }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
  return new TextEncoder().encode(JSON.stringify({ _type: IN_TOTO_STATEMENT_V1, subject: [subject], predicateType: COSIGN_SIGN_PREDICATE_TYPE, predicate: {} }));
}

export function attestationStatement(repositoryName: string, digest: string, predicateType: string, predicate: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ _type: IN_TOTO_STATEMENT_V1, subject: [{ name: repositoryName, digest: { sha256: hex(digest) } }], predicateType, predicate }));
}

export interface ImageStatement {
  readonly type: string;
  readonly predicateType: string;
  readonly subjects: readonly { readonly name?: string; readonly digest: Readonly<Record<string, string>>; readonly annotations?: unknown }[];
  readonly predicate: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseImageStatement(payload: Uint8Array): ImageStatement {
  const what = 'in-toto statement';
  const json = parseJsonBytes(payload, what);
  if (!isObject(json)) throw invalid(what, [{ path: '', message: 'is not an object' }]);
  const problems: Problem[] = [];
  if (typeof json['_type'] !== 'string') problems.push({ path: '_type', message: 'is not a string' });
  if (typeof json['predicateType'] !== 'string') problems.push({ path: 'predicateType', message: 'is not a string' });
  const subjects: ImageStatement['subjects'][number][] = [];
  if (!Array.isArray(json['subject'])) problems.push({ path: 'subject', message: 'is not an array' });
  else json['subject'].forEach((s, i) => {
    if (!isObject(s) || !isObject(s['digest']) || !Object.values(s['digest']).every((v) => typeof v === 'string')) {
      problems.push({ path: `subject[${i}]`, message: 'has no digest map' });
      return;
    }
    subjects.push({ ...(typeof s['name'] === 'string' ? { name: s['name'] } : {}), digest: s['digest'] as Record<string, string>, ...(s['annotations'] !== undefined ? { annotations: s['annotations'] } : {}) });
  });
  if (problems.length > 0) throw invalid(what, problems);
  return { type: json['_type'] as string, predicateType: json['predicateType'] as string, subjects, predicate: json['predicate'] };
}

/** Throws ERR_SUBJECT unless a subject of the statement names `digest`. */
export function checkStatementSubject(statement: ImageStatement, digest: string): void {
  const want = hex(digest);
  if (statement.subjects.some((s) => s.digest['sha256']?.toLowerCase() === want)) return;
  throw new KeylessError('ERR_SUBJECT', `no subject of the in-toto statement names image ${digest}`, {
    expected: digest,
    subjects: statement.subjects.map((s) => s.digest),
  });
}
