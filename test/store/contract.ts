/**
 * The `Store` contract suite: the same tests against every store (memory, SQLite, PostgreSQL). Each test opens a
 * fresh store with `newStore()` and closes it. What it pins down is spec §7: every state change of a run or an action
 * is a compare-and-set on (leaseId, epoch) that increments the epoch; a foreign lease or a stale epoch is rejected
 * with its typed error and changes nothing; leases expire and are renewed; a takeover moves the run and all of its
 * actions to the new lease, after which the old owner's writes fail.
 * @module
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  OnexError,
  type RunStart,
  type Store,
  type StoredRun,
} from '../../src/index.js';

/** What a store suite needs: a name for the describe block and a factory of fresh, empty stores. */
export interface StoreSuiteOptions {
  readonly name: string;
  readonly newStore: () => Promise<Store>;
}

const C = EnumCoreErrorCode;
const S = EnumStepState;

/** A run with `steps` steps of `perStep` actions each, recorded under `leaseId`. */
export function sampleRun(
  leaseId: string,
  options: { steps?: number; perStep?: number; leaseMs?: number; owner?: { host: string; pid: number } } = {},
): RunStart {
  const steps = Array.from({ length: options.steps ?? 2 }, (_, i) => ({
    step_id: crypto.randomUUID(),
    step_name: `step_${i}`,
  }));
  const actions = steps.flatMap((s) =>
    Array.from({ length: options.perStep ?? 2 }, () => ({ actionId: crypto.randomUUID(), stepId: s.step_id })),
  );
  return {
    runId: crypto.randomUUID(),
    workflowId: crypto.randomUUID(),
    workflowName: 'contract',
    workflowHash: 'f'.repeat(64),
    leaseId,
    startedAt: new Date().toISOString(),
    definition: { workflow_name: 'contract', steps, input_data: { ünïcode: 'ok', nested: [1, { a: null }] } },
    actions,
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.owner ? { owner: options.owner } : {}),
  };
}

/** The error `fn` throws or rejects with, as an `OnexError` (fails the test when it does not fail). */
export async function failure(fn: () => unknown): Promise<OnexError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OnexError);
    return err as OnexError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything of a run that a refused write must leave alone. */
function snapshot(run: StoredRun | undefined) {
  return JSON.parse(JSON.stringify(run ?? null));
}

