/**
 * A Fulcio-compatible certificate authority. signingCert follows Fulcio's CreateSigningCertificate
 * (pkg/api/grpc_server.go) with a CT log configured:
 *
 * 1. read the request; the token comes from credentials.oidcIdentityToken, else the Authorization bearer token;
 * 2. verify the token (errors pass through as they are: ERR_TOKEN), and check its issuer is one of ours;
 * 3. map the token to a principal: the SAN and the extension values for its issuer type, each at most 4 KiB;
 * 4. read the public key and check the proof of possession (a signature over the token's subject), or the CSR;
 * 5. issue a precertificate (Fulcio's profile + the CT poison extension), submit it to the CT log for an SCT;
 * 6. issue the final certificate: the same serial and TBS with the SCT list in place of the poison;
 * 7. check what we made (signature, and that the log signed this certificate's TBS) before returning the chain.
 */
import { KeylessError, isKeylessError } from '../core/errors.js';
import { bytesEqual, pemEncode } from '../core/encoding.js';
import { OID } from '../core/oids.js';
import { parseSct } from '../core/sct.js';
import { parseCertificate, precertificateTbs, verifyCertificateSignature } from '../core/x509.js';
import { publicKeyFromSpki, verifyWithAlgorithm } from '../core/keys.js';
import { precertPoisonExtension, sctListExtension } from '../log/ct/sct.js';
import { fulcioExtensionElements } from './extensions.js';
import { checkClaimSizes } from './claim-caps.js';
import { issuerTable } from './issuers.js';
import { principalFor } from './principal.js';
import { parseSigningCertRequest } from './request.js';
import { provenKey } from './subject-key.js';
import type { CertificateAuthority, CertificateAuthorityOptions, SctSource, SigningCertResponse } from './types.js';
import {
  EMPTY_NAME,
  KEY_USAGE_BIT,
  authorityKeyIdExtension,
  certificateSigner,
  encodeTbs,
  extKeyUsageExtension,
  isSanValue,
  keyIdentifier,
  keyUsageExtension,
  randomSerial,
  signCertificate,
  subjectAltNameExtension,
  subjectKeyIdExtension,
} from './x509-builder.js';

export const DEFAULT_VALIDITY_SECONDS = 600;

/**
 * The log's refusal of our own precertificate is the CA's failure, not the caller's (Fulcio answers 500 "Error
 * entering certificate in CTL"): only overload and storage errors keep their code, for the HTTP layer's retry hints.
 */
