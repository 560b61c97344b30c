// "Check a bundle" runs keyless's verifier in the browser with node:crypto replaced by @noble/curves and
// @noble/hashes (web/src/browser/crypto-full.ts) and src/core/prehash.ts by web/src/browser/prehash.ts. The same
// entry point (web/src/verify-entry.ts) is compiled for Node too, on node:crypto. Every bundle of the real-world
// corpus, and one-byte mutations of each accepted one, must get the same answer from both builds — verdict, error
// code, message and every check shown — and the manifest's expected verdict where the page's options are the CLI's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import * as nodeBuild from '../../../web/src/verify-entry.js';
import { artifactBytes, bundleJson, loadManifest, trustedRootJson } from '../realworld/corpus.js';
import { ROOT, type Json } from '../../helpers/vectors.js';

type CheckBundle = typeof nodeBuild.checkBundle;
const page = async (): Promise<CheckBundle> => ((await import(pathToFileURL(join(ROOT, 'web', 'dist', 'verify.js')).href)) as { checkBundle: CheckBundle }).checkBundle;

// Entries the page can take as the CLI does: certificate-signed, an exact identity, the root's own thresholds.
const entries = loadManifest().entries.filter((e) => e.key === undefined && e.identityRegexp === undefined && e.identity !== undefined && e.issuer !== undefined);

function input(entry: (typeof entries)[number], bundle: Json = bundleJson(entry)): Parameters<CheckBundle>[0] {
  const artifact = artifactBytes(entry);
  return { bundleText: JSON.stringify(bundle), trustedRoot: trustedRootJson(entry), ...(artifact !== undefined ? { artifact } : {}), identity: entry.identity!, issuer: entry.issuer! };
}

describe('Check a bundle: the page\'s verifier (noble) against the same code on node:crypto', () => {
  it(`agrees on every real-world corpus bundle it can take (${entries.length}), and with the manifest where it uses the CLI's options`, async () => {
    const checkInPage = await page();
    assert.ok(entries.length >= 40, `${entries.length} corpus entries`);
    let accepted = 0;
    let expectedChecked = 0;
    for (const entry of entries) {
      const inPage = checkInPage(input(entry));
      assert.deepEqual(inPage, nodeBuild.checkBundle(input(entry)), entry.id);
      if (inPage.ok) accepted++;
      // The CLI's verdict, where the page verifies as the CLI does (the root's thresholds, the artifact's bytes).
      if (entry.verifierOptions === undefined && (entry.artifact !== undefined || entry.digest === undefined)) {
        expectedChecked++;
        assert.equal(inPage.ok ? 'accept' : 'reject', entry.expected, `${entry.id}: ${inPage.ok ? 'accepted' : `${inPage.code} ${inPage.message}`}`);
        if (!inPage.ok && entry.expectedCode !== undefined) assert.equal(inPage.code, entry.expectedCode, entry.id);
      }
    }
    assert.ok(accepted >= 20, `${accepted} accepted`);
    assert.ok(expectedChecked >= 30, `${expectedChecked} compared with the manifest`);
  });

  it('refuses each accepted bundle with a flipped signature, certificate or proof byte, with the code node:crypto gives', async () => {
    const checkInPage = await page();
    let mutated = 0;
    for (const entry of entries) {
      if (!nodeBuild.checkBundle(input(entry)).ok) continue;
      const original = bundleJson(entry);
      const targets: [string, (b: Json) => Json][] = [
        ['signature', (b) => (b.messageSignature ? b.messageSignature : b.dsseEnvelope.signatures[0])],
        ['certificate', (b) => b.verificationMaterial.certificate ?? b.verificationMaterial.x509CertificateChain?.certificates?.[0]],
      ];
      for (const [what, at] of targets) {
        const b = structuredClone(original);
        const holder = at(b);
        if (holder === undefined) continue;
        const field = what === 'signature' ? (b.messageSignature ? 'signature' : 'sig') : 'rawBytes';
        const bytes = Buffer.from(holder[field] as string, 'base64');
        bytes[Math.floor(bytes.length * 0.7)]! ^= 0x01;
        holder[field] = bytes.toString('base64');
        const inPage = checkInPage(input(entry, b));
        assert.equal(inPage.ok, false, `${entry.id}: a flipped ${what} byte is refused`);
        assert.deepEqual(inPage, nodeBuild.checkBundle(input(entry, b)), `${entry.id} ${what}`);
        mutated++;
      }
    }
    assert.ok(mutated >= 40, `${mutated} mutations`);
  });

  it('without an artifact a message signature is checked over the digest the bundle states, and says so; an identity needs its issuer', async () => {
    const checkInPage = await page();
    const entry = entries.find((e) => e.expected === 'accept' && e.artifact !== undefined && bundleJson(e).messageSignature !== undefined && e.verifierOptions === undefined)!;
    const { artifact: _dropped, ...rest } = input(entry);
    const result = checkInPage(rest);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.notes.some((n) => n.startsWith('no artifact given')));
    const other = checkInPage({ ...input(entry), artifact: Buffer.from('another artifact') });
    assert.equal(other.ok, false);
    assert.deepEqual(other, nodeBuild.checkBundle({ ...input(entry), artifact: Buffer.from('another artifact') }));
    const half = checkInPage({ ...input(entry), issuer: '' });
    assert.deepEqual([half.ok, half.ok ? '' : half.code], [false, 'ERR_USAGE']);
    const unchecked = checkInPage({ ...input(entry), identity: '', issuer: '' });
    assert.equal(unchecked.ok, true);
    assert.ok(unchecked.ok && unchecked.checks.some((c) => c.name === 'identity' && c.text.startsWith('NOT checked')));
  });
});
