/**
 * Memory: W3 run again and again on one long-lived orchestrator (default `MemoryStore`), as a service would;
 * RSS after a full GC (this child runs with --expose-gc) at the start, at checkpoints, and at the end. The goal is
 * 10,000 runs; the loop also stops at a time budget (`ONEX_BENCH_MEMORY_BUDGET_S`, default 150 s) so the whole
 * bench stays near 10 minutes while onex is slow, and says how many runs it did.
 * @module
 */

import type { StepFn } from '../engines/engine.js';
import { onex } from '../engines/onex.js';
import { collectGarbage } from '../lib/gc.js';
import type { ResultRow } from '../lib/protocol.js';
import { Recorder, verifyRun } from '../lib/recorder.js';
import { round, stepDag } from './steps.js';

export const MEMORY_RUNS = 10_000;
export const MEMORY_GOAL_MB = 50;
/**
 * Runs before the baseline is read: at least 20 and 2 s, like every workload's warm-up (bounded by time). In its first
 * thousand runs V8 sizes its young generation for the allocation rate (up to 2 × 16 MB of semi-spaces, committed
 * and kept after a full GC) and compiles the run path; a baseline read before that counted the heap's own sizing —
 * 5 to 59 MB from one invocation to the next, for the same code — as growth. What is measured after it is what a
 * leak would show: growth over the 10,000 runs that follow.
 */
const WARMUP_MIN_RUNS = 20;
const WARMUP_MIN_MS = 2000;
const CHECKPOINTS = 8;

function rssAfterGcMb(): number {
  collectGarbage();
  return process.memoryUsage.rss() / 1e6;
}

export async function runMemoryWorkload(): Promise<ResultRow> {
  const budgetMs = 1000 * Number(process.env.ONEX_BENCH_MEMORY_BUDGET_S ?? 150);
  const dag = stepDag('W3');
  const rec = new Recorder(dag.size);
  const step: StepFn = async (i) => {
    rec.start(i);
    rec.end(i);
  };
  const prepared = await onex.prepare(dag, step, {});
  if ('unsupported' in prepared) throw new Error(prepared.unsupported);
  const runOnce = async () => {
    rec.reset();
    await prepared.run();
    const problem = verifyRun(dag, rec);
    if (problem) throw new Error(`verification failed: ${problem}`);
  };
  let warmups = 0;
  const warmupStarted = performance.now();
  while (warmups < WARMUP_MIN_RUNS || performance.now() - warmupStarted < WARMUP_MIN_MS) {
    await runOnce();
    warmups++;
  }
  const baseline = rssAfterGcMb();
  const checkpoints: string[] = [];
  const started = performance.now();
  let runs = 0;
  const every = MEMORY_RUNS / CHECKPOINTS;
  let nextCheckpoint = performance.now() + budgetMs / CHECKPOINTS;
  while (runs < MEMORY_RUNS && performance.now() - started < budgetMs) {
    await runOnce();
    runs++;
    // Checkpoints every 1/8 of the runs or of the budget, whichever comes first.
    if (runs % every === 0 || performance.now() >= nextCheckpoint) {
      checkpoints.push(`${runs}:${Math.round(rssAfterGcMb() - baseline)}`);
      nextCheckpoint = performance.now() + budgetMs / CHECKPOINTS;
    }
  }
  const elapsedMs = performance.now() - started;
  const growth = rssAfterGcMb() - baseline;
  return {
    workload: 'MEM',
    engine: 'onex',
    label: 'onex (memory), one orchestrator',
    status: 'ok',
    steps: dag.size,
    warmups,
    runs,
    verifiedRuns: runs + warmups,
    perStepUs: (1000 * elapsedMs) / runs / dag.size,
    extra: {
      meanRunMs: round(elapsedMs / runs, 2),
      targetRuns: MEMORY_RUNS,
      completedRuns: runs,
      baselineRssMb: round(baseline, 1),
      rssGrowthMb: round(growth, 1),
      growthPerRunKb: round((1000 * growth) / runs, 1),
      checkpointsRunsToMb: checkpoints.join(' '),
      stoppedBy: runs >= MEMORY_RUNS ? 'runs' : 'time budget',
    },
  };
}
