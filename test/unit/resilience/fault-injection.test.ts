// Fault injection (issue #5, spec §4): nodes that fail N times, fail with each retry-relevant code, hang past their
// timeout, throw non-Error values, or resolve after their abort. Each scenario runs several times: the workflow must
// end in the state the spec says every time. Breakers are off here (helpers.ts) so only retry semantics count;
// circuit-breaker.test.ts covers their interplay.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type NodeContext,
  OnexError,
} from '../../../src/index.js';
import {
  orchestratorFor,
  outputOf,
  quietContainer,
  reasonsByName,
  rejectionOf,
  repeat,
  sleep,
  statesByName,
  step,
  steps,
} from './helpers.js';

const ROUNDS = 5;
const S = EnumStepState;

describe('a node that fails N times, then succeeds', () => {
  for (const failures of [0, 1, 2, 3]) {
    it(`completes after ${failures + 1} attempt(s) when retryCount >= ${failures}, with one idempotency key`, async () => {
      await repeat(ROUNDS, async () => {
        const container = quietContainer();
        const seen: { attempt: number; key: string }[] = [];
        container.registerNode('flaky', (_d: unknown, ctx: NodeContext) => {
          seen.push({ attempt: ctx.attempt, key: ctx.idempotencyKey });
          if (seen.length <= failures) throw new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'try again');
          return { ok: true, attempt: ctx.attempt };
        });
        const s = step('flaky', 'flaky', { retryCount: 3 });
        const out = await orchestratorFor(container).process({ steps: steps(s) });
        expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
        expect(out.stepOutputs.flaky).toEqual({ ok: true, attempt: failures + 1 });
        expect(seen.map((c) => c.attempt)).toEqual(Array.from({ length: failures + 1 }, (_, i) => i + 1));
        expect(new Set(seen.map((c) => c.key))).toEqual(new Set([s.actionId]));
        expect(out.stepReports[0]!.attempts).toBe(failures + 1);
      });
    });
  }

  it('fails the run (FAIL_FAST) when the failures outnumber the retries, after retryCount + 1 calls', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      let calls = 0;
      container.registerNode('flaky', () => {
        calls++;
        if (calls <= 3) throw new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, `down (${calls})`);
        return 'too late';
      });
      let afterCalls = 0;
      container.registerNode('after', () => {
        afterCalls++;
        return 'never';
      });
      const first = step('flaky', 'flaky', { retryCount: 2 });
      const after = step('after', 'after', {}, { dependsOn: [first.stepId] });
      const err = await rejectionOf(orchestratorFor(container).process({ steps: steps(first, after) }));
      expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
      expect(calls).toBe(3);
      const out = outputOf(err);
      expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
      expect(statesByName(out).flaky).toBe(S.FAILED);
      expect(afterCalls).toBe(0);
      expect(statesByName(out).after).not.toBe(S.COMPLETED);
      expect(out.errors).toEqual([
        expect.objectContaining({
          actionId: first.actionId,
          code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
          message: 'down (3)',
        }),
      ]);
    });
  });
});

describe('each retry-relevant error code', () => {
  const retryable = [
    [EnumCoreErrorCode.TIMEOUT, S.TIMEOUT],
    [EnumCoreErrorCode.RESOURCE_UNAVAILABLE, S.FAILED],
    [EnumCoreErrorCode.SERVICE_UNAVAILABLE, S.FAILED],
  ] as const;
  for (const [code, actionState] of retryable) {
    it(`${code} is retried: retryCount 2 means 3 calls, then the run fails with that code (action ${actionState})`, async () => {
      await repeat(ROUNDS, async () => {
        const container = quietContainer();
        let calls = 0;
        container.registerNode('bad', () => {
          calls++;
          throw new OnexError(code, `failure ${calls}`);
        });
        const s = step('bad', 'bad', { retryCount: 2 });
        const err = await rejectionOf(orchestratorFor(container).process({ steps: steps(s) }));
        expect(calls).toBe(3);
        expect(err.code).toBe(code);
        const out = outputOf(err);
        expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
        expect(out.stepReports[0]!.actions[0]!.state).toBe(actionState);
        expect(out.stepReports[0]!.actions[0]!.attempts).toBe(3);
      });
    });
  }

  const final: [string, () => unknown][] = [
    ['VALIDATION_ERROR', () => new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, 'bad row')],
    ['VALIDATION_ERROR marked retryable', () => OnexError.retryable(EnumCoreErrorCode.VALIDATION_ERROR, 'bad row')],
    [
      'a non-retryable OnexError',
      () => OnexError.nonRetryable(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'gone for good'),
    ],
    [
      'an OnexError whose code does not retry (NOT_FOUND)',
      () => new OnexError(EnumCoreErrorCode.NOT_FOUND, 'no such row'),
    ],
    ['a plain Error marked retryable: false', () => Object.assign(new Error('permanent'), { retryable: false })],
  ];
  for (const [label, make] of final) {
    it(`${label} is not retried: one call whatever retryCount says, and the run fails`, async () => {
      await repeat(ROUNDS, async () => {
        const container = quietContainer();
        let calls = 0;
        const thrown = make();
        container.registerNode('bad', () => {
          calls++;
          throw thrown;
        });
        const err = await rejectionOf(
          orchestratorFor(container).process({ steps: steps(step('bad', 'bad', { retryCount: 5 })) }),
        );
        expect(calls).toBe(1);
        expect(err.code).toBe(thrown instanceof OnexError ? thrown.code : EnumCoreErrorCode.OPERATION_FAILED);
        expect(outputOf(err).workflowState).toBe(EnumWorkflowState.FAILED);
      });
    });
  }

  it('under CONTINUE_ON_ERROR the same failures resolve PARTIAL_SUCCESS, the independent branch completes', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      container.registerNode('bad', () => {
        throw new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'down');
      });
      container.registerNode('good', () => 'fine');
      const bad = step('bad', 'bad', { retryCount: 1 });
      const child = step('child', 'good', {}, { dependsOn: [bad.stepId] });
      const other = step('other', 'good');
      const out = await orchestratorFor(container).process({
        executionMode: 'parallel',
        failureStrategy: 'continue_on_error',
        steps: steps(bad, child, other),
      });
      expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
      expect(statesByName(out)).toEqual({ bad: S.FAILED, child: S.SKIPPED, other: S.COMPLETED });
      expect(reasonsByName(out).child).toBe('upstream_failed');
      expect(out.stepOutputs).toEqual({ other: 'fine' });
    });
  });
});

