/**
 * Fulcio's certificate extensions (docs/oid-info.md; pkg/certificate/extensions.go Render) as DER Extension
 * elements: 1.3.6.1.4.1.57264.1.1 (issuer) and .2–.6 (GitHub, deprecated) hold the raw string, .8 onwards a DER
 * UTF8String. Order by OID, as Fulcio renders them; empty values are left out; the issuer is mandatory.
 */
import { encodeUtf8String } from '../core/asn1-encode.js';
import { utf8Encode } from '../core/encoding.js';
import { FULCIO_EXTENSIONS, OID } from '../core/oids.js';
import type { FulcioValues } from './claims.js';
import { encodeExtension } from './x509-builder.js';

const KNOWN = new Set(FULCIO_EXTENSIONS.map((e) => e.name));

export function fulcioExtensionElements(values: FulcioValues): Uint8Array[] {
  const unknown = Object.keys(values).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new TypeError(`not Fulcio extension names: ${unknown.join(', ')}`);
  if (!values.issuer) throw new TypeError('a Fulcio certificate must carry its issuer');
  const out: Uint8Array[] = [];
  for (const ext of FULCIO_EXTENSIONS) {
    if (ext.oid === OID.fulcioOtherName) continue;
    const value = values[ext.name];
    if (value === undefined || value === '') continue;
    out.push(encodeExtension(ext.oid, false, ext.legacy ? utf8Encode(value) : encodeUtf8String(value)));
  }
  return out;
}
