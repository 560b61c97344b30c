/**
 * The client side of C2SP tlog-witness add-checkpoint: one request to one witness, its answer classified. Used by
 * the log (collector.ts) and by `keyless log audit --push` as a monitor.
 */
import { parseSignedNote } from '../core/note.js';
import { verifyCosignature, type CosignerKey } from '../core/cosignature.js';
import { formatAddCheckpointRequest, parseCosignatureLines, parseTlogSize } from '../core/tlog-witness.js';

export interface WitnessEndpoint {
  /** The policy/flag name of the witness (for status and errors). */
  readonly name: string;
  /** The submission prefix; the request goes to `<url>/add-checkpoint`. */
  readonly url: string;
  readonly key: CosignerKey;
}

export type AddCheckpointOutcome =
  /** 200 with a cosignature by the witness's key that verifies over the checkpoint. */
  | { readonly kind: 'cosigned'; readonly line: string; readonly timestamp: number }
  /** 409: the witness's latest cosigned size is `size`. */
  | { readonly kind: 'conflict'; readonly size: number }
  /** Anything else: a refusal (403/404/422/400), a bad answer, a timeout or an unreachable witness. */
  | { readonly kind: 'failed'; readonly status?: number; readonly message: string };

export interface AddCheckpointOptions {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  /** The log-signed checkpoint note. */
  readonly checkpoint: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

export async function addCheckpoint(witness: WitnessEndpoint, opts: AddCheckpointOptions): Promise<AddCheckpointOutcome> {
  const body = formatAddCheckpointRequest({ oldSize: opts.oldSize, proof: opts.proof, checkpoint: opts.checkpoint });
  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(`${witness.url.replace(/\/+$/, '')}/add-checkpoint`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    return { kind: 'failed', message: e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : `unreachable: ${e.message}` };
  }
  if (res.status === 409) {
    const size = parseTlogSize(text);
    if (size !== undefined) return { kind: 'conflict', size };
    return { kind: 'failed', status: 409, message: 'a 409 without a text/x.tlog.size body' };
  }
  if (res.status !== 200) return { kind: 'failed', status: res.status, message: text.slice(0, 300) };
  // "The client MUST ignore any cosignatures from unknown keys. To parse the response, the client MAY concatenate it
  // to the checkpoint, and use a note verification function configured with the witness keys it trusts."
  try {
    const lines = parseCosignatureLines(text);
    const note = parseSignedNote(opts.checkpoint);
    for (const line of lines) {
      const sig = parseSignedNote(`x\n\n${line}`).signatures[0]!;
      const ok = verifyCosignature(witness.key, note.text, sig);
      if (ok) return { kind: 'cosigned', line, timestamp: ok.timestamp };
    }
    return { kind: 'failed', status: 200, message: 'the answer holds no valid cosignature by the witness key' };
  } catch (err) {
    return { kind: 'failed', status: 200, message: `a malformed answer: ${(err as Error).message}` };
  }
}
