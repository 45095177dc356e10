// Repeated action ids are found however they got into a workflow (the planner skips the check only when every
// action id is a fresh uuid it generated itself: see indexActions).
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { createAction, createWorkflowStep, EnumCoreErrorCode, OnexError } from '../../../src/index.js';

const act = { actionType: 'compute', targetNodeType: 'node' } as const;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err.code;
    throw err;
  }
  return undefined;
}

describe('repeated action ids', () => {
  const DUPLICATE = EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID;

  it('one built action in two steps', () => {
    const action = createAction(act);
    const steps = [
      { stepName: 'a', actions: [action] },
      { stepName: 'b', actions: [action] },
    ];
    expect(codeOf(() => planWorkflow({ steps }))).toBe(DUPLICATE);
  });

  it('a built step whose action id another step gives again', () => {
    const step = createWorkflowStep({ stepName: 'a', actions: [act] });
    const steps = [step, { stepName: 'b', actions: [{ ...act, actionId: step.actions[0]!.actionId }] }];
    expect(codeOf(() => planWorkflow({ steps }))).toBe(DUPLICATE);
  });

  it('a reference step whose action takes the id another action was given', () => {
    const id = crypto.randomUUID();
    const steps = [
      { stepId: id, stepName: 'ref', stepType: 'compute' },
      { stepName: 'b', actions: [{ ...act, actionId: id }] },
    ];
    expect(codeOf(() => planWorkflow({ steps }))).toBe(DUPLICATE);
  });

  it('generated ids only: planned, each action once', () => {
    const steps = Array.from({ length: 50 }, (_, i) => ({ stepName: `s${i}`, actions: [act, act] }));
    const plan = planWorkflow({ steps });
    expect(new Set(plan.actions.map((a) => a.action.actionId)).size).toBe(100);
  });
});
