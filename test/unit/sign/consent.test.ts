// cosign's consent before publishing to a transparency log: --yes, COSIGN_YES / KEYLESS_YES, a prompt on a
// terminal, and a refusal when there is no terminal to ask on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeylessError } from '../../../src/core/errors.js';
import { consentGate, type ConsentIo } from '../../../src/cli/commands/instance.js';

const notice = { subject: 'project_path:g/p:ref_type:branch:ref:main', issuer: 'https://gitlab.com', caUrl: 'https://ca', tlogUrls: ['https://log'], tsaUrls: [] };

function io() {
  const lines: string[] = [];
  return { lines, out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
}

function terminal(answer: string | undefined): ConsentIo & { asked: string[] } {
  const asked: string[] = [];
  return { stdinIsTty: answer !== undefined, asked, ask: async (q) => (asked.push(q), answer ?? '') };
}

const refused = (p: Promise<void>, message: RegExp) => assert.rejects(p, (e: unknown) => e instanceof KeylessError && e.code === 'ERR_USAGE' && message.test(e.message));

test('--yes, COSIGN_YES=true and KEYLESS_YES=1 skip the question', async () => {
  for (const [yes, env] of [[true, {}], [false, { COSIGN_YES: 'true' }], [false, { KEYLESS_YES: '1' }]] as const) {
    const t = terminal(undefined);
    await consentGate(yes, env, io(), t)(notice);
    assert.deepEqual(t.asked, []);
  }
});

test('no terminal and no --yes: refused, saying how to consent', async () => {
  await refused(consentGate(false, {}, io(), terminal(undefined))(notice), /stdin is not a terminal.*pass --yes \(or set COSIGN_YES=true\)/);
  await refused(consentGate(false, { COSIGN_YES: 'false' }, io(), terminal(undefined))(notice), /not a terminal/);
});

test('on a terminal: cosign\'s question, and only y or yes goes ahead', async () => {
  const out = io();
  const t = terminal('y');
  await consentGate(false, {}, out, t)(notice);
  assert.deepEqual(t.asked, ['Are you sure you would like to continue? [y/N] ']);
  assert.match(out.lines.join('\n'), /subject project_path:g\/p.*transparency log at https:\/\/log/s);
  await consentGate(false, {}, io(), terminal('YES'))(notice);
  await refused(consentGate(false, {}, io(), terminal(''))(notice), /cancelled/);
  await refused(consentGate(false, {}, io(), terminal('n'))(notice), /cancelled/);
});
