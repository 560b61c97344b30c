// A Docker registry token service (distribution's docs/spec/auth/token.md) for end-to-end tests: node:http on a
// loopback port, minting ES256 JWTs that docker-registry's `auth: token:` trusts through `rootcertbundle`.
//
// How distribution 2.8 checks a token (registry/auth/token/token.go, VerifySigningKey): the header's `x5c` chain
// MUST verify up to a certificate in rootcertbundle (the leaf may be that certificate itself); failing an x5c, a
// `jwk`, or a `kid` that is the libtrust key ID of a root certificate's public key (in 2.8; v3 switched to the
// RFC 7638 thumbprint). Then `iss` MUST equal the configured issuer, `aud` the service, `exp`/`nbf` hold with
// 60 s of leeway, and `access` MUST list every action the request needs. Both header forms are offered here.
//
// Policy: known users (basic auth) get exactly the repository scopes they ask for; a request without credentials
// gets a token with no access at all (as Docker Hub's anonymous tokens for private repositories); a wrong password
// gets 401.
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TokenRequest {
  readonly user: string | undefined;
  readonly service: string | null;
  readonly scopes: readonly string[];
  readonly status: number;
}

export interface TokenService {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the self-signed certificate the registry trusts. */
  readonly certPath: string;
  /** The registry's `auth:` YAML section that trusts this service (for startRegistry({ kind: 'raw' })). */
  readonly registryAuthYaml: string;
  /** Every token request, in order (no secrets: user names and scopes only). */
  readonly requests: TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenServiceOptions {
  /** user → password. */
  readonly users: Readonly<Record<string, string>>;
  /** How the JWT names its key: `x5c` (the certificate chain; default) or `kid` (libtrust key ID). */
  readonly keyIdentification?: 'x5c' | 'kid';
  readonly expiresIn?: number;
  readonly service?: string;
  readonly issuer?: string;
}

/** docker/libtrust keyIDFromCryptoKey: SHA-256 of the SPKI DER, first 240 bits, base32 in groups of four. */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  const hash = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of hash) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(':');
}

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export async function startTokenService(opts: TokenServiceOptions): Promise<TokenService> {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-token-service-'));
  const service = opts.service ?? 'keyless-test-registry';
  const issuer = opts.issuer ?? 'keyless-test-token-service';
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=keyless test token service',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  const certPath = join(dir, 'token-signer.pem');
  writeFileSync(certPath, cert.toString('pem'));
  const privateKey = KeyObject.from(keys.privateKey);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const header =
    opts.keyIdentification === 'kid'
      ? { typ: 'JWT', alg: 'ES256', kid: libtrustKeyId(spki) }
      : { typ: 'JWT', alg: 'ES256', x5c: [Buffer.from(cert.rawData).toString('base64')] };
  const requests: TokenRequest[] = [];

  function mint(subject: string, access: { type: string; name: string; actions: string[] }[]): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + (opts.expiresIn ?? 300), nbf: now - 1, iat: now, jti: `${now}-${requests.length}`, access };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/token') return reply(404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
    let user: string | undefined;
    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      if (colon < 0 || opts.users[name] === undefined || opts.users[name] !== decoded.slice(colon + 1)) {
        requests.push({ user: name, service: url.searchParams.get('service'), scopes, status: 401 });
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
      }
      user = name;
    }
    if (url.searchParams.get('service') !== service) {
      requests.push({ user, service: url.searchParams.get('service'), scopes, status: 400 });
      return reply(400, { errors: [{ code: 'DENIED', message: `unknown service ${url.searchParams.get('service')}` }] });
    }
    const access =
      user === undefined
        ? []
        : scopes.flatMap((scope) => {
            const parts = scope.split(':');
            if (parts.length < 3 || parts[0] !== 'repository') return [];
            return [{ type: 'repository', name: parts.slice(1, -1).join(':'), actions: (parts.at(-1) ?? '').split(',').filter((a) => a === 'pull' || a === 'push') }];
          });
    requests.push({ user, service, scopes, status: 200 });
    const token = mint(user ?? '', access);
    reply(200, { token, access_token: token, expires_in: opts.expiresIn ?? 300, issued_at: new Date().toISOString() });
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    certPath,
    registryAuthYaml: `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${certPath}\n`,
    requests,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
