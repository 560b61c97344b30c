/**
 * Rekor v1 `POST /api/v1/log/entries`: the body is a ProposedEntry {kind, apiVersion, spec}. Rekor picks the type
 * by `kind` and the version by `apiVersion` (types.NewEntry, VersionMap); we accept the three kinds that
 * Sigstore clients send.
 */
import { KeylessError } from '../../core/errors.js';
import { dsseV001 } from './dsse-v001.js';
import { SUPPORTED_V1, type CanonicalEntry } from './entry.js';
import { hashedrekordV001 } from './hashedrekord-v001.js';
import { intotoV002 } from './intoto-v002.js';
import { field, Problems } from './shape.js';

const KINDS: Readonly<Record<string, Readonly<Record<string, (spec: unknown) => CanonicalEntry>>>> = {
  hashedrekord: { '0.0.1': hashedrekordV001 },
  dsse: { '0.0.1': dsseV001 },
  intoto: { '0.0.2': intotoV002 },
};

/** Rekor v1 `POST /api/v1/log/entries` body (a ProposedEntry). */
export function canonicalizeV1Entry(json: unknown): CanonicalEntry {
  const problems = new Problems();
  const entry = problems.object(json, '$');
  const kind = entry && problems.string(field(entry, 'kind'), 'kind', 64);
  const apiVersion = entry && problems.string(field(entry, 'apiVersion'), 'apiVersion', 64);
  if (entry !== undefined && field(entry, 'spec') === undefined) problems.add('spec', 'is required');
  problems.throwIfAny('Rekor v1 proposed entry');
  if (entry === undefined || kind === undefined || apiVersion === undefined) throw new TypeError('unreachable');

  const versions = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  const canonicalize = versions !== undefined && Object.hasOwn(versions, apiVersion) ? versions[apiVersion] : undefined;
  if (canonicalize === undefined) {
    const what = versions === undefined ? `entry kind ${JSON.stringify(kind)}` : `${kind} apiVersion ${JSON.stringify(apiVersion)}`;
    throw new KeylessError('ERR_ENTRY_UNSUPPORTED', `${what} is not supported; this log accepts ${SUPPORTED_V1.join(', ')}`, {
      kind,
      apiVersion,
      supported: [...SUPPORTED_V1],
    });
  }
  return canonicalize(field(entry, 'spec'));
}
