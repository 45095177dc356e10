// Big graphs (spec §3 "Nothing ever hangs", O(V+E)): a 10,000-step chain, a 20×500 layered DAG and a 10,000-step
// ring plan (or fail) without recursion-depth stack overflows. No speed thresholds: correctness only.
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { EnumCoreErrorCode, ModelONEXContainer, NodeOrchestrator, OnexError } from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const act = { actionType: 'compute', targetNodeType: 'node' } as const;

/** Steps s0 … s(n-1), s(i) depending on s(i-1); declared last-first so the planner must reorder all of them. */
function chain(n: number, closeRing = false) {
  const ids = Array.from({ length: n }, () => crypto.randomUUID());
  const steps = ids.map((id, i) => ({
    stepId: id,
    stepName: `s${i}`,
    dependsOn: i > 0 ? [ids[i - 1]!] : closeRing ? [ids[n - 1]!] : [],
    actions: [act],
  }));
  return { steps: steps.reverse(), ids };
}

describe('large plans', () => {
  it('plans a 10,000-step chain declared in reverse', () => {
    const n = 10_000;
    const { steps, ids } = chain(n);
    const plan = planWorkflow({ steps });
    const order = plan.order.map((s) => plan.steps[s]!.step.stepId);
    expect(order).toEqual(ids);
    expect(plan.waves).toHaveLength(n);
    expect(plan.criticalPath).toHaveLength(n);
    expect(plan.steps[plan.criticalPath[0]!]!.step.stepName).toBe('s0');
    expect(plan.steps[plan.criticalPath[n - 1]!]!.step.stepName).toBe(`s${n - 1}`);
  });

  it('plans a 20-layer × 500-step DAG where each step depends on three steps of the layer above', () => {
    const layers = 20;
    const width = 500;
    const id = (l: number, k: number) => `00000000-0000-4000-8000-${String(l * width + k).padStart(12, '0')}`;
    const steps = [];
    // Declare the deepest layer first, to make sure order comes from the graph and not from declaration.
    for (let l = layers - 1; l >= 0; l--) {
      for (let k = 0; k < width; k++) {
        steps.push({
          stepId: id(l, k),
          stepName: `L${l}-${k}`,
          dependsOn: l === 0 ? [] : [k, (k + 1) % width, (k * 7) % width].map((p) => id(l - 1, p)),
          actions: [act],
        });
      }
    }
    const orchestrator = new NodeOrchestrator(new ModelONEXContainer({ logger: createLogger('silent') }));
    const plan = orchestrator.plan({ steps });
    expect(plan.order).toHaveLength(layers * width);
    expect(plan.waves).toHaveLength(layers);
    plan.waves.forEach((wave, l) => {
      expect(wave).toHaveLength(width);
      expect(new Set(wave)).toEqual(new Set(Array.from({ length: width }, (_, k) => id(l, k))));
    });
    expect(plan.criticalPath).toHaveLength(layers);
    const position = new Map(plan.order.map((s, i) => [s, i]));
    for (const step of steps)
      for (const d of step.dependsOn) expect(position.get(d)!).toBeLessThan(position.get(step.stepId)!);
    expect(plan.actionsEmitted).toHaveLength(layers * width);
  });

  it('rejects a 10,000-step ring with the whole cycle, without overflowing the stack', () => {
    const n = 10_000;
    const { steps } = chain(n, true);
    let error: unknown;
    try {
      planWorkflow({ steps });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OnexError);
    expect((error as OnexError).code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    const cycle = (error as OnexError).context.cycle as string[];
    expect(cycle).toHaveLength(n + 1);
    expect(cycle[0]).toBe(cycle[n]);
    expect(new Set(cycle).size).toBe(n);
  });
});
