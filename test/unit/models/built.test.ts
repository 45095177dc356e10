// Built models are recognised when given again (built.ts): what create* returned is returned as is, a workflow built
// from a built one reuses its steps; the mark itself is invisible to keys, symbols, spreads, JSON and equality.
import { describe, expect, it } from 'vitest';
import { createAction, createOrchestratorInput, createWorkflowStep } from '../../../src/index.js';

const step = { stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'n', operationData: { x: 1 } }] };

describe('built models', () => {
  it('a workflow built from a built one reuses its steps', () => {
    const input = createOrchestratorInput({ steps: [step, { ...step, stepName: 'b' }] });
    const again = createOrchestratorInput({ ...input, operationId: crypto.randomUUID(), maxParallelSteps: 2 });
    expect(again).not.toBe(input);
    expect(again.maxParallelSteps).toBe(2);
    expect(again.steps).toBe(input.steps);
  });

  it('a step of a built workflow given on its own is parsed again, to an equal step', () => {
    const input = createOrchestratorInput({ steps: [step] });
    const alone = createWorkflowStep(input.steps[0]!);
    expect(alone).toEqual(input.steps[0]);
    expect(createWorkflowStep(alone)).toBe(alone);
  });

  it('the mark does not show', () => {
    const action = createAction({ actionType: 'compute', targetNodeType: 'n' });
    const input = createOrchestratorInput({ steps: [step] });
    for (const model of [action, input, input.steps]) {
      expect(Object.getOwnPropertySymbols(model)).toEqual([]);
      expect(Object.getOwnPropertyNames(model)).toEqual(
        Object.keys(model).concat(Array.isArray(model) ? ['length'] : []),
      );
    }
    expect({ ...action }).toStrictEqual(JSON.parse(JSON.stringify(action)));
    expect(action).toStrictEqual({ ...action });
    expect(createAction({ ...action })).not.toBe(action);
  });
});
