// ModelWorkflowStep (spec §2): defaults, limits, reserved modes and step types, condition rules, immutability.
import { describe, expect, it } from 'vitest';
import { createWorkflowStep, EnumCoreErrorCode, type ModelWorkflowStepInput, OnexError } from '../../../src/index.js';

function thrown(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error('expected an OnexError, nothing was thrown');
}

const step = (extra: Record<string, unknown>) =>
  createWorkflowStep({ stepName: 'load', ...extra } as ModelWorkflowStepInput);

describe('createWorkflowStep defaults', () => {
  it('fills the spec defaults', () => {
    const s = step({});
    expect(s.stepId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.stepName).toBe('load');
    expect(s.executionMode).toBe('sequential');
    expect(s.actions).toEqual([]);
    expect(s.timeoutMs).toBe(30_000);
    expect(s.metadata).toEqual({});
    expect(s.dependsOn).toEqual([]);
    expect(s.enabled).toBe(true);
    expect(s.skipOnFailure).toBe(false);
    expect(s.condition).toBeUndefined();
  });

  it('validates and defaults its actions', () => {
    const s = step({ actions: [{ actionType: 'compute', targetNodeType: 'double' }] });
    expect(s.actions).toHaveLength(1);
    expect(s.actions[0]!.priority).toBe(1);
    expect(s.actions[0]!.timeoutMs).toBe(30_000);
  });

  it('accepts parallel for its own actions, in any letter case', () => {
    expect(step({ executionMode: 'PARALLEL' }).executionMode).toBe('parallel');
  });

  it('lowercases dependsOn ids', () => {
    const id = crypto.randomUUID().toUpperCase();
    expect(step({ dependsOn: [id] }).dependsOn).toEqual([id.toLowerCase()]);
  });
});

describe('createWorkflowStep limits (errors name the field)', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['stepName', { stepName: '' }],
    ['stepName', { stepName: 'n'.repeat(256) }],
    ['timeoutMs', { timeoutMs: 99 }],
    ['timeoutMs', { timeoutMs: 300_001 }],
    ['dependsOn', { dependsOn: ['not-a-uuid'] }],
    ['enabled', { enabled: 'yes' }],
    ['unknownField', { unknownField: 1 }],
  ];
  it.each(bad)('rejects a bad %s', (field, extra) => {
    const err = thrown(() => step(extra));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain(field);
  });

  it('accepts a 255-character name', () => {
    expect(step({ stepName: 'n'.repeat(255) }).stepName).toHaveLength(255);
  });

  it('names the step and the action index of a bad action', () => {
    const err = thrown(() =>
      step({
        actions: [
          { actionType: 'compute', targetNodeType: 'a' },
          { actionType: 'compute', targetNodeType: 'b', retryCount: 99 },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain("'load'");
    expect(err.message).toContain('actions[1]');
    expect(err.message).toContain('retryCount');
  });
});

describe('reserved modes and step types', () => {
  it.each(['conditional', 'CONDITIONAL', 'streaming', 'Streaming'])(
    'rejects the reserved step execution mode %s with VALIDATION_ERROR',
    (mode) => {
      const err = thrown(() => step({ executionMode: mode }));
      expect(err.code).toBe('ONEX_CORE_006_VALIDATION_ERROR');
      expect(err.message).toContain('reserved');
      expect(err.message).toContain(mode.toLowerCase());
    },
  );

  it("rejects step type 'conditional' with VALIDATION_ERROR", () => {
    const err = thrown(() => step({ stepType: 'conditional' }));
    expect(err.code).toBe('ONEX_CORE_006_VALIDATION_ERROR');
    expect(err.message).toContain('conditional');
    expect(err.message).toContain('reserved');
  });

  it('rejects an unknown step type with INVALID_STEP_TYPE, listing the valid ones', () => {
    const err = thrown(() => step({ stepType: 'lambda' }));
    expect(err.code).toBe('ONEX_CORE_294_ORCHESTRATOR_STRUCT_INVALID_STEP_TYPE');
    expect(err.message).toContain('lambda');
    expect(err.message).toContain('reducer');
  });

  it.each(['compute', 'effect', 'reducer', 'orchestrator', 'parallel', 'custom'])(
    'accepts the reference step type %s',
    (stepType) => {
      expect(step({ stepType }).stepType).toBe(stepType);
    },
  );
});

describe('conditions', () => {
  it('if_true needs a conditionKey', () => {
    const err = thrown(() => step({ condition: 'if_true' }));
    expect(err.code).toBe('ONEX_CORE_323_ORCHESTRATOR_SEMANTIC_INVALID_CONDITION');
    expect(err.message).toContain('conditionKey');
    expect(step({ condition: 'IF_TRUE', conditionKey: 'a.b' }).condition).toBe('if_true');
  });

  it('custom needs a conditionFunction or a when expression', () => {
    expect(thrown(() => step({ condition: 'custom' })).code).toBe(
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION,
    );
  });

  it('a when expression or a conditionFunction alone implies custom', () => {
    expect(step({ when: 'x > 1' }).condition).toBe('custom');
    expect(step({ conditionFunction: () => true }).condition).toBe('custom');
  });

  it('rejects when together with a non-custom condition, and when together with a function', () => {
    expect(thrown(() => step({ condition: 'if_success', when: 'x' })).message).toContain('when');
    expect(thrown(() => step({ when: 'x', conditionFunction: () => true })).message).toContain('conditionFunction');
  });

  it('rejects an unknown condition, naming the field', () => {
    const err = thrown(() => step({ condition: 'if_maybe' }));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain('condition');
  });
});

describe('immutability', () => {
  it('freezes the step, its actions, dependsOn and metadata', () => {
    const s = step({ metadata: { owner: 'me' }, actions: [{ actionType: 'effect', targetNodeType: 'save' }] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.actions)).toBe(true);
    expect(Object.isFrozen(s.actions[0])).toBe(true);
    expect(Object.isFrozen(s.dependsOn)).toBe(true);
    expect(Object.isFrozen(s.metadata)).toBe(true);
    expect(() => {
      (s as { stepName: string }).stepName = 'other';
    }).toThrow(TypeError);
  });

  it('returns an already built step unchanged', () => {
    const s = step({});
    expect(createWorkflowStep(s)).toBe(s);
  });
});
