// Failure strategies (spec §4, decisions.md): FAIL_FAST rejects with the action's own code and aborts in-flight work;
// CONTINUE_ON_ERROR resolves with COMPLETED / PARTIAL_SUCCESS / FAILED; RETRY gives retry-less actions 3 retries;
// COMPENSATE behaves as FAIL_FAST (without compensations configured).
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type NodeContext,
  type NodeOrchestrator,
  type NodeOrchestratorOptions,
  OnexError,
} from '../../../src/index.js';
import {
  asInput,
  fastOrchestrator,
  oneActionStep,
  outputOf,
  quietContainer,
  reasonsByName,
  rejectionOf,
  sleep,
  sleepUnlessAborted,
  statesByName,
} from './support.js';

/**
 * Nodes: `ok` answers after `ms`; `long` waits 5 s unless aborted and records its signal; `broken` throws
 * RESOURCE_UNAVAILABLE after 20 ms; `plain` throws a plain Error; `flaky` fails `operationData.failures` times first.
 */
function setup(options: NodeOrchestratorOptions = {}) {
  const container = quietContainer();
  const calls: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const attempts = new Map<string, number>();
  container.registerNode('ok', async (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    await sleep(Number(data.ms ?? 1));
    return { step: ctx.stepName };
  });
  container.registerNode('long', async (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    signals.set(ctx.stepName, ctx.signal);
    await sleepUnlessAborted(5_000, ctx.signal);
    return { step: ctx.stepName };
  });
  container.registerNode('broken', async (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    await sleep(20);
    throw new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, `${ctx.stepName}: backend down`);
  });
  container.registerNode('plain', (_data: unknown, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    throw new Error(`${ctx.stepName}: plain failure`);
  });
  container.registerNode('flaky', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    calls.push(ctx.stepName);
    const n = (attempts.get(ctx.stepName) ?? 0) + 1;
    attempts.set(ctx.stepName, n);
    if (n <= Number(data.failures)) throw new Error(`${ctx.stepName}: attempt ${n} failed`);
    return { step: ctx.stepName, attempt: ctx.attempt };
  });
  return { container, calls, signals, attempts, orchestrator: fastOrchestrator(container, options) };
}

/** FAIL_FAST-like behaviour, shared by FAIL_FAST, RETRY and COMPENSATE. */
async function expectFailFast(
  orchestrator: NodeOrchestrator,
  strategy: 'fail_fast' | 'retry' | 'compensate',
  calls: string[],
  signals: Map<string, AbortSignal>,
) {
  const long = oneActionStep('long', 'long', { timeoutMs: 10_000 });
  const broken = oneActionStep('broken', 'broken', { retryCount: 0 }, {});
  const queued = oneActionStep('queued', 'ok');
  const after = oneActionStep('after', 'ok', {}, { dependsOn: [broken.stepId] });
  const err = await rejectionOf(
    orchestrator.process({
      executionMode: 'parallel',
      maxParallelSteps: 2,
      failureStrategy: strategy,
      // RETRY gives 'broken' 3 retries: RESOURCE_UNAVAILABLE is retryable, so it fails for good after 4 attempts.
      steps: asInput([long, broken, queued, after]),
    }),
  );
  // The action's own code, and the partial output in the context.
  expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
  expect(String(err)).toMatch(/^\[ONEX_CORE_083_RESOURCE_UNAVAILABLE\] /);
  const output = outputOf(err);
  expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
  expect(output.stepsFailed).toBeGreaterThanOrEqual(1);
  expect(output.failedSteps).toContain(broken.stepId);
  // The in-flight action was aborted through its signal.
  expect(signals.get('long')?.aborted).toBe(true);
  expect(statesByName(output).long).toBe(EnumStepState.CANCELLED);
  // Nothing new started: neither the queued independent step nor the dependent.
  await sleep(40);
  expect(calls).not.toContain('queued');
  expect(calls).not.toContain('after');
  expect(reasonsByName(output).queued).toBe('not_started');
  expect(output.stepsCompleted).toBe(0);
  return { err, output };
}

describe('FAIL_FAST', () => {
  it('rejects with the failing action code, aborts in-flight actions and starts nothing new', async () => {
    const { orchestrator, calls, signals } = setup();
    const { output } = await expectFailFast(orchestrator, 'fail_fast', calls, signals);
    expect(calls.filter((c) => c === 'broken')).toHaveLength(1);
    expect(output.errors[0]).toMatchObject({ code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE });
  });

  it('is the default strategy', async () => {
    const { orchestrator, calls } = setup();
    const err = await rejectionOf(
      orchestrator.process({ steps: asInput([oneActionStep('plain', 'plain'), oneActionStep('next', 'ok')]) }),
    );
    expect(outputOf(err).metadata.failure_strategy).toBe('fail_fast');
    expect(calls).toEqual(['plain']);
  });

  it('uses OPERATION_FAILED when the node threw a plain Error', async () => {
    const { orchestrator } = setup();
    const err = await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('plain', 'plain')]) }));
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(err.message).toContain('plain failure');
    expect(outputOf(err).errors).toEqual([
      expect.objectContaining({ code: EnumCoreErrorCode.OPERATION_FAILED, message: 'plain: plain failure' }),
    ]);
  });

  it('keeps an onex code carried by a plain Error', async () => {
    const { container, orchestrator } = setup();
    container.registerNode('coded', () => {
      throw Object.assign(new Error('no such row'), { code: EnumCoreErrorCode.NOT_FOUND });
    });
    const err = await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('coded', 'coded')]) }));
    expect(err.code).toBe(EnumCoreErrorCode.NOT_FOUND);
  });
});

