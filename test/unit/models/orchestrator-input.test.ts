// ModelOrchestratorInput (spec §2): defaults, limits, reserved workflow modes, error paths, immutability.
import { describe, expect, it } from 'vitest';
import {
  createOrchestratorInput,
  EnumCoreErrorCode,
  type ModelOrchestratorInputInput,
  OnexError,
} from '../../../src/index.js';

function thrown(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error('expected an OnexError, nothing was thrown');
}

const oneStep = [{ stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'x' }] }] as const;
const input = (extra: Record<string, unknown>) =>
  createOrchestratorInput({ steps: oneStep, ...extra } as ModelOrchestratorInputInput);

describe('createOrchestratorInput defaults', () => {
  it('fills the spec defaults', () => {
    const i = input({});
    expect(i.workflowId).toMatch(/^[0-9a-f-]{36}$/);
    expect(i.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(i.workflowId).not.toBe(i.operationId);
    expect(i.executionMode).toBe('sequential');
    expect(i.dependencyResolutionEnabled).toBe(true);
    expect(i.failureStrategy).toBe('fail_fast');
    expect(i.maxParallelSteps).toBe(5);
    expect(i.globalTimeoutMs).toBe(300_000);
    expect(i.batchSize).toBe(100);
    expect(i.inputData).toEqual({});
    expect(i.metadata).toEqual({});
    expect(i.steps).toHaveLength(1);
  });

  it('accepts enum values in any letter case', () => {
    const i = input({ executionMode: 'PARALLEL', failureStrategy: 'Continue_On_Error' });
    expect(i.executionMode).toBe('parallel');
    expect(i.failureStrategy).toBe('continue_on_error');
  });

  it('accepts an empty workflow', () => {
    expect(createOrchestratorInput({ steps: [] }).steps).toEqual([]);
  });
});

describe('createOrchestratorInput validation', () => {
  it.each(['conditional', 'CONDITIONAL', 'streaming'])('rejects the reserved workflow mode %s', (mode) => {
    const err = thrown(() => input({ executionMode: mode }));
    expect(err.code).toBe('ONEX_CORE_006_VALIDATION_ERROR');
    expect(err.message).toContain('reserved');
    expect(err.message).toContain(mode.toLowerCase());
    expect(err.context.executionMode).toBe(mode.toLowerCase());
  });

  it('says which version reserves each mode', () => {
    expect(thrown(() => input({ executionMode: 'conditional' })).message).toContain('v1.1');
    expect(thrown(() => input({ executionMode: 'streaming' })).message).toContain('v1.2');
  });

  const bad: [string, Record<string, unknown>][] = [
    ['maxParallelSteps', { maxParallelSteps: 0 }],
    ['maxParallelSteps', { maxParallelSteps: 1.5 }],
    ['batchSize', { batchSize: 0 }],
    ['globalTimeoutMs', { globalTimeoutMs: 50 }],
    ['globalTimeoutMs', { globalTimeoutMs: 86_400_001 }],
    ['failureStrategy', { failureStrategy: 'ignore' }],
    ['executionMode', { executionMode: 'eventual' }],
    ['workflowId', { workflowId: 'wf-1' }],
    ['steps', { steps: 'none' }],
    ['bogus', { bogus: true }],
  ];
  it.each(bad)('rejects a bad %s with VALIDATION_ERROR naming it', (field, extra) => {
    const err = thrown(() => input(extra));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain(field);
  });

  it('names the step index, step name, action index and field of a nested error', () => {
    const err = thrown(() =>
      createOrchestratorInput({
        steps: [
          { stepName: 'ok', actions: [] },
          { stepName: 'fetch', actions: [{ actionType: 'effect', targetNodeType: 'http', timeoutMs: 1 }] },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain('steps[1]');
    expect(err.message).toContain("'fetch'");
    expect(err.message).toContain('actions[0]');
    expect(err.message).toContain('timeoutMs');
  });

  it('rejects a reserved mode on a step inside the workflow', () => {
    const err = thrown(() =>
      createOrchestratorInput({ steps: [{ stepName: 'cond', executionMode: 'conditional', actions: [] }] }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain("'cond'");
  });
});

describe('immutability', () => {
  it('freezes the input and its steps', () => {
    const i = input({ inputData: { rows: [1] } });
    expect(Object.isFrozen(i)).toBe(true);
    expect(Object.isFrozen(i.steps)).toBe(true);
    expect(Object.isFrozen(i.steps[0])).toBe(true);
    expect(Object.isFrozen(i.inputData)).toBe(true);
    expect(() => {
      (i as { maxParallelSteps: number }).maxParallelSteps = 9;
    }).toThrow(TypeError);
  });

  it('returns an already built input unchanged', () => {
    const i = input({});
    expect(createOrchestratorInput(i)).toBe(i);
  });
});
