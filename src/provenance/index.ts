export {
  IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, serializeStatement,
  type CiEnv, type Statement, type Subject,
} from './statement.js';
export { gitlabSlsa02Statement, gitlabSlsa02Predicate, GITLAB_BUILD_TYPE_V02, GITLAB_PARAMETER_NAMES, type GitlabSlsa02Predicate } from './gitlab-slsa02.js';
export { gitlabSlsa1Statement, GITLAB_BUILD_TYPE_V1, type GitlabSlsa1Predicate } from './gitlab-slsa1.js';
export { npmPurl, npmSubject, npmIntegrity, readTarballManifest, isNpmName, isNpmVersion, type NpmManifest } from './npm-package.js';
export { assertEnvMatchesToken, claimMismatches, CLAIM_VARIABLES, DERIVED_VARIABLES, type ClaimMismatch } from './token-claims.js';
export { npmPublishDocument, escapedName, MANIFEST_PROVENANCE_FIELD, SIGSTORE_BUNDLE_V03, type PublishDocumentOptions } from './npm-publish.js';
export { checkProvenanceStatement, provenanceFrom, statementRepositories, type RegistryAttestation, type AuditSubjectInput } from './npm-audit.js';
export {
  auditNpmPackage, registryJson, type AuditCheck, type AuditPackageOptions, type AuditResult, type PackageAudit, type PackageExpectation,
} from './npm-audit-package.js';
export { parseLockfile, lockfilePathName, type Lockfile, type LockfileDependency, type LockfileSkip } from './npm-lockfile.js';
export { parseNpmPolicy, policyFor, provenanceRequired, type NpmPolicy, type PackagePolicy } from './npm-policy.js';

import { gitlabSlsa02Statement } from './gitlab-slsa02.js';
import { gitlabSlsa1Statement } from './gitlab-slsa1.js';
import type { CiEnv, Statement, Subject } from './statement.js';

export type ProvenanceFormat = 'slsa02' | 'slsa1';

/** The statement for a GitLab CI job in `format` (slsa02: npm's document; slsa1: keyless's v1 mapping). */
export function gitlabProvenance(subject: readonly Subject[], env: CiEnv, format: ProvenanceFormat = 'slsa02'): Statement {
  return format === 'slsa1' ? gitlabSlsa1Statement(subject, env) : gitlabSlsa02Statement(subject, env);
}
