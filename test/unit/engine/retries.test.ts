// Retries (spec §4): `retryCount` retries after the first attempt, only for retryable errors (TIMEOUT,
// RESOURCE_UNAVAILABLE, SERVICE_UNAVAILABLE, plain errors not marked otherwise); VALIDATION_ERROR and errors marked
// non-retryable are tried once; thrown non-Error values are wrapped. Every attempt sees the same idempotency key.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type NodeContext,
  OnexError,
} from '../../../src/index.js';
import { asInput, fastOrchestrator, oneActionStep, outputOf, quietContainer, rejectionOf } from './support.js';

interface AttemptSeen {
  attempt: number;
  key: string;
  actionId: string;
}

/**
 * Node `node` throws `thrown(n)` on its n-th call while n <= failures, then returns `{ ok: n }`. Circuit breakers are
 * off: they count attempts too (spec §5) and would short-circuit calls these tests count.
 */
function setup(failures: number, thrown: (n: number) => unknown) {
  const container = quietContainer();
  const seen: AttemptSeen[] = [];
  container.registerNode('node', (_data: unknown, ctx: NodeContext) => {
    seen.push({ attempt: ctx.attempt, key: ctx.idempotencyKey, actionId: ctx.action.actionId });
    if (seen.length <= failures) throw thrown(seen.length);
    return { ok: seen.length };
  });
  return { seen, orchestrator: fastOrchestrator(container, { circuitBreakers: false }) };
}

describe('retries', () => {
  it('completes a node that fails twice with retryCount 2, after 3 attempts with the same idempotency key', async () => {
    const { seen, orchestrator } = setup(2, (n) => new Error(`transient ${n}`));
    const step = oneActionStep('flaky', 'node', { retryCount: 2 });
    const out = await orchestrator.process({ steps: asInput([step]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs.flaky).toEqual({ ok: 3 });
    expect(out.stepReports[0]!.attempts).toBe(3);
    expect(out.stepReports[0]!.actions[0]!.attempts).toBe(3);
    expect(out.stepReports[0]!.actions[0]!.state).toBe(EnumStepState.COMPLETED);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.key))).toEqual(new Set([step.actionId]));
    expect(seen.every((s) => s.actionId === step.actionId)).toBe(true);
    // Retried failures that were recovered from are not errors of the run.
    expect(out.errors).toEqual([]);
  });

  it('fails the same node with retryCount 1 (2 attempts)', async () => {
    const { seen, orchestrator } = setup(2, (n) => new Error(`transient ${n}`));
    const err = await rejectionOf(
      orchestrator.process({ steps: asInput([oneActionStep('flaky', 'node', { retryCount: 1 })]) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(err.message).toContain('transient 2');
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    const output = outputOf(err);
    expect(output.stepReports[0]!.attempts).toBe(2);
    expect(output.stepReports[0]!.state).toBe(EnumStepState.FAILED);
  });

  it('tries once by default (retryCount 0)', async () => {
    const { seen, orchestrator } = setup(1, () => new Error('once'));
    await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('a', 'node')]) }));
    expect(seen).toHaveLength(1);
  });

  it('retries RESOURCE_UNAVAILABLE, SERVICE_UNAVAILABLE and TIMEOUT codes', async () => {
    for (const code of [
      EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
      EnumCoreErrorCode.SERVICE_UNAVAILABLE,
      EnumCoreErrorCode.TIMEOUT,
    ]) {
      const { seen, orchestrator } = setup(1, () => new OnexError(code, 'try again'));
      const out = await orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 1 })]) });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      expect(seen).toHaveLength(2);
    }
  });

  it('tries an OnexError.nonRetryable(...) once, whatever retryCount says', async () => {
    const { seen, orchestrator } = setup(5, () =>
      OnexError.nonRetryable(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'gone for good'),
    );
    const err = await rejectionOf(
      orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 3 })]) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(seen).toHaveLength(1);
  });

  it('tries a VALIDATION_ERROR once, even when marked retryable', async () => {
    for (const make of [
      () => new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, 'bad input'),
      () => OnexError.retryable(EnumCoreErrorCode.VALIDATION_ERROR, 'bad input'),
      () => Object.assign(new Error('bad input'), { code: EnumCoreErrorCode.VALIDATION_ERROR }),
    ]) {
      const { seen, orchestrator } = setup(5, make);
      const err = await rejectionOf(
        orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 3 })]) }),
      );
      expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
      expect(seen).toHaveLength(1);
    }
  });

  it('tries an OnexError with a code that is not retryable once (e.g. NOT_FOUND)', async () => {
    const { seen, orchestrator } = setup(5, () => new OnexError(EnumCoreErrorCode.NOT_FOUND, 'no such thing'));
    const err = await rejectionOf(
      orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 3 })]) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.NOT_FOUND);
    expect(seen).toHaveLength(1);
  });

  it('retries an OnexError.retryable(...) whatever its code', async () => {
    const { seen, orchestrator } = setup(2, () => OnexError.retryable(EnumCoreErrorCode.NOT_FOUND, 'not yet'));
    const out = await orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 2 })]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(seen).toHaveLength(3);
  });

  it('tries a plain Error marked retryable: false once', async () => {
    const { seen, orchestrator } = setup(5, () => Object.assign(new Error('permanent'), { retryable: false }));
    await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('a', 'node', { retryCount: 3 })]) }));
    expect(seen).toHaveLength(1);
  });

  for (const [label, value, text] of [
    ['a string', 'boom', '"boom"'],
    ['undefined', undefined, 'undefined'],
    ['a number', 42, '42'],
    ['a plain object', { reason: 'x' }, '{"reason":"x"}'],
  ] as const) {
    it(`wraps ${label} thrown by a node into an OnexError (and retries it)`, async () => {
      const { seen, orchestrator } = setup(5, () => value);
      const out = await orchestrator.process({
        failureStrategy: 'continue_on_error',
        steps: asInput([oneActionStep('a', 'node', { retryCount: 1 })]),
      });
      expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
      expect(seen).toHaveLength(2);
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]!.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
      expect(out.errors[0]!.message).toContain(text);
      expect(out.stepReports[0]!.error?.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    });
  }

  it('rejects with an OnexError (not the raw value) when a node throws a string under FAIL_FAST', async () => {
    const { orchestrator } = setup(5, () => 'raw string');
    const err = await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('a', 'node')]) }));
    expect(err).toBeInstanceOf(OnexError);
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(err.message).toContain('raw string');
  });
});
