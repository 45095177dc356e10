// Recovery (spec §5, src/resilience/recovery.ts): processWithRecovery and NodeResilientOrchestrator catch a run that
// failed with a recoverable code and retry it with backoff, re-run it skipping the failed step (PARTIAL_SUCCESS), or
// accept its saga rollback; anything else is thrown as is. Node calls are counted inside the nodes.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type ModelONEXContainer,
  type ModelOrchestratorInputInput,
  type NodeContext,
  NodeResilientOrchestrator,
  OnexError,
  processWithRecovery,
  type RecoveryEvent,
  type RecoveryOptions,
} from '../../../src/index.js';
import { orchestratorFor, outputOf, quietContainer, rejectionOf, sleep, statesByName, step, steps } from './helpers.js';

const FAST: RecoveryOptions['backoff'] = { initialDelayMs: 1, maxDelayMs: 5 };

/** A node that fails its first `failures` calls with `error` (then answers), and counts calls and keys. */
function failing(container: ModelONEXContainer, type: string, failures: number, error: () => unknown) {
  const seen = { calls: 0, keys: [] as string[] };
  container.registerNode(type, (_d: unknown, ctx: NodeContext) => {
    seen.calls++;
    seen.keys.push(ctx.idempotencyKey);
    if (seen.calls <= failures) throw error();
    return { type, call: seen.calls };
  });
  return seen;
}

/** A node whose first `hangs` calls never answer (so they time out); later calls answer at once. */
function hanging(container: ModelONEXContainer, type: string, hangs: number) {
  const seen = { calls: 0 };
  container.registerNode(type, () => {
    seen.calls++;
    if (seen.calls <= hangs) return new Promise<never>(() => {});
    return { type, call: seen.calls };
  });
  return seen;
}

const unavailable = () => new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'source down');