async function submitToCtLog(ct: SctSource, chain: Uint8Array[]): Promise<{ sct: Uint8Array; signedTbs: Uint8Array | undefined }> {
  let sct: Uint8Array;
  let signedTbs: Uint8Array | undefined;
  try {
    if (ct.addPreChainSigned !== undefined) ({ sct, signedTbs } = await ct.addPreChainSigned(chain));
    else sct = await ct.addPreChain(chain);
  } catch (err) {
    if (isKeylessError(err) && (err.code === 'ERR_PUSHBACK' || err.code === 'ERR_STORE' || err.code === 'ERR_STORE_UNAVAILABLE')) throw err;
    throw new Error(`Error entering certificate in CTL: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    parseSct(sct); // a malformed SCT must not end up in a certificate
  } catch (err) {
    throw new Error(`the CT log returned a malformed SCT: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { sct, signedTbs };
}

export function createCertificateAuthority(opts: CertificateAuthorityOptions): CertificateAuthority {
  const chain = opts.signer.chain.map((der) => parseCertificate(der));
  const first = chain[0];
  if (first === undefined) throw new TypeError('the CA signer needs its certificate chain, issuing CA first');
  const issuerCert = first;
  const signer = certificateSigner(opts.signer.key);
  const issuerKey = publicKeyFromSpki(issuerCert.spki);
  const issuerKeyId = issuerCert.subjectKeyId ?? keyIdentifier(issuerCert.spki);
  const issuers = issuerTable(opts.issuers);
  const now = opts.now ?? Date.now;
  const validityMs = (opts.validitySeconds ?? DEFAULT_VALIDITY_SECONDS) * 1000;
  const chainPem = opts.signer.chain.map((der) => pemEncode(der, 'CERTIFICATE'));

  // The CA must hold the private key of the certificate it claims to issue under.
  const probe = Uint8Array.of(0x6b, 0x65, 0x79);
  if (!verifyWithAlgorithm(issuerKey, signer.algorithmOid, probe, signer.sign(probe))) {
    throw new TypeError("the CA signer's key does not match the first certificate of its chain");
  }

  async function signingCert(request: unknown, bearerToken?: string): Promise<SigningCertResponse> {
    const { token, key: keyRequest } = parseSigningCertRequest(request, bearerToken);
    if (token === undefined) {
      throw new KeylessError('ERR_TOKEN', 'no OIDC identity token: send it as credentials.oidcIdentityToken or in an "Authorization: Bearer" header');
    }
    const verified = await opts.tokenVerifier.verify(token);
    issuers.check(verified);
    const principal = principalFor(verified);
    checkClaimSizes(principal);
    if (!isSanValue(principal.san.value)) {
      throw new KeylessError('ERR_TOKEN', `the token's identity ${JSON.stringify(principal.san.value)} cannot be a certificate SAN (only printable ASCII without spaces)`);
    }
    const subjectKey = provenKey(keyRequest, verified.subject);

    // Fulcio's leaf profile; Go's x509 extension order, then Fulcio's extensions, then the CT extension last.
    const notBefore = Math.floor(now() / 1000) * 1000;
    const extensions = [
      keyUsageExtension([KEY_USAGE_BIT.digitalSignature]),
      extKeyUsageExtension([OID.codeSigning]),
      subjectKeyIdExtension(keyIdentifier(subjectKey.spki)),
      authorityKeyIdExtension(issuerKeyId),
      subjectAltNameExtension(principal.san),
      ...fulcioExtensionElements(principal.extensions),
    ];
    const serial = randomSerial();
    const tbsWith = (last: Uint8Array[]): Uint8Array =>
      encodeTbs({
        serial,
        signer,
        issuer: issuerCert.subject,
        notBefore,
        notAfter: notBefore + validityMs,
        subject: EMPTY_NAME,
        spki: subjectKey.spki,
        extensions: [...extensions, ...last],
      });

    let finalDer: Uint8Array;
    let final: ReturnType<typeof parseCertificate>;
    if (opts.ct === undefined) {
      finalDer = signCertificate(tbsWith([]), signer);
      final = parseCertificate(finalDer);
    } else {
      const precert = signCertificate(tbsWith([precertPoisonExtension()]), signer);
      const { sct, signedTbs } = await submitToCtLog(opts.ct, [precert, ...opts.signer.chain]);
      finalDer = signCertificate(tbsWith([sctListExtension([sct])]), signer);
      final = parseCertificate(finalDer);
      // The log signed the precertificate's TBS (poison removed); a verifier recomputes it from the final
      // certificate. Our CT service says what it signed; for another log, it is recomputed from the precertificate.
      const logSigned = signedTbs ?? precertificateTbs(parseCertificate(precert));
      if (!bytesEqual(precertificateTbs(final), logSigned)) {
        throw new Error('internal: the final certificate does not match the precertificate');
      }
    }
    if (!verifyCertificateSignature(final, issuerKey)) throw new Error('internal: the issued certificate does not verify');
    return { signedCertificateEmbeddedSct: { chain: { certificates: [pemEncode(finalDer, 'CERTIFICATE'), ...chainPem] } } };
  }

  return {
    signingCert,
    trustBundle: () => ({ chains: [{ certificates: [...chainPem] }] }),
    configuration: () => issuers.configuration(),
  };
}
