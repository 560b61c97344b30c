/** Fulcio v2 routes, the CT log's RFC 6962 routes, and the dev OIDC issuer's discovery and JWKS. */
import type { FastifyInstance } from 'fastify';
import type { CertificateAuthority } from '../../ca/index.js';
import type { CtLog } from '../../log/ct/index.js';
import type { SignedTreeHeadJson } from '../../log/ct-sth.js';
import { DEV_ISSUER_JWKS_PATH, DISCOVERY_PATH, type DevIssuer } from '../../oidc/index.js';

export function registerCa(app: FastifyInstance, ca: CertificateAuthority): void {
  app.post('/api/v2/signingCert', async (request, reply) => {
    const auth = request.headers.authorization;
    const bearer = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    return reply.code(201).send(await ca.signingCert(request.body, bearer));
  });
  app.get('/api/v2/trustBundle', async () => ca.trustBundle());
  app.get('/api/v2/configuration', async () => ca.configuration());
}

export function registerCt(app: FastifyInstance, ct: CtLog, sth: () => Promise<SignedTreeHeadJson>): void {
  app.post('/ct/v1/add-pre-chain', async (request) => ct.addPreChainJson(request.body));
  app.get('/ct/v1/get-sth', async () => sth());
}

export function registerDevIssuer(app: FastifyInstance, issuer: DevIssuer): void {
  app.get(DISCOVERY_PATH, async () => issuer.discovery());
  app.get(DEV_ISSUER_JWKS_PATH, async () => issuer.jwks());
}
