// Branch conditions (spec §4): IF_TRUE / IF_FALSE on a dotted key, IF_SUCCESS / IF_ERROR / IF_TIMEOUT on how the
// dependencies ended, CUSTOM via conditionFunction or a CEL `when`; skip semantics (condition_false and disabled
// satisfy dependents, upstream_failed does not); enabled: false; skipOnFailure.
import { describe, expect, it } from 'vitest';
import {
  EnumBranchCondition,
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type ModelWorkflowStep,
  type NodeContext,
  OnexError,
} from '../../../src/index.js';
import {
  asInput,
  fastOrchestrator,
  never,
  oneActionStep,
  outputOf,
  quietContainer,
  reasonsByName,
  rejectionOf,
  sleep,
  statesByName,
} from './support.js';

/**
 * Nodes: `value` returns its operation data's `value`; `fail` throws a non-retryable OPERATION_FAILED; `hang` never
 * settles (so its action times out); `slow` answers after 30 ms. `calls` lists the steps whose node ran.
 */
function setup() {
  const container = quietContainer();
  const calls: string[] = [];
  container.registerNode('value', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    return data.value ?? { step: ctx.stepName };
  });
  container.registerNode('fail', (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, `${ctx.stepName} broke`);
  });
  container.registerNode('slow', async (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    await sleep(30);
    return { step: ctx.stepName };
  });
  container.registerNode('hang', (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    return never();
  });
  return { container, calls, orchestrator: fastOrchestrator(container) };
}

