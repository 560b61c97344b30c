/**
 * Rekor v2 (rekor-tiles) over one TransparencyLog: `POST /api/v2/log/entries` answers a TransparencyLogEntry in
 * protobuf-specs JSON (inclusion proof and checkpoint, no SET), and the read side is static C2SP tlog-tiles:
 * `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>[.p/<W>]`. HTTP-free.
 */
import { base64Encode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { canonicalizeV2Request } from './kinds/index.js';
import type { TransparencyLog } from './log.js';
import { parseIndexQuery, searchLog } from './search.js';
import { encodeEntryBundle, parseTilePath, TILE_WIDTH, tileWidth } from './tiles.js';

/** dev.sigstore.rekor.v1.TransparencyLogEntry in protobuf JSON (int64 as strings, bytes as base64). */
export interface TransparencyLogEntryJson {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  inclusionProof: { logIndex: string; rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

export interface StaticObject {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** A full tile or entry bundle never changes: clients and CDNs may cache it forever. */
  readonly immutable: boolean;
}

export class RekorV2Api {
  readonly log: TransparencyLog;

  constructor(log: TransparencyLog) {
    this.log = log;
  }

  /**
   * POST /api/v2/log/entries. A repeat of an entry already in the log answers with that entry (Tessera's
   * de-duplication hands back the original index), so a retried request is idempotent.
   */
  async createEntry(request: unknown): Promise<TransparencyLogEntryJson> {
    const entry = canonicalizeV2Request(request);
    const { entry: stored, head, inclusionProof } = await this.log.submit({ body: entry.body, searchKeys: entry.searchKeys });
    return {
      logIndex: String(stored.index),
      logId: { keyId: base64Encode(this.log.signer.logId) },
      kindVersion: { kind: entry.kind, version: entry.apiVersion },
      inclusionProof: {
        logIndex: String(stored.index),
        rootHash: base64Encode(head.rootHash),
        treeSize: String(head.size),
        hashes: inclusionProof.map(base64Encode),
        checkpoint: { envelope: head.checkpoint },
      },
      canonicalizedBody: base64Encode(stored.body),
    };
  }

  /**
   * GET /api/v2/log/entries/{logIndex}: a keyless extension (rekor-tiles has no read API beyond the tiles) that
   * answers the entry in the shape `createEntry` does, with an inclusion proof to the current head, so that the
   * explorer page can show a v2 entry without assembling tiles itself.
   */
  async entryByIndex(logIndex: string): Promise<TransparencyLogEntryJson> {
    if (!/^(?:0|[1-9][0-9]{0,15})$/.test(logIndex) || !Number.isSafeInteger(Number(logIndex))) {
      throw new KeylessError('ERR_REQUEST', 'logIndex must be a non-negative integer');
    }
    const index = Number(logIndex);
    const head = await this.log.publishedHead();
    if (index >= head.size) throw new KeylessError('ERR_NOT_FOUND', `log index ${index} is beyond the tree of size ${head.size}`, { treeSize: head.size });
    const stored = await this.log.entry(index);
    const proof = await this.log.inclusionProof(stored, head);
    return {
      logIndex: String(index),
      logId: { keyId: base64Encode(this.log.signer.logId) },
      kindVersion: kindVersionOf(stored.body),
      inclusionProof: {
        logIndex: String(index),
        rootHash: base64Encode(head.rootHash),
        treeSize: String(head.size),
        hashes: proof.map(base64Encode),
        checkpoint: { envelope: head.checkpoint },
      },
      canonicalizedBody: base64Encode(stored.body),
    };
  }

  /**
   * POST /api/v2/index/retrieve: a keyless extension (rekor-tiles keeps no index). The same index query as Rekor
   * v1's (search.ts), answered with the log indexes of the entries found, ascending, as protobuf-JSON int64 strings.
   */
  async searchIndex(request: unknown, limit = 1000): Promise<string[]> {
    const head = await this.log.publishedHead();
    // An entry committed but not yet published (its batch is being witnessed) is not in any tree a reader can check.
    return (await searchLog(this.log, parseIndexQuery(request), limit)).filter((i) => i < head.size).map(String);
  }

  /** GET /checkpoint: the latest signed checkpoint (with witnessing: the latest published one, with its cosignatures). */
  async checkpoint(): Promise<StaticObject> {
    const head = await this.log.publishedHead();
    return { body: new TextEncoder().encode(head.checkpoint), contentType: 'text/plain; charset=utf-8', immutable: false };
  }

  /** GET /tile/…: a hash tile or an entry bundle, exactly `width` entries of it. */
  async tile(path: string): Promise<StaticObject> {
    const parsed = parseTilePath(path);
    const head = await this.log.head();
    const available = tileWidth(parsed.kind === 'hash' ? parsed.level : 0, parsed.index, head.size);
    if (available < parsed.width) {
      throw new KeylessError('ERR_NOT_FOUND', `tile ${path} is not in the tree of size ${head.size}`, { treeSize: head.size });
    }
    const immutable = parsed.width === TILE_WIDTH;
    if (parsed.kind === 'hash') {
      return { body: await this.log.tile(parsed.level, parsed.index, parsed.width, head), contentType: 'application/octet-stream', immutable };
    }
    const entries = await this.log.store.readEntries(this.log.id, parsed.index * TILE_WIDTH, parsed.width);
    if (entries.length !== parsed.width) {
      throw new KeylessError('ERR_STORE', `entry bundle ${path} is incomplete in storage (${entries.length} of ${parsed.width} entries)`);
    }
    return { body: encodeEntryBundle(entries.map((e) => e.body)), contentType: 'application/octet-stream', immutable };
  }
}

/** `kind` and `apiVersion` of a stored canonical body; the log wrote it, so anything else is a storage fault (ERR_STORE). */
export function kindVersionOf(body: Uint8Array): { kind: string; version: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch (cause) {
    throw new KeylessError('ERR_STORE', 'a stored entry body is not JSON', {}, { cause });
  }
  const { kind, apiVersion } = (parsed ?? {}) as { kind?: unknown; apiVersion?: unknown };
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') throw new KeylessError('ERR_STORE', 'a stored entry body has no kind and apiVersion');
  return { kind, version: apiVersion };
}
