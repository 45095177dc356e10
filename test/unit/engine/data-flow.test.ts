// Data flow between actions (spec §4, decisions.md): ctx.inputs holds the results of the action's own dependencies in
// the order it lists them, then the outputs of its step's completed dependsOn steps; ctx.inputsById keys them by id.
import { describe, expect, it } from 'vitest';
import { EnumWorkflowState, type NodeContext } from '../../../src/index.js';
import { asInput, fastOrchestrator, oneActionStep, quietContainer } from './support.js';

interface Seen {
  inputs: readonly unknown[];
  inputsById: Readonly<Record<string, unknown>>;
  workflowInput: Readonly<Record<string, unknown>>;
  operationData: Readonly<Record<string, unknown>>;
  idempotencyKey: string;
  actionId: string;
  stepName: string;
  attempt: number;
}

/** Node `emit` returns its operation data's `value`; node `sink` records what it received and returns its label. */
function setup() {
  const container = quietContainer();
  const seen = new Map<string, Seen>();
  container.registerNode('emit', (data: Readonly<Record<string, unknown>>) => data.value);
  container.registerNode('sink', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    seen.set(String(data.label), {
      inputs: ctx.inputs,
      inputsById: ctx.inputsById,
      workflowInput: ctx.workflowInput,
      operationData: ctx.operationData,
      idempotencyKey: ctx.idempotencyKey,
      actionId: ctx.action.actionId,
      stepName: ctx.stepName,
      attempt: ctx.attempt,
    });
    return { label: data.label };
  });
  return { container, seen, orchestrator: fastOrchestrator(container) };
}

describe('data flow', () => {
  for (const mode of ['sequential', 'parallel', 'batch'] as const) {
    it(`gives ctx.inputs in the order the action lists its dependencies, and ctx.inputsById (${mode})`, async () => {
      const { orchestrator, seen } = setup();
      const [a1, a2, a3, sink] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      const out = await orchestrator.process({
        executionMode: mode,
        steps: [
          {
            stepName: 'sources',
            executionMode: 'parallel',
            actions: [
              { actionId: a1, actionType: 'compute', targetNodeType: 'emit', operationData: { value: 'one' } },
              { actionId: a2, actionType: 'compute', targetNodeType: 'emit', operationData: { value: { n: 2 } } },
              { actionId: a3, actionType: 'compute', targetNodeType: 'emit', operationData: { value: [3] } },
            ],
          },
          {
            stepName: 'sink',
            actions: [
              {
                actionId: sink,
                actionType: 'compute',
                targetNodeType: 'sink',
                operationData: { label: 'sink' },
                // Deliberately not declaration order.
                dependencies: [a3, a1, a2],
              },
            ],
          },
        ],
      });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      const got = seen.get('sink')!;
      expect(got.inputs).toEqual([[3], 'one', { n: 2 }]);
      expect(got.inputsById).toEqual({ [a1]: 'one', [a2]: { n: 2 }, [a3]: [3] });
      expect(got.idempotencyKey).toBe(sink);
      expect(got.actionId).toBe(sink);
      expect(got.stepName).toBe('sink');
      expect(got.attempt).toBe(1);
      // A multi-action step's output is the array of its actions' results, in declaration order.
      expect(out.stepOutputs.sources).toEqual(['one', { n: 2 }, [3]]);
    });
  }

  it('appends the outputs of the step dependsOn steps after the action dependencies', async () => {
    const { orchestrator, seen } = setup();
    const first = oneActionStep('first', 'emit', { operationData: { value: 'from-first' } });
    const second = oneActionStep('second', 'emit', { operationData: { value: { from: 'second' } } });
    const third = oneActionStep('third', 'emit', { operationData: { value: 3 } });
    const sink = oneActionStep(
      'sink',
      'sink',
      { operationData: { label: 'sink' }, dependencies: [third.actionId] },
      { dependsOn: [second.stepId, first.stepId] },
    );
    const out = await orchestrator.process({
      executionMode: 'parallel',
      inputData: { run: 'r1' },
      steps: asInput([first, second, third, sink]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    const got = seen.get('sink')!;
    expect(got.inputs).toEqual([3, { from: 'second' }, 'from-first']);
    expect(got.inputsById).toEqual({
      [third.actionId]: 3,
      [second.stepId]: { from: 'second' },
      [first.stepId]: 'from-first',
    });
    expect(got.workflowInput).toEqual({ run: 'r1' });
    expect(got.operationData).toEqual({ label: 'sink' });
  });

  it('gives nothing for a skipped dependsOn step', async () => {
    const { orchestrator, seen } = setup();
    const ran = oneActionStep('ran', 'emit', { operationData: { value: 'kept' } });
    const off = oneActionStep('off', 'emit', { operationData: { value: 'never' } }, { enabled: false });
    const sink = oneActionStep(
      'sink',
      'sink',
      { operationData: { label: 'sink' } },
      { dependsOn: [ran.stepId, off.stepId] },
    );
    const out = await orchestrator.process({ executionMode: 'sequential', steps: asInput([ran, off, sink]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(seen.get('sink')!.inputs).toEqual(['kept']);
    expect(Object.keys(seen.get('sink')!.inputsById)).toEqual([ran.stepId]);
    expect(out.stepOutputs).not.toHaveProperty('off');
  });

  it('passes results down a chain of dependent actions in the same step', async () => {
    const container = quietContainer();
    container.registerNode('add', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) =>
      ctx.inputs.reduce<number>((sum, v) => sum + Number(v), Number(data.n)),
    );
    const [x, y, z] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const out = await fastOrchestrator(container).process({
      steps: [
        {
          stepName: 'chain',
          executionMode: 'parallel',
          actions: [
            { actionId: z, actionType: 'compute', targetNodeType: 'add', operationData: { n: 100 }, dependencies: [y] },
            { actionId: y, actionType: 'compute', targetNodeType: 'add', operationData: { n: 10 }, dependencies: [x] },
            { actionId: x, actionType: 'compute', targetNodeType: 'add', operationData: { n: 1 } },
          ],
        },
      ],
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs.chain).toEqual([111, 11, 1]);
  });
});
