// A toy log for witness tests: leaves in memory, RFC 6962 roots and consistency proofs, checkpoints signed with an
// Ed25519 note key (the way keyless's Rekor v2 log signs them), and the witness config line that trusts it.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { formatCheckpoint } from '../../../src/core/checkpoint.js';
import { noteVerifierFromVkey, noteVkey } from '../../../src/core/cosignature.js';
import { leafHash, rootFromLeaves } from '../../../src/core/merkle.js';
import { signNote } from '../../../src/core/note.js';

export class ToyLog {
  readonly origin: string;
  readonly key: KeyObject;
  readonly vkey: string;
  readonly leaves: Uint8Array[] = [];

  constructor(origin = 'example.com/toy-log', key: KeyObject = generateKeyPairSync('ed25519').privateKey) {
    this.origin = origin;
    this.key = key;
    this.vkey = noteVkey(origin, key);
  }

  /** A copy with the same origin, key and leaves: append different leaves to each to fork. */
  fork(): ToyLog {
    const other = new ToyLog(this.origin, this.key);
    other.leaves.push(...this.leaves);
    return other;
  }

  append(n: number, tag = 'leaf'): this {
    for (let i = 0; i < n; i++) this.leaves.push(leafHash(Buffer.from(`${tag} ${this.leaves.length}`)));
    return this;
  }

  get size(): number {
    return this.leaves.length;
  }

  root(size = this.size): Uint8Array {
    return rootFromLeaves(this.leaves.slice(0, size));
  }

  checkpoint(size = this.size, signer: KeyObject = this.key): string {
    const text = formatCheckpoint({ origin: this.origin, size, rootHash: this.root(size), extensions: [] });
    const hint = noteVerifierFromVkey(noteVkey(this.origin, signer)).keyHint;
    return signNote(text, [{ name: this.origin, keyHint: hint, sign: (m) => new Uint8Array(sign(null, m, signer)) }]);
  }

  /** RFC 6962 §2.1.2 PROOF(m, D[n]). */
  proof(m: number, n = this.size): Uint8Array[] {
    const sub = (m: number, d: Uint8Array[], b: boolean): Uint8Array[] => {
      if (m === d.length) return b ? [] : [rootFromLeaves(d)];
      let k = 1;
      while (k * 2 < d.length) k *= 2;
      return m <= k ? [...sub(m, d.slice(0, k), b), rootFromLeaves(d.slice(k))] : [...sub(m - k, d.slice(k), false), rootFromLeaves(d.slice(0, k))];
    };
    return m === 0 || m >= n ? [] : sub(m, this.leaves.slice(0, n), true);
  }

  request(oldSize: number, size = this.size, checkpoint = this.checkpoint(size)): string {
    const proof = oldSize === 0 || oldSize === size ? [] : this.proof(oldSize, size);
    return `old ${oldSize}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${checkpoint}`;
  }

  configLine(): string {
    return `log ${this.vkey}\n`;
  }
}
