/**
 * Rekor v1's REST API (openapi.yaml of sigstore/rekor) over one TransparencyLog: the JSON shapes exactly as
 * upstream returns them, so cosign and sigstore-js talk to it unchanged. HTTP-free: the server maps these calls to
 * routes and KeylessError codes to statuses.
 */
import { canonicalize } from '../core/canonical-json.js';
import { base64Encode, hexDecode, hexEncode, pemEncode, utf8Encode } from '../core/encoding.js';
import { KeylessError } from '../core/errors.js';
import { sha256 } from '../core/keys.js';
import { leafHash } from '../core/merkle.js';
import { canonicalizeV1Entry } from './kinds/index.js';
import { objectOf, parseIndexQuery, searchLog } from './search.js';
import type { Sequenced, TransparencyLog } from './log.js';
import type { StoredEntry } from './store/types.js';

/** Rekor's LogEntryAnon, keyed by entry UUID in every response. */
export interface RekorV1Entry {
  /** dsse/intoto entries whose statement was kept: base64 of the DSSE payload. First, where Rekor's JSON puts it. */
  attestation?: { data: string };
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp: string;
  };
}

export interface RekorV1LogInfo {
  rootHash: string;
  treeSize: number;
  signedTreeHead: string;
  treeID: string;
  inactiveShards: never[];
}

/** Rekor refuses more than this many UUIDs/indexes/entries in one retrieve call; so do we. */
export const MAX_RETRIEVE = 10;

export class RekorV1Api {
  readonly log: TransparencyLog;
  /** Trillian tree ID (decimal), the prefix of every entry UUID and the suffix of the checkpoint origin. */
  readonly treeId: string;
  readonly #treeIdHex: string;
  readonly #logIdHex: string;

  constructor(log: TransparencyLog, treeId: string) {
    if (!/^[1-9][0-9]{0,18}$/.test(treeId) || BigInt(treeId) > 0x7fffffffffffffffn) throw new TypeError('tree ID must be a positive int64');
    this.log = log;
    this.treeId = treeId;
    this.#treeIdHex = BigInt(treeId).toString(16).padStart(16, '0');
    this.#logIdHex = hexEncode(sha256(log.signer.spki));
  }

