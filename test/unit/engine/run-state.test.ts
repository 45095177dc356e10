// A run's state as columns (src/engine/run-state.ts): what a fresh or resumed run starts from, and the columns made
// on first write read back what was written (and their defaults before).
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { RunState } from '../../../src/engine/run-state.js';
import { EnumStepState, OnexError } from '../../../src/index.js';

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const plan = planWorkflow({
  workflowName: 'state',
  executionMode: 'parallel',
  steps: [
    { stepId: id(1), stepName: 'a', actions: [{ actionId: id(11), actionType: 'compute', targetNodeType: 'n' }] },
    {
      stepId: id(2),
      stepName: 'b',
      dependsOn: [id(1)],
      actions: [
        { actionId: id(21), actionType: 'compute', targetNodeType: 'n' },
        { actionId: id(22), actionType: 'compute', targetNodeType: 'n' },
      ],
    },
  ],
});
const at = (actionId: string) => plan.actions.findIndex((pa) => pa.action.actionId === actionId);

describe('RunState', () => {
  it('starts every action PENDING at epoch 1, every step PENDING waiting for its dependencies', () => {
    const rs = new RunState(plan, undefined);
    expect(rs.actionState).toEqual([EnumStepState.PENDING, EnumStepState.PENDING, EnumStepState.PENDING]);
    expect([...rs.actionEpoch]).toEqual([1, 1, 1]);
    expect([...rs.actionAttempts]).toEqual([0, 0, 0]);
    expect([...rs.stepRemainingDeps]).toEqual(plan.steps.map((ps) => ps.deps.length));
    expect(rs.resultOf(0)).toBeUndefined();
    expect(rs.actionErrorOf(0)).toBeNull();
    expect(rs.reasonOf(0)).toBeNull();
    expect(rs.outputOf(1)).toBeUndefined();
    expect(rs.nextOf(1)).toBe(0);
  });

  it('keeps COMPLETED and COMPENSATED actions of a resumed run, with their epochs, attempts and results', () => {
    const rs = new RunState(plan, {
      runEpoch: 3,
      actions: new Map([
        [id(11), { state: EnumStepState.COMPLETED, result: { v: 1 }, epoch: 4, attempt: 1 }],
        [id(21), { state: EnumStepState.RUNNING, result: undefined, epoch: 3, attempt: 2 }],
        [id(22), { state: EnumStepState.COMPENSATED, result: undefined, epoch: 6, attempt: 1 }],
      ]),
    });
    expect(rs.actionState[at(id(11))]).toBe(EnumStepState.COMPLETED);
    expect(rs.resultOf(at(id(11)))).toEqual({ v: 1 });
    // Anything else runs again, with the same key, from the recorded epoch and attempt count.
    expect(rs.actionState[at(id(21))]).toBe(EnumStepState.PENDING);
    expect(rs.actionEpoch[at(id(21))]).toBe(3);
    expect(rs.actionAttempts[at(id(21))]).toBe(2);
    expect(rs.actionState[at(id(22))]).toBe(EnumStepState.COMPENSATED);
  });

  it('columns made on first write read back what was written; a step keeps its first error', () => {
    const rs = new RunState(plan, undefined);
    const first = new OnexError('ONEX_CORE_001_OPERATION_FAILED', 'first');
    rs.keepStepError(1, first);
    rs.keepStepError(1, new OnexError('ONEX_CORE_001_OPERATION_FAILED', 'second'));
    expect(rs.stepErrorOf(1)).toBe(first);
    expect(rs.stepErrorOf(0)).toBeNull();
    rs.setResult(2, 'r');
    rs.setOutput(0, ['o']);
    rs.setReason(1, 'condition_false');
    rs.setActionError(1, first);
    expect([rs.resultOf(2), rs.resultOf(1), rs.outputOf(0), rs.reasonOf(1), rs.actionErrorOf(1)]).toEqual([
      'r',
      undefined,
      ['o'],
      'condition_false',
      first,
    ]);
    expect([rs.takeNext(1), rs.takeNext(1), rs.nextOf(1)]).toEqual([0, 1, 2]);
  });
});
