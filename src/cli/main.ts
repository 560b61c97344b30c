/**
 * `keyless` command dispatch, and the one place where errors become exit codes and messages:
 * 0 success, 1 verification failed, 2 usage or input error. Errors are one coded line, never a stack trace
 * (set KEYLESS_DEBUG=1 to see one).
 */
import { KeylessError, type ErrorCode } from '../core/errors.js';
import { closest } from './args.js';
import { consoleOutput, type Output } from './io.js';
type Command = (argv: string[], io: Output) => Promise<number>;

/**
 * Each command's module is loaded only when it runs (or its --help is asked for): `verify-blob` must not pay for
 * loading the servers' dependencies (fastify, SQLite, PostgreSQL) at every start — that was most of its wall time.
 */
interface CommandModule {
  readonly USAGE: string;
  readonly run: Command;
}

const COMMANDS: Record<string, { load: () => Promise<CommandModule>; summary: string }> = {
  'verify-blob': { load: async () => { const m = await import('./commands/verify-blob.js'); return { USAGE: m.USAGE, run: m.verifyBlob }; }, summary: 'verify a file against a Sigstore bundle and an expected identity' },
  'sign-blob': { load: async () => { const m = await import('./commands/sign-blob.js'); return { USAGE: m.USAGE, run: (a, io) => m.signBlobCommand(a, io) }; }, summary: 'sign a file keylessly (CA certificate, transparency log, TSA) into a Sigstore bundle' },
  'attest-blob': { load: async () => { const m = await import('./commands/attest-blob.js'); return { USAGE: m.USAGE, run: (a, io) => m.attestBlobCommand(a, io) }; }, summary: 'attest to a file keylessly: an in-toto statement in a DSSE envelope, in a Sigstore bundle' },
  'sign-bundle': { load: async () => { const m = await import('./commands/sign-bundle.js'); return { USAGE: m.USAGE, run: (a, io) => m.signBundle(a, io) }; }, summary: 'sigstore-conformance protocol: sign a file or an in-toto statement' },
  'verify-bundle': { load: async () => { const m = await import('./commands/verify-bundle.js'); return { USAGE: m.USAGE, run: m.verifyBundle }; }, summary: 'sigstore-conformance protocol: verify a bundle' },
  'dev-token': { load: async () => { const m = await import('./commands/dev-token.js'); return { USAGE: m.USAGE, run: (a, io) => m.devToken(a, io) }; }, summary: 'print a GitLab-shaped ID token from the local dev issuer (development only)' },
  sign: { load: async () => { const m = await import('./commands/sign.js'); return { USAGE: m.USAGE, run: (a, io) => m.signCommand(a, io) }; }, summary: 'sign a container image keylessly and attach the signature in its registry (OCI referrer or .sig tag)' },
  verify: { load: async () => { const m = await import('./commands/verify.js'); return { USAGE: m.USAGE, run: (a, io) => m.verifyCommand(a, io) }; }, summary: 'verify the signatures attached to a container image against an expected identity' },
  attest: { load: async () => { const m = await import('./commands/attest.js'); return { USAGE: m.USAGE, run: (a, io) => m.attestCommand(a, io) }; }, summary: 'attest to a container image keylessly (in-toto statement) and attach it in its registry' },
  'verify-attestation': { load: async () => { const m = await import('./commands/verify-attestation.js'); return { USAGE: m.USAGE, run: (a, io) => m.verifyAttestationCommand(a, io) }; }, summary: 'verify the attestations attached to a container image' },
  tree: { load: async () => { const m = await import('./commands/tree.js'); return { USAGE: m.USAGE, run: (a, io) => m.treeCommand(a, io) }; }, summary: 'list the signatures, attestations and SBOMs attached to a container image' },
  provenance: { load: async () => { const m = await import('./commands/provenance.js'); return { USAGE: m.USAGE, run: (a, io) => m.provenanceCommand(a, io) }; }, summary: 'print the SLSA provenance statement of this GitLab CI job (npm\'s GitLab shape, or SLSA v1)' },
  npm: { load: async () => { const m = await import('./commands/npm.js'); return { USAGE: m.USAGE, run: (a, io) => m.npmCommand(a, io) }; }, summary: 'npm provenance: publish a tarball with a signed provenance bundle, audit a published version' },
  inspect: { load: async () => { const m = await import('./commands/inspect.js'); return { USAGE: m.USAGE, run: m.inspect }; }, summary: 'show what a bundle says: identity, extensions, log entries, times, statement' },
  log: { load: async () => { const m = await import('./commands/log-audit.js'); return { USAGE: m.USAGE, run: m.logCommand }; }, summary: 'log audit: check that a transparency log stays consistent (a monitor); log fsck: check a store' },
  witness: { load: async () => { const m = await import('./commands/witness.js'); return { USAGE: m.USAGE, run: m.witnessCommand }; }, summary: 'witness serve: a C2SP tlog-witness that cosigns consistent checkpoints of the logs it follows' },
  serve: { load: async () => { const m = await import('./commands/serve.js'); return { USAGE: m.USAGE, run: m.serve }; }, summary: 'run the private instance: CA, CT, transparency logs, TSA, trust files (TUF)' },
};

