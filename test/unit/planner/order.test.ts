// Planner ordering (spec §3): Kahn order with ties by priority then declaration, waves, critical path, implied step
// dependencies, action order inside a step; and NodeOrchestrator.plan(), which returns all that and runs nothing.
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { ModelONEXContainer, type ModelOrchestratorInputInput, NodeOrchestrator } from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const uuid = () => crypto.randomUUID();
const act = (extra: Record<string, unknown> = {}) => ({ actionType: 'compute', targetNodeType: 'node', ...extra });

interface S {
  name: string;
  deps?: string[];
  priority?: number;
}

/** Build steps from names; each step gets one action with the given priority and `dependsOn` by name. */
function workflow(specs: S[]): { input: ModelOrchestratorInputInput; ids: Map<string, string> } {
  const ids = new Map(specs.map((s) => [s.name, uuid()]));
  const steps = specs.map((s) => ({
    stepId: ids.get(s.name)!,
    stepName: s.name,
    dependsOn: (s.deps ?? []).map((d) => ids.get(d)!),
    actions: [act({ priority: s.priority ?? 1 })],
  }));
  return { input: { steps }, ids };
}

function namesOf(input: ModelOrchestratorInputInput) {
  const p = planWorkflow(input);
  const name = (s: number) => p.steps[s]!.step.stepName;
  return {
    order: p.order.map(name),
    waves: p.waves.map((w) => w.map(name)),
    criticalPath: p.criticalPath.map(name),
    plan: p,
  };
}

describe('order', () => {
  it('keeps declaration order when nothing else decides', () => {
    const { input } = workflow([{ name: 'c' }, { name: 'a' }, { name: 'b' }]);
    expect(namesOf(input).order).toEqual(['c', 'a', 'b']);
  });

  it('breaks ties by priority (higher first), then declaration order', () => {
    const { input } = workflow([
      { name: 'low', priority: 1 },
      { name: 'mid1', priority: 5 },
      { name: 'high', priority: 9 },
      { name: 'mid2', priority: 5 },
    ]);
    expect(namesOf(input).order).toEqual(['high', 'mid1', 'mid2', 'low']);
  });

  it('lets priority choose only among ready steps', () => {
    // 'urgent' (10) waits for 'slow' (1); 'medium' (5) is ready at once and goes before 'slow'.
    const { input } = workflow([
      { name: 'slow', priority: 1 },
      { name: 'urgent', priority: 10, deps: ['slow'] },
      { name: 'medium', priority: 5 },
    ]);
    expect(namesOf(input).order).toEqual(['medium', 'slow', 'urgent']);
  });

  it("uses the highest priority of a step's actions as the step's priority", () => {
    const steps = [
      { stepName: 'one', actions: [act({ priority: 3 })] },
      { stepName: 'two', actions: [act({ priority: 1 }), act({ priority: 7 })] },
    ];
    const { order, plan } = namesOf({ steps });
    expect(order).toEqual(['two', 'one']);
    expect(plan.steps.map((s) => s.priority)).toEqual([3, 7]);
  });

  it('orders a step after another when one of its actions depends on an action of the other', () => {
    const early = uuid();
    const steps = [
      { stepName: 'consumer', actions: [act({ dependencies: [early], priority: 10 })] },
      { stepName: 'producer', actions: [act({ actionId: early })] },
    ];
    const { order, waves, plan } = namesOf({ steps });
    expect(order).toEqual(['producer', 'consumer']);
    expect(waves).toEqual([['producer'], ['consumer']]);
    expect(plan.steps[0]!.deps).toEqual([1]);
    expect(plan.steps[1]!.dependents).toEqual([0]);
  });

  it('orders actions inside a step by their own dependencies', () => {
    const [first, second, third] = [uuid(), uuid(), uuid()];
    const steps = [
      {
        stepName: 'inner',
        actions: [
          act({ actionId: third, dependencies: [second] }),
          act({ actionId: second, dependencies: [first] }),
          act({ actionId: first }),
        ],
      },
    ];
    const p = planWorkflow({ steps });
    expect(p.actionOrder.map((a) => p.actions[a]!.action.actionId)).toEqual([first, second, third]);
  });

  it('emits actions step by step in planned order', () => {
    const { input } = workflow([{ name: 'b', deps: ['a'] }, { name: 'a' }]);
    const p = planWorkflow(input);
    expect(p.actionOrder.map((a) => p.steps[p.actions[a]!.stepIndex]!.step.stepName)).toEqual(['a', 'b']);
  });
});

