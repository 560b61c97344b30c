/**
 * A CA instance for tests: a fresh P-384 CA, an in-memory CT log with a P-256 key, a fake token verifier (the
 * TokenVerifier interface of src/oidc, structurally), a frozen clock, and a GitLab claim set shaped like the
 * id_token example in GitLab's documentation ("OpenID Connect (OIDC) Authentication Using ID Tokens").
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { KeylessError } from '../../../src/core/errors.js';
import { createCertificateAuthority } from '../../../src/ca/ca.js';
import { generateCaCertificates, type GeneratedCa } from '../../../src/ca/generate.js';
import type { CaIssuer, CertificateAuthority } from '../../../src/ca/types.js';
import type { CaTokenVerifier, VerifiedToken } from '../../../src/ca/token.js';
import { createCtLog, createMemoryLeafStore, type CtLog } from '../../../src/log/ct/service.js';

export const NOW = Date.UTC(2025, 5, 2, 12, 0, 0, 250);
export const GITLAB_ISSUER = 'https://gitlab.example.com';

/** GitLab's documented id_token payload (aud changed to sigstore, as the Sigstore guide configures it). */
export function gitlabClaims(): Record<string, unknown> {
  return {
    namespace_id: '72',
    namespace_path: 'my-group',
    project_id: '20',
    project_path: 'my-group/my-project',
    user_id: '1',
    user_login: 'sample-user',
    user_email: 'sample-user@example.com',
    user_access_level: 'owner',
    user_identities: [{ provider: 'github', extern_uid: '2435223452345' }],
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'feature-branch-1',
    ref_type: 'branch',
    ref_path: 'refs/heads/feature-branch-1',
    ref_protected: 'false',
    groups_direct: ['mygroup/mysubgroup', 'myothergroup/myothersubgroup'],
    environment: 'test-environment2',
    environment_protected: 'false',
    deployment_tier: 'testing',
    environment_action: 'start',
    runner_id: 1,
    runner_environment: 'self-hosted',
    sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    project_visibility: 'public',
    ci_config_ref_uri: 'gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main',
    ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
    jti: '235b3a54-b797-45c7-ae9a-f72d7bc6ef5b',
    iss: GITLAB_ISSUER,
    iat: 1681395193,
    nbf: 1681395188,
    exp: 1681398793,
    sub: 'project_path:my-group/my-project:ref_type:branch:ref:feature-branch-1',
    aud: 'sigstore',
  };
}

export function gitlabToken(claims: Record<string, unknown> = gitlabClaims()): VerifiedToken {
  return { issuer: String(claims.iss), type: 'gitlab-pipeline', clientId: 'sigstore', subject: String(claims.sub), claims };
}

/** Tokens are opaque names here; the fake resolves them from a table or fails like src/oidc does. */
export class FakeVerifier implements CaTokenVerifier {
  readonly tokens = new Map<string, VerifiedToken | KeylessError>();
  readonly seen: string[] = [];
  verify(token: string): Promise<VerifiedToken> {
    this.seen.push(token);
    const found = this.tokens.get(token);
    if (found === undefined) return Promise.reject(new KeylessError('ERR_TOKEN', `unknown token ${token}`));
    if (found instanceof KeylessError) return Promise.reject(found);
    return Promise.resolve(found);
  }
}

export interface Instance {
  ca: CertificateAuthority;
  generated: GeneratedCa;
  ctLog: CtLog;
  ctLeaves: readonly Uint8Array[];
  verifier: FakeVerifier;
}

let shared: Promise<{ generated: GeneratedCa; ctKey: KeyObject }> | undefined;

export const ISSUERS: readonly CaIssuer[] = [
  { issuerUrl: GITLAB_ISSUER, clientId: 'sigstore', type: 'gitlab-pipeline' },
  { issuerUrl: 'https://token.actions.githubusercontent.com', clientId: 'sigstore', type: 'github-workflow' },
  { issuerUrl: 'https://accounts.example.com', clientId: 'sigstore', type: 'email' },
  { metaIssuer: 'https://oidc.eks.*.amazonaws.com/id/*', clientId: 'sigstore', type: 'kubernetes' },
];

export async function instance(withCt = true): Promise<Instance> {
  shared ??= generateCaCertificates({ organization: 'keyless test', now: NOW - 86_400_000 }).then((generated) => ({
    generated,
    ctKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  }));
  const { generated, ctKey } = await shared;
  const store = createMemoryLeafStore();
  const ctLog = createCtLog({ key: ctKey, append: store.append, now: () => NOW + 1, acceptedRoots: [generated.chainDer[1] as Uint8Array] });
  const verifier = new FakeVerifier();
  verifier.tokens.set('gitlab', gitlabToken());
  const ca = createCertificateAuthority({
    tokenVerifier: verifier,
    issuers: ISSUERS,
    signer: { key: generated.key, chain: generated.chainDer },
    ...(withCt ? { ct: ctLog } : {}),
    now: () => NOW,
  });
  return { ca, generated, ctLog, ctLeaves: store.leaves, verifier };
}

export function ephemeralKey(type: 'P-256' | 'P-384' | 'ed25519' | 'rsa2048' = 'P-256'): { publicPem: string; privateKey: KeyObject } {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'rsa2048'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: type });
  return { publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey: pair.privateKey };
}

/** A signature as sigstore clients make the proof of possession: SHA-256 (pure for Ed25519), DER ECDSA. */
export function proofOver(privateKey: KeyObject, subject: string): string {
  const hash = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(hash, Buffer.from(subject), privateKey).toString('base64');
}

export function publicKeyRequest(publicPem: string, proof: string, token = 'gitlab', algorithm: string = 'ECDSA'): Record<string, unknown> {
  return { credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { algorithm, content: publicPem }, proofOfPossession: proof } };
}
