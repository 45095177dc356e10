// Timeouts (spec §4): action timeoutMs, step timeoutMs (bounds the whole step), workflow globalTimeoutMs. On expiry the
// node's signal aborts, the action ends TIMEOUT, and the orchestrator moves on even when the node ignores its signal.
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumStepState, EnumWorkflowState, type NodeContext } from '../../../src/index.js';
import {
  asInput,
  fastOrchestrator,
  never,
  oneActionStep,
  outputOf,
  quietContainer,
  rejectionOf,
  sleep,
  sleepUnlessAborted,
  statesByName,
} from './support.js';

/**
 * Nodes: `hang` never settles and ignores its signal; `polite` sleeps `ms` unless aborted; `late` ignores its signal
 * and resolves after `ms`; `ok` answers at once. Every call's signal is kept by step name (last call wins).
 */
function setup() {
  const container = quietContainer();
  const signals = new Map<string, AbortSignal>();
  const calls: string[] = [];
  const note = (ctx: NodeContext) => {
    calls.push(ctx.stepName);
    signals.set(ctx.stepName, ctx.signal);
  };
  container.registerNode('hang', (_data: unknown, ctx: NodeContext) => {
    note(ctx);
    return never();
  });
  container.registerNode('polite', async (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    note(ctx);
    await sleepUnlessAborted(Number(data.ms), ctx.signal);
    return { step: ctx.stepName };
  });
  container.registerNode('late', async (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    note(ctx);
    await sleep(Number(data.ms));
    return { late: true };
  });
  container.registerNode('ok', (_data: unknown, ctx: NodeContext) => {
    note(ctx);
    return { step: ctx.stepName };
  });
  return { signals, calls, orchestrator: fastOrchestrator(container, { circuitBreakers: false }) };
}