describe('processWithRecovery: retry', () => {
  it('recovers a TIMEOUT by running the workflow again; the output says how', async () => {
    const container = quietContainer();
    const slow = hanging(container, 'slow', 1);
    const orchestrator = orchestratorFor(container);
    const s = step('slow', 'slow', { timeoutMs: 100 });
    const events: RecoveryEvent[] = [];
    const out = await processWithRecovery(
      orchestrator,
      { workflowName: 'timeouts', steps: steps(s) },
      { strategy: 'retry', maxRetries: 2, backoff: FAST, onRecovery: (e) => events.push(e) },
    );
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs.slow).toEqual({ type: 'slow', call: 2 });
    expect(slow.calls).toBe(2);
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect(out.metadata.recovery_attempts).toBe(1);
    const recovered = out.metadata.recovered_errors as { operation_id: string; code: string }[];
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(recovered[0]!.operation_id).not.toBe(out.operationId); // each run has its own run id
    expect(events.map((e) => [e.strategy, e.attempt, e.error.code])).toEqual([['retry', 1, EnumCoreErrorCode.TIMEOUT]]);
    expect(events[0]!.delayMs).toBeGreaterThanOrEqual(0);
    expect(events[0]!.delayMs).toBeLessThanOrEqual(5);
  });

  it('retries RESOURCE_UNAVAILABLE with backoff, keeps the action ids (idempotency keys) and sheds parallelism', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', 2, unavailable);
    const orchestrator = orchestratorFor(container);
    const s = step('source', 'source', { actionType: 'effect' });
    const events: RecoveryEvent[] = [];
    const out = await processWithRecovery(
      orchestrator,
      { executionMode: 'parallel', maxParallelSteps: 4, steps: steps(s) },
      { maxRetries: 3, backoff: { initialDelayMs: 5, maxDelayMs: 40 }, onRecovery: (e) => events.push(e) },
    );
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(source.calls).toBe(3);
    expect(new Set(source.keys)).toEqual(new Set([s.actionId]));
    expect(out.metadata.recovery_attempts).toBe(2);
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    for (const e of events) expect(e.delayMs).toBeLessThanOrEqual(40);
    // Each run is recorded under its own id; the tutorial's load shedding lowers maxParallelSteps by one per retry.
    const runIds = [
      ...(out.metadata.recovered_errors as { operation_id: string }[]).map((r) => r.operation_id),
      out.operationId,
    ];
    expect(new Set(runIds).size).toBe(3);
    const limits = await Promise.all(
      runIds.map(async (id) => (await orchestrator.store.getRun(id))?.definition as Record<string, unknown>),
    );
    expect(limits.map((d) => d?.max_parallel_steps)).toEqual([4, 3, 2]);
  });

  it('keeps maxParallelSteps with reduceParallelism: false', async () => {
    const container = quietContainer();
    failing(container, 'source', 1, unavailable);
    const orchestrator = orchestratorFor(container);
    const out = await processWithRecovery(
      orchestrator,
      { maxParallelSteps: 4, steps: steps(step('source', 'source')) },
      { backoff: FAST, reduceParallelism: false },
    );
    const run = await orchestrator.store.getRun(out.operationId);
    expect(run?.definition).toMatchObject({ max_parallel_steps: 4 });
  });

  it('gives up after maxRetries: rejects with the last failure, its output, and the attempts made', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', Number.POSITIVE_INFINITY, unavailable);
    const err = await rejectionOf(
      processWithRecovery(
        orchestratorFor(container),
        { steps: steps(step('source', 'source')) },
        { maxRetries: 2, backoff: FAST },
      ),
    );
    expect(source.calls).toBe(3);
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(err.message).toMatch(/recovery gave up after 2 attempt/);
    expect(err.context.recoveryAttempts).toBe(2);
    expect(outputOf(err).workflowState).toBe(EnumWorkflowState.FAILED);
    expect(err.cause).toBeInstanceOf(OnexError);
  });

  it('maxRetries 0 runs once', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', 1, unavailable);
    await rejectionOf(
      processWithRecovery(orchestratorFor(container), { steps: steps(step('s', 'source')) }, { maxRetries: 0 }),
    );
    expect(source.calls).toBe(1);
  });

  const notRecoverable: [string, () => unknown, string][] = [
    [
      'VALIDATION_ERROR',
      () => new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, 'bad'),
      EnumCoreErrorCode.VALIDATION_ERROR,
    ],
    [
      'SERVICE_UNAVAILABLE (not in the default recoverOn)',
      () => new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'x'),
      EnumCoreErrorCode.SERVICE_UNAVAILABLE,
    ],
    ['a plain Error', () => new Error('bug'), EnumCoreErrorCode.OPERATION_FAILED],
  ];
  for (const [label, make, code] of notRecoverable) {
    it(`throws ${label} at once, unchanged, without another run`, async () => {
      const container = quietContainer();
      const source = failing(container, 'source', 1, make);
      const orchestrator = orchestratorFor(container);
      const err = await rejectionOf(
        processWithRecovery(orchestrator, { steps: steps(step('s', 'source')) }, { strategy: ['retry', 'skip'] }),
      );
      expect(err.code).toBe(code);
      expect(err.message).not.toMatch(/recovery/);
      expect(err.context.recoveryAttempts).toBeUndefined();
      expect(source.calls).toBe(1);
    });
  }

  it('recoverOn chooses the codes: OPERATION_FAILED can be made recoverable', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', 1, () => new Error('flaky library'));
    const out = await processWithRecovery(
      orchestratorFor(container),
      { steps: steps(step('s', 'source')) },
      { recoverOn: [EnumCoreErrorCode.OPERATION_FAILED], backoff: FAST },
    );
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(source.calls).toBe(2);
  });

  it('returns a first-time success untouched (no recovery metadata)', async () => {
    const container = quietContainer();
    failing(container, 'source', 0, unavailable);
    const out = await processWithRecovery(orchestratorFor(container), { steps: steps(step('s', 'source')) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.metadata.recovery_strategy).toBeUndefined();
  });

  it('rejects an invalid workflow before running anything', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', 0, unavailable);
    const a = step('a', 'source');
    const err = await rejectionOf(
      processWithRecovery(orchestratorFor(container), { steps: steps({ ...a, dependsOn: [a.stepId] }) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    expect(source.calls).toBe(0);
  });

  it('stops at once when cancelled during the backoff', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', Number.POSITIVE_INFINITY, unavailable);
    const controller = new AbortController();
    const running = processWithRecovery(
      orchestratorFor(container),
      { steps: steps(step('s', 'source')) },
      { maxRetries: 5, backoff: { initialDelayMs: 10_000, maxDelayMs: 10_000 } },
      { signal: controller.signal },
    );
    await sleep(30);
    controller.abort();
    const err = await rejectionOf(running);
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
    expect(source.calls).toBe(1);
  });

  it('gets a run through an open circuit breaker once the backoff outlasts the cool-down', async () => {
    const container = quietContainer();
    const source = failing(container, 'source', 1, unavailable);
    const orchestrator = orchestratorFor(container, { circuitBreakers: { failureThreshold: 1, cooldownMs: 30 } });
    const input = { steps: steps(step('s', 'source')) };
    await rejectionOf(orchestrator.process(input)); // opens the circuit
    const out = await processWithRecovery(orchestrator, input, {
      maxRetries: 3,
      backoff: { initialDelayMs: 40, maxDelayMs: 80 },
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(source.calls).toBe(2); // the rejected first run never reached the node
    expect((out.metadata.recovered_errors as { message: string }[])[0]!.message).toMatch(/circuit breaker/);
  });
});

/** validate → fetch (an unavailable source) → process, plus an independent `audit` branch. */
function sourcePipeline(container: ModelONEXContainer, fetchFailures: number) {
  container.registerNode('validate', () => ({ valid: true }));
  const fetch = failing(container, 'fetch', fetchFailures, unavailable);
  container.registerNode('process', (_d: unknown, ctx: NodeContext) => ({ processed: ctx.inputs.length }));
  container.registerNode('audit', () => ({ audited: true }));
  const validate = step('validate', 'validate');
  const fetchStep = step('fetch', 'fetch', { actionType: 'effect' }, { dependsOn: [validate.stepId] });
  const process = step('process', 'process', {}, { dependsOn: [fetchStep.stepId] });
  const audit = step('audit', 'audit');
  const input: ModelOrchestratorInputInput = {
    executionMode: 'parallel',
    steps: steps(validate, fetchStep, process, audit),
  };
  return { fetch, input };
}

describe('processWithRecovery: skip', () => {
  it('re-runs under CONTINUE_ON_ERROR: the failed step is skipped over, PARTIAL_SUCCESS, "partial_results"', async () => {
    const container = quietContainer();
    const { fetch, input } = sourcePipeline(container, Number.POSITIVE_INFINITY);
    const out = await processWithRecovery(orchestratorFor(container), input, { strategy: 'skip' });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(out.metadata.recovery_strategy).toBe('partial_results');
    expect(out.metadata.failure_strategy).toBe('continue_on_error');
    expect(statesByName(out)).toEqual({
      validate: EnumStepState.COMPLETED,
      fetch: EnumStepState.FAILED,
      process: EnumStepState.SKIPPED,
      audit: EnumStepState.COMPLETED,
    });
    expect(out.errors.map((e) => e.code)).toEqual([EnumCoreErrorCode.RESOURCE_UNAVAILABLE]);
    expect(fetch.calls).toBe(2);
  });

  it('after retries that keep failing, [retry, skip] ends with partial results', async () => {
    const container = quietContainer();
    const { fetch, input } = sourcePipeline(container, Number.POSITIVE_INFINITY);
    const out = await processWithRecovery(orchestratorFor(container), input, {
      strategy: ['retry', 'skip'],
      maxRetries: 2,
      backoff: FAST,
    });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(out.metadata.recovery_strategy).toBe('partial_results');
    expect(out.metadata.recovery_attempts).toBe(3);
    expect(out.metadata.recovered_errors).toHaveLength(3);
    expect(fetch.calls).toBe(4);
  });

  it('[retry, skip] stops at the retry when a retry succeeds', async () => {
    const container = quietContainer();
    const { fetch, input } = sourcePipeline(container, 1);
    const out = await processWithRecovery(orchestratorFor(container), input, {
      strategy: ['retry', 'skip'],
      backoff: FAST,
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect(fetch.calls).toBe(2);
  });
});

describe('processWithRecovery: rollback', () => {
  /** An effect with a compensation, then a failing source. */
  function saga(container: ModelONEXContainer, undo: () => void) {
    const undone: string[] = [];
    container.registerNode('reserve', {
      execute: () => ({ reserved: 1 }),
      compensate: () => {
        undo();
        undone.push('reserve');
      },
    });
    const source = failing(container, 'source', Number.POSITIVE_INFINITY, unavailable);
    const reserve = step('reserve', 'reserve', { actionType: 'effect' });
    const fetch = step('fetch', 'source', {}, { dependsOn: [reserve.stepId] });
    return { undone, source, input: { steps: steps(reserve, fetch) } };
  }

  it('returns the failed run once the saga undid it, instead of rejecting', async () => {
    const container = quietContainer();
    const { undone, source, input } = saga(container, () => {});
    const out = await processWithRecovery(orchestratorFor(container), input, { strategy: 'rollback' });
    expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(out.metadata.recovery_strategy).toBe('rollback');
    expect(undone).toEqual(['reserve']);
    expect(source.calls).toBe(1);
    expect((out.metadata.compensations as { state: string }[]).map((c) => c.state)).toEqual([
      EnumStepState.COMPENSATED,
    ]);
  });

  it('rejects when a compensation failed: no clean rollback', async () => {
    const container = quietContainer();
    const { input } = saga(container, () => {
      throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'cannot release');
    });
    const err = await rejectionOf(processWithRecovery(orchestratorFor(container), input, { strategy: 'rollback' }));
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(err.message).toMatch(/recovery gave up/);
  });

  it('[retry, rollback]: retries first, then accepts the last run rolled back', async () => {
    const container = quietContainer();
    const { undone, source, input } = saga(container, () => {});
    const out = await processWithRecovery(orchestratorFor(container), input, {
      strategy: ['retry', 'rollback'],
      maxRetries: 1,
      backoff: FAST,
    });
    expect(out.metadata.recovery_strategy).toBe('rollback');
    expect(source.calls).toBe(2);
    expect(undone).toEqual(['reserve', 'reserve']); // each failed run was compensated
  });
});

describe('recovery options', () => {
  const bad: [string, RecoveryOptions][] = [
    ['an unknown strategy', { strategy: ['retry', 'pray' as 'retry'] }],
    ['a strategy given twice', { strategy: ['retry', 'retry'] }],
    ['rollback before another strategy', { strategy: ['rollback', 'retry'] }],
    ['no strategy', { strategy: [] }],
    ['a negative maxRetries', { maxRetries: -1 }],
    ['a fractional maxRetries', { maxRetries: 1.5 }],
    ['a backoff whose max is below its initial delay', { backoff: { initialDelayMs: 50, maxDelayMs: 10 } }],
  ];
  for (const [label, options] of bad) {
    it(`rejects ${label} with INVALID_PARAMETER before running anything`, async () => {
      const container = quietContainer();
      const source = failing(container, 'source', 0, unavailable);
      const err = await rejectionOf(
        processWithRecovery(orchestratorFor(container), { steps: steps(step('s', 'source')) }, options),
      );
      expect(err.code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
      expect(source.calls).toBe(0);
      expect(() => new NodeResilientOrchestrator(container, { recovery: options })).toThrow(OnexError);
    });
  }
});

describe("NodeResilientOrchestrator (the tutorial's NodeResilientPipelineOrchestrator)", () => {
  it('recovers a TIMEOUT with its default settings (retry)', async () => {
    const container = quietContainer();
    const slow = hanging(container, 'slow', 1);
    const orchestrator = new NodeResilientOrchestrator(container, {
      circuitBreakers: false,
      recovery: { backoff: FAST },
    });
    const out = await orchestrator.process({ steps: steps(step('slow', 'slow', { timeoutMs: 100 })) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect(slow.calls).toBe(2);
    expect(orchestrator.activeWorkflows.size).toBe(0);
  });

  it('is a NodeOrchestrator: plan() works, and a plain success needs no recovery', async () => {
    const container = quietContainer();
    failing(container, 'source', 0, unavailable);
    const orchestrator = new NodeResilientOrchestrator(container);
    const input = { steps: steps(step('s', 'source')) };
    expect(orchestrator.plan(input).actionsEmitted).toHaveLength(1);
    const out = await orchestrator.process(input);
    expect(out.metadata.recovery_strategy).toBeUndefined();
  });
});