describe('IF_TRUE / IF_FALSE', () => {
  for (const ok of [true, false]) {
    it(`tests the dotted conditionKey in the dependencies' results (value ${ok})`, async () => {
      const { orchestrator, calls } = setup();
      const check = oneActionStep('check', 'value', { operationData: { value: { result: { flags: { ok } } } } });
      const yes = oneActionStep(
        'yes',
        'value',
        {},
        { dependsOn: [check.stepId], condition: 'if_true', conditionKey: 'result.flags.ok' },
      );
      const no = oneActionStep(
        'no',
        'value',
        {},
        { dependsOn: [check.stepId], condition: 'if_false', conditionKey: 'result.flags.ok' },
      );
      const out = await orchestrator.process({ executionMode: 'parallel', steps: asInput([check, yes, no]) });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      const [ran, skipped] = ok ? ['yes', 'no'] : ['no', 'yes'];
      expect(statesByName(out)[ran]).toBe(EnumStepState.COMPLETED);
      expect(statesByName(out)[skipped]).toBe(EnumStepState.SKIPPED);
      expect(reasonsByName(out)[skipped]).toBe('condition_false');
      expect(calls).toContain(ran);
      expect(calls).not.toContain(skipped);
    });
  }

  it('treats a missing key as false', async () => {
    const { orchestrator } = setup();
    const check = oneActionStep('check', 'value', { operationData: { value: { other: 1 } } });
    const yes = oneActionStep(
      'yes',
      'value',
      {},
      { dependsOn: [check.stepId], condition: 'if_true', conditionKey: 'a.b' },
    );
    const no = oneActionStep(
      'no',
      'value',
      {},
      { dependsOn: [check.stepId], condition: 'if_false', conditionKey: 'a.b' },
    );
    const out = await orchestrator.process({ steps: asInput([check, yes, no]) });
    expect(statesByName(out)).toEqual({ check: 'completed', yes: 'skipped', no: 'completed' });
  });

  it('requires a conditionKey', () => {
    const { orchestrator } = setup();
    const bad = oneActionStep('bad', 'value', {}, { condition: 'if_true' });
    let error: unknown;
    try {
      orchestrator.plan({ steps: asInput([bad]) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OnexError);
    expect((error as OnexError).code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION);
  });
});

describe('IF_SUCCESS', () => {
  it('runs when every dependency completed or was skipped', async () => {
    const { orchestrator } = setup();
    const a = oneActionStep('a', 'value');
    const off = oneActionStep('off', 'value', {}, { enabled: false });
    const then = oneActionStep('then', 'value', {}, { dependsOn: [a.stepId, off.stepId], condition: 'if_success' });
    const out = await orchestrator.process({ steps: asInput([a, off, then]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(statesByName(out).then).toBe(EnumStepState.COMPLETED);
  });

  it('does not run after a failed dependency', async () => {
    const { orchestrator, calls } = setup();
    const a = oneActionStep('a', 'fail');
    const then = oneActionStep('then', 'value', {}, { dependsOn: [a.stepId], condition: 'if_success' });
    const out = await orchestrator.process({ failureStrategy: 'continue_on_error', steps: asInput([a, then]) });
    expect(statesByName(out).then).toBe(EnumStepState.SKIPPED);
    expect(reasonsByName(out).then).toBe('upstream_failed');
    expect(calls).not.toContain('then');
  });
});

describe('IF_ERROR (error-handling branch)', () => {
  it('runs after a failed step, even under FAIL_FAST; independent work goes on; the run ends PARTIAL_SUCCESS', async () => {
    const { orchestrator, calls } = setup();
    const risky = oneActionStep('risky', 'fail');
    const handler = oneActionStep('handler', 'value', {}, { dependsOn: [risky.stepId], condition: 'if_error' });
    const normal = oneActionStep('normal', 'value', {}, { dependsOn: [risky.stepId] });
    const other = oneActionStep('other', 'value');
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'fail_fast',
      steps: asInput([risky, handler, normal, other]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(statesByName(out)).toEqual({
      risky: 'failed',
      handler: 'completed',
      normal: 'skipped',
      other: 'completed',
    });
    expect(reasonsByName(out).normal).toBe('upstream_failed');
    expect(calls).toContain('handler');
    expect(out.errors).toEqual([
      expect.objectContaining({ stepId: risky.stepId, code: EnumCoreErrorCode.OPERATION_FAILED }),
    ]);
  });

  it('is skipped when its dependency succeeded', async () => {
    const { orchestrator, calls } = setup();
    const safe = oneActionStep('safe', 'value');
    const handler = oneActionStep('handler', 'value', {}, { dependsOn: [safe.stepId], condition: 'if_error' });
    const out = await orchestrator.process({ steps: asInput([safe, handler]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(statesByName(out).handler).toBe(EnumStepState.SKIPPED);
    expect(reasonsByName(out).handler).toBe('condition_false');
    expect(calls).not.toContain('handler');
  });

  it('also runs after a timed-out step', async () => {
    const { orchestrator } = setup();
    const slow = oneActionStep('slow', 'hang', { timeoutMs: 100 });
    const handler = oneActionStep('handler', 'value', {}, { dependsOn: [slow.stepId], condition: 'if_error' });
    const out = await orchestrator.process({ steps: asInput([slow, handler]) });
    expect(statesByName(out)).toEqual({ slow: 'timeout', handler: 'completed' });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
  });
});

describe('IF_TIMEOUT', () => {
  it('runs after a timed-out dependency', async () => {
    const { orchestrator, calls } = setup();
    const slow = oneActionStep('slow', 'hang', { timeoutMs: 100 });
    const onTimeout = oneActionStep('on_timeout', 'value', {}, { dependsOn: [slow.stepId], condition: 'if_timeout' });
    const out = await orchestrator.process({ steps: asInput([slow, onTimeout]) });
    expect(statesByName(out)).toEqual({ slow: 'timeout', on_timeout: 'completed' });
    expect(out.errors[0]!.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(calls).toEqual(['slow', 'on_timeout']);
  });

  it('is skipped after a failure that is not a timeout', async () => {
    const { orchestrator, calls } = setup();
    const broken = oneActionStep('broken', 'fail');
    const onTimeout = oneActionStep('on_timeout', 'value', {}, { dependsOn: [broken.stepId], condition: 'if_timeout' });
    const onError = oneActionStep('on_error', 'value', {}, { dependsOn: [broken.stepId], condition: 'if_error' });
    const out = await orchestrator.process({ steps: asInput([broken, onTimeout, onError]) });
    expect(statesByName(out)).toEqual({ broken: 'failed', on_timeout: 'skipped', on_error: 'completed' });
    expect(reasonsByName(out).on_timeout).toBe('condition_false');
    expect(calls).not.toContain('on_timeout');
  });

  it('does not turn an unmatched failure into a resolved FAIL_FAST run', async () => {
    // Under FAIL_FAST, process() rejects when a failure stops the run (spec §4). An IF_TIMEOUT branch does not handle a
    // plain failure (it is skipped), so nothing handled it: process() must reject with the action's own code.
    const { orchestrator } = setup();
    const broken = oneActionStep('broken', 'fail');
    const onTimeout = oneActionStep('on_timeout', 'value', {}, { dependsOn: [broken.stepId], condition: 'if_timeout' });
    const err = await rejectionOf(
      orchestrator.process({ failureStrategy: 'fail_fast', steps: asInput([broken, onTimeout]) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(outputOf(err).workflowState).toBe(EnumWorkflowState.FAILED);
  });
});

describe('CUSTOM', () => {
  it('calls conditionFunction(step, previousResults) with the step and the earlier step outputs', async () => {
    const { orchestrator, calls } = setup();
    const seen: { step: ModelWorkflowStep; previous: readonly unknown[] }[] = [];
    const first = oneActionStep('first', 'value', { operationData: { value: { quality_score: 0.95 } } });
    const second = oneActionStep(
      'second',
      'value',
      { operationData: { value: 'plain' } },
      { dependsOn: [first.stepId] },
    );
    const gated = oneActionStep(
      'gated',
      'value',
      {},
      {
        dependsOn: [second.stepId],
        condition: 'custom',
        conditionFunction: (step, previous) => {
          // Copied: the engine hands over its live results list, which grows as later steps complete.
          seen.push({ step, previous: [...previous] });
          return previous.some((r) => typeof r === 'object' && r !== null && 'quality_score' in r);
        },
      },
    );
    const out = await orchestrator.process({ steps: asInput([first, second, gated]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.step.stepName).toBe('gated');
    expect(seen[0]!.step.condition).toBe(EnumBranchCondition.CUSTOM);
    expect(seen[0]!.previous).toEqual([{ quality_score: 0.95 }, 'plain']);
    expect(calls).toContain('gated');
  });

  it('skips the step when conditionFunction returns false', async () => {
    const { orchestrator, calls } = setup();
    const gated = oneActionStep('gated', 'value', {}, { condition: 'custom', conditionFunction: () => false });
    const out = await orchestrator.process({ steps: asInput([gated]) });
    expect(statesByName(out).gated).toBe(EnumStepState.SKIPPED);
    expect(reasonsByName(out).gated).toBe('condition_false');
    expect(calls).toEqual([]);
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
  });

  for (const [score, runs] of [
    [0.95, true],
    [0.9, true],
    [0.5, false],
  ] as const) {
    it(`evaluates a CEL when "quality_score >= 0.9" over the dependency results (score ${score})`, async () => {
      const { orchestrator, calls } = setup();
      const quality = oneActionStep('quality', 'value', { operationData: { value: { quality_score: score } } });
      const fast = oneActionStep(
        'fast_track',
        'value',
        {},
        { dependsOn: [quality.stepId], condition: 'custom', when: 'quality_score >= 0.9' },
      );
      const full = oneActionStep('full', 'value', {}, { dependsOn: [quality.stepId], when: 'quality_score < 0.9' });
      const out = await orchestrator.process({ steps: asInput([quality, fast, full]) });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      expect(statesByName(out).fast_track).toBe(runs ? 'completed' : 'skipped');
      expect(statesByName(out).full).toBe(runs ? 'skipped' : 'completed');
      expect(calls.includes('fast_track')).toBe(runs);
    });
  }

  it('gives `when` the earlier results as `results` and the workflow input as `input`', async () => {
    const { orchestrator } = setup();
    const a = oneActionStep('a', 'value', { operationData: { value: { n: 1 } } });
    const b = oneActionStep('b', 'value', { operationData: { value: { n: 2 } } }, { dependsOn: [a.stepId] });
    const yes = oneActionStep(
      'yes',
      'value',
      {},
      { dependsOn: [b.stepId], when: 'size(results) == 2 && input.region == "eu"' },
    );
    const no = oneActionStep('no', 'value', {}, { dependsOn: [b.stepId], when: 'input.region == "us"' });
    const out = await orchestrator.process({ inputData: { region: 'eu' }, steps: asInput([a, b, yes, no]) });
    expect(statesByName(out)).toEqual({ a: 'completed', b: 'completed', yes: 'completed', no: 'skipped' });
  });

  it('fails the step with INVALID_CONDITION when `when` cannot be evaluated', async () => {
    const { orchestrator, calls } = setup();
    const a = oneActionStep('a', 'value');
    const bad = oneActionStep('bad', 'value', {}, { dependsOn: [a.stepId], when: 'missing_variable > 1' });
    const err = await rejectionOf(orchestrator.process({ steps: asInput([a, bad]) }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION);
    expect(err.message).toContain('bad');
    expect(calls).not.toContain('bad');
  });

  it('rejects a `when` that does not parse before anything runs', async () => {
    const { orchestrator, calls } = setup();
    const a = oneActionStep('a', 'value');
    const bad = oneActionStep('bad', 'value', {}, { dependsOn: [a.stepId], when: '>>> not cel' });
    const err = await rejectionOf(orchestrator.process({ steps: asInput([a, bad]) }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION);
    // conditions.ts: "`when` is CEL …, parsed once before anything runs" — step 'a' must not have run.
    expect(calls).toEqual([]);
  });
});

describe('skips', () => {
  it('a step skipped by its condition satisfies its dependents', async () => {
    const { orchestrator } = setup();
    const gated = oneActionStep('gated', 'value', {}, { conditionFunction: () => false });
    const after = oneActionStep('after', 'value', {}, { dependsOn: [gated.stepId] });
    const out = await orchestrator.process({ steps: asInput([gated, after]) });
    expect(statesByName(out)).toEqual({ gated: 'skipped', after: 'completed' });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
  });

  it('an upstream_failed skip does not satisfy its dependents (the skip cascades)', async () => {
    const { orchestrator, calls } = setup();
    const broken = oneActionStep('broken', 'fail');
    const child = oneActionStep('child', 'value', {}, { dependsOn: [broken.stepId] });
    const grandchild = oneActionStep('grandchild', 'value', {}, { dependsOn: [child.stepId] });
    const independent = oneActionStep('independent', 'value');
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'continue_on_error',
      steps: asInput([broken, child, grandchild, independent]),
    });
    expect(statesByName(out)).toEqual({
      broken: 'failed',
      child: 'skipped',
      grandchild: 'skipped',
      independent: 'completed',
    });
    expect(reasonsByName(out)).toMatchObject({ child: 'upstream_failed', grandchild: 'upstream_failed' });
    expect(calls).not.toContain('child');
    expect(calls).not.toContain('grandchild');
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
  });

  it('enabled: false skips the step (reason disabled) without calling its node; dependents still run', async () => {
    const { orchestrator, calls } = setup();
    const off = oneActionStep('off', 'fail', {}, { enabled: false });
    const after = oneActionStep('after', 'value', {}, { dependsOn: [off.stepId] });
    const out = await orchestrator.process({ steps: asInput([off, after]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(statesByName(out)).toEqual({ off: 'skipped', after: 'completed' });
    expect(reasonsByName(out).off).toBe('disabled');
    expect(calls).toEqual(['after']);
    expect(out.stepReports[0]!.actions[0]!.state).toBe(EnumStepState.SKIPPED);
  });

  it('skipOnFailure skips a step whose dependencies end after a failure (PARALLEL)', async () => {
    const { orchestrator, calls } = setup();
    const broken = oneActionStep('broken', 'fail');
    const slow = oneActionStep('slow', 'slow');
    const cautious = oneActionStep('cautious', 'value', {}, { dependsOn: [slow.stepId], skipOnFailure: true });
    const regular = oneActionStep('regular', 'value', {}, { dependsOn: [slow.stepId] });
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'continue_on_error',
      steps: asInput([broken, slow, cautious, regular]),
    });
    expect(statesByName(out)).toEqual({
      broken: 'failed',
      slow: 'completed',
      cautious: 'skipped',
      regular: 'completed',
    });
    expect(reasonsByName(out).cautious).toBe('skip_on_failure');
    expect(calls).not.toContain('cautious');
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
  });

  it('skipOnFailure skips a SEQUENTIAL step whose turn comes after a failure, as the reference executor does', async () => {
    // omnibase-core.md §5 (sequential): "if step.skip_on_failure and failed nonempty: skipped". Here 'cautious' has no
    // dependencies but runs after 'broken' failed, so it must be skipped.
    const { orchestrator, calls } = setup();
    const broken = oneActionStep('broken', 'fail');
    const cautious = oneActionStep('cautious', 'value', {}, { skipOnFailure: true });
    const regular = oneActionStep('regular', 'value');
    const out = await orchestrator.process({
      executionMode: 'sequential',
      failureStrategy: 'continue_on_error',
      steps: asInput([broken, cautious, regular]),
    });
    expect(statesByName(out)).toEqual({ broken: 'failed', cautious: 'skipped', regular: 'completed' });
    expect(reasonsByName(out).cautious).toBe('skip_on_failure');
    expect(calls).toEqual(['broken', 'regular']);
  });

  it('skipOnFailure has no effect when nothing failed', async () => {
    const { orchestrator } = setup();
    const cautious = oneActionStep('cautious', 'value', {}, { skipOnFailure: true });
    const out = await orchestrator.process({ steps: asInput([oneActionStep('a', 'value'), cautious]) });
    expect(statesByName(out).cautious).toBe('completed');
  });
});