describe('a node that hangs past its timeout', () => {
  it('ends TIMEOUT (retried once with a fresh signal), each signal aborted with TIMEOUT, and the run fails', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      const signals: AbortSignal[] = [];
      container.registerNode('hang', (_d: unknown, ctx: NodeContext) => {
        signals.push(ctx.signal);
        return new Promise<never>(() => {}); // ignores its signal and never settles
      });
      container.registerNode('next', () => 'never');
      const hang = step('hang', 'hang', { timeoutMs: 100, retryCount: 1 });
      const next = step('next', 'next', {}, { dependsOn: [hang.stepId] });
      const err = await rejectionOf(orchestratorFor(container).process({ steps: steps(hang, next) }));
      expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
      expect(signals).toHaveLength(2);
      expect(signals[0]).not.toBe(signals[1]);
      for (const signal of signals) {
        expect(signal.aborted).toBe(true);
        expect((signal.reason as OnexError).code).toBe(EnumCoreErrorCode.TIMEOUT);
      }
      const out = outputOf(err);
      expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
      expect(statesByName(out).hang).toBe(S.TIMEOUT);
      expect(out.stepReports[0]!.actions[0]).toMatchObject({ state: S.TIMEOUT, attempts: 2 });
      expect(out.completedSteps).toEqual([]);
    });
  });

  it('a step timeout ends the step TIMEOUT even when the action timeout is longer', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      container.registerNode('hang', () => new Promise<never>(() => {}));
      const hang = step('hang', 'hang', { timeoutMs: 30_000 }, { timeoutMs: 120 });
      const err = await rejectionOf(orchestratorFor(container).process({ steps: steps(hang) }));
      expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
      expect(statesByName(outputOf(err)).hang).toBe(S.TIMEOUT);
    });
  });
});

describe('a step timeout while some of its actions still wait for a slot', () => {
  // BUG (src/engine/workflow-run.ts): timeoutStep() → abortAction() marks the queued, never-started actions CANCELLED,
  // but they stay in `readyActions` (or in `parked`, for a bulkhead) and pumpActions() → runAction() starts them anyway
  // once a slot frees up: the node is called for a step that already ended, after the run may have returned, and the
  // output reports that action as `running`. Only reachable when the run goes on after the step timeout
  // (CONTINUE_ON_ERROR, or an IF_ERROR branch); under FAIL_FAST stop() blocks the pump.
  for (const limit of ['maxParallelSteps: 1', 'nodeConcurrency: { slow: 1 }'] as const) {
    it(`never starts the waiting actions (${limit}); they end CANCELLED`, async () => {
      const container = quietContainer();
      const calls: string[] = [];
      container.registerNode('slow', async (data: Readonly<Record<string, unknown>>) => {
        calls.push(String(data.id));
        await sleep(100);
        return data.id;
      });
      const out = await orchestratorFor(container).process({
        executionMode: 'parallel',
        failureStrategy: 'continue_on_error',
        maxParallelSteps: limit === 'maxParallelSteps: 1' ? 1 : 5,
        nodeConcurrency: limit === 'maxParallelSteps: 1' ? {} : { slow: 1 },
        steps: [
          {
            stepName: 'batch',
            executionMode: 'parallel',
            timeoutMs: 150,
            actions: ['a', 'b', 'c'].map((id) => ({
              actionType: 'effect',
              targetNodeType: 'slow',
              operationData: { id },
            })),
          },
        ],
      });
      await sleep(250); // long enough for a wrongly started action to have been called
      expect(statesByName(out).batch).toBe(S.TIMEOUT);
      expect(calls).toEqual(['a', 'b']);
      expect(out.stepReports[0]!.actions.map((a) => a.state)).toEqual([S.COMPLETED, S.TIMEOUT, S.CANCELLED]);
    });
  }
});

