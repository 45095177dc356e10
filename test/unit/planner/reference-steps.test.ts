// Reference-style steps (`stepType`, `dependsOn`, no actions): plan() must emit the actions omnibase_core's
// executor emits, in its order (omnibase-core.md §1 mapping table, §5 `_create_action_for_step` and
// `_get_topological_order`: Kahn's algorithm with a min-heap on declaration index).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelONEXContainer, type ModelWorkflowStepInput, NodeOrchestrator } from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const orchestrator = () => new NodeOrchestrator(new ModelONEXContainer({ logger: createLogger('silent') }));

interface RefStep {
  stepId: string;
  stepName: string;
  stepType: string;
  dependsOn: string[];
  priority?: number;
  enabled?: boolean;
}

/**
 * The reference's emission order, written out independently: repeatedly take the earliest-declared step whose
 * (existing) dependencies are all emitted. Disabled steps emit nothing but satisfy their dependents.
 */
function referenceOrder(steps: readonly RefStep[]): string[] {
  const ids = new Set(steps.map((s) => s.stepId));
  const done = new Set<string>();
  const order: string[] = [];
  while (done.size < steps.length) {
    const next = steps.find((s) => !done.has(s.stepId) && s.dependsOn.every((d) => !ids.has(d) || done.has(d)));
    if (!next) throw new Error('cycle');
    done.add(next.stepId);
    if (next.enabled !== false) order.push(next.stepId);
  }
  return order;
}

const TYPE_MAP: [string, string, string, string][] = [
  ['compute', 'compute', 'NodeCompute', 'process'],
  ['effect', 'effect', 'NodeEffect', 'execute'],
  ['reducer', 'reduce', 'NodeReducer', 'aggregate'],
  ['orchestrator', 'orchestrate', 'NodeOrchestrator', 'coordinate'],
  ['custom', 'custom', 'NodeCustom', 'custom'],
  ['parallel', 'custom', 'NodeCustom', 'custom'],
];

describe('one action per reference step', () => {
  it.each(TYPE_MAP)('step_type %s -> action %s targeting %s, payload kind %s', (stepType, actionType, target, kind) => {
    const workflowId = crypto.randomUUID();
    const stepId = crypto.randomUUID();
    const plan = orchestrator().plan({ workflowId, steps: [{ stepId, stepName: 'only', stepType }] });
    expect(plan.actionsEmitted).toHaveLength(1);
    const action = plan.actionsEmitted[0]!;
    expect(action.actionType).toBe(actionType);
    expect(action.targetNodeType).toBe(target);
    expect(action.operationData).toEqual({ kind, workflow_id: workflowId, step_id: stepId, step_name: 'only' });
  });

  it('copies the defaults the reference uses: priority min(100, 10) = 10, 3 retries, 30 s timeout', () => {
    const action = orchestrator().plan({ steps: [{ stepName: 's', stepType: 'compute' }] }).actionsEmitted[0]!;
    expect(action.priority).toBe(10);
    expect(action.retryCount).toBe(3);
    expect(action.timeoutMs).toBe(30_000);
    expect(action.dependencies).toEqual([]);
  });

  it.each([
    [1, 1],
    [7, 7],
    [10, 10],
    [11, 10],
    [1000, 10],
  ])('step priority %i -> action priority %i (min(priority, 10))', (stepPriority, actionPriority) => {
    const plan = orchestrator().plan({ steps: [{ stepName: 's', stepType: 'effect', priority: stepPriority }] });
    expect(plan.actionsEmitted[0]!.priority).toBe(actionPriority);
  });

  it("copies the step's timeout and retry count", () => {
    const plan = orchestrator().plan({
      steps: [{ stepName: 's', stepType: 'effect', timeoutMs: 1234, retryCount: 0 }],
    });
    expect(plan.actionsEmitted[0]!.timeoutMs).toBe(1234);
    expect(plan.actionsEmitted[0]!.retryCount).toBe(0);
  });

  it("puts the step's depends_on ids in the action's dependencies, and uses the step id as action id", () => {
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const plan = orchestrator().plan({
      steps: [
        { stepId: a, stepName: 'a', stepType: 'compute' },
        { stepId: b, stepName: 'b', stepType: 'compute' },
        { stepId: c, stepName: 'c', stepType: 'reducer', dependsOn: [b, a] },
      ],
    });
    const byId = new Map(plan.actionsEmitted.map((x) => [x.actionId, x]));
    expect([...byId.keys()].sort()).toEqual([a, b, c].sort());
    expect(byId.get(c)!.dependencies).toEqual([b, a]);
  });

  it("records the step's correlation id in the action metadata, as the reference does", () => {
    const correlationId = crypto.randomUUID();
    const plan = orchestrator().plan({ steps: [{ stepName: 'tracked', stepType: 'compute', correlationId }] });
    expect(plan.actionsEmitted[0]!.metadata).toEqual({
      correlation_id: correlationId,
      parameters: { step_name: 'tracked', correlation_id: correlationId },
    });
  });

  it('keeps explicit actions when a step has both stepType and actions', () => {
    const plan = orchestrator().plan({
      steps: [
        {
          stepName: 's',
          stepType: 'compute',
          actions: [{ actionType: 'effect', targetNodeType: 'mine', priority: 2 }],
        },
      ],
    });
    expect(plan.actionsEmitted.map((x) => [x.actionType, x.targetNodeType, x.priority])).toEqual([
      ['effect', 'mine', 2],
    ]);
  });
});

