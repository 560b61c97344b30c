/**
 * `keyless verify-bundle`: the public sigstore-conformance CLI protocol.
 *   verify-bundle --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEMFILE)
 *                 [--trusted-root FILE] FILE_OR_DIGEST
 * FILE_OR_DIGEST is a digest `sha256:<64 hex>` when it is not an existing path; for DSSE bundles it names the
 * in-toto subject.
 */
import { parse, str, usageError } from '../args.js';
import { IDENTITY_OPTIONS, identityPolicyFromFlags } from '../identity-flags.js';
import { loadTrustedRoot, readArtifact, readBundle, type Output } from '../io.js';
import { createVerifier } from '../../verify/verifier.js';

export const USAGE = 'Usage: keyless verify-bundle --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEMFILE) [--trusted-root FILE] FILE_OR_DIGEST';

export async function verifyBundle(argv: string[], io: Output): Promise<number> {
  const parsed = parse(argv, { ...IDENTITY_OPTIONS, bundle: { type: 'string' }, 'trusted-root': { type: 'string' } }, USAGE);
  const [target, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) throw usageError('give exactly one FILE_OR_DIGEST', USAGE);
  const bundlePath = str(parsed, 'bundle');
  if (bundlePath === undefined) throw usageError('--bundle is required', USAGE);
  const identity = identityPolicyFromFlags(parsed, USAGE);
  const verifier = createVerifier({ trustedRoot: loadTrustedRoot(str(parsed, 'trusted-root')) });
  verifier.verify(readBundle(bundlePath), { artifact: readArtifact(target), identity });
  io.err('Verified OK');
  return 0;
}