/** Register the contract tests for one store. */
export function runStoreSuite({ name, newStore }: StoreSuiteOptions): void {
  describe(`Store contract: ${name}`, () => {
    const open: Store[] = [];
    const fresh = async () => {
      const store = await newStore();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const lease = () => crypto.randomUUID();

    it('records a new run RUNNING at epoch 1 with every action PENDING at epoch 1, in declared order', async () => {
      const store = await fresh();
      const owner = lease();
      const start = {
        ...sampleRun(owner, { steps: 3, perStep: 2 }),
        source: { workflowPath: '/w.yaml', nodesPath: '/n.js' },
      };
      await store.beginRun(start);
      const run = await store.getRun(start.runId);
      expect(run).toBeDefined();
      expect(run!.state).toBe(EnumWorkflowState.RUNNING);
      expect(run!.epoch).toBe(1);
      expect(run!.leaseId).toBe(owner);
      expect(run!.finishedAt).toBeNull();
      expect(run!.cancelRequested).toBe(false);
      expect(run!.definition).toEqual(start.definition);
      expect(run!.source).toEqual({ workflowPath: '/w.yaml', nodesPath: '/n.js' });
      expect(run!.ownerPid).toBe(process.pid);
      expect(Date.parse(run!.leaseExpiresAt)).toBeGreaterThan(Date.now());
      expect(run!.actions.map((a) => a.actionId)).toEqual(start.actions.map((a) => a.actionId));
      expect(run!.actions.map((a) => a.stepId)).toEqual(start.actions.map((a) => a.stepId));
      for (const a of run!.actions) {
        expect(a).toMatchObject({ state: S.PENDING, epoch: 1, attempt: 0, leaseId: owner, error: null });
        expect(a.result).toBeUndefined();
        expect(a.startedAt).toBeNull();
      }
    });

    it('refuses a second run with the same id (INVALID_STATE) and leaves the first as it was', async () => {
      const store = await fresh();
      const start = sampleRun(lease());
      await store.beginRun(start);
      const before = snapshot(await store.getRun(start.runId));
      const err = await failure(() => store.beginRun({ ...start, leaseId: lease(), actions: [] }));
      expect(err.code).toBe(C.INVALID_STATE);
      expect(err.message).toContain(start.runId);
      expect(snapshot(await store.getRun(start.runId))).toEqual(before);
    });

    it('applies an action compare-and-set and returns expectedEpoch + 1, chaining across writes', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      const actionId = start.actions[0]!.actionId;
      const at1 = new Date(Date.now() + 1).toISOString();
      const e2 = await store.transitionAction({
        runId: start.runId,
        actionId,
        leaseId: owner,
        expectedEpoch: 1,
        state: S.RUNNING,
        attempt: 1,
        at: at1,
      });
      expect(e2).toBe(2);
      const at2 = new Date(Date.now() + 5).toISOString();
      const e3 = await store.transitionAction({
        runId: start.runId,
        actionId,
        leaseId: owner,
        expectedEpoch: 2,
        state: S.COMPLETED,
        attempt: 1,
        at: at2,
        result: { rows: [1, 2, { deep: 'ü' }], empty: null },
      });
      expect(e3).toBe(3);
      const a = (await store.getRun(start.runId))!.actions[0]!;
      expect(a).toMatchObject({ state: S.COMPLETED, attempt: 1, epoch: 3, leaseId: owner, error: null });
      expect(a.result).toEqual({ rows: [1, 2, { deep: 'ü' }], empty: null });
      expect(a.startedAt).toBe(at1);
      expect(a.updatedAt).toBe(at2);
      // The other actions did not move.
      expect((await store.getRun(start.runId))!.actions[1]!.epoch).toBe(1);
    });

    it('keeps the stored result when a write gives none, keeps the error on undefined and clears it on null', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      const base = { runId: start.runId, actionId: start.actions[0]!.actionId, leaseId: owner, attempt: 1 };
      const at = new Date().toISOString();
      await store.transitionAction({ ...base, expectedEpoch: 1, state: S.RUNNING, at, result: 42 });
      await store.transitionAction({
        ...base,
        expectedEpoch: 2,
        state: S.PENDING,
        at,
        error: { code: C.TIMEOUT, message: 'slow' },
      });
      let a = (await store.getRun(start.runId))!.actions[0]!;
      expect(a.result).toBe(42);
      expect(a.error).toEqual({ code: C.TIMEOUT, message: 'slow' });
      await store.transitionAction({ ...base, expectedEpoch: 3, state: S.RUNNING, at });
      a = (await store.getRun(start.runId))!.actions[0]!;
      expect(a.error).toEqual({ code: C.TIMEOUT, message: 'slow' });
      await store.transitionAction({ ...base, expectedEpoch: 4, state: S.COMPLETED, at, error: null, result: null });
      a = (await store.getRun(start.runId))!.actions[0]!;
      expect(a.error).toBeNull();
      expect(a.result).toBeNull();
      expect(a.epoch).toBe(5);
    });

    it('rejects a foreign lease (LEASE_CONFLICT), a stale epoch (STALE_EPOCH) or an unknown id (NOT_FOUND), changing nothing', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      const actionId = start.actions[0]!.actionId;
      const write = {
        runId: start.runId,
        actionId,
        leaseId: owner,
        expectedEpoch: 1,
        state: S.RUNNING,
        attempt: 1,
        at: new Date().toISOString(),
      };
      await store.transitionAction(write);
      const before = snapshot(await store.getRun(start.runId));

      const foreign = await failure(() => store.transitionAction({ ...write, leaseId: lease(), expectedEpoch: 2 }));
      expect(foreign.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      expect(foreign.message).toContain(owner);
      const stale = await failure(() => store.transitionAction({ ...write, state: S.COMPLETED }));
      expect(stale.code).toBe(C.ORCHESTRATOR_EXEC_STALE_EPOCH);
      expect(stale.context).toMatchObject({ storedEpoch: 2, writeEpoch: 1 });
      const missingAction = await failure(() => store.transitionAction({ ...write, actionId: crypto.randomUUID() }));
      expect(missingAction.code).toBe(C.NOT_FOUND);
      const missingRun = await failure(() => store.transitionAction({ ...write, runId: crypto.randomUUID() }));
      expect(missingRun.code).toBe(C.NOT_FOUND);
      const staleRun = await failure(() =>
        store.transitionRun({
          runId: start.runId,
          leaseId: owner,
          expectedEpoch: 7,
          state: EnumWorkflowState.COMPLETED,
          at: new Date().toISOString(),
        }),
      );
      expect(staleRun.code).toBe(C.ORCHESTRATOR_EXEC_STALE_EPOCH);
      const foreignRun = await failure(() =>
        store.transitionRun({
          runId: start.runId,
          leaseId: lease(),
          expectedEpoch: 1,
          state: EnumWorkflowState.FAILED,
          at: new Date().toISOString(),
        }),
      );
      expect(foreignRun.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);

      expect(snapshot(await store.getRun(start.runId))).toEqual(before);
    });

    it('lets exactly one of two writers racing on the same epoch in the same turn win', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      const write = {
        runId: start.runId,
        actionId: start.actions[0]!.actionId,
        leaseId: owner,
        expectedEpoch: 1,
        attempt: 1,
        at: new Date().toISOString(),
      };
      const outcomes = await Promise.allSettled([
        Promise.resolve().then(() => store.transitionAction({ ...write, state: S.COMPLETED, result: 'first' })),
        Promise.resolve().then(() => store.transitionAction({ ...write, state: S.FAILED, result: 'second' })),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
      expect((outcomes[1] as PromiseRejectedResult).reason.code).toBe(C.ORCHESTRATOR_EXEC_STALE_EPOCH);
      const a = (await store.getRun(start.runId))!.actions[0]!;
      expect(a).toMatchObject({ state: S.COMPLETED, epoch: 2, result: 'first' });
    });

    it('applies chained writes made in one turn in the order they were made', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { steps: 1, perStep: 3 });
      await store.beginRun(start);
      const at = new Date().toISOString();
      const writes = start.actions.flatMap((a) => [
        { actionId: a.actionId, expectedEpoch: 1, state: S.RUNNING },
        { actionId: a.actionId, expectedEpoch: 2, state: S.COMPLETED },
      ]);
      const epochs = await Promise.all(
        writes.map((w) => store.transitionAction({ ...w, runId: start.runId, leaseId: owner, attempt: 1, at })),
      );
      expect(epochs).toEqual([2, 3, 2, 3, 2, 3]);
      const run = (await store.getRun(start.runId))!;
      expect(run.actions.map((a) => [a.state, a.epoch])).toEqual([
        [S.COMPLETED, 3],
        [S.COMPLETED, 3],
        [S.COMPLETED, 3],
      ]);
    });

    it('ends a run with a compare-and-set that records its state, output and finish time', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      const at = new Date().toISOString();
      const output = { workflow_state: 'completed', steps_completed: 2, steps_failed: 0, step_outputs: { 'a b': 1 } };
      const epoch = await store.transitionRun({
        runId: start.runId,
        leaseId: owner,
        expectedEpoch: 1,
        state: EnumWorkflowState.COMPLETED,
        at,
        output,
      });
      expect(epoch).toBe(2);
      const run = (await store.getRun(start.runId))!;
      expect(run).toMatchObject({ state: EnumWorkflowState.COMPLETED, epoch: 2, finishedAt: at });
      expect(run.output).toEqual(output);
      const [summary] = await store.listRuns(1);
      expect(summary).toMatchObject({ runId: start.runId, stepsTotal: 2, stepsCompleted: 2, stepsFailed: 0 });
      expect(summary).not.toHaveProperty('actions');
      expect(summary).not.toHaveProperty('definition');
    });

    it('lists the most recent runs first, bounded by limit, with step counts from the actions while running', async () => {
      const store = await fresh();
      const owner = lease();
      const runs = [sampleRun(owner), sampleRun(owner), sampleRun(owner, { steps: 3, perStep: 1 })];
      for (const r of runs) await store.beginRun(r);
      const last = runs[2]!;
      const at = new Date().toISOString();
      // Step 0 completes; step 1 fails; step 2 is still pending.
      for (const [i, state] of [
        [0, S.COMPLETED],
        [1, S.FAILED],
      ] as const) {
        await store.transitionAction({
          runId: last.runId,
          actionId: last.actions[i]!.actionId,
          leaseId: owner,
          expectedEpoch: 1,
          state,
          attempt: 1,
          at,
        });
      }
      const listed = await store.listRuns(2);
      expect(listed.map((r) => r.runId)).toEqual([last.runId, runs[1]!.runId]);
      expect(listed[0]).toMatchObject({ stepsTotal: 3, stepsCompleted: 1, stepsFailed: 1, workflowName: 'contract' });
      expect((await store.listRuns()).map((r) => r.runId)).toEqual([...runs].reverse().map((r) => r.runId));
      expect(await store.getRun(crypto.randomUUID())).toBeUndefined();
    });

    it('renews a live lease, reports cancel requests, and refuses renewals from another lease', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { leaseMs: 1000 });
      await store.beginRun(start);
      const first = Date.parse((await store.getRun(start.runId))!.leaseExpiresAt);
      const status = await store.renewLease({ runId: start.runId, leaseId: owner, leaseMs: 60_000 });
      expect(Date.parse(status.leaseExpiresAt)).toBeGreaterThan(first);
      expect(status).toMatchObject({ cancelRequested: false, state: EnumWorkflowState.RUNNING });
      expect((await store.getRun(start.runId))!.epoch).toBe(1);

      const summary = await store.requestCancel(start.runId);
      expect(summary.cancelRequested).toBe(true);
      expect((await store.renewLease({ runId: start.runId, leaseId: owner, leaseMs: 60_000 })).cancelRequested).toBe(
        true,
      );
      const foreign = await failure(() => store.renewLease({ runId: start.runId, leaseId: lease(), leaseMs: 60_000 }));
      expect(foreign.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      expect((await failure(() => store.requestCancel(crypto.randomUUID()))).code).toBe(C.NOT_FOUND);
      expect((await failure(() => store.renewLease({ runId: 'nope', leaseId: owner, leaseMs: 1 }))).code).toBe(
        C.NOT_FOUND,
      );
    });

    it('does not flag a run that already ended for cancellation', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner);
      await store.beginRun(start);
      await store.transitionRun({
        runId: start.runId,
        leaseId: owner,
        expectedEpoch: 1,
        state: EnumWorkflowState.COMPLETED,
        at: new Date().toISOString(),
      });
      expect((await store.requestCancel(start.runId)).cancelRequested).toBe(false);
    });

    it('refuses a takeover while the lease is live (lease_held) and changes nothing', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { leaseMs: 60_000 });
      await store.beginRun(start);
      const before = snapshot(await store.getRun(start.runId));
      const err = await failure(() =>
        store.takeOver({
          runId: start.runId,
          fromLeaseId: owner,
          expectedEpoch: 1,
          leaseId: lease(),
          leaseMs: 1000,
          owner: { host: 'elsewhere', pid: 1 },
          ownerDead: false,
          at: new Date().toISOString(),
        }),
      );
      expect(err.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      expect(err.context).toMatchObject({ reason: 'lease_held', owner });
      expect(Date.parse(String(err.context.leaseExpiresAt))).toBeGreaterThan(Date.now());
      expect(snapshot(await store.getRun(start.runId))).toEqual(before);
    });

    it('takes over an expired lease: run and every action move to the new lease at epoch + 1; the old owner is fenced off', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { leaseMs: 40 });
      await store.beginRun(start);
      const at = new Date().toISOString();
      const done = start.actions[0]!.actionId;
      await store.transitionAction({
        runId: start.runId,
        actionId: done,
        leaseId: owner,
        expectedEpoch: 1,
        state: S.COMPLETED,
        attempt: 1,
        at,
        result: { ok: true },
      });
      await sleep(80);
      const successor = lease();
      const taken = await store.takeOver({
        runId: start.runId,
        fromLeaseId: owner,
        expectedEpoch: 1,
        leaseId: successor,
        leaseMs: 60_000,
        owner: { host: 'successor-host', pid: 4242 },
        ownerDead: false,
        at,
      });
      expect(taken).toMatchObject({ leaseId: successor, epoch: 2, ownerHost: 'successor-host', ownerPid: 4242 });
      expect(taken.actions.map((a) => [a.leaseId, a.epoch])).toEqual([
        [successor, 3],
        [successor, 2],
        [successor, 2],
        [successor, 2],
      ]);
      expect(taken.actions[0]).toMatchObject({ state: S.COMPLETED, result: { ok: true } });
      const after = snapshot(await store.getRun(start.runId));

      // Every write of the former owner now fails with its typed error, and changes nothing.
      const oldAction = await failure(() =>
        store.transitionAction({
          runId: start.runId,
          actionId: start.actions[1]!.actionId,
          leaseId: owner,
          expectedEpoch: 1,
          state: S.COMPLETED,
          attempt: 1,
          at,
        }),
      );
      expect(oldAction.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      const oldRun = await failure(() =>
        store.transitionRun({
          runId: start.runId,
          leaseId: owner,
          expectedEpoch: 1,
          state: EnumWorkflowState.COMPLETED,
          at,
        }),
      );
      expect(oldRun.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      const oldRenew = await failure(() => store.renewLease({ runId: start.runId, leaseId: owner, leaseMs: 1000 }));
      expect(oldRenew.code).toBe(C.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
      expect(snapshot(await store.getRun(start.runId))).toEqual(after);

      // The successor writes with the epochs the takeover returned.
      expect(
        await store.transitionAction({
          runId: start.runId,
          actionId: start.actions[1]!.actionId,
          leaseId: successor,
          expectedEpoch: 2,
          state: S.RUNNING,
          attempt: 1,
          at,
        }),
      ).toBe(3);
      expect(
        await store.transitionRun({
          runId: start.runId,
          leaseId: successor,
          expectedEpoch: 2,
          state: EnumWorkflowState.COMPLETED,
          at,
        }),
      ).toBe(3);
    });

    it('takes over at once when the caller proved the owner dead', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { leaseMs: 60_000 });
      await store.beginRun(start);
      const taken = await store.takeOver({
        runId: start.runId,
        fromLeaseId: owner,
        expectedEpoch: 1,
        leaseId: lease(),
        leaseMs: 1000,
        owner: { host: 'h', pid: 2 },
        ownerDead: true,
        at: new Date().toISOString(),
      });
      expect(taken.epoch).toBe(2);
    });

    it('refuses a takeover based on a stale view, of an unknown run, or of a run that ended', async () => {
      const store = await fresh();
      const owner = lease();
      const start = sampleRun(owner, { leaseMs: 1 });
      await store.beginRun(start);
      await sleep(10);
      const request = {
        runId: start.runId,
        fromLeaseId: owner,
        expectedEpoch: 1,
        leaseId: lease(),
        leaseMs: 1000,
        owner: { host: 'h', pid: 2 },
        ownerDead: true,
        at: new Date().toISOString(),
      };
      await store.takeOver(request);
      const before = snapshot(await store.getRun(start.runId));
      // A second successor that read the run before the first takeover: fenced off.
      const late = await failure(() => store.takeOver({ ...request, leaseId: lease() }));
      expect([C.ORCHESTRATOR_EXEC_LEASE_CONFLICT, C.ORCHESTRATOR_EXEC_STALE_EPOCH]).toContain(late.code);
      expect(snapshot(await store.getRun(start.runId))).toEqual(before);
      expect((await failure(() => store.takeOver({ ...request, runId: crypto.randomUUID() }))).code).toBe(C.NOT_FOUND);
      await store.transitionRun({
        runId: start.runId,
        leaseId: request.leaseId,
        expectedEpoch: 2,
        state: EnumWorkflowState.FAILED,
        at: new Date().toISOString(),
      });
      const ended = await failure(() =>
        store.takeOver({ ...request, fromLeaseId: request.leaseId, expectedEpoch: 3, leaseId: lease() }),
      );
      expect(ended.code).toBe(C.INVALID_STATE);
    });
  });
}