  /** POST /api/v1/log/entries. Returns the UUID (for the Location header) and the body to send with 201. */
  async createEntry(proposed: unknown): Promise<{ uuid: string; response: Record<string, RekorV1Entry> }> {
    const entry = canonicalizeV1Entry(proposed);
    const sequenced = await this.log.submit({
      body: entry.body,
      searchKeys: entry.searchKeys,
      ...(entry.attestation !== undefined && { attestation: entry.attestation }),
    });
    const uuid = this.uuid(sequenced.entry);
    if (!sequenced.created) {
      // Rekor answers a repeat with 409 and the existing entry's location.
      throw new KeylessError('ERR_ENTRY_EXISTS', `an equivalent entry already exists in the transparency log with UUID ${uuid}`, {
        uuid,
        logIndex: sequenced.entry.index,
        location: `/api/v1/log/entries/${uuid}`,
      });
    }
    return { uuid, response: { [uuid]: this.#anon(sequenced) } };
  }

  /** GET /api/v1/log */
  async logInfo(): Promise<RekorV1LogInfo> {
    const head = await this.log.head();
    return { rootHash: hexEncode(head.rootHash), treeSize: head.size, signedTreeHead: head.checkpoint, treeID: this.treeId, inactiveShards: [] };
  }

  /** GET /api/v1/log/entries?logIndex=N */
  async entryByIndex(logIndex: number): Promise<Record<string, RekorV1Entry>> {
    if (!Number.isSafeInteger(logIndex) || logIndex < 0) throw new KeylessError('ERR_REQUEST', 'logIndex must be a non-negative integer');
    return this.#withProof(await this.log.entry(logIndex));
  }

  /** GET /api/v1/log/entries/{entryUUID}: accepts the 64-hex leaf hash or the 80-hex tree ID + leaf hash. */
  async entryByUuid(uuid: string): Promise<Record<string, RekorV1Entry>> {
    return this.#withProof(await this.log.entryByLeafHash(this.#leafHashOf(uuid)));
  }

  /** POST /api/v1/log/entries/retrieve: `{entryUUIDs?, logIndexes?, entries?}`; what is not found is left out. */
  async retrieve(request: unknown): Promise<Record<string, RekorV1Entry>[]> {
    const req = objectOf(request, 'search request');
    const uuids = stringList(req['entryUUIDs'], 'entryUUIDs');
    const indexes = (req['logIndexes'] === undefined ? [] : listOf(req['logIndexes'], 'logIndexes')).map((v, i) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new KeylessError('ERR_REQUEST', `logIndexes[${i}] must be a non-negative integer`);
      return v;
    });
    const proposed = req['entries'] === undefined ? [] : listOf(req['entries'], 'entries');
    if (uuids.length + indexes.length + proposed.length > MAX_RETRIEVE) {
      throw new KeylessError('ERR_REQUEST', `at most ${MAX_RETRIEVE} UUIDs, indexes and entries may be retrieved at once`);
    }
    const out: Record<string, RekorV1Entry>[] = [];
    const found = async (lookup: () => Promise<StoredEntry>): Promise<void> => {
      try {
        out.push(await this.#withProof(await lookup()));
      } catch (err) {
        if (!(err instanceof KeylessError && err.code === 'ERR_NOT_FOUND')) throw err;
      }
    };
    for (const uuid of uuids) await found(() => this.log.entryByLeafHash(this.#leafHashOf(uuid)));
    for (const index of indexes) await found(() => this.log.entry(index));
    for (const p of proposed) {
      const body = canonicalizeV1Entry(p).body;
      await found(() => this.log.entryByLeafHash(leafHash(body)));
    }
    return out;
  }

  /** GET /api/v1/log/proof?firstSize=&lastSize= */
  async consistencyProof(firstSize: number, lastSize: number): Promise<{ rootHash: string; hashes: string[] }> {
    const head = await this.log.head();
    if (!Number.isSafeInteger(firstSize) || firstSize < 1) throw new KeylessError('ERR_REQUEST', 'firstSize must be an integer of at least 1');
    if (!Number.isSafeInteger(lastSize) || lastSize < firstSize) throw new KeylessError('ERR_REQUEST', 'lastSize must be an integer no smaller than firstSize');
    if (lastSize > head.size) throw new KeylessError('ERR_REQUEST', `lastSize ${lastSize} is beyond the tree size ${head.size}`);
    const { proof, rootHash } = await this.log.consistencyProof(firstSize, lastSize);
    return { rootHash: hexEncode(rootHash), hashes: proof.map(hexEncode) };
  }

  /** POST /api/v1/index/retrieve: an index query (search.ts) → entry UUIDs. */
  async searchIndex(request: unknown, limit = 1000): Promise<string[]> {
    const indexes = await searchLog(this.log, parseIndexQuery(request), limit);
    const entries = await Promise.all(indexes.map((i) => this.log.entry(i)));
    return entries.map((e) => this.uuid(e));
  }

  /** GET /api/v1/log/publicKey: the log's public key as PEM. */
  publicKeyPem(): string {
    return pemEncode(this.log.signer.spki, 'PUBLIC KEY');
  }

  uuid(entry: StoredEntry): string {
    return this.#treeIdHex + hexEncode(entry.leafHash);
  }

  async #withProof(entry: StoredEntry): Promise<Record<string, RekorV1Entry>> {
    const head = await this.log.head();
    const inclusionProof = await this.log.inclusionProof(entry, head);
    return { [this.uuid(entry)]: this.#anon({ created: false, entry, head, inclusionProof }) };
  }

  #anon({ entry, head, inclusionProof }: Sequenced): RekorV1Entry {
    const body = base64Encode(entry.body);
    // The SET is the log's signature over the canonical JSON of these four fields (Rekor's verifyTLogEntryOffline).
    const set = this.log.signer.sign(utf8Encode(canonicalize({ body, integratedTime: entry.integratedTime, logID: this.#logIdHex, logIndex: entry.index })));
    return {
      // Not covered by the SET or the leaf: a reader checks it against the body's payloadHash.
      ...(entry.attestation !== undefined && { attestation: { data: base64Encode(entry.attestation) } }),
      body,
      integratedTime: entry.integratedTime,
      logID: this.#logIdHex,
      logIndex: entry.index,
      verification: {
        inclusionProof: {
          checkpoint: head.checkpoint,
          hashes: inclusionProof.map(hexEncode),
          logIndex: entry.index,
          rootHash: hexEncode(head.rootHash),
          treeSize: head.size,
        },
        signedEntryTimestamp: base64Encode(set),
      },
    };
  }

  #leafHashOf(uuid: string): Uint8Array {
    if (typeof uuid !== 'string' || !/^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/.test(uuid)) {
      throw new KeylessError('ERR_REQUEST', 'an entry UUID is 64 hex digits (leaf hash) or 80 (tree ID and leaf hash)');
    }
    if (uuid.length === 80 && uuid.slice(0, 16).toLowerCase() !== this.#treeIdHex) {
      throw new KeylessError('ERR_NOT_FOUND', `entry UUID ${uuid} names tree ${uuid.slice(0, 16)}, not this log's tree ${this.#treeIdHex}`);
    }
    return hexDecode(uuid.slice(-64).toLowerCase());
  }
}

function listOf(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new KeylessError('ERR_REQUEST', `${what} must be an array`);
  return value;
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  return listOf(value, what).map((v, i) => {
    if (typeof v !== 'string') throw new KeylessError('ERR_REQUEST', `${what}[${i}] must be a string`);
    return v;
  });
}