describe('emission order', () => {
  it('a linear chain declared backwards comes out in dependency order', () => {
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const plan = orchestrator().plan({
      steps: [
        { stepId: c, stepName: 'c', stepType: 'effect', dependsOn: [b] },
        { stepId: b, stepName: 'b', stepType: 'compute', dependsOn: [a] },
        { stepId: a, stepName: 'a', stepType: 'compute' },
      ],
    });
    expect(plan.actionsEmitted.map((x) => x.actionId)).toEqual([a, b, c]);
  });

  // Random reference DAGs: edges only from earlier- to later-generated steps, then the declaration order shuffled.
  const refDag = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.record({
      types: fc.array(fc.constantFrom('compute', 'effect', 'reducer', 'orchestrator', 'custom', 'parallel'), {
        minLength: n,
        maxLength: n,
      }),
      edges: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      perm: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    }),
  );

  function buildRefSteps(types: string[], edges: boolean[][], perm: number[], priorities?: number[]): RefStep[] {
    const ids = types.map(() => crypto.randomUUID());
    const steps = types.map(
      (stepType, j): RefStep => ({
        stepId: ids[j]!,
        stepName: `step${j}`,
        stepType,
        dependsOn: ids.filter((_, i) => i < j && edges[j]![i]),
        ...(priorities ? { priority: priorities[j]! } : {}),
      }),
    );
    return perm.map((j) => steps[j]!);
  }

  it('matches the reference order on random DAGs with default step priorities (property)', () => {
    fc.assert(
      fc.property(refDag, ({ types, edges, perm }) => {
        const steps = buildRefSteps(types, edges, perm);
        const plan = orchestrator().plan({ steps: steps as ModelWorkflowStepInput[] });
        expect(plan.actionsEmitted.map((a) => a.actionId)).toEqual(referenceOrder(steps));
      }),
      { numRuns: 100 },
    );
  });

  it('matches the reference order when steps carry different priorities (step priority does not reorder)', () => {
    // In the reference, step priority only sets action.priority; the emission order is declaration-index Kahn.
    const steps = buildRefSteps(['compute', 'effect', 'reducer'], [[], [], []], [0, 1, 2], [1, 100, 5]);
    const plan = orchestrator().plan({ steps: steps as ModelWorkflowStepInput[] });
    expect(plan.actionsEmitted.map((a) => a.operationData.step_name)).toEqual(['step0', 'step1', 'step2']);
  });

  it('emits no action for a disabled step, which still satisfies its dependents (reference process())', () => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    const steps: RefStep[] = [
      { stepId: a, stepName: 'off', stepType: 'compute', dependsOn: [], enabled: false },
      { stepId: b, stepName: 'on', stepType: 'effect', dependsOn: [a] },
    ];
    const plan = orchestrator().plan({ steps: steps as ModelWorkflowStepInput[] });
    expect(plan.actionsEmitted.map((x) => x.actionId)).toEqual(referenceOrder(steps));
  });
});
