/**
 * `keyless tree IMAGE`: cosign's tree. Lists what is attached to the image's digest in both layouts — the legacy
 * `sha256-<hex>.sig`/`.att`/`.sbom` tags (one entry per layer) and the OCI referrers (referrers API or fallback
 * index), sorted into signatures, attestations, SBOMs and other artifacts. Nothing is verified: this is inventory.
 */
import { isKeylessError } from '../../core/errors.js';
import { ANNOTATIONS, BUNDLE_ARTIFACT_TYPE, COSIGN_SIGN_PREDICATE_TYPE, cosignTag, parseManifest, REFERRER_ANNOTATIONS, type CosignAttachment, type OciDescriptor } from '../../oci/cosign/index.js';
import { parse } from '../args.js';
import type { Output } from '../io.js';
import { outputFormat, positionalImage, REGISTRY_OPTIONS, REGISTRY_USAGE, resolveImage, type ResolvedImage } from './oci-shared.js';

export const USAGE = `Usage: keyless tree IMAGE [--output text|json]
Lists the signatures, attestations, SBOMs and other artifacts attached to IMAGE in its registry: cosign's
sha256-<hex>.sig/.att/.sbom tags and the OCI 1.1 referrers (or their sha256-<hex> fallback index). Verifies nothing.
  --output text|json
${REGISTRY_USAGE}`;

type Env = Readonly<Record<string, string | undefined>>;

type Kind = 'signature' | 'attestation' | 'sbom' | 'other';

interface Item {
  readonly layout: 'tag' | 'referrer';
  readonly kind: Kind;
  readonly digest: string;
  readonly where: string;
  readonly predicateType?: string;
  readonly artifactType?: string;
  readonly created?: string;
}

const KIND_OF_TAG: Record<CosignAttachment, Kind> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };

function referrerKind(d: OciDescriptor): Kind {
  const type = d.artifactType ?? '';
  if (type === BUNDLE_ARTIFACT_TYPE) {
    const predicateType = d.annotations?.[REFERRER_ANNOTATIONS.predicateType];
    const content = d.annotations?.[REFERRER_ANNOTATIONS.content];
    return predicateType === COSIGN_SIGN_PREDICATE_TYPE || (predicateType === undefined && content === 'message-signature') ? 'signature' : 'attestation';
  }
  if (/spdx|cyclonedx|syft|sbom/i.test(type)) return 'sbom';
  if (/signature/i.test(type)) return 'signature';
  return 'other';
}

async function tagged(target: ResolvedImage, attachment: CosignAttachment): Promise<{ items: Item[]; problem?: string }> {
  const tag = cosignTag(target.digest, attachment);
  const got = await target.client.getManifest(target.ref.repository, tag);
  if (got === undefined) return { items: [] };
  try {
    const layers = parseManifest(got.bytes, `the manifest at ${tag}`).layers;
    return {
      items: layers.map((l) => ({
        layout: 'tag', kind: KIND_OF_TAG[attachment], digest: l.digest, where: `${target.repositoryName}:${tag}`,
        ...(l.annotations?.[ANNOTATIONS.predicateType] !== undefined ? { predicateType: l.annotations[ANNOTATIONS.predicateType] } : {}),
      })),
    };
  } catch (err) {
    return { items: [], problem: `${target.repositoryName}:${tag}: ${isKeylessError(err) ? err.message : String(err)}` };
  }
}

const ICONS: Record<Kind, string> = { signature: '🔐', attestation: '💾', sbom: '📦', other: '🔗' };
const TITLES: Record<Kind, string> = { signature: 'Signatures', attestation: 'Attestations', sbom: 'SBOMs', other: 'Other artifacts' };

export async function treeCommand(argv: string[], io: Output, env: Env = process.env): Promise<number> {
  const parsed = parse(argv, { ...REGISTRY_OPTIONS, output: { type: 'string' } }, USAGE);
  const image = positionalImage(parsed, USAGE);
  const output = outputFormat(parsed, USAGE);
  const target = await resolveImage(image, parsed, env, io, { warnOnTag: false });
  const [sig, att, sbom, referrers] = await Promise.all([
    tagged(target, 'sig'), tagged(target, 'att'), tagged(target, 'sbom'),
    target.client.referrers(target.ref.repository, target.digest),
  ]);
  const items: Item[] = [...sig.items, ...att.items, ...sbom.items, ...referrers.map((d): Item => ({
    layout: 'referrer', kind: referrerKind(d), digest: d.digest, where: 'referrer',
    ...(d.artifactType !== undefined ? { artifactType: d.artifactType } : {}),
    ...(d.annotations?.[REFERRER_ANNOTATIONS.predicateType] !== undefined ? { predicateType: d.annotations[REFERRER_ANNOTATIONS.predicateType] } : {}),
    ...(d.annotations?.[REFERRER_ANNOTATIONS.created] !== undefined ? { created: d.annotations[REFERRER_ANNOTATIONS.created] } : {}),
  }))];
  const problems = [sig.problem, att.problem, sbom.problem].filter((p): p is string => p !== undefined);
  if (output === 'json') {
    io.out(JSON.stringify({ image: target.display, attached: items, ...(problems.length > 0 ? { problems } : {}) }, null, 2));
    return 0;
  }
  const lines = [`📦 Supply Chain Security Related artifacts for an image: ${target.display}`];
  for (const kind of ['signature', 'attestation', 'sbom', 'other'] as const) {
    const ofKind = items.filter((i) => i.kind === kind);
    const tagGroups = new Map<string, Item[]>();
    for (const i of ofKind.filter((x) => x.layout === 'tag')) tagGroups.set(i.where, [...(tagGroups.get(i.where) ?? []), i]);
    for (const [where, group] of tagGroups) {
      lines.push(`└── ${ICONS[kind]} ${TITLES[kind]} for an image tag: ${where}`);
      for (const i of group) lines.push(`   └── 🍒 ${i.digest}${i.predicateType !== undefined ? ` (${i.predicateType})` : ''}`);
    }
    const refs = ofKind.filter((x) => x.layout === 'referrer');
    if (refs.length > 0) {
      lines.push(`└── ${ICONS[kind]} ${TITLES[kind]} as OCI referrers of ${target.digest}:`);
      for (const i of refs) {
        const about = [i.predicateType ?? i.artifactType, i.created].filter((x) => x !== undefined).join(', ');
        lines.push(`   └── 🍒 ${i.digest}${about !== '' ? ` (${about})` : ''}`);
      }
    }
  }
  if (items.length === 0) lines.push('No Supply Chain Security Related Artifacts found for this image');
  io.out(lines.join('\n'));
  for (const p of problems) io.err(`WARNING: ${p}`);
  return 0;
}
