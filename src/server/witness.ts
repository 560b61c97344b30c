/**
 * A witness from a data directory: its Ed25519 cosigning key (`keys/witness.pem`, made on first start), its state
 * (`witness/state.sqlite`), and the logs it follows (a config file of tlog-policy `log` lines). The key is written
 * only after its state file exists, so a key on disk without a state file means the state was lost, and the
 * witness refuses to start (ERR_WITNESS_STATE) unless `resetStateUnsafe` (see witness/state.ts).
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createCosigner, ed25519RawPublicKey } from '../core/cosignature.js';
import { parseWitnessConfig } from '../witness/config.js';
import { openWitnessState } from '../witness/state.js';
import { Witness, type WitnessOptions } from '../witness/witness.js';
import { dataPath, ensureDir, ensureFile } from './data-dir.js';

export interface WitnessInstanceOptions {
  readonly dataDir: string;
  /** The witness's key name: a schema-less URL that identifies it (tlog-cosignature). */
  readonly name: string;
  /** Text of the config file: `log <vkey> [<url>]` lines. */
  readonly config: string;
  readonly configLabel?: string;
  readonly resetStateUnsafe?: boolean;
  readonly now?: () => number;
  readonly onRequest?: WitnessOptions['onRequest'];
}

export interface WitnessInstance {
  readonly witness: Witness;
  close(): void;
}

export function openWitnessInstance(opts: WitnessInstanceOptions): WitnessInstance {
  const logs = parseWitnessConfig(opts.config, opts.configLabel);
  const keyPath = dataPath(opts.dataDir, 'keys', 'witness.pem');
  ensureDir(dataPath(opts.dataDir, 'witness'));
  const keyIsNew = !existsSync(keyPath);
  const pem = keyIsNew ? generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() : undefined;
  const key = createPrivateKey(pem ?? readFileSync(keyPath, 'utf8'));
  const state = openWitnessState({
    path: dataPath(opts.dataDir, 'witness', 'state.sqlite'),
    publicKey: ed25519RawPublicKey(key),
    keyIsNew,
    ...(opts.resetStateUnsafe === true ? { resetStateUnsafe: true } : {}),
  });
  // The state exists (bound to this key) before the key is placed: see the file comment.
  const placed = pem === undefined ? key : createPrivateKey(ensureFile(keyPath, () => pem));
  const cosigner = createCosigner(opts.name, placed);
  writeFileSync(dataPath(opts.dataDir, 'witness.vkey'), `${cosigner.vkey}\n`);
  const witness = new Witness({ cosigner, logs, state, ...(opts.now ? { now: opts.now } : {}), ...(opts.onRequest ? { onRequest: opts.onRequest } : {}) });
  return { witness, close: () => state.close() };
}
