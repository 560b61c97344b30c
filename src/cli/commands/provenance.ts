/**
 * `keyless provenance generate`: prints the SLSA provenance statement for this GitLab CI job (from its CI_*
 * variables) about a tarball or a named digest. With --predicate-only it prints only the predicate, for
 * `keyless attest-blob FILE --predicate <(keyless provenance generate --predicate-only) --type slsaprovenance`.
 */
import { gitlabProvenance, npmSubject, readTarballManifest, type ProvenanceFormat, type Subject } from '../../provenance/index.js';
import { flag, parse, str, usageError } from '../args.js';
import { readFileOrFail, type Output } from '../io.js';

export const USAGE = `Usage: keyless provenance generate [--tarball PKG.tgz | --subject NAME=sha256:HEX] [--format slsa02|slsa1] [--predicate-only]
Prints the in-toto statement describing this GitLab CI job's build, from its CI_* variables.
  --tarball FILE            an npm tarball: subject pkg:npm/<name>@<version> with its sha512, as npm publish writes it
  --subject NAME=ALG:HEX    any subject (ALG sha256 or sha512); repeatable
  --format slsa02|slsa1     slsa02 (default): npm's GitLab document, Statement v0.1 + SLSA v0.2 (buildType
                            https://github.com/npm/cli/gitlab/v0alpha1); slsa1: Statement v1 + SLSA v1
  --predicate-only          print only the predicate, for attest-blob --predicate (attest-blob writes its own subject):
                              keyless provenance generate --predicate-only > predicate.json
                              keyless attest-blob FILE --predicate predicate.json --type slsaprovenance --bundle OUT
                            (--type slsaprovenance1 with --format slsa1)`;

type Env = Readonly<Record<string, string | undefined>>;

export function subjectsFromFlags(tarball: string | undefined, subjects: readonly string[]): Subject[] {
  const out: Subject[] = [];
  if (tarball !== undefined) {
    const bytes = readFileOrFail(tarball, 'tarball', 512 * 1024 * 1024);
    out.push(npmSubject(readTarballManifest(bytes), bytes));
  }
  for (const s of subjects) {
    const m = /^(.+)=(sha256|sha512):([0-9a-f]+)$/.exec(s);
    if (m === null || m[3]!.length !== (m[2] === 'sha256' ? 64 : 128)) throw usageError(`--subject must be NAME=sha256:<64 hex> or NAME=sha512:<128 hex>, got ${JSON.stringify(s)}`, USAGE);
    out.push({ name: m[1]!, digest: { [m[2]!]: m[3]! } });
  }
  return out;
}

export async function provenanceCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw usageError(`unknown provenance command ${JSON.stringify(sub ?? '')}`, USAGE);
  const parsed = parse(rest, { tarball: { type: 'string' }, subject: { type: 'string', multiple: true }, format: { type: 'string' }, 'predicate-only': { type: 'boolean' } }, USAGE);
  if (parsed.positionals.length > 0) throw usageError('provenance generate takes no positional arguments', USAGE);
  const format = str(parsed, 'format') ?? 'slsa02';
  if (format !== 'slsa02' && format !== 'slsa1') throw usageError(`--format must be slsa02 or slsa1, got ${JSON.stringify(format)}`, USAGE);
  const subjectFlags = Array.isArray(parsed.values['subject']) ? (parsed.values['subject'] as string[]) : [];
  const subjects = subjectsFromFlags(str(parsed, 'tarball'), subjectFlags);
  const predicateOnly = flag(parsed, 'predicate-only');
  if (subjects.length === 0 && !predicateOnly) throw usageError('give --tarball or --subject (or --predicate-only)', USAGE);
  if (env['GITLAB_CI'] !== 'true') io.err('Warning: GITLAB_CI is not "true": this does not look like a GitLab CI job; the statement describes whatever CI_* variables are set.');
  const statement = gitlabProvenance(subjects, env, format as ProvenanceFormat);
  io.out(JSON.stringify(predicateOnly ? statement.predicate : statement, null, 2));
  return 0;
}
