// The plan's hot facts as dense columns (src/engine/plan-columns.ts): what the scheduler reads per step and per action
// must say exactly what the plan's model objects say.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanColumns, STEP_HANDLES_FAILURE, STEP_PARALLEL, STEP_PLAIN } from '../../../src/engine/plan-columns.js';
import { planWorkflow } from '../../../src/engine/planner.js';
import { EnumBranchCondition } from '../../../src/index.js';

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('PlanColumns', () => {
  it('flags, timeouts, action counts and the single action of each step', () => {
    const plan = planWorkflow({
      workflowName: 'columns',
      steps: [
        { stepId: id(1), stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'x', timeoutMs: 1234 }] },
        {
          stepId: id(2),
          stepName: 'b',
          dependsOn: [id(1)],
          timeoutMs: 5000,
          executionMode: 'parallel',
          actions: [
            { actionType: 'effect', targetNodeType: 'y' },
            { actionType: 'effect', targetNodeType: 'x' },
          ],
        },
        { stepId: id(3), stepName: 'c', dependsOn: [id(2)], condition: EnumBranchCondition.IF_ERROR, actions: [] },
        { stepId: id(4), stepName: 'd', dependsOn: [id(1)], enabled: false, actions: [] },
        { stepId: id(5), stepName: 'e', dependsOn: [id(1)], skipOnFailure: true, actions: [] },
      ],
    });
    const cols = new PlanColumns(plan);
    const at = (stepId: string) => plan.steps.findIndex((ps) => ps.step.stepId === stepId);
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((i) => at(id(i))) as [number, number, number, number, number];
    expect(cols.stepFlags[a]! & STEP_PLAIN).toBe(STEP_PLAIN);
    expect(cols.stepFlags[b]! & STEP_PARALLEL).toBe(STEP_PARALLEL);
    expect(cols.stepFlags[c]! & (STEP_PLAIN | STEP_HANDLES_FAILURE)).toBe(STEP_HANDLES_FAILURE);
    expect(cols.stepFlags[d]! & STEP_PLAIN).toBe(0);
    expect(cols.stepFlags[e]! & STEP_PLAIN).toBe(0);
    expect(cols.stepTimeoutMs[b]).toBe(5000);
    expect([...cols.stepActionCount]).toEqual(plan.steps.map((ps) => ps.actions.length));
    expect(cols.stepSingleAction[a]).toBe(plan.steps[a]!.actions[0]);
    expect(cols.stepSingleAction[b]).toBe(-1);
    expect(cols.stepSingleAction[c]).toBe(-1);
    expect(cols.stepIds).toEqual(plan.steps.map((ps) => ps.step.stepId));
    plan.actions.forEach((pa, i) => {
      expect(cols.actionStep[i]).toBe(pa.stepIndex);
      expect(cols.actionTimeoutMs[i]).toBe(pa.action.timeoutMs);
      expect(cols.targets[cols.actionTarget[i]!]).toBe(pa.action.targetNodeType);
      expect(cols.actionIds[i]).toBe(pa.action.actionId);
      expect(cols.actionData[i]).toBe(pa.action.operationData);
    });
    expect(cols.actionTimeoutMs[plan.steps[a]!.actions[0]!]).toBe(1234);
    expect(cols.targets).toEqual(['x', 'y']);
  });

  it('dependency lists hold what the plan lists, for any DAG', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 30 }), (raw) => {
        const plan = planWorkflow({
          workflowName: 'dag',
          executionMode: 'parallel',
          steps: raw.map((ds, i) => ({
            stepId: id(i),
            stepName: `s${i}`,
            dependsOn: i === 0 ? [] : [...new Set(ds.map((d) => id(d % i)))],
            actions: [{ actionType: 'compute' as const, targetNodeType: 'n' }],
          })),
        });
        const cols = new PlanColumns(plan);
        const list = (l: { start: Int32Array; items: Int32Array }, s: number) => [
          ...l.items.subarray(l.start[s]!, l.start[s + 1]!),
        ];
        plan.steps.forEach((ps, s) => {
          expect(list(cols.stepDeps, s)).toEqual([...ps.deps]);
          expect(list(cols.stepDependents, s)).toEqual([...ps.dependents]);
        });
      }),
      { numRuns: 50 },
    );
  });
});
