/**
 * What a test needs from the machine (openssl, Chromium, a PostgreSQL server, a tmpfs mount, …), and the one rule
 * for when it is missing: on a developer's machine the test skips and says why; under CI (`CI=true`, as `.ci/run`
 * sets) it MUST NOT skip — a skipped test looks like a passed one in a summary, and CI that silently lost its
 * browser or its database would go on reporting green. There it fails, naming what is missing and how to get it.
 * `.ci/run` installs everything the tests use, so a failure here means the CI machine is not what it should be.
 */
import type { TestContext } from 'node:test';

/** CI=true: every test runs, none skips. Read at each call, so a test of this file can set it. */
export const isStrict = (): boolean => process.env['CI'] === 'true';

/** Thrown under CI=true for a requirement that is not met; its message says what and how to get it. */
export class MissingRequirement extends Error {
  override readonly name = 'MissingRequirement';
}

function missing(what: string, why: string): MissingRequirement {
  return new MissingRequirement(`${what} is required under CI=true, where no test may skip: ${why}`);
}

/**
 * The `skip` option of test(), it() or describe() for something `what` needs: `false` when it is available, so
 * the test runs; when it is not, the reason (the test skips) locally, and under CI=true a MissingRequirement thrown
 * while the file loads, so the file fails.
 *
 *   test('openssl reads it', { skip: requireOrSkip('openssl', hasOpenssl, 'apt-get install openssl') }, …)
 */
export function requireOrSkip(what: string, available: boolean, why = `${what} is not available`): string | false {
  if (available) return false;
  if (isStrict()) throw missing(what, why);
  return why;
}

/**
 * The same inside a running test, for what is only known there: true when `what` is available and the test goes
 * on; otherwise the test is skipped (locally) and false is returned — the caller returns — or, under CI=true,
 * MissingRequirement is thrown and the test fails.
 *
 *   if (!requireInTest(t, 'a tmpfs mount', refused === undefined, refused)) return;
 */
export function requireInTest(t: Pick<TestContext, 'skip'>, what: string, available: boolean, why = `${what} is not available`): boolean {
  if (available) return true;
  if (isStrict()) throw missing(what, why);
  t.skip(why);
  return false;
}
