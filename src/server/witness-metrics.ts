/**
 * Witnessing in Prometheus terms, on an instance's registry (metrics.ts): for a log that collects cosignatures, how
 * many the last published checkpoint carries against the quorum, and each witness's answers; for a witness, the
 * add-checkpoint outcomes.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CollectorStatus } from '../witness/collector.js';

export interface LogWitnessing {
  readonly log: string;
  status(): CollectorStatus;
}

/** Gauges read at scrape time, and an observer for each witness request's outcome. */
export function watchWitnessing(registry: Registry, source: () => readonly LogWitnessing[]): (log: string) => (witness: string, outcome: string) => void {
  new Gauge({ name: 'keyless_witness_cosignatures', help: 'Witness cosignatures on the last published checkpoint', labelNames: ['log'] as const, registers: [registry], collect() {
    for (const l of source()) this.set({ log: l.log }, l.status().published?.cosignatures ?? 0);
  } });
  new Gauge({ name: 'keyless_witness_quorum', help: 'Cosignatures the log waits for before publishing a checkpoint', labelNames: ['log'] as const, registers: [registry], collect() {
    for (const l of source()) this.set({ log: l.log }, l.status().quorum);
  } });
  new Gauge({ name: 'keyless_witness_quorum_met', help: '1 if the last published checkpoint carries the quorum of cosignatures', labelNames: ['log'] as const, registers: [registry], collect() {
    for (const l of source()) this.set({ log: l.log }, l.status().quorumMet ? 1 : 0);
  } });
  new Gauge({ name: 'keyless_witness_cosigned_size', help: 'Tree size each witness last cosigned for the log', labelNames: ['log', 'witness'] as const, registers: [registry], collect() {
    for (const l of source()) for (const w of l.status().witnesses) this.set({ log: l.log, witness: w.name }, w.cosignedSize ?? 0);
  } });
  const requests = new Counter({ name: 'keyless_witness_requests_total', help: 'add-checkpoint requests the log made, by witness and outcome', labelNames: ['log', 'witness', 'outcome'] as const, registers: [registry] });
  return (log) => (witness, outcome) => requests.inc({ log, witness, outcome });
}

/** For a witness: add-checkpoint answers by log and outcome. */
export function witnessRequestCounter(registry: Registry): (outcome: { origin?: string; status: string }) => void {
  const counter = new Counter({ name: 'keyless_witness_add_checkpoint_total', help: 'add-checkpoint requests this witness answered, by outcome', labelNames: ['origin', 'outcome'] as const, registers: [registry] });
  // An unknown or unparsable origin is the caller's text: not a label (unbounded label sets).
  return (o) => counter.inc({ origin: o.status === 'unknown-log' || o.status === 'bad-request' ? '' : (o.origin ?? ''), outcome: o.status });
}
