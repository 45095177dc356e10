/**
 * What every engine's node callback writes: when each step started and ended, on one global sequence. After a run,
 * `verifyRun` checks that every step ran exactly once and after all of its dependencies had ended, so a fast but
 * wrong engine (or a wrong adapter) cannot produce a number.
 * @module
 */
import type { Dag } from './dag.js';

/** Start/end sequence numbers and call counts per step; typed arrays so recording costs next to nothing. */
export class Recorder {
  readonly calls: Int32Array;
  readonly started: Int32Array;
  readonly ended: Int32Array;
  /** Most steps between start and end at once (W4 checks the engine honoured its concurrency bound). */
  peakInFlight = 0;
  private inFlight = 0;
  private seq = 0;

  constructor(readonly size: number) {
    this.calls = new Int32Array(size);
    this.started = new Int32Array(size);
    this.ended = new Int32Array(size);
  }

  start(step: number): void {
    this.calls[step]!++;
    this.started[step] = ++this.seq;
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
  }

  end(step: number): void {
    this.ended[step] = ++this.seq;
    this.inFlight--;
  }

  reset(): void {
    this.calls.fill(0);
    this.started.fill(0);
    this.ended.fill(0);
    this.seq = 0;
    this.inFlight = 0;
    this.peakInFlight = 0;
  }
}

/**
 * The first violation found, or null when every step ran once, after its dependencies ended, and never more than
 * `maxInFlight` at a time (when given).
 */
export function verifyRun(dag: Dag, rec: Recorder, maxInFlight?: number): string | null {
  if (rec.size !== dag.size) return `recorder has ${rec.size} steps, the DAG ${dag.size}`;
  if (maxInFlight !== undefined && rec.peakInFlight > maxInFlight) {
    return `${rec.peakInFlight} steps ran at once, over the bound of ${maxInFlight}`;
  }
  for (let i = 0; i < dag.size; i++) {
    const calls = rec.calls[i]!;
    if (calls !== 1) return `step ${i} ran ${calls} times (expected exactly once)`;
    if (rec.ended[i] === 0) return `step ${i} started but never ended`;
    for (const d of dag.deps[i]!) {
      if (rec.ended[d]! > rec.started[i]!) return `step ${i} started before its dependency ${d} ended`;
    }
  }
  return null;
}
