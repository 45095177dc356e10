// Bulkheads (issue #5): `nodeConcurrency` caps the actions of one target node type in flight, so one slow dependency
// cannot take every slot while other node types keep running. Concurrency is counted per type inside the nodes.
import { describe, expect, it } from 'vitest';
import { EnumWorkflowState, type ModelONEXContainer, type ModelOrchestratorInputInput } from '../../../src/index.js';
import { ConcurrencyMeter, orchestratorFor, quietContainer, repeat, sleep } from './helpers.js';

interface Interval {
  type: string;
  start: number;
  end: number;
}

/** `slow` takes 40 ms, `fast` 5 ms; both count themselves and record their intervals. */
function setup() {
  const container = quietContainer();
  const meter = new ConcurrencyMeter();
  const intervals: Interval[] = [];
  const register = (c: ModelONEXContainer, type: string, ms: number) =>
    c.registerNode(type, () =>
      meter.track(type, async () => {
        const start = performance.now();
        await sleep(ms);
        intervals.push({ type, start, end: performance.now() });
        return type;
      }),
    );
  register(container, 'slow', 40);
  register(container, 'fast', 5);
  return { container, meter, intervals, orchestrator: orchestratorFor(container) };
}

/** 4 slow and 6 fast actions, all independent, in one PARALLEL step each kind (or one step per action). */
function workload(nodeConcurrency: Record<string, number>, layout: 'steps' | 'actions'): ModelOrchestratorInputInput {
  const kinds = [...Array(4).fill('slow'), ...Array(6).fill('fast')] as string[];
  const steps =
    layout === 'steps'
      ? kinds.map((type, i) => ({
          stepName: `${type}-${i}`,
          actions: [{ actionType: 'effect', targetNodeType: type }],
        }))
      : [
          {
            stepName: 'all',
            executionMode: 'parallel' as const,
            actions: kinds.map((type) => ({ actionType: 'effect', targetNodeType: type })),
          },
        ];
  return { executionMode: 'parallel', maxParallelSteps: 10, nodeConcurrency, steps };
}

describe('bulkheads (nodeConcurrency)', () => {
  for (const layout of ['steps', 'actions'] as const) {
    it(`caps a slow node type at 1 while another type still runs (independent ${layout})`, async () => {
      await repeat(4, async () => {
        const { meter, intervals, orchestrator } = setup();
        const out = await orchestrator.process(workload({ slow: 1 }, layout));
        expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
        expect(meter.peak.get('slow')).toBe(1);
        expect(meter.peak.get('fast')).toBeGreaterThan(1);
        const slow = intervals.filter((i) => i.type === 'slow').sort((a, b) => a.start - b.start);
        const fast = intervals.filter((i) => i.type === 'fast');
        expect(slow).toHaveLength(4);
        // One slow call at a time: each starts after the previous one ended.
        for (let k = 1; k < slow.length; k++) expect(slow[k]!.start).toBeGreaterThanOrEqual(slow[k - 1]!.end);
        // The fast ones did not queue behind the slow ones: they all ran while the first slow call was in flight.
        for (const f of fast) expect(f.start).toBeLessThan(slow[0]!.end);
        expect(out.peakConcurrency).toBeGreaterThan(1);
      });
    });
  }

  it('without a bulkhead the slow type takes as many slots as it can (the control case)', async () => {
    const { meter, orchestrator } = setup();
    await orchestrator.process(workload({}, 'steps'));
    expect(meter.peak.get('slow')).toBe(4);
  });

  it('a limit of 2 allows two at once, never three', async () => {
    await repeat(4, async () => {
      const { meter, orchestrator } = setup();
      const out = await orchestrator.process(workload({ slow: 2 }, 'actions'));
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      expect(meter.peak.get('slow')).toBe(2);
    });
  });

  it('also holds for retries: a retried attempt waits for a free slot of its type', async () => {
    const container = quietContainer();
    const meter = new ConcurrencyMeter();
    const attempts = new Map<string, number>();
    container.registerNode('flaky', (data: Readonly<Record<string, unknown>>) =>
      meter.track('flaky', async () => {
        const id = String(data.id);
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        await sleep(10);
        if (n === 1) throw new Error(`first attempt of ${id} fails`);
        return id;
      }),
    );
    const out = await orchestratorFor(container).process({
      executionMode: 'parallel',
      nodeConcurrency: { flaky: 1 },
      steps: [
        {
          stepName: 'all',
          executionMode: 'parallel',
          actions: ['a', 'b', 'c'].map((id) => ({
            actionType: 'effect',
            targetNodeType: 'flaky',
            operationData: { id },
            retryCount: 1,
          })),
        },
      ],
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs.all).toEqual(['a', 'b', 'c']);
    expect(meter.peak.get('flaky')).toBe(1);
    expect([...attempts.values()]).toEqual([2, 2, 2]);
  });
});