describe('CONTINUE_ON_ERROR', () => {
  it('lets independent branches continue and resolves PARTIAL_SUCCESS', async () => {
    const { orchestrator, calls } = setup();
    const broken = oneActionStep('broken', 'broken');
    const child = oneActionStep('child', 'ok', {}, { dependsOn: [broken.stepId] });
    const other = oneActionStep('other', 'ok', { operationData: { ms: 30 } });
    const otherChild = oneActionStep('other_child', 'ok', {}, { dependsOn: [other.stepId] });
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'continue_on_error',
      steps: asInput([broken, child, other, otherChild]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(statesByName(out)).toEqual({
      broken: 'failed',
      child: 'skipped',
      other: 'completed',
      other_child: 'completed',
    });
    expect(calls).toContain('other_child');
    expect(calls).not.toContain('child');
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]!.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
  });

  it('resolves COMPLETED when nothing failed', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({
      failureStrategy: 'continue_on_error',
      steps: asInput([oneActionStep('a', 'ok'), oneActionStep('b', 'ok')]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.errors).toEqual([]);
  });

  it('resolves FAILED when nothing completed', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'continue_on_error',
      steps: asInput([oneActionStep('x', 'plain'), oneActionStep('y', 'broken')]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(out.stepsFailed).toBe(2);
    expect(out.stepsCompleted).toBe(0);
    expect(out.errors.map((e) => e.code).sort()).toEqual(
      [EnumCoreErrorCode.OPERATION_FAILED, EnumCoreErrorCode.RESOURCE_UNAVAILABLE].sort(),
    );
  });
});

// The per-node-type circuit breaker (spec §5, 3 consecutive failures by default) counts every attempt, so it would
// short-circuit the 4th attempt; these tests count retries, so they turn breakers off. The interaction itself is
// pinned by the last test of this block.
const noBreakers: NodeOrchestratorOptions = { circuitBreakers: false };

describe('RETRY', () => {
  it('gives actions that declare retryCount 0 three retries', async () => {
    const { orchestrator, attempts } = setup(noBreakers);
    const flaky = oneActionStep('flaky', 'flaky', { retryCount: 0, operationData: { failures: 3 } });
    const out = await orchestrator.process({ failureStrategy: 'retry', steps: asInput([flaky]) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(attempts.get('flaky')).toBe(4);
    expect(out.stepReports[0]!.attempts).toBe(4);
    expect(out.stepOutputs.flaky).toEqual({ step: 'flaky', attempt: 4 });
  });

  it('fails (as FAIL_FAST) once those retries are spent', async () => {
    const { orchestrator, attempts } = setup(noBreakers);
    const flaky = oneActionStep('flaky', 'flaky', { operationData: { failures: 4 } });
    const err = await rejectionOf(orchestrator.process({ failureStrategy: 'retry', steps: asInput([flaky]) }));
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(attempts.get('flaky')).toBe(4);
    expect(outputOf(err).stepReports[0]!.attempts).toBe(4);
  });

  it('keeps an explicit retryCount', async () => {
    const { orchestrator, attempts } = setup();
    const flaky = oneActionStep('flaky', 'flaky', { retryCount: 1, operationData: { failures: 3 } });
    await rejectionOf(orchestrator.process({ failureStrategy: 'retry', steps: asInput([flaky]) }));
    expect(attempts.get('flaky')).toBe(2);
  });

  it('does not give extra retries under other strategies', async () => {
    const { orchestrator, attempts } = setup();
    const flaky = oneActionStep('flaky', 'flaky', { operationData: { failures: 1 } });
    const out = await orchestrator.process({ failureStrategy: 'continue_on_error', steps: asInput([flaky]) });
    expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(attempts.get('flaky')).toBe(1);
  });

  it('aborts in-flight work and starts nothing new, like FAIL_FAST', async () => {
    const { orchestrator, calls, signals } = setup(noBreakers);
    await expectFailFast(orchestrator, 'retry', calls, signals);
    expect(calls.filter((c) => c === 'broken')).toHaveLength(4);
  });

  it('with default breakers, the 4th attempt of a node that failed 3 times is rejected by its open circuit', async () => {
    const { orchestrator, attempts } = setup();
    const flaky = oneActionStep('flaky', 'flaky', { operationData: { failures: 3 } });
    const err = await rejectionOf(orchestrator.process({ failureStrategy: 'retry', steps: asInput([flaky]) }));
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(err.message).toContain('circuit breaker');
    // The node itself saw 3 attempts; the 4th never reached it.
    expect(attempts.get('flaky')).toBe(3);
    expect(outputOf(err).stepReports[0]!.attempts).toBe(4);
  });
});

describe('COMPENSATE', () => {
  it('behaves as FAIL_FAST', async () => {
    const { orchestrator, calls, signals } = setup();
    await expectFailFast(orchestrator, 'compensate', calls, signals);
    expect(calls.filter((c) => c === 'broken')).toHaveLength(1);
  });
});
