/**
 * What a child process reports to the runner: one result row per (workload, engine[, variant]), printed as one
 * marked JSON line on stdout so engine chatter on stdout cannot be mistaken for it.
 * @module
 */

export const RESULT_MARKER = '@@onex-bench-result@@';

export const WORKLOAD_IDS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'MEM'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export function isWorkloadId(value: string): value is WorkloadId {
  return (WORKLOAD_IDS as readonly string[]).includes(value);
}

/** One line of the results table. */
export interface ResultRow {
  readonly workload: WorkloadId;
  readonly engine: string;
  /** Sub-case of the pair: `sqlite`, `batch`, `kahn`, … */
  readonly variant?: string;
  readonly label: string;
  readonly status: 'ok' | 'n/a' | 'error';
  /** Why n/a, or the error. */
  readonly reason?: string;
  /** Steps (or actions) per run. */
  readonly steps?: number;
  readonly warmups?: number;
  readonly runs?: number;
  /** Runs (warm-ups included) whose every step was checked: ran once, in dependency order. */
  readonly verifiedRuns?: number;
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly madPct?: number;
  readonly samplesMs?: readonly number[];
  readonly perStepUs?: number;
  /** Workload-specific measurements (makespan / ideal, peak RSS, bytes per action, …). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

/** Print `row` for the runner (the child's only protocol output). */
export function emitRow(row: ResultRow): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(row)}\n`);
}

/** The rows found in a child's stdout. */
export function parseRows(stdout: string): ResultRow[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(RESULT_MARKER))
    .map((line) => JSON.parse(line.slice(RESULT_MARKER.length)) as ResultRow);
}
