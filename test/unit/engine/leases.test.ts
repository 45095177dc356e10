// Leases and epochs in memory (spec §7): every emitted action carries the orchestrator's lease and an epoch ≥ 1 that
// grows with each state change; the store rejects a write with a foreign lease or a stale epoch and changes nothing.
import { describe, expect, it } from 'vitest';
import {
  type ActionTransition,
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  MemoryStore,
  OnexError,
  type Store,
} from '../../../src/index.js';
import { asInput, fastOrchestrator, oneActionStep, quietContainer } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Nodes: `ok` succeeds; `flaky` fails its first call then succeeds. */
function setup(options: { leaseId?: string } = {}) {
  const container = quietContainer();
  const store = new MemoryStore();
  let flakyCalls = 0;
  container.registerNode('ok', () => ({ ok: true }));
  container.registerNode('flaky', () => {
    flakyCalls++;
    if (flakyCalls === 1) throw new Error('first call fails');
    return { ok: true };
  });
  return { store, orchestrator: fastOrchestrator(container, { store, ...options }) };
}

async function runMixed(orchestrator: ReturnType<typeof setup>['orchestrator']) {
  const once = oneActionStep('once', 'ok');
  const retried = oneActionStep('retried', 'flaky', { retryCount: 2 });
  const out = await orchestrator.process({ executionMode: 'parallel', steps: asInput([once, retried]) });
  return { once, retried, out };
}

