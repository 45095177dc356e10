// PARALLEL and SEQUENTIAL scheduling, observed from inside the nodes: real overlap, the maxParallelSteps bound,
// planned order, and no wave barrier (a step starts as soon as its own dependencies end).
import { describe, expect, it } from 'vitest';
import { EnumWorkflowState, type NodeContext } from '../../../src/index.js';
import {
  asInput,
  fastOrchestrator,
  oneActionStep,
  overlaps,
  quietContainer,
  Recorder,
  sleep,
  type TestStep,
} from './support.js';

/** A container with node `work`: sleeps `operationData.ms` and records its interval under the step name. */
function setup() {
  const container = quietContainer();
  const recorder = new Recorder();
  container.registerNode('work', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) =>
    recorder.track(ctx.stepName, async () => {
      await sleep(Number(data.ms ?? 20));
      return { step: ctx.stepName };
    }),
  );
  return { container, recorder, orchestrator: fastOrchestrator(container) };
}

const independent = (n: number, ms = 20): TestStep[] =>
  Array.from({ length: n }, (_, i) => oneActionStep(`s${i}`, 'work', { operationData: { ms } }));

describe('PARALLEL execution', () => {
  it('really overlaps independent actions', async () => {
    const { orchestrator, recorder } = setup();
    const out = await orchestrator.process({
      executionMode: 'parallel',
      maxParallelSteps: 3,
      steps: asInput(independent(3, 40)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    const [a, b, c] = ['s0', 's1', 's2'].map((n) => recorder.interval(n));
    expect(overlaps(a!, b!)).toBe(true);
    expect(overlaps(a!, c!)).toBe(true);
    expect(overlaps(b!, c!)).toBe(true);
    expect(recorder.peak).toBe(3);
    expect(out.peakConcurrency).toBe(3);
  });

  for (const limit of [1, 2, 3]) {
    it(`keeps at most maxParallelSteps=${limit} of 10 independent actions in flight, and reports that peak`, async () => {
      const { orchestrator, recorder } = setup();
      const out = await orchestrator.process({
        executionMode: 'parallel',
        maxParallelSteps: limit,
        steps: asInput(independent(10, 15)),
      });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      expect(out.stepsCompleted).toBe(10);
      expect(recorder.intervals).toHaveLength(10);
      // The bound is reached (10 ready actions) and never exceeded, as counted by the nodes themselves.
      expect(recorder.peak).toBe(limit);
      expect(out.peakConcurrency).toBe(recorder.peak);
      expect(out.parallelExecutions).toBe(10);
      // Independent check on the recorded intervals: at no start instant were more than `limit` calls open.
      for (const i of recorder.intervals) {
        const open = recorder.intervals.filter((j) => j.start <= i.start && i.start < j.end).length;
        expect(open).toBeLessThanOrEqual(limit);
      }
    });
  }

  it('starts a step as soon as its own dependencies end (no wave barrier)', async () => {
    const { orchestrator, recorder } = setup();
    const slow = oneActionStep('slow', 'work', { operationData: { ms: 150 } });
    const fast = oneActionStep('fast', 'work', { operationData: { ms: 5 } });
    const next = oneActionStep('after_fast', 'work', { operationData: { ms: 5 }, dependencies: [fast.actionId] });
    const input = { executionMode: 'parallel' as const, maxParallelSteps: 3, steps: asInput([slow, fast, next]) };
    const plan = orchestrator.plan(input);
    // after_fast is in wave 1, slow in wave 0 …
    expect(plan.waves[0]).toEqual(expect.arrayContaining([slow.stepId, fast.stepId]));
    expect(plan.waves[1]).toEqual([next.stepId]);
    const out = await orchestrator.process(input);
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    // … yet it starts, and even ends, before the slow wave-0 step ends.
    expect(recorder.interval('after_fast').start).toBeGreaterThanOrEqual(recorder.interval('fast').end);
    expect(recorder.interval('after_fast').start).toBeLessThan(recorder.interval('slow').end);
    expect(recorder.interval('after_fast').end).toBeLessThan(recorder.interval('slow').end);
    expect(out.completedSteps).toEqual([fast.stepId, next.stepId, slow.stepId]);
  });

  it('runs the actions of a PARALLEL step concurrently, bounded by maxParallelSteps', async () => {
    const { orchestrator, recorder } = setup();
    const out = await orchestrator.process({
      executionMode: 'parallel',
      maxParallelSteps: 2,
      steps: [
        {
          stepName: 'fan',
          executionMode: 'parallel',
          actions: Array.from({ length: 4 }, () => ({
            actionType: 'compute' as const,
            targetNodeType: 'work',
            operationData: { ms: 20 },
          })),
        },
      ],
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(recorder.intervals).toHaveLength(4);
    expect(recorder.peak).toBe(2);
    expect(out.peakConcurrency).toBe(2);
  });
});

describe('SEQUENTIAL execution', () => {
  it('never overlaps and follows the planned order (priority before declaration order)', async () => {
    const { orchestrator, recorder } = setup();
    const a = oneActionStep('a', 'work', { operationData: { ms: 10 } });
    const b = oneActionStep('b', 'work', { operationData: { ms: 10 }, priority: 5 });
    const c = oneActionStep('c', 'work', { operationData: { ms: 10 }, dependencies: [b.actionId] });
    const d = oneActionStep('d', 'work', { operationData: { ms: 10 }, priority: 9 }, { dependsOn: [a.stepId] });
    const e = oneActionStep('e', 'work', { operationData: { ms: 10 } });
    const input = { executionMode: 'sequential' as const, maxParallelSteps: 5, steps: asInput([a, b, c, d, e]) };
    const plannedNames = orchestrator
      .plan(input)
      .order.map((id) => [a, b, c, d, e].find((s) => s.stepId === id)!.stepName);
    // b (priority 5) is ready first; a, c, e tie on priority 1 and go in declaration order; d (9) jumps as soon as a ends.
    expect(plannedNames).toEqual(['b', 'a', 'd', 'c', 'e']);
    const out = await orchestrator.process(input);
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(recorder.starts).toEqual(plannedNames);
    expect(recorder.peak).toBe(1);
    expect(out.peakConcurrency).toBe(1);
    expect(out.parallelExecutions).toBe(0);
    const sorted = [...recorder.intervals].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  });

  it('runs one step at a time even when maxParallelSteps allows more', async () => {
    const { orchestrator, recorder } = setup();
    const out = await orchestrator.process({
      executionMode: 'sequential',
      maxParallelSteps: 8,
      steps: asInput(independent(4, 10)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(recorder.peak).toBe(1);
    expect(recorder.starts).toEqual(['s0', 's1', 's2', 's3']);
  });
});
