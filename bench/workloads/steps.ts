/**
 * W1–W4: a DAG of steps run by one engine. W1 chain of 1,000; W2 fan-out/fan-in 1 → 1,000 → 1; W3 20 layers × 50,
 * each step depending on 2 seeded-random steps of the layer before; W4 = W3 with each step awaiting a 1 ms timer
 * under a concurrency limit of 8, reported as makespan / ideal, where ideal = max(critical path, work / 8) × the
 * timer cost measured in this process.
 * @module
 */
import type { Engine, StepFn } from '../engines/engine.js';
import { chain, criticalPathSteps, type Dag, fanOutIn, layered } from '../lib/dag.js';
import { measure } from '../lib/measure.js';
import type { ResultRow, WorkloadId } from '../lib/protocol.js';
import { Recorder, verifyRun } from '../lib/recorder.js';
import { median, summarize } from '../lib/stats.js';
import { measureTimerCostMs, timerStep } from '../lib/timer.js';

export const W3_SEED = 42;
export const W4_CONCURRENCY = 8;

/** The DAG of a step workload. */
export function stepDag(workload: 'W1' | 'W2' | 'W3' | 'W4'): Dag {
  switch (workload) {
    case 'W1':
      return chain(1000);
    case 'W2':
      return fanOutIn(1000);
    default:
      return layered(20, 50, 2, W3_SEED);
  }
}

export function isStepWorkload(w: WorkloadId): w is 'W1' | 'W2' | 'W3' | 'W4' {
  return w === 'W1' || w === 'W2' || w === 'W3' || w === 'W4';
}

/** Run one step workload on one engine: warm-up, measured runs, each verified. */
export async function runStepWorkload(workload: 'W1' | 'W2' | 'W3' | 'W4', engine: Engine): Promise<ResultRow> {
  const dag = stepDag(workload);
  const timed = workload === 'W4';
  const rec = new Recorder(dag.size);
  // W4 also times the run's edges: from run() to the first step, from the last step to run() resolving.
  const edges = {
    runStart: 0,
    firstStart: 0,
    lastEnd: 0,
    runEnd: 0,
    startLatency: [] as number[],
    tail: [] as number[],
  };
  const step: StepFn = timed
    ? async (i) => {
        if (edges.firstStart === 0) edges.firstStart = performance.now();
        rec.start(i);
        await timerStep();
        rec.end(i);
        edges.lastEnd = performance.now();
      }
    : async (i) => {
        rec.start(i);
        rec.end(i);
      };
  const concurrency = timed ? W4_CONCURRENCY : undefined;
  const base = { workload, engine: engine.id, label: engine.label, steps: dag.size };
  const prepared = await engine.prepare(dag, step, { concurrency });
  if ('unsupported' in prepared) return { ...base, status: 'n/a', reason: prepared.unsupported };
  const timerCostMs = timed ? await measureTimerCostMs() : 0;
  const measured = await measure({
    before: () => {
      rec.reset();
      edges.firstStart = 0;
      edges.runStart = performance.now();
    },
    run: prepared.run,
    check: () => {
      if (timed) {
        edges.runEnd = performance.now();
        edges.startLatency.push(edges.firstStart - edges.runStart);
        edges.tail.push(edges.runEnd - edges.lastEnd);
      }
      return verifyRun(dag, rec, concurrency);
    },
  });
  const summary = summarize(measured.samplesMs);
  const row: ResultRow = {
    ...base,
    status: 'ok',
    warmups: measured.warmups,
    verifiedRuns: measured.verifiedRuns,
    ...summary,
    perStepUs: (1000 * summary.medianMs) / dag.size,
  };
  if (!timed) return row;
  const criticalPath = criticalPathSteps(dag);
  const idealTimers = Math.max(criticalPath, dag.size / W4_CONCURRENCY);
  const idealMs = idealTimers * timerCostMs;
  return {
    ...row,
    extra: {
      concurrency: W4_CONCURRENCY,
      criticalPathSteps: criticalPath,
      idealTimers,
      timerCostMs: round(timerCostMs, 4),
      idealMs: round(idealMs, 2),
      makespanOverIdeal: round(summary.medianMs / idealMs, 3),
      // Medians over the measured runs (the last ones; warm-ups come first): time before the first step started
      // and after the last one ended.
      startLatencyMs: round(median(edges.startLatency.slice(-measured.samplesMs.length)), 2),
      tailMs: round(median(edges.tail.slice(-measured.samplesMs.length)), 2),
    },
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
