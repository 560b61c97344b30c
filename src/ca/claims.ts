/** Reading claims of a verified token, and the shape every principal produces. */
import { KeylessError } from '../core/errors.js';
import type { VerifiedToken } from './token.js';
import type { SanEntry } from './x509-builder.js';

/** Extension values by FULCIO_EXTENSIONS name; empty values are left out, as Fulcio's Extensions.Render does. */
export type FulcioValues = Partial<Record<string, string>>;

export interface Principal {
  readonly san: SanEntry;
  readonly extensions: FulcioValues;
}

/** A claim that must be a non-empty string; its name is collected in `missing` otherwise. */
export function requiredClaim(claims: VerifiedToken['claims'], name: string, missing: string[]): string {
  const v = claims[name];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  missing.push(name);
  return '';
}

/** An optional string claim (numbers as their decimal text); '' when absent. */
export function optionalClaim(claims: VerifiedToken['claims'], name: string): string {
  const v = claims[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return '';
}

export function missingClaims(type: string, missing: readonly string[]): KeylessError {
  return new KeylessError('ERR_TOKEN', `the ${type} ID token lacks required claim(s) ${missing.join(', ')}`, { missing });
}