const USAGE = `Usage: keyless COMMAND [options]\n\nCommands:\n${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(20)}${c.summary}`).join('\n')}\n\nRun 'keyless COMMAND --help' for a command's options.`;

/** Failures of a check on the bundle (exit 1) as opposed to input we could not use (exit 2). */
const VERIFICATION_FAILURES = new Set<ErrorCode>([
  'ERR_CERT_CHAIN', 'ERR_SCT', 'ERR_TLOG_CONSISTENCY', 'ERR_TLOG_BODY', 'ERR_TLOG_INCLUSION', 'ERR_TLOG_CHECKPOINT', 'ERR_TLOG_SET', 'ERR_TLOG_UNKNOWN',
  'ERR_TLOG_THRESHOLD', 'ERR_WITNESS', 'ERR_TIMESTAMP', 'ERR_TIME', 'ERR_SIGNATURE', 'ERR_SUBJECT', 'ERR_IDENTITY', 'ERR_KEY_MISMATCH',
]);

export function exitCodeFor(err: KeylessError): number {
  return VERIFICATION_FAILURES.has(err.code) ? 1 : 2;
}

export async function main(argv: string[], io: Output = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (name === undefined) {
    io.err(`Error: no command given; see 'keyless --help' for the commands [ERR_USAGE]`);
    return 2;
  }
  if (name === '--version' || name === 'version') {
    io.out('keyless 0.1.0');
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    const guess = closest(name, Object.keys(COMMANDS));
    io.err(`Error: unknown command ${JSON.stringify(name)}${guess !== undefined ? ` (did you mean ${guess}?)` : ''}; see 'keyless --help' for the commands [ERR_USAGE]`);
    return 2;
  }
  const loaded = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(loaded.USAGE);
    return 0;
  }
  try {
    return await loaded.run(rest, io);
  } catch (err) {
    if (err instanceof KeylessError) {
      const verdict = exitCodeFor(err) === 1 ? 'Error: verification failed: ' : 'Error: ';
      // A usage error is one line, always (the README promises it); other errors may list their reasons.
      const message = err.code === 'ERR_USAGE' ? err.message.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ') : err.message;
      io.err(`${verdict}${message} [${err.code}]`);
      if (process.env.KEYLESS_DEBUG) io.err(String(err.stack));
      return exitCodeFor(err);
    }
    // Anything uncoded is a bug in keyless, not the user's input; say so plainly.
    io.err(`Error: internal error in keyless: ${(err as Error)?.message ?? String(err)} [ERR_INTERNAL]`);
    if (process.env.KEYLESS_DEBUG) io.err(String((err as Error)?.stack));
    return 3;
  }
}
