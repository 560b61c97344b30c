import { readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = Record<string, any>;

export const clone = <T>(v: T): T & AnyJson => JSON.parse(JSON.stringify(v)) as T & AnyJson;

/** The public-good trusted root embedded in @sigstore/tuf's seeds (the TUF target trusted_root.json). */
export function publicTrustedRoot(): AnyJson {
  // Compiled tests live in dist/test/unit/trust; the package root is four levels up.
  const seeds = JSON.parse(readFileSync(new URL('../../../../node_modules/@sigstore/tuf/seeds.json', import.meta.url), 'utf8')) as Record<string, { targets: Record<string, string> }>;
  const target = seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'];
  if (target === undefined) throw new Error('trusted_root.json is missing from @sigstore/tuf seeds');
  return JSON.parse(Buffer.from(target, 'base64').toString('utf8')) as AnyJson;
}

/** A signing config shaped like the public-good signing_config.v0.2.json. */
export function signingConfig(): AnyJson {
  return {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [{ url: 'https://fulcio.sigstore.dev', majorApiVersion: 1, validFor: { start: '2023-04-14T21:38:40Z' }, operator: 'sigstore.dev' }],
    oidcUrls: [{ url: 'https://oauth2.sigstore.dev/auth', majorApiVersion: 1, validFor: { start: '2025-04-16T00:00:00Z' }, operator: 'sigstore.dev' }],
    rekorTlogUrls: [
      { url: 'https://log2025-1.rekor.sigstore.dev', majorApiVersion: 2, validFor: { start: '2025-10-03T00:00:00Z' }, operator: 'sigstore.dev' },
      { url: 'https://rekor.sigstore.dev', majorApiVersion: 1, validFor: { start: '2021-01-12T11:53:27Z' }, operator: 'sigstore.dev' },
    ],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [{ url: 'https://timestamp.sigstore.dev/api/v1/timestamp', majorApiVersion: 1, validFor: { start: '2025-07-04T00:00:00Z' }, operator: 'sigstore.dev' }],
    tsaConfig: { selector: 'ANY' },
  };
}
