// One parser: the log explorer shows what src/core reads, and nothing else. The page's certificate reader and
// src/core's are given the same certificates — every one in the golden and real-world corpus, and hostile ones built
// here — and must give the same verdict (both accept or both refuse) and, when they accept, the same fields: the
// SANs and the identity the page shows, issuer and subject, validity, Fulcio's extensions and the other extensions
// with their criticality. Issue 15 found the page displaying the second of two SANs that core refuses; run against
// the page's own hand-written web/x509.js, 24 of the 40 built certificates and two kinds of corpus name disagreed.
// The page now reads with core through its bundle (web/dist/core.js, with the browser substitutes for node:buffer
// and node:crypto), and this test is the guard that keeps it so.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import {
  encodeBoolean,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTlv,
  encodeUtf8String,
} from '../../../src/core/asn1-encode.js';
import { base64Decode, hexEncode, utf8Decode } from '../../../src/core/encoding.js';
import { FULCIO_EXTENSIONS_BY_OID } from '../../../src/core/oids.js';
import { fulcioExtensions, parseCertificate } from '../../../src/core/x509.js';
import { ROOT, type Json } from '../../helpers/vectors.js';

/** The page's certificate reader: the module web/entry.js loads for it (was web/x509.js). */
export const PAGE_PARSER = ['web', 'dist', 'core.js'];

/** What a reader makes of one certificate, in terms both can be compared in. */
interface View {
  readonly sans: readonly string[];
  readonly identity: string | undefined;
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly fulcio: readonly string[];
  readonly extensions: readonly string[];
}
type Verdict = { readonly accepted: true; readonly view: View } | { readonly accepted: false; readonly reason: string };

const FULCIO_OTHER_NAME = '1.3.6.1.4.1.57264.1.7';
/** RDN order and separators differ between renderings; the attributes must not. */
const normName = (text: string): string =>
  text
    .split(/(?<!\\)(?:, |\+)/)
    .map((part) => part.replace(/\\(.)/g, '$1'))
    .sort()
    .join(', ');
const identityOf = (sans: readonly string[]): string | undefined =>
  sans.find((s) => s.startsWith('uri:') || s.startsWith('email:'))?.replace(/^[a-z]+:/, '');

