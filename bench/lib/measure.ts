/**
 * The measuring loop: a warm-up (JIT, caches, lazy initialisation), then measured runs, each verified. Fast
 * workloads get more runs (until `minTotalMs` has been measured), slow ones exactly `minRuns`; never fewer than 5.
 *
 * The warm-up is bounded by time, not by a count: a 0.1 ms run needs thousands of calls before V8 has optimised
 * every function on its path (the first ~100 runs of the B0 chain take up to 15× the steady time), and a 150 ms
 * run needs several calls before its once-per-run code (setup, output) is compiled. Counting runs instead measured
 * fast workloads mid-tiering, with medians that flipped by 10× between invocations.
 * @module
 */

/** Options of `measure`. */
export interface MeasureOptions {
  /** Warm-up runs at least (1) and until `warmupMs` has been spent, at most `maxWarmups`. */
  readonly warmupMs?: number;
  readonly maxWarmups?: number;
  /** Measured runs at least; the issue asks for ≥ 5. */
  readonly minRuns?: number;
  /** Keep measuring until this much time was measured (fast workloads), up to `maxRuns`. */
  readonly minTotalMs?: number;
  readonly maxRuns?: number;
}

/** One timed run: prepares untimed state, runs the timed part, then checks the result (untimed). */
export interface Trial {
  /** Untimed: reset recorders and the like. */
  before?(): void | Promise<void>;
  /** Timed. */
  run(): Promise<void>;
  /** Untimed: throw (or return a message) when the run was wrong. */
  check(): string | null | Promise<string | null>;
}

/** What `measure` returns: the samples and how many warm-ups were done. */
export interface Measured {
  readonly samplesMs: number[];
  readonly warmups: number;
  /** Every run, warm-ups included, passed `check`. */
  readonly verifiedRuns: number;
}

async function once(trial: Trial): Promise<number> {
  await trial.before?.();
  const started = performance.now();
  await trial.run();
  const elapsed = performance.now() - started;
  const problem = await trial.check();
  if (problem) throw new Error(`verification failed: ${problem}`);
  return elapsed;
}

export async function measure(trial: Trial, options: MeasureOptions = {}): Promise<Measured> {
  const { warmupMs = 1000, maxWarmups = 100_000, minRuns = 5, minTotalMs = 1000, maxRuns = 5000 } = options;
  let warmups = 0;
  let warmupSpent = 0;
  do {
    warmupSpent += await once(trial);
    warmups++;
  } while (warmupSpent < warmupMs && warmups < maxWarmups);
  const samplesMs: number[] = [];
  let total = 0;
  while (samplesMs.length < Math.max(5, minRuns) || (total < minTotalMs && samplesMs.length < maxRuns)) {
    const ms = await once(trial);
    samplesMs.push(ms);
    total += ms;
  }
  return { samplesMs, warmups, verifiedRuns: warmups + samplesMs.length };
}
