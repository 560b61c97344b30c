/**
 * `keyless` command dispatch, and the one place where errors become exit codes and messages:
 * 0 success, 1 verification failed, 2 usage or input error. Errors are one coded line, never a stack trace
 * (set KEYLESS_DEBUG=1 to see one).
 */
import { KeylessError, type ErrorCode } from '../core/errors.js';
import { consoleOutput, type Output } from './io.js';
import { devToken, USAGE as DEV_TOKEN_USAGE } from './commands/dev-token.js';
import { inspect, USAGE as INSPECT_USAGE } from './commands/inspect.js';
import { serve, USAGE as SERVE_USAGE } from './commands/serve.js';
import { logCommand, USAGE as LOG_USAGE } from './commands/log-audit.js';
import { verifyBlob, USAGE as VERIFY_BLOB_USAGE } from './commands/verify-blob.js';
import { verifyBundle, USAGE as VERIFY_BUNDLE_USAGE } from './commands/verify-bundle.js';

type Command = (argv: string[], io: Output) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string; usage: string }> = {
  'verify-blob': { run: verifyBlob, usage: VERIFY_BLOB_USAGE, summary: 'verify a file against a Sigstore bundle and an expected identity' },
  'verify-bundle': { run: verifyBundle, usage: VERIFY_BUNDLE_USAGE, summary: 'sigstore-conformance protocol: verify a bundle' },
  'dev-token': { run: devToken, usage: DEV_TOKEN_USAGE, summary: 'print a GitLab-shaped ID token from the local dev issuer (development only)' },
  inspect: { run: inspect, usage: INSPECT_USAGE, summary: 'show what a bundle says: identity, extensions, log entries, times, statement' },
  log: { run: logCommand, usage: LOG_USAGE, summary: 'log audit: check that a transparency log stays consistent (a monitor)' },
  serve: { run: serve, usage: SERVE_USAGE, summary: 'run the keyless services (transparency log) on one port' },
};

const USAGE = `Usage: keyless COMMAND [options]\n\nCommands:\n${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`).join('\n')}\n\nRun 'keyless COMMAND --help' for a command's options.`;

/** Failures of a check on the bundle (exit 1) as opposed to input we could not use (exit 2). */
const VERIFICATION_FAILURES = new Set<ErrorCode>([
  'ERR_CERT_CHAIN', 'ERR_SCT', 'ERR_TLOG_CONSISTENCY', 'ERR_TLOG_BODY', 'ERR_TLOG_INCLUSION', 'ERR_TLOG_CHECKPOINT', 'ERR_TLOG_SET', 'ERR_TLOG_UNKNOWN',
  'ERR_TLOG_THRESHOLD', 'ERR_TIMESTAMP', 'ERR_TIME', 'ERR_SIGNATURE', 'ERR_SUBJECT', 'ERR_IDENTITY', 'ERR_KEY_MISMATCH',
]);

export function exitCodeFor(err: KeylessError): number {
  return VERIFICATION_FAILURES.has(err.code) ? 1 : 2;
}

export async function main(argv: string[], io: Output = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.out('keyless 0.1.0');
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`Error: unknown command ${JSON.stringify(name)} [ERR_USAGE]\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof KeylessError) {
      const verdict = exitCodeFor(err) === 1 ? 'Error: verification failed: ' : 'Error: ';
      io.err(`${verdict}${err.message} [${err.code}]`);
      if (process.env.KEYLESS_DEBUG) io.err(String(err.stack));
      return exitCodeFor(err);
    }
    // Anything uncoded is a bug in keyless, not the user's input; say so plainly.
    io.err(`Error: internal error in keyless: ${(err as Error)?.message ?? String(err)} [ERR_INTERNAL]`);
    if (process.env.KEYLESS_DEBUG) io.err(String((err as Error)?.stack));
    return 3;
  }
}