function coreVerdict(der: Uint8Array): Verdict {
  try {
    const cert = parseCertificate(der);
    const named = fulcioExtensions(cert);
    const fulcio: string[] = [];
    const extensions: string[] = [];
    for (const ext of cert.extensions) {
      const known = FULCIO_EXTENSIONS_BY_OID.get(ext.oid);
      if (known === undefined || known.oid === FULCIO_OTHER_NAME) extensions.push(`${ext.oid}${ext.critical ? ' (critical)' : ''}`);
      else fulcio.push(`${ext.oid}=${known.legacy ? utf8Decode(ext.value) : named[known.name]}`);
    }
    const sans = cert.subjectAltNames.map((s) => `${s.type}:${s.value}`);
    return {
      accepted: true,
      view: {
        sans,
        identity: identityOf(sans),
        issuer: normName(cert.issuerText()),
        subject: normName(cert.subjectText()),
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        fulcio,
        extensions,
      },
    };
  } catch (err) {
    return { accepted: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The page's model: `{ issuer, subject, notBefore, notAfter, sans: [{type, value}], fulcio, extensions }`. */
function pageVerdict(parse: (der: Uint8Array) => Json, der: Uint8Array): Verdict {
  let cert: Json;
  try {
    cert = parse(der);
  } catch (err) {
    return { accepted: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const sans: string[] = cert.sans.map((s: Json) => {
    // the old page wrote `otherName <type-id>` and `tag 0x87`; core says otherName (Fulcio's), ip, other
    const type = s.type === `otherName ${FULCIO_OTHER_NAME}` ? 'otherName' : String(s.type);
    return `${type}:${s.value}`;
  });
  return {
    accepted: true,
    view: {
      sans,
      identity: identityOf(sans),
      issuer: normName(cert.issuer),
      subject: normName(cert.subject),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      fulcio: cert.fulcio.map((e: Json) => `${e.oid}=${e.value}`),
      extensions: cert.extensions.map((e: Json) => `${e.oid}${e.critical ? ' (critical)' : ''}`),
    },
  };
}

/** '' when both readers agree, else what differs. */
function disagreement(parse: (der: Uint8Array) => Json, der: Uint8Array): string {
  const core = coreVerdict(der);
  const page = pageVerdict(parse, der);
  if (core.accepted !== page.accepted) {
    return core.accepted
      ? `core accepts, the page refuses (${page.accepted ? '' : page.reason})`
      : `core refuses (${core.reason}), the page accepts and shows ${JSON.stringify(page.accepted ? page.view : '')}`;
  }
  if (!core.accepted || !page.accepted) return '';
  const fields = (Object.keys(core.view) as (keyof View)[]).filter((k) => JSON.stringify(core.view[k]) !== JSON.stringify(page.view[k]));
  return fields.map((k) => `${k}: core ${JSON.stringify(core.view[k])}, page ${JSON.stringify(page.view[k])}`).join('; ');
}

async function pageParser(): Promise<(der: Uint8Array) => Json> {
  const mod = await import(pathToFileURL(join(ROOT, ...PAGE_PARSER)).href);
  return mod.parseCertificate;
}

// ---- the corpus: every certificate (rawBytes) in the golden and real-world bundles and trusted roots ----

function* jsonFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'wycheproof' || name === 'node_modules') continue;
    if (statSync(path).isDirectory()) yield* jsonFiles(path);
    else if (name.endsWith('.json') && name !== 'manifest.json') yield path;
  }
}

function* rawBytes(json: Json): Generator<string> {
  if (Array.isArray(json)) for (const v of json) yield* rawBytes(v);
  else if (json !== null && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      if (k === 'rawBytes' && typeof v === 'string') yield v;
      else yield* rawBytes(v);
    }
  }
}

/** DER certificates by hex (deduplicated), each with the first file it came from. */
function corpus(): Map<string, { der: Uint8Array; from: string }> {
  const out = new Map<string, { der: Uint8Array; from: string }>();
  const vectors = join(ROOT, 'test', 'vectors');
  for (const file of jsonFiles(vectors)) {
    let json: Json;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    for (const b64 of rawBytes(json)) {
      let der: Uint8Array;
      try {
        der = base64Decode(b64);
      } catch {
        continue;
      }
      // certificates only: a SEQUENCE whose first element is a SEQUENCE (tbsCertificate), not a bare SPKI
      if (der[0] !== 0x30) continue;
      const key = hexEncode(der);
      if (!out.has(key)) out.set(key, { der, from: relative(vectors, file) });
    }
  }
  return out;
}

// ---- hostile certificates, built from a Fulcio-shaped leaf ----

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const tlv = (tag: number, content: Uint8Array): Uint8Array => encodeTlv(tag, content);
const utcTime = (text: string): Uint8Array => tlv(0x17, enc(text));
const name = (...attrs: [string, Uint8Array][]): Uint8Array =>
  encodeSequence(...attrs.map(([oid, value]) => encodeSet(encodeSequence(encodeOid(oid), value))));
const ext = (oid: string, value: Uint8Array, critical?: Uint8Array): Uint8Array =>
  encodeSequence(encodeOid(oid), ...(critical === undefined ? [] : [critical]), encodeOctetString(value));
const san = (...names: Uint8Array[]): Uint8Array => ext('2.5.29.17', encodeSequence(...names), encodeBoolean(true));
const uri = (text: string): Uint8Array => tlv(0x86, enc(text));
const fulcio = (n: number, text: string): Uint8Array => ext(`1.3.6.1.4.1.57264.1.${n}`, encodeUtf8String(text));

const ECDSA_SHA256 = encodeSequence(encodeOid('1.2.840.10045.4.3.2'));
const SPKI = encodeSequence(
  encodeSequence(encodeOid('1.2.840.10045.2.1'), encodeOid('1.2.840.10045.3.1.7')),
  tlv(0x03, cat(Uint8Array.of(0, 4), new Uint8Array(64).fill(7))),
);
const IDENTITY = 'https://gitlab.example.com/group/project//.gitlab-ci.yml@refs/heads/main';
const FORGED = 'https://gitlab.example.com/attacker/project//.gitlab-ci.yml@refs/heads/main';

interface Parts {
  version: Uint8Array[];
  serial: Uint8Array;
  innerAlg: Uint8Array;
  issuer: Uint8Array;
  validity: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  extensions: Uint8Array[];
  /** The [3] wrapper around the Extensions SEQUENCE (replaced to test its shape). */
  extsWrapper?: (exts: Uint8Array) => Uint8Array;
  afterExtensions: Uint8Array[];
  outerAlg: Uint8Array;
  signature: Uint8Array;
  afterSignature: Uint8Array[];
}

function leaf(change: (p: Parts) => void = () => {}): Uint8Array {
  const p: Parts = {
    version: [tlv(0xa0, encodeInteger(2))],
    serial: encodeInteger(0x1234567890n),
    innerAlg: ECDSA_SHA256,
    issuer: name(['2.5.4.10', tlv(0x13, enc('sigstore.dev'))], ['2.5.4.3', tlv(0x13, enc('sigstore-intermediate'))]),
    validity: encodeSequence(utcTime('251203220000Z'), utcTime('251203221000Z')),
    subject: encodeSequence(),
    spki: SPKI,
    extensions: [
      ext('2.5.29.15', tlv(0x03, Uint8Array.of(7, 0x80)), encodeBoolean(true)),
      ext('2.5.29.37', encodeSequence(encodeOid('1.3.6.1.5.5.7.3.3'))),
      san(uri(IDENTITY)),
      fulcio(8, 'https://gitlab.example.com'),
      fulcio(12, 'https://gitlab.example.com/group/project'),
    ],
    afterExtensions: [],
    outerAlg: ECDSA_SHA256,
    signature: tlv(0x03, cat(Uint8Array.of(0), new Uint8Array(70).fill(1))),
    afterSignature: [],
  };
  change(p);
  const exts = encodeSequence(...p.extensions);
  const tbs = encodeSequence(
    ...p.version,
    p.serial,
    p.innerAlg,
    p.issuer,
    p.validity,
    p.subject,
    p.spki,
    ...(p.extensions.length === 0 && p.extsWrapper === undefined ? [] : [(p.extsWrapper ?? ((e) => tlv(0xa3, e)))(exts)]),
    ...p.afterExtensions,
  );
  return encodeSequence(tbs, p.outerAlg, p.signature, ...p.afterSignature);
}

/** `bytes` with the header of its outermost element rewritten as `header` (content unchanged). */
function reheader(bytes: Uint8Array, header: Uint8Array): Uint8Array {
  const first = bytes[1] as number;
  const skip = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return cat(header, bytes.subarray(skip));
}

const HOSTILE: readonly [string, Uint8Array][] = [
  ['a well-formed Fulcio-shaped leaf (control)', leaf()],
  ['two SAN extensions, the second naming another project', leaf((p) => p.extensions.push(san(uri(FORGED))))],
  ['two Source Repository URI extensions (.12)', leaf((p) => p.extensions.push(fulcio(12, 'https://gitlab.example.com/attacker/project')))],
  ['a SAN holding no names', leaf((p) => (p.extensions[2] = ext('2.5.29.17', encodeSequence())))],
  ['a SAN URI with a non-ASCII byte', leaf((p) => (p.extensions[2] = san(tlv(0x86, cat(enc(IDENTITY), Uint8Array.of(0xe9))))))],
  ['a SAN extnValue with a trailing byte', leaf((p) => (p.extensions[2] = ext('2.5.29.17', cat(encodeSequence(uri(IDENTITY)), Uint8Array.of(0)))))],
  ['an iPAddress SAN', leaf((p) => (p.extensions[2] = san(uri(IDENTITY), tlv(0x87, Uint8Array.of(10, 0, 0, 1)))))],
  ['an otherName SAN of another type-id', leaf((p) => (p.extensions[2] = san(tlv(0xa0, cat(encodeOid('1.2.3.4'), tlv(0xa0, encodeUtf8String('x'))))))) ],
  ['a trailing byte after the certificate', cat(leaf(), Uint8Array.of(0))],
  ['a fourth element in the Certificate SEQUENCE', leaf((p) => p.afterSignature.push(encodeInteger(1)))],
  ['an element after the extensions in the TBSCertificate', leaf((p) => p.afterExtensions.push(tlv(0xa4, encodeInteger(1))))],
  ['[3] holding two Extensions SEQUENCEs', leaf((p) => (p.extsWrapper = (e) => tlv(0xa3, cat(e, encodeSequence(san(uri(FORGED)))))))],
  ['a non-minimal long-form length (0x81 for 8 bytes)', leaf((p) => (p.serial = reheader(encodeInteger(0x1234567890n), Uint8Array.of(0x02, 0x81, 6))))],
  ['a length with a leading zero octet', leaf((p) => (p.issuer = reheader(p.issuer, Uint8Array.of(0x30, 0x82, 0x00, p.issuer[1] as number))))],
  ['an indefinite length on the Certificate', (() => {
    const der = leaf();
    return cat(reheader(der, Uint8Array.of(0x30, 0x80)), Uint8Array.of(0, 0));
  })()],
  ['a length of five octets', (() => {
    const der = leaf();
    const n = der.length - 4;
    return reheader(der, Uint8Array.of(0x30, 0x85, 0, 0, 0, n >> 8, n & 0xff));
  })()],
  ['a high tag number', leaf((p) => p.afterExtensions.push(Uint8Array.of(0x9f, 0x20, 1, 0)))],
  ['the serial number as an OCTET STRING', leaf((p) => (p.serial = tlv(0x04, Uint8Array.of(1))))],
  ['the validity as a SET', leaf((p) => (p.validity = tlv(0x31, cat(utcTime('251203220000Z'), utcTime('251203221000Z')))))],
  ['a negative serial number', leaf((p) => (p.serial = encodeInteger(-5n)))],
  ['a zero serial number', leaf((p) => (p.serial = encodeInteger(0)))],
  ['a serial number with a non-minimal leading zero', leaf((p) => (p.serial = tlv(0x02, Uint8Array.of(0, 1))))],
  ['a version 1 certificate (no [0] version)', leaf((p) => (p.version = []))],
  ['version INTEGER 5', leaf((p) => (p.version = [tlv(0xa0, encodeInteger(5))]))],
  ['an inner signature algorithm unlike the outer one', leaf((p) => (p.innerAlg = encodeSequence(encodeOid('1.2.840.10045.4.3.3'))))],
  ['a validity with three times', leaf((p) => (p.validity = encodeSequence(utcTime('251203220000Z'), utcTime('251203221000Z'), utcTime('251203221000Z'))))],
  ['a UTCTime without seconds', leaf((p) => (p.validity = encodeSequence(utcTime('2512032200Z'), utcTime('251203221000Z'))))],
  ['a validity time on the 31st of November', leaf((p) => (p.validity = encodeSequence(utcTime('251131220000Z'), utcTime('251203221000Z'))))],
  ['an issuer attribute that is an INTEGER', leaf((p) => (p.issuer = name(['2.5.4.3', encodeInteger(7)])))],
  ['an issuer PrintableString with a character outside its alphabet', leaf((p) => (p.issuer = name(['2.5.4.3', tlv(0x13, enc('a@b'))])))],
  ['an issuer BMPString of odd length', leaf((p) => (p.issuer = name(['2.5.4.3', tlv(0x1e, Uint8Array.of(0, 0x41, 0))])))],
  ['an unknown critical extension', leaf((p) => p.extensions.push(ext('1.2.3.4.5', encodeSequence(), encodeBoolean(true))))],
  ['a critical flag encoded as 0x01 (BER, not DER)', leaf((p) => (p.extensions[2] = ext('2.5.29.17', encodeSequence(uri(IDENTITY)), tlv(0x01, Uint8Array.of(1)))))],
  ['an extension OID with a non-minimal arc', leaf((p) => p.extensions.push(encodeSequence(tlv(0x06, Uint8Array.of(0x2a, 0x80, 0x03)), encodeOctetString(Uint8Array.of(5, 0)))))],
  ['the Fulcio issuer (.8) as an IA5String', leaf((p) => (p.extensions[3] = ext('1.3.6.1.4.1.57264.1.8', tlv(0x16, enc('https://gitlab.example.com')))))],
  ['a Fulcio extension with a trailing byte after its UTF8String', leaf((p) => (p.extensions[4] = ext('1.3.6.1.4.1.57264.1.12', cat(encodeUtf8String('x'), Uint8Array.of(0)))))],
  ['a Fulcio extension that is not UTF-8', leaf((p) => (p.extensions[4] = ext('1.3.6.1.4.1.57264.1.12', tlv(0x0c, Uint8Array.of(0xff)))))],
  ['a legacy Fulcio issuer (.1) that is not UTF-8', leaf((p) => p.extensions.push(ext('1.3.6.1.4.1.57264.1.1', Uint8Array.of(0xc3))))],
  ['a signature BIT STRING with 8 unused bits', leaf((p) => (p.signature = tlv(0x03, Uint8Array.of(8, 1))))],
  ['an empty extKeyUsage', leaf((p) => (p.extensions[1] = ext('2.5.29.37', encodeSequence())))],
];

describe('the page and src/core read certificates alike', () => {
  it('every certificate of the golden and real-world corpus', async () => {
    const parse = await pageParser();
    const certs = corpus();
    assert.ok(certs.size >= 20, `only ${certs.size} certificates found in test/vectors`);
    const problems: string[] = [];
    for (const { der, from } of certs.values()) {
      const d = disagreement(parse, der);
      if (d !== '') problems.push(`${from}: ${d}`);
    }
    assert.deepEqual(problems, []);
  });

  for (const [what, der] of HOSTILE) {
    it(what, async () => {
      assert.equal(disagreement(await pageParser(), der), '');
    });
  }

  it('the hostile certificates exercise both verdicts in core', () => {
    const verdicts = HOSTILE.map(([, der]) => coreVerdict(der).accepted);
    assert.ok(verdicts.includes(true) && verdicts.includes(false));
    assert.equal(coreVerdict(HOSTILE[0]![1]).accepted, true, 'the control certificate must be accepted');
    assert.equal(coreVerdict(HOSTILE[1]![1]).accepted, false, 'two SANs must be refused');
  });
});
