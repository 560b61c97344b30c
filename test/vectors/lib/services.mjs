// The mock Sigstore instance the golden vectors are signed against: @sigstore/mock's CA, CT log, Rekor v1 tlog
// and TSA, served on 127.0.0.1 by one node:http server so that @sigstore/sign talks to them over real HTTP.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { ecKeyPair, ed25519KeyPair, spkiDer } from './keys.mjs';
import { fulcioGitlabHandler } from './fulcio-gitlab.mjs';
import { rekorV1Handler } from './rekor-v1.mjs';
import { initializeRekorV2, rekorV2Handler } from './rekor-v2.mjs';

const require = createRequire(import.meta.url);
const mock = require('@sigstore/mock');

// Where the trusted root says each service lives. Never contacted: the signer is pointed at 127.0.0.1.
export const URLS = {
  fulcio: 'https://fulcio.keyless.test',
  ctlog: 'https://ctfe.keyless.test/test',
  rekorV1: 'https://rekor.keyless.test',
  rekorV2: 'https://log2025-1.rekor.keyless.test',
  tsa: 'https://tsa.keyless.test/api/v1/timestamp',
};

/** Starts the instance. `clock` is the one instant every service stamps (certificate, SCT, SET, TSA). */
export async function startInstance({ clock }) {
  const keys = {
    caP256: ecKeyPair('fulcio root P-256'),
    caP384: ecKeyPair('fulcio root P-384', 'P-384'),
    ctlog: ecKeyPair('ct log'),
    rekorV1: ecKeyPair('rekor v1 log'),
    rekorV2: ed25519KeyPair('rekor v2 log'),
    tsa: ecKeyPair('timestamp authority'),
  };
  const ctlog = await mock.initializeCTLog(keys.ctlog, clock);
  const cas = {
    'P-256': await mock.initializeCA(keys.caP256, ctlog, clock),
    'P-384': await mock.initializeCA(keys.caP384, ctlog, clock),
  };
  const tlogV1 = await mock.initializeTLog(URLS.rekorV1, keys.rekorV1, clock);
  const tlogV2 = initializeRekorV2({ origin: new URL(URLS.rekorV2).host, keyPair: keys.rekorV2 });
  const tsa = await mock.initializeTSA(keys.tsa, clock);

  const routes = {
    '/fulcio/api/v2/signingCert': fulcioGitlabHandler(cas['P-256']),
    '/fulcio-p384/api/v2/signingCert': fulcioGitlabHandler(cas['P-384']),
    '/rekor/api/v1/log/entries': rekorV1Handler(tlogV1),
    '/rekor-v2/api/v2/log/entries': rekorV2Handler(tlogV2),
    '/tsa/api/v1/timestamp': mock.tsaHandler(tsa).fn,
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const handler = req.method === 'POST' ? routes[req.url] : undefined;
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      const { statusCode, response, contentType } = await handler(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(statusCode, { 'Content-Type': contentType ?? 'application/json' }).end(response);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  return {
    clock,
    keys,
    cas,
    ctlog,
    tlogV2,
    tsa,
    endpoints: {
      fulcio: { 'P-256': `${base}/fulcio`, 'P-384': `${base}/fulcio-p384` },
      rekorV1: `${base}/rekor`,
      rekorV2: `${base}/rekor-v2`,
      tsa: `${base}/tsa/api/v1/timestamp`,
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const b64 = (data) => Buffer.from(data).toString('base64');
const keyIdOf = (publicKey) => b64(createHash('sha256').update(spkiDer(publicKey)).digest());

/** trusted_root.json (protobuf-specs JSON) for the instance, listing the CA with the given key curve. */
export function trustedRootJson(instance, { caCurve = 'P-256', validFrom }) {
  const validFor = { start: validFrom.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const { keys } = instance;
  const ecDetails = 'PKIX_ECDSA_P256_SHA_256';
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: URLS.rekorV1,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(spkiDer(keys.rekorV1.publicKey)), keyDetails: ecDetails, validFor },
        logId: { keyId: keyIdOf(keys.rekorV1.publicKey) },
      },
      {
        baseUrl: URLS.rekorV2,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(spkiDer(keys.rekorV2.publicKey)), keyDetails: 'PKIX_ED25519', validFor },
        logId: { keyId: b64(instance.tlogV2.logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: URLS.fulcio,
        certChain: { certificates: [{ rawBytes: b64(instance.cas[caCurve].rootCertificate) }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: URLS.ctlog,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(spkiDer(keys.ctlog.publicKey)), keyDetails: ecDetails, validFor },
        logId: { keyId: keyIdOf(keys.ctlog.publicKey) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: URLS.tsa,
        // Leaf (the TSA signing certificate) first, root last.
        certChain: {
          certificates: [{ rawBytes: b64(instance.tsa.intCertificate) }, { rawBytes: b64(instance.tsa.rootCertificate) }],
        },
        validFor,
      },
    ],
  };
}
