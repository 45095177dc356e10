/**
 * Summaries of measured runs: the median (robust to a GC pause in one run) and the spread around it.
 * @module
 */

/** What the table and the JSON report for a set of samples. */
export interface Summary {
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Median absolute deviation as a percentage of the median: the "±" of the table. */
  readonly madPct: number;
  readonly samplesMs: readonly number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samplesMs: readonly number[]): Summary {
  const med = median(samplesMs);
  const mad = median(samplesMs.map((v) => Math.abs(v - med)));
  return {
    runs: samplesMs.length,
    medianMs: med,
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    madPct: med > 0 ? (100 * mad) / med : 0,
    samplesMs: samplesMs.map((v) => Math.round(v * 1000) / 1000),
  };
}