/** Capture the OnexError a synchronous call throws. */
function thrownBy(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

describe('leases and epochs', () => {
  it("stamps every emitted action with the orchestrator's lease and an epoch that grows with each state change", async () => {
    const { orchestrator } = setup();
    const { once, retried, out } = await runMixed(orchestrator);
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(orchestrator.leaseId).toMatch(UUID);
    expect(out.leaseId).toBe(orchestrator.leaseId);
    expect(out.actionsEmitted).toHaveLength(2);
    for (const action of out.actionsEmitted) {
      expect(action.leaseId).toBe(orchestrator.leaseId);
      expect(action.epoch).toBeGreaterThanOrEqual(1);
    }
    const epochOf = (id: string) => out.actionsEmitted.find((a) => a.actionId === id)!.epoch;
    // once: PENDING(1) → RUNNING → COMPLETED; retried: → RUNNING → PENDING → RUNNING → COMPLETED.
    expect(epochOf(once.actionId)).toBe(3);
    expect(epochOf(retried.actionId)).toBe(5);
    expect(epochOf(retried.actionId)).toBeGreaterThan(epochOf(once.actionId));
    // The step reports carry the same epochs.
    const reported = out.stepReports.flatMap((r) => r.actions).map((a) => [a.actionId, a.epoch]);
    expect(Object.fromEntries(reported)).toEqual({ [once.actionId]: 3, [retried.actionId]: 5 });
  });

  it('matches the epochs recorded in the store', async () => {
    const { orchestrator, store } = setup();
    const { out } = await runMixed(orchestrator);
    const run = await store.getRun(out.operationId);
    expect(run).toBeDefined();
    for (const action of out.actionsEmitted) {
      const stored = run!.actions.find((a) => a.actionId === action.actionId)!;
      expect(stored.epoch).toBe(action.epoch);
      expect(stored.leaseId).toBe(orchestrator.leaseId);
      expect(stored.state).toBe(EnumStepState.COMPLETED);
    }
  });

  it("replaces a lease given in the input by the orchestrator's own (one lease per orchestrator)", async () => {
    const lease = crypto.randomUUID();
    const { orchestrator } = setup({ leaseId: lease });
    const foreign = crypto.randomUUID();
    const out = await orchestrator.process({
      steps: asInput([oneActionStep('a', 'ok', { leaseId: foreign, epoch: 1 }), oneActionStep('b', 'ok')]),
    });
    expect(out.actionsEmitted.map((a) => a.leaseId)).toEqual([lease, lease]);
  });

  it('plan() emits actions with the lease and epoch 1, running nothing', async () => {
    const { orchestrator, store } = setup();
    const plan = orchestrator.plan({ steps: asInput([oneActionStep('a', 'ok'), oneActionStep('b', 'ok')]) });
    expect(plan.actionsEmitted.map((a) => [a.leaseId, a.epoch])).toEqual([
      [orchestrator.leaseId, 1],
      [orchestrator.leaseId, 1],
    ]);
    expect(await store.listRuns()).toEqual([]);
  });
});

describe('MemoryStore fencing', () => {
  it('rejects a transition with a foreign lease (LEASE_CONFLICT) or a stale epoch (STALE_EPOCH) and changes nothing', async () => {
    const { orchestrator, store } = setup();
    const { once, out } = await runMixed(orchestrator);
    const before = await store.getRun(out.operationId);
    const stored = before!.actions.find((a) => a.actionId === once.actionId)!;
    const write = {
      runId: out.operationId,
      actionId: once.actionId,
      state: EnumStepState.FAILED,
      attempt: 9,
      at: new Date().toISOString(),
      error: { code: 'X', message: 'overwrite' },
    };

    const conflict = thrownBy(() =>
      store.transitionAction({ ...write, leaseId: crypto.randomUUID(), expectedEpoch: stored.epoch }),
    );
    expect(conflict.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
    expect(conflict.code).toMatch(/^ONEX_CORE_319_/);

    const stale = thrownBy(() =>
      store.transitionAction({ ...write, leaseId: orchestrator.leaseId, expectedEpoch: stored.epoch - 1 }),
    );
    expect(stale.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH);
    expect(stale.code).toMatch(/^ONEX_CORE_318_/);

    expect(await store.getRun(out.operationId)).toEqual(before);

    // The same write with the right lease and epoch goes through (so the rejections above were the fence).
    const next = store.transitionAction({ ...write, leaseId: orchestrator.leaseId, expectedEpoch: stored.epoch });
    expect(next).toBe(stored.epoch + 1);
    const after = await store.getRun(out.operationId);
    expect(after!.actions.find((a) => a.actionId === once.actionId)!.state).toBe(EnumStepState.FAILED);
  });

  it('fences run transitions the same way', async () => {
    const { orchestrator, store } = setup();
    const { out } = await runMixed(orchestrator);
    const before = await store.getRun(out.operationId);
    const write = { runId: out.operationId, state: EnumWorkflowState.CANCELLED, at: new Date().toISOString() };
    expect(
      thrownBy(() => store.transitionRun({ ...write, leaseId: crypto.randomUUID(), expectedEpoch: before!.epoch }))
        .code,
    ).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
    expect(
      thrownBy(() => store.transitionRun({ ...write, leaseId: orchestrator.leaseId, expectedEpoch: before!.epoch - 1 }))
        .code,
    ).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH);
    expect(await store.getRun(out.operationId)).toEqual(before);
  });

  it("keeps a second orchestrator sharing the store from writing the first one's run", async () => {
    const { orchestrator, store } = setup();
    const { once, out } = await runMixed(orchestrator);
    const intruder = fastOrchestrator(quietContainer(), { store });
    expect(intruder.leaseId).not.toBe(orchestrator.leaseId);
    const stored = (await store.getRun(out.operationId))!.actions.find((a) => a.actionId === once.actionId)!;
    const err = thrownBy(() =>
      store.transitionAction({
        runId: out.operationId,
        actionId: once.actionId,
        leaseId: intruder.leaseId,
        expectedEpoch: stored.epoch,
        state: EnumStepState.PENDING,
        attempt: 0,
        at: new Date().toISOString(),
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
  });
});

describe('a claim confirmed after the lease ran out (the owner was paused in between)', () => {
  it('does not call the node: the lease is checked again before the call, and the run stops LEASE_EXPIRED', async () => {
    const container = quietContainer();
    let calls = 0;
    container.registerNode('effect', () => {
      calls++;
      return { ok: true };
    });
    const memory = new MemoryStore();
    // A store whose claims are confirmed asynchronously, and a process that freezes (a busy wait: no timer runs, as
    // under SIGSTOP) for longer than the lease right after sending the claim.
    const store = Object.create(memory) as Store;
    store.transitionAction = (t: ActionTransition) => {
      const epoch = memory.transitionAction(t);
      if (t.state === EnumStepState.RUNNING) {
        const frozenUntil = performance.now() + 300;
        while (performance.now() < frozenUntil) {
          // paused
        }
      }
      return Promise.resolve(epoch);
    };
    const orchestrator = fastOrchestrator(container, { store, leaseMs: 200, leaseRenewMs: 100 });
    const rejection = await orchestrator
      .process({ executionMode: 'sequential', steps: asInput([oneActionStep('write', 'effect')]) })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(calls).toBe(0);
    expect(rejection).toBeInstanceOf(OnexError);
    expect((rejection as OnexError).code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
  });
});
