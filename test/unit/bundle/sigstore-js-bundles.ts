/**
 * Bundles made in-process by sigstore-js (@sigstore/sign) against @sigstore/mock's nock-based Fulcio, Rekor v1,
 * Rekor v2 and TSA: real v0.2/v0.3 shapes without network access.
 */
import { mockFulcio, mockRekor, mockRekorV2, mockTSA } from '@sigstore/mock';
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Witness } from '@sigstore/sign';
import { bundleToJSON } from '@sigstore/bundle';

const FULCIO = 'https://fulcio.mock.test';
const REKOR = 'https://rekor.mock.test';
const REKOR_V2 = 'https://rekor-v2.mock.test';
const TSA = 'https://tsa.mock.test';

// An unsigned OIDC token: the mock CA in strict mode reads its claims but does not check a signature.
const claims = { iss: 'https://gitlab.example.com', sub: 'project_path:group/project:ref_type:branch:ref:main', aud: 'sigstore', email: 'ci@example.com', email_verified: true, exp: 4102444800 };
const token = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
const identityProvider = { getToken: () => Promise.resolve(token) };

export interface SigstoreJsBundles {
  /** v0.2: message signature, certificate chain, Rekor v1 entry (SET + proof), RFC 3161 timestamp. */
  messageSignatureV02: Record<string, unknown>;
  /** v0.3: DSSE envelope, single certificate, Rekor v1 dsse entry. */
  dsseV03: Record<string, unknown>;
  /** v0.3: DSSE envelope, single certificate, Rekor v2 entry (no integrated time, no SET), RFC 3161 timestamp. */
  dsseRekorV2: Record<string, unknown>;
}

async function make(kind: 'message' | 'dsse', rekorVersion: 1 | 2, tsa: boolean): Promise<Record<string, unknown>> {
  await mockFulcio({ baseURL: FULCIO, strict: true });
  if (rekorVersion === 1) await mockRekor({ baseURL: REKOR, strict: true });
  else await mockRekorV2({ baseURL: REKOR_V2, strict: true });
  if (tsa) await mockTSA({ baseURL: TSA, strict: true });
  const witnesses: Witness[] = [
    new RekorWitness({ rekorBaseURL: rekorVersion === 1 ? REKOR : REKOR_V2, majorApiVersion: rekorVersion, entryType: 'dsse', retry: false }),
  ];
  if (tsa) witnesses.push(new TSAWitness({ tsaBaseURL: TSA, retry: false }));
  const signer = new FulcioSigner({ identityProvider, fulcioBaseURL: FULCIO, retry: false });
  const builder = kind === 'message' ? new MessageSignatureBundleBuilder({ signer, witnesses }) : new DSSEBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({ data: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'), type: 'application/vnd.in-toto+json' });
  return JSON.parse(JSON.stringify(bundleToJSON(bundle))) as Record<string, unknown>;
}

let cached: Promise<SigstoreJsBundles> | undefined;

export function sigstoreJsBundles(): Promise<SigstoreJsBundles> {
  cached ??= (async () => ({
    messageSignatureV02: await make('message', 1, true),
    dsseV03: await make('dsse', 1, false),
    dsseRekorV2: await make('dsse', 2, true),
  }))();
  return cached;
}
