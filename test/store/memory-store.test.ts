// The store contract against the in-memory store, plus what only it does: it keeps a bounded number of runs.
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumStepState, EnumWorkflowState, MemoryStore, OnexError } from '../../src/index.js';
import { actionWriterOf } from '../../src/store/store.js';
import { failure, runStoreSuite, sampleRun } from './contract.js';

runStoreSuite({ name: 'memory', newStore: async () => new MemoryStore() });

describe('MemoryStore', () => {
  it('drops the oldest finished runs beyond maxRuns, never a running one', async () => {
    const store = new MemoryStore({ maxRuns: 2 });
    const lease = crypto.randomUUID();
    const running = sampleRun(lease);
    store.beginRun(running);
    const finished = sampleRun(lease);
    store.beginRun(finished);
    store.transitionRun({
      runId: finished.runId,
      leaseId: lease,
      expectedEpoch: 1,
      state: EnumWorkflowState.COMPLETED,
      at: new Date().toISOString(),
    });
    const third = sampleRun(lease);
    store.beginRun(third);
    expect((await store.listRuns()).map((r) => r.runId)).toEqual([third.runId, running.runId]);
    expect(await store.getRun(finished.runId)).toBeUndefined();
  });
});

describe('MemoryStore action writer (the scheduler fast path)', () => {
  const at = '2026-11-26T00:00:00.000Z';

  it('writes what transitionAction writes, and refuses what it refuses, with the same errors', async () => {
    const lease = crypto.randomUUID();
    const viaWriter = new MemoryStore();
    const viaGeneric = new MemoryStore();
    const run = sampleRun(lease);
    viaWriter.beginRun(run);
    viaGeneric.beginRun(run);
    const writer = actionWriterOf(viaWriter, run.runId, lease)!;
    expect(writer).toBeDefined();
    run.actions.forEach((ref, i) => {
      const epoch = writer.write(i, 1, EnumStepState.RUNNING, 1, at, undefined, undefined, 0);
      const generic = viaGeneric.transitionAction({
        runId: run.runId,
        actionId: ref.actionId,
        leaseId: lease,
        expectedEpoch: 1,
        state: EnumStepState.RUNNING,
        attempt: 1,
        at,
      });
      expect(epoch).toBe(generic);
      writer.write(i, 2, EnumStepState.COMPLETED, 1, at, { i }, null, 0);
      viaGeneric.transitionAction({
        runId: run.runId,
        actionId: ref.actionId,
        leaseId: lease,
        expectedEpoch: 2,
        state: EnumStepState.COMPLETED,
        attempt: 1,
        at,
        result: { i },
        error: null,
      });
    });
    // Everything but the lease expiry, which each store read from its own clock at beginRun (a millisecond may pass).
    const stored = async (store: MemoryStore) => ({ ...(await store.getRun(run.runId))!, leaseExpiresAt: null });
    expect(await stored(viaWriter)).toEqual(await stored(viaGeneric));
    const stale = await failure(() => writer.write(0, 1, EnumStepState.FAILED, 1, at, undefined, undefined, 0));
    expect(stale.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH);
    const foreign = actionWriterOf(viaWriter, run.runId, crypto.randomUUID())!;
    const conflict = await failure(() => foreign.write(0, 3, EnumStepState.FAILED, 1, at, undefined, undefined, 0));
    expect(conflict.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
    // A position is the action's identity for the writer; one out of range is refused with the generic path's error.
    const missing = await failure(() =>
      writer.write(run.actions.length, 1, EnumStepState.FAILED, 1, at, undefined, undefined, 0),
    );
    expect(missing.code).toBe(EnumCoreErrorCode.NOT_FOUND);
  });

  it('is not offered for a run it does not hold, nor by a store that overrides transitionAction', () => {
    const store = new MemoryStore();
    expect(actionWriterOf(store, crypto.randomUUID(), crypto.randomUUID())).toBeUndefined();
    const lease = crypto.randomUUID();
    const run = sampleRun(lease);
    const observed = Object.create(store) as MemoryStore;
    observed.transitionAction = (t) => store.transitionAction(t);
    observed.beginRun(run);
    expect(actionWriterOf(observed, run.runId, lease)).toBeUndefined();
    expect(actionWriterOf(store, run.runId, lease)).toBeDefined();
  });

  it('with a lease guard: a refused claim throws at once, any other refused write rejects, nothing is written', async () => {
    const store = new MemoryStore();
    const lease = crypto.randomUUID();
    const run = sampleRun(lease);
    store.beginRun(run);
    const lost = new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED, 'lease gone');
    const guard = { claim: (nowMs?: number) => (nowMs !== undefined && nowMs > 100 ? lost : null), lost: null };
    const writer = actionWriterOf(store, run.runId, lease, guard)!;
    expect(writer.write(0, 1, EnumStepState.RUNNING, 1, at, undefined, undefined, 50)).toBe(2);
    expect(() => writer.write(1, 1, EnumStepState.RUNNING, 1, at, undefined, undefined, 200)).toThrow(lost);
    const gone = { claim: () => lost, lost };
    const fenced = actionWriterOf(store, run.runId, lease, gone)!;
    await expect(fenced.write(0, 2, EnumStepState.COMPLETED, 1, at, 'r', null, 0)).rejects.toBe(lost);
    const stored = await store.getRun(run.runId);
    expect(stored!.actions.map((a) => [a.state, a.epoch])).toEqual([
      [EnumStepState.RUNNING, 2],
      ...run.actions.slice(1).map(() => [EnumStepState.PENDING, 1]),
    ]);
  });
});
