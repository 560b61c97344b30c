/**
 * Checks a registry's provenance against the package it describes, before (and besides) the bundle's signature:
 * the statement must name exactly this package version (purl) and this tarball (sha512), and, when the caller
 * expects a source repository, say it was built from it.
 */
import { createHash } from 'node:crypto';
import { KeylessError } from '../core/errors.js';
import { npmPurl } from './npm-package.js';
import { MANIFEST_PROVENANCE_FIELD } from './npm-publish.js';
import { SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, type Statement } from './statement.js';

/** One item of registry.npmjs.org's `/-/npm/v1/attestations/<pkg>@<version>` answer. */
export interface RegistryAttestation {
  readonly predicateType: string;
  readonly bundle: unknown;
}

const isProvenance = (t: unknown): boolean => t === SLSA_PROVENANCE_V02 || t === SLSA_PROVENANCE_V1;

/** The provenance item of an attestations answer (`{ attestations: [...] }`), or of keyless's manifest field. */
export function provenanceFrom(source: unknown): RegistryAttestation | undefined {
  const s = source as { attestations?: unknown; [MANIFEST_PROVENANCE_FIELD]?: unknown } | null;
  const items = Array.isArray(s?.attestations) ? s.attestations : s?.[MANIFEST_PROVENANCE_FIELD] !== undefined ? [s[MANIFEST_PROVENANCE_FIELD]] : [];
  const found = (items as Partial<RegistryAttestation>[]).find((a) => isProvenance(a?.predicateType) && typeof a?.bundle === 'object');
  return found as RegistryAttestation | undefined;
}

/** Source repository URLs the statement claims, by format (npm's v0.2 configSource/materials, v1 resolvedDependencies). */
export function statementRepositories(statement: Statement): string[] {
  const p = statement.predicate as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const uris: unknown[] = [p?.['invocation']?.configSource?.uri, ...((p?.['materials'] as { uri?: unknown }[] | undefined) ?? []).map((m) => m?.uri),
    ...((p?.['buildDefinition']?.resolvedDependencies as { uri?: unknown }[] | undefined) ?? []).map((m) => m?.uri)];
  return uris.filter((u): u is string => typeof u === 'string').map((u) => u.replace(/^git\+/, '').replace(/@(?:refs\/.*|[0-9a-f]{40})$/, ''));
}

export interface AuditSubjectInput {
  readonly statement: Statement;
  readonly name: string;
  readonly version: string;
  readonly tarball: Uint8Array;
  readonly expectRepository?: string;
}

/** Every problem at once; ERR_SUBJECT for the package, ERR_IDENTITY for the repository. */
export function checkProvenanceStatement(input: AuditSubjectInput): void {
  const { statement } = input;
  const purl = npmPurl(input.name, input.version);
  const sha512 = createHash('sha512').update(input.tarball).digest('hex');
  const problems: string[] = [];
  if (!isProvenance(statement.predicateType)) problems.push(`predicateType is ${JSON.stringify(statement.predicateType)}, not SLSA provenance`);
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  if (subjects.length !== 1) problems.push(`the statement has ${subjects.length} subjects, npm provenance has exactly one`);
  const subject = subjects[0];
  if (subject !== undefined && subject.name !== purl) problems.push(`subject name ${JSON.stringify(subject.name)} is not ${JSON.stringify(purl)}`);
  if (subject !== undefined && subject.digest?.['sha512'] !== sha512) {
    problems.push(`subject sha512 ${subject.digest?.['sha512'] ?? '(none)'} is not the tarball's sha512 ${sha512}`);
  }
  if (problems.length > 0) throw new KeylessError('ERR_SUBJECT', `provenance does not describe ${input.name}@${input.version}: ${problems.join('; ')}`, { problems });
  if (input.expectRepository !== undefined) {
    const want = input.expectRepository.replace(/\/+$/, '');
    const claimed = statementRepositories(statement);
    if (claimed.length === 0 || claimed.some((r) => r !== want)) {
      throw new KeylessError('ERR_IDENTITY', `provenance says the package was built from ${[...new Set(claimed)].join(', ') || '(no repository)'}, expected ${want}`, { expected: want, claimed });
    }
  }
}
