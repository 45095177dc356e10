/**
 * W5, planning only: a 100,000-action layered DAG (100 layers × 1,000, 2 seeded-random dependencies each), one
 * action per step. `onex` times `NodeOrchestrator.plan()` and, in the same process on the same input, the bare
 * Kahn sort (lib/kahn.ts), interleaved run by run; `b0` times the Kahn sort alone. Both report the peak RSS of
 * their first call above the post-GC baseline (run this child with --expose-gc). Every order is checked.
 * @module
 */
import { ModelONEXContainer, NodeOrchestrator } from '../../dist/index.js';
import { onexInput } from '../engines/onex.js';
import { layered } from '../lib/dag.js';
import { collectGarbage } from '../lib/gc.js';
import { checkOrder, kahnOrder } from '../lib/kahn.js';
import { measure } from '../lib/measure.js';
import type { ResultRow } from '../lib/protocol.js';
import { summarize } from '../lib/stats.js';
import { round } from './steps.js';

export const W5_LAYERS = 100;
export const W5_WIDTH = 1000;

/** Peak RSS (MB) reached while `fn` ran, above the RSS just before it. */
function peakRssGrowthMb(fn: () => void): number {
  collectGarbage();
  const before = process.memoryUsage.rss();
  fn();
  // maxRSS is the process high-water mark in KiB; this child did nothing bigger before.
  return (process.resourceUsage().maxRSS * 1024 - before) / 1e6;
}

export async function runPlanWorkload(engineId: 'b0' | 'onex'): Promise<ResultRow> {
  const dag = layered(W5_LAYERS, W5_WIDTH, 2, 5);
  const input = onexInput(dag, 1000);
  const steps = input.steps;
  const orchestrator = new NodeOrchestrator(new ModelONEXContainer());
  const base = { workload: 'W5' as const, engine: engineId, steps: dag.size };

  // Timed: the sort (or the plan) alone. Checked afterwards, untimed: every step once, dependencies first.
  let kahnResult: Int32Array = new Int32Array(0);
  const kahn = () => {
    kahnResult = kahnOrder(steps);
  };
  const checkKahn = () => checkOrder(steps, kahnResult);
  if (engineId === 'b0') {
    const peak = peakRssGrowthMb(kahn);
    const measured = await measure({ run: async () => kahn(), check: checkKahn }, { warmupMs: 200 });
    const summary = summarize(measured.samplesMs);
    return {
      ...base,
      variant: 'kahn',
      label: 'B0 (bare Kahn sort)',
      status: 'ok',
      warmups: measured.warmups + 1,
      verifiedRuns: measured.verifiedRuns,
      ...summary,
      perStepUs: (1000 * summary.medianMs) / dag.size,
      extra: { peakRssMb: round(peak, 1) },
    };
  }

  const position = new Map<string, number>(steps.map((s, i) => [s.stepId, i]));
  let planned: ReturnType<NodeOrchestrator['plan']> | null = null;
  const plan = () => {
    planned = orchestrator.plan(input);
  };
  const checkPlan = (): string | null => {
    if (!planned) return 'no plan';
    const { order, actionsEmitted } = planned;
    planned = null;
    if (actionsEmitted.length !== dag.size) return `plan emitted ${actionsEmitted.length} of ${dag.size} actions`;
    return checkOrder(
      steps,
      order.map((id) => position.get(id)!),
    );
  };
  const peak = peakRssGrowthMb(plan);
  const first = checkPlan();
  if (first) throw new Error(`verification failed: ${first}`);
  // Kahn runs right after each plan (untimed for the plan, timed on its own) so both see the same heap and machine.
  const kahnSamples: number[] = [];
  const measured = await measure(
    {
      run: async () => plan(),
      check: () => {
        const problem = checkPlan();
        if (problem) return problem;
        const started = performance.now();
        kahn();
        kahnSamples.push(performance.now() - started);
        return checkKahn();
      },
    },
    { warmupMs: 0, minTotalMs: 0 },
  );
  const summary = summarize(measured.samplesMs);
  const kahnMedian = summarize(kahnSamples.slice(measured.warmups)).medianMs;
  return {
    ...base,
    variant: 'plan',
    label: 'onex plan()',
    status: 'ok',
    warmups: measured.warmups + 1,
    verifiedRuns: measured.verifiedRuns + 1,
    ...summary,
    perStepUs: (1000 * summary.medianMs) / dag.size,
    extra: {
      peakRssMb: round(peak, 1),
      kahnMedianMs: round(kahnMedian, 3),
      planOverKahn: round(summary.medianMs / kahnMedian, 1),
    },
  };
}
