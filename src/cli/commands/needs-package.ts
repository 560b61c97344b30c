/**
 * Stands in for `serve`, `witness` and `log fsck` in the one-file CLI and the single executable
 * (scripts/build-cli.mjs swaps it in). Those commands keep their data in SQLite or PostgreSQL through native
 * packages (better-sqlite3, pg) that a single file cannot carry, so they fail at once with a coded error that says
 * what to install, instead of failing later on a missing module.
 */
import { KeylessError } from '../../core/errors.js';
import type { Output } from '../io.js';

const INSTALL = 'install the npm package (npm install -g keyless, or the keyless-<version>.tgz of the release)';

export const USAGE = `This build of keyless (one file or single executable) has the client commands only: ${INSTALL} for the services.`;

function needsPackage(command: string): Promise<number> {
  return Promise.reject(new KeylessError('ERR_NEEDS_PACKAGE', `'keyless ${command}' needs native packages (SQLite, PostgreSQL) that this one-file build of keyless does not carry; ${INSTALL}`, { command }));
}

export const serve = (_argv: string[], _io: Output): Promise<number> => needsPackage('serve');
export const witnessCommand = (_argv: string[], _io: Output): Promise<number> => needsPackage('witness');
export const fsckCommand = (_argv: string[], _io: Output): Promise<number> => needsPackage('log fsck');
