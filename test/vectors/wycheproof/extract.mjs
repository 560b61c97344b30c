#!/usr/bin/env node
// Re-extracts the Wycheproof vector files kept here from a git snapshot of C2SP/wycheproof, at the commit SOURCE.md
// names, so that anyone can check they are byte-for-byte the upstream files (nothing here is edited by hand).
//
//   node test/vectors/wycheproof/extract.mjs <wycheproof git dir (bare or work tree)> [commit]
//
// With `--check` it compares instead of writing, and exits 1 on any difference.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMMIT = 'dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166';

/** Upstream paths; each is kept here under its base name. */
export const FILES = [
  'LICENSE',
  // ECDSA, ASN.1 DER signatures: the Sigstore curve/hash pairs (PKIX_ECDSA_P256_SHA_256, P384_SHA_384, P521_SHA_512,
  // P384_SHA_256), plus SHA-512 on P-256 and P-384, which exercise the truncation of a digest longer than the order.
  'testvectors_v1/ecdsa_secp256r1_sha256_test.json',
  'testvectors_v1/ecdsa_secp256r1_sha512_test.json',
  'testvectors_v1/ecdsa_secp384r1_sha256_test.json',
  'testvectors_v1/ecdsa_secp384r1_sha384_test.json',
  'testvectors_v1/ecdsa_secp384r1_sha512_test.json',
  'testvectors_v1/ecdsa_secp521r1_sha512_test.json',
  // RSASSA-PKCS1-v1_5: the Sigstore sizes (PKIX_RSA_PKCS1V15_{2048,3072,4096}_SHA256) and the other DigestInfo
  // prefixes verifyPrehashed knows (SHA-384, SHA-512).
  'testvectors_v1/rsa_signature_2048_sha256_test.json',
  'testvectors_v1/rsa_signature_2048_sha384_test.json',
  'testvectors_v1/rsa_signature_2048_sha512_test.json',
  'testvectors_v1/rsa_signature_3072_sha256_test.json',
  'testvectors_v1/rsa_signature_4096_sha256_test.json',
];

const here = dirname(fileURLToPath(import.meta.url));

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const [gitDir, commit = COMMIT] = args.filter((a) => a !== '--check');
  if (gitDir === undefined) {
    console.error('usage: node extract.mjs [--check] <wycheproof git dir> [commit]');
    process.exit(2);
  }
  let differ = 0;
  for (const path of FILES) {
    const bytes = execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${path}`], { maxBuffer: 64 << 20 });
    const target = join(here, path.split('/').pop());
    if (check) {
      let current;
      try {
        current = readFileSync(target);
      } catch {
        current = undefined;
      }
      if (current === undefined || !current.equals(bytes)) {
        console.error(`differs: ${path}`);
        differ++;
      }
    } else {
      writeFileSync(target, bytes);
      console.log(`${path} (${bytes.length} bytes)`);
    }
  }
  if (check) {
    console.log(differ === 0 ? `all ${FILES.length} files match ${commit}` : `${differ} file(s) differ`);
    process.exit(differ === 0 ? 0 : 1);
  }
}

main();