describe('a node that throws a non-Error value', () => {
  const values: [string, unknown][] = [
    ['a string', 'boom'],
    ['a number', 42],
    ['undefined', undefined],
    ['null', null],
    ['an object', { reason: 'disk full', errno: 28 }],
  ];
  for (const [label, value] of values) {
    for (const how of ['throws', 'rejects'] as const) {
      it(`${how} ${label}: OPERATION_FAILED naming the value, retried, the run fails`, async () => {
        await repeat(ROUNDS, async () => {
          const container = quietContainer();
          let calls = 0;
          container.registerNode('odd', () => {
            calls++;
            if (how === 'throws') throw value;
            return Promise.reject(value);
          });
          const err = await rejectionOf(
            orchestratorFor(container).process({ steps: steps(step('odd', 'odd', { retryCount: 1 })) }),
          );
          expect(err).toBeInstanceOf(OnexError);
          expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
          expect(calls).toBe(2);
          const out = outputOf(err);
          expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
          expect(out.errors).toHaveLength(1);
          expect(out.errors[0]!.message).toContain('non-Error value thrown');
          expect(out.errors[0]!.message).toContain(value === undefined ? 'undefined' : JSON.stringify(value));
        });
      });
    }
  }
});

describe('a node that resolves after its abort', () => {
  it('a late value after its timeout changes nothing: the action stays TIMEOUT, in the output and the store', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      let resolvedLate = false;
      container.registerNode('late', async () => {
        await sleep(250); // ignores the signal that aborts at 100 ms
        resolvedLate = true;
        return 'late value';
      });
      const orchestrator = orchestratorFor(container);
      const s = step('late', 'late', { timeoutMs: 100 });
      const err = await rejectionOf(orchestrator.process({ steps: steps(s) }));
      const out = outputOf(err);
      expect(resolvedLate).toBe(false);
      await sleep(250);
      expect(resolvedLate).toBe(true);
      expect(statesByName(out).late).toBe(S.TIMEOUT);
      expect(out.stepOutputs).toEqual({});
      const stored = await orchestrator.store.getRun(out.operationId);
      const action = stored?.actions.find((a) => a.actionId === s.actionId);
      expect(action?.state).toBe(S.TIMEOUT);
      expect(action?.result).toBeUndefined();
    });
  });

  it('a late value of a timed-out attempt does not complete the retry in flight: its own value wins', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      container.registerNode('slow', async (_d: unknown, ctx: NodeContext) => {
        if (ctx.attempt === 1) {
          await sleep(160); // times out at 100 ms, resolves while attempt 2 runs
          return 'stale from attempt 1';
        }
        await sleep(90);
        return `fresh from attempt ${ctx.attempt}`;
      });
      const out = await orchestratorFor(container).process({
        steps: steps(step('slow', 'slow', { timeoutMs: 100, retryCount: 1 })),
      });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      expect(out.stepOutputs.slow).toBe('fresh from attempt 2');
    });
  });

  it('a sibling aborted by fail-fast that resolves anyway stays CANCELLED and gives no output', async () => {
    await repeat(ROUNDS, async () => {
      const container = quietContainer();
      let lateResolved = false;
      let abortedWith: unknown;
      container.registerNode('fails', async () => {
        await sleep(20);
        throw new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'down');
      });
      container.registerNode('ignores', async (_d: unknown, ctx: NodeContext) => {
        ctx.signal.addEventListener('abort', () => {
          abortedWith = ctx.signal.reason;
        });
        await sleep(80);
        lateResolved = true;
        return 'late';
      });
      const err = await rejectionOf(
        orchestratorFor(container).process({
          executionMode: 'parallel',
          steps: steps(step('fails', 'fails'), step('ignores', 'ignores')),
        }),
      );
      expect(err.code).toBe(EnumCoreErrorCode.SERVICE_UNAVAILABLE);
      const out = outputOf(err);
      await sleep(100);
      expect(lateResolved).toBe(true);
      expect(abortedWith).toBeInstanceOf(OnexError);
      expect(statesByName(out)).toEqual({ fails: S.FAILED, ignores: S.CANCELLED });
      expect(out.stepOutputs).toEqual({});
      expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
    });
  });
});