describe('waves and critical path', () => {
  const diamond = () =>
    workflow([{ name: 'a' }, { name: 'b', deps: ['a'] }, { name: 'c', deps: ['a'] }, { name: 'd', deps: ['b', 'c'] }]);

  it('groups a diamond into three waves', () => {
    const { waves, plan } = namesOf(diamond().input);
    expect(waves).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(plan.steps.map((s) => s.wave)).toEqual([0, 1, 1, 2]);
  });

  it('puts a step in the wave after its deepest dependency', () => {
    const { input } = workflow([
      { name: 'root' },
      { name: 'mid', deps: ['root'] },
      { name: 'deep', deps: ['mid'] },
      { name: 'join', deps: ['root', 'deep'] },
      { name: 'side' },
    ]);
    const { waves } = namesOf(input);
    expect(waves).toEqual([['root', 'side'], ['mid'], ['deep'], ['join']]);
  });

  it('takes the longest chain as the critical path', () => {
    const { input } = workflow([
      { name: 'a' },
      { name: 'short', deps: ['a'] },
      { name: 'b', deps: ['a'] },
      { name: 'c', deps: ['b'] },
      { name: 'd', deps: ['c'] },
      { name: 'island' },
    ]);
    const { criticalPath, plan } = namesOf(input);
    expect(criticalPath).toEqual(['a', 'b', 'c', 'd']);
    // criticalPathLength = steps on the longest path from the step to a sink, itself included.
    expect(plan.steps.map((s) => s.criticalPathLength)).toEqual([4, 1, 3, 2, 1, 1]);
  });

  it('the critical path of a diamond goes through the earlier-planned branch', () => {
    expect(namesOf(diamond().input).criticalPath).toEqual(['a', 'b', 'd']);
  });

  it('plans an empty workflow as nothing', () => {
    const p = planWorkflow({ steps: [] });
    expect(p.order).toEqual([]);
    expect(p.waves).toEqual([]);
    expect(p.criticalPath).toEqual([]);
    expect(p.actionOrder).toEqual([]);
  });
});

describe('determinism', () => {
  it('the same input gives the same order, waves, critical path and hash every time', () => {
    const { input } = workflow([
      { name: 'a', priority: 3 },
      { name: 'b', deps: ['a'], priority: 3 },
      { name: 'c', priority: 3 },
      { name: 'd', deps: ['b', 'c'], priority: 8 },
      { name: 'e', priority: 8 },
    ]);
    const first = namesOf(input);
    for (let i = 0; i < 5; i++) {
      const again = namesOf(input);
      expect(again.order).toEqual(first.order);
      expect(again.waves).toEqual(first.waves);
      expect(again.criticalPath).toEqual(first.criticalPath);
      expect(again.plan.workflowHash).toBe(first.plan.workflowHash);
    }
  });

  it('the workflow hash ignores ids but changes with the definition', () => {
    const specs = [{ name: 'a' }, { name: 'b', deps: ['a'] }];
    const one = planWorkflow(workflow(specs).input).workflowHash;
    const two = planWorkflow(workflow(specs).input).workflowHash; // fresh uuids
    const other = planWorkflow(workflow([{ name: 'a' }, { name: 'b' }]).input).workflowHash;
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(two).toBe(one);
    expect(other).not.toBe(one);
  });
});

describe('NodeOrchestrator.plan', () => {
  function throwingContainer() {
    const calls: string[] = [];
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    container.registerNode('node', async () => {
      calls.push('function');
      throw new Error('plan() must not run nodes');
    });
    container.registerNode('objectNode', {
      compute: () => {
        calls.push('object');
        throw new Error('plan() must not run nodes');
      },
    });
    return { container, calls };
  }

  it('returns order, waves, critical path and steps as ids, and runs no node', () => {
    const { container, calls } = throwingContainer();
    const orchestrator = new NodeOrchestrator(container);
    const { input, ids } = workflow([
      { name: 'a' },
      { name: 'b', deps: ['a'] },
      { name: 'c', deps: ['a'] },
      { name: 'd', deps: ['b', 'c'] },
    ]);
    const plan = orchestrator.plan({
      ...input,
      workflowName: 'diamond',
      executionMode: 'parallel',
      steps: [...input.steps, { stepName: 'obj', actions: [{ actionType: 'compute', targetNodeType: 'objectNode' }] }],
    });
    const id = (n: string) => ids.get(n)!;
    expect(plan.workflowName).toBe('diamond');
    expect(plan.executionMode).toBe('parallel');
    expect(plan.workflowHash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.order.slice(0, 4)).toEqual([id('a'), id('b'), id('c'), id('d')]);
    expect(plan.waves[0]).toEqual([id('a'), plan.order[4]]);
    expect(plan.waves.slice(1)).toEqual([[id('b'), id('c')], [id('d')]]);
    expect(plan.criticalPath).toEqual([id('a'), id('b'), id('d')]);
    const d = plan.steps.find((s) => s.stepName === 'd')!;
    expect(d).toMatchObject({ stepId: id('d'), wave: 2, dependsOn: [id('b'), id('c')] });
    expect(d.actionIds).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it('emits every action in planned order with the orchestrator lease and epoch 1', () => {
    const { container, calls } = throwingContainer();
    const orchestrator = new NodeOrchestrator(container, { leaseId: '11111111-2222-4333-8444-555555555555' });
    const { input } = workflow([{ name: 'late', deps: ['early'] }, { name: 'early' }]);
    const plan = orchestrator.plan(input);
    expect(plan.actionsEmitted).toHaveLength(2);
    expect(plan.actionsEmitted.map((a) => a.actionId)).toEqual(plan.steps.flatMap((s) => s.actionIds));
    for (const action of plan.actionsEmitted) {
      expect(action.leaseId).toBe('11111111-2222-4333-8444-555555555555');
      expect(action.epoch).toBe(1);
      expect(Object.isFrozen(action)).toBe(true);
    }
    expect(plan.steps.map((s) => s.stepName)).toEqual(['early', 'late']);
    expect(calls).toEqual([]);
  });

  it('plans a workflow whose node types are not registered (planning needs no nodes)', () => {
    const orchestrator = new NodeOrchestrator(new ModelONEXContainer({ logger: createLogger('silent') }));
    const plan = orchestrator.plan({
      steps: [{ stepName: 's', actions: [{ actionType: 'effect', targetNodeType: 'nowhere' }] }],
    });
    expect(plan.actionsEmitted[0]!.targetNodeType).toBe('nowhere');
  });
});