describe('action timeout', () => {
  it('ends a node that never resolves as TIMEOUT, aborting its signal', async () => {
    const { orchestrator, signals } = setup();
    const err = await rejectionOf(
      orchestrator.process({ steps: asInput([oneActionStep('stuck', 'hang', { timeoutMs: 100 })]) }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(err.code).toBe('ONEX_CORE_088_TIMEOUT');
    const output = outputOf(err);
    expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(output.stepReports[0]!.state).toBe(EnumStepState.TIMEOUT);
    expect(output.stepReports[0]!.actions[0]!.state).toBe(EnumStepState.TIMEOUT);
    expect(output.errors[0]!.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(signals.get('stuck')?.aborted).toBe(true);
    expect(signals.get('stuck')?.reason).toMatchObject({ code: EnumCoreErrorCode.TIMEOUT });
  });

  it('retries a timed-out attempt (TIMEOUT is retryable) with a fresh signal', async () => {
    const { orchestrator } = setup();
    const container = orchestrator.container;
    let call = 0;
    const firstSignals: AbortSignal[] = [];
    container.registerNode('slow_once', async (_data: unknown, ctx: NodeContext) => {
      call++;
      firstSignals.push(ctx.signal);
      if (call === 1) return never();
      return { call };
    });
    const out = await orchestrator.process({
      steps: asInput([oneActionStep('s', 'slow_once', { timeoutMs: 100, retryCount: 1 })]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs.s).toEqual({ call: 2 });
    expect(firstSignals[0]!.aborted).toBe(true);
    expect(firstSignals[1]!.aborted).toBe(false);
  });

  it('moves on when the node ignores its signal, and a late result changes nothing', async () => {
    const { orchestrator, calls } = setup();
    const late = oneActionStep('late', 'late', { timeoutMs: 100, operationData: { ms: 200 } });
    const after = oneActionStep('after', 'ok', {}, { dependsOn: [late.stepId] });
    const out = await orchestrator.process({ failureStrategy: 'continue_on_error', steps: asInput([late, after]) });
    expect(statesByName(out)).toEqual({ late: 'timeout', after: 'skipped' });
    const runBefore = await orchestrator.store.getRun(out.operationId);
    const storedBefore = runBefore!.actions.find((a) => a.actionId === late.actionId)!;
    expect(storedBefore.state).toBe(EnumStepState.TIMEOUT);
    // Let the node resolve after its abort.
    await sleep(200);
    const runAfter = await orchestrator.store.getRun(out.operationId);
    const storedAfter = runAfter!.actions.find((a) => a.actionId === late.actionId)!;
    expect(storedAfter).toEqual(storedBefore);
    expect(storedAfter.result).toBeUndefined();
    expect(runAfter!.state).toBe(EnumWorkflowState.FAILED);
    expect(calls).toEqual(['late']);
    expect(out.stepOutputs).not.toHaveProperty('late');
  });
});

describe('step timeout', () => {
  it('bounds the whole step: the running action is aborted and the rest never start', async () => {
    const { orchestrator, calls, signals } = setup();
    const out = await orchestrator.process({
      failureStrategy: 'continue_on_error',
      steps: [
        {
          stepName: 'three',
          executionMode: 'sequential',
          timeoutMs: 150,
          actions: [1, 2, 3].map((i) => ({
            actionType: 'compute' as const,
            targetNodeType: 'polite',
            operationData: { ms: 90, i },
            timeoutMs: 5_000,
          })),
        },
        { stepName: 'independent', actions: [{ actionType: 'compute' as const, targetNodeType: 'ok' }] },
      ],
    });
    const report = out.stepReports[0]!;
    expect(report.state).toBe(EnumStepState.TIMEOUT);
    expect(report.error?.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(report.actions.map((a) => a.state)).toEqual([
      EnumStepState.COMPLETED,
      EnumStepState.TIMEOUT,
      EnumStepState.CANCELLED,
    ]);
    expect(calls.filter((c) => c === 'three')).toHaveLength(2);
    expect(signals.get('three')?.aborted).toBe(true);
    // The timeout is the step's: every action's own timeout (5 s) was far away.
    expect(out.errors.some((e) => e.stepId === report.stepId && e.code === EnumCoreErrorCode.TIMEOUT)).toBe(true);
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
  });

  it('fails the run under FAIL_FAST with TIMEOUT', async () => {
    const { orchestrator, calls } = setup();
    const slow = oneActionStep(
      'slow',
      'polite',
      { operationData: { ms: 1_000 }, timeoutMs: 5_000 },
      { timeoutMs: 100 },
    );
    const next = oneActionStep('next', 'ok', {}, { dependsOn: [slow.stepId] });
    const err = await rejectionOf(orchestrator.process({ steps: asInput([slow, next]) }));
    expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(outputOf(err).stepReports[0]!.state).toBe(EnumStepState.TIMEOUT);
    expect(calls).toEqual(['slow']);
  });
});

describe('workflow timeout', () => {
  for (const strategy of ['fail_fast', 'continue_on_error'] as const) {
    it(`fails the run with WORKFLOW_TIMEOUT under ${strategy}`, async () => {
      const { orchestrator, signals, calls } = setup();
      const slow = oneActionStep('slow', 'polite', { operationData: { ms: 5_000 }, timeoutMs: 10_000 });
      const next = oneActionStep('next', 'ok', {}, { dependsOn: [slow.stepId] });
      const err = await rejectionOf(
        orchestrator.process({ globalTimeoutMs: 150, failureStrategy: strategy, steps: asInput([slow, next]) }),
      );
      expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_WORKFLOW_TIMEOUT);
      expect(err.code).toBe('ONEX_CORE_314_ORCHESTRATOR_EXEC_WORKFLOW_TIMEOUT');
      const output = outputOf(err);
      expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
      expect(statesByName(output).slow).toBe(EnumStepState.TIMEOUT);
      expect(signals.get('slow')?.aborted).toBe(true);
      expect(calls).toEqual(['slow']);
    });
  }

  it('ends the run even when the node ignores its signal', async () => {
    const { orchestrator } = setup();
    const err = await rejectionOf(
      orchestrator.process({
        globalTimeoutMs: 120,
        steps: asInput([oneActionStep('stuck', 'hang', { timeoutMs: 60_000 })]),
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_WORKFLOW_TIMEOUT);
    expect(orchestrator.activeWorkflows.size).toBe(0);
  });
});
