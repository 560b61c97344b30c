// Decodes an in-toto statement for display: subjects, and for SLSA provenance (v0.2 as GitLab's npm publishing
// writes it, and v1) the builder, build type, source repository and commit, pipeline/job links and parameters.
// Input is whatever the user or the log hands us: nothing here is trusted, only laid out.

const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
const SLSA_V1 = 'https://slsa.dev/provenance/v1';

/** A DSSE envelope from a Sigstore bundle, a bare envelope, or cosign's attestation file; undefined if none. */
export function envelopeOf(json) {
  const env = json?.dsseEnvelope ?? json?.DSSEEnvelope ?? json;
  if (typeof env?.payload !== 'string' || typeof env?.payloadType !== 'string') return undefined;
  return env;
}

/** `[label, value]` rows; values that are URLs become links in the view. */
export function describeStatement(statement) {
  const rows = [
    ['Statement type', statement?._type],
    ['Predicate type', statement?.predicateType],
  ];
  for (const s of Array.isArray(statement?.subject) ? statement.subject : []) {
    const digests = Object.entries(s?.digest ?? {}).map(([alg, v]) => `${alg}:${v}`).join(' ');
    rows.push(['Subject', `${s?.name ?? '(no name)'} ${digests}`.trim()]);
  }
  const p = statement?.predicate;
  if (statement?.predicateType === SLSA_V1) rows.push(...slsaV1(p));
  else if (statement?.predicateType === SLSA_V02) rows.push(...slsaV02(p));
  return rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
}

function slsaV1(p) {
  const def = p?.buildDefinition ?? {};
  const run = p?.runDetails ?? {};
  const deps = Array.isArray(def.resolvedDependencies) ? def.resolvedDependencies : [];
  // The source is the dependency with a commit digest (GitLab: its project URL with sha1/gitCommit).
  const source = deps.find((d) => d?.digest?.gitCommit ?? d?.digest?.sha1) ?? deps[0];
  return [
    ['Builder ID', run.builder?.id],
    ['Build type', def.buildType],
    ['Source repository', source?.uri],
    ['Source commit', source?.digest?.gitCommit ?? source?.digest?.sha1 ?? firstDigest(source?.digest)],
    ['Invocation (pipeline/job)', run.metadata?.invocationId ?? run.metadata?.invocationID],
    ['Started', run.metadata?.startedOn],
    ['Finished', run.metadata?.finishedOn],
    ...flatten('External parameter', def.externalParameters),
    ...flatten('Internal parameter', def.internalParameters),
    ...deps.filter((d) => d !== source).map((d) => ['Resolved dependency', `${d?.uri ?? d?.name ?? ''} ${firstDigest(d?.digest) ?? ''}`.trim()]),
  ];
}

function slsaV02(p) {
  const inv = p?.invocation ?? {};
  const env = inv.environment ?? {};
  const materials = Array.isArray(p?.materials) ? p.materials : [];
  const source = inv.configSource ?? materials[0];
  // GitLab's npm provenance carries the CI variables in invocation.environment; the job URL is CI_JOB_URL.
  return [
    ['Builder ID', p?.builder?.id],
    ['Build type', p?.buildType],
    ['Source repository', source?.uri],
    ['Source commit', source?.digest?.sha1 ?? source?.digest?.gitCommit ?? firstDigest(source?.digest)],
    ['Entry point', inv.configSource?.entryPoint],
    ['Invocation (pipeline/job)', p?.metadata?.buildInvocationId ?? env.CI_JOB_URL],
    ['Pipeline', env.CI_PIPELINE_URL],
    ['Started', p?.metadata?.buildStartedOn],
    ['Finished', p?.metadata?.buildFinishedOn],
    ...flatten('Parameter', inv.parameters),
    ...flatten('Environment', env),
    ...materials.filter((m) => m !== source).map((m) => ['Material', `${m?.uri ?? ''} ${firstDigest(m?.digest) ?? ''}`.trim()]),
  ];
}

function firstDigest(digest) {
  const [alg, value] = Object.entries(digest ?? {})[0] ?? [];
  return alg === undefined ? undefined : `${alg}:${value}`;
}

/** Nested parameters as `prefix a.b.c` rows, at most 50 of them and 4 levels deep. */
function flatten(prefix, value, path = '', depth = 0, out = []) {
  if (value === undefined || value === null || out.length >= 50) return out;
  if (typeof value === 'object' && depth < 4) {
    for (const [k, v] of Object.entries(value)) flatten(prefix, v, path === '' ? k : `${path}.${k}`, depth + 1, out);
    return out;
  }
  out.push([`${prefix} ${path}`.trim(), typeof value === 'object' ? JSON.stringify(value) : String(value)]);
  return out;
}
