// NodeOrchestrator with a store, in one process: every run is recorded; `resume(runId)` finishes a run whose owner
// died (at once) or stopped renewing (after its lease expired, saying so) without re-running COMPLETED actions and
// with the same idempotency keys; bad resumes are typed errors that write nothing; the lease is renewed while a run
// goes on, and an owner whose run was taken over stops and is fenced off; `cancel(runId)` stops a run of this
// orchestrator, of another live one (through the store), or of a dead one (recording it). Against memory and SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type CancelOptions,
  type CancelOutcome,
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type LeaseWait,
  MemoryStore,
  type ModelOrchestratorInputInput,
  type NodeContext,
  NodeOrchestrator,
  type NodeOrchestratorOptions,
  OnexError,
  type ResumeOptions,
  type ResumeState,
  SqliteStore,
  type Store,
} from '../../src/index.js';
import { failure } from '../store/contract.js';
import { deadPid, quietContainer, recordCrashedRun, snapshotRun } from './support/recorded-runs.js';

const root = mkdtempSync(join(tmpdir(), 'onex-durable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleep `ms` unless the signal aborts first (then reject with its reason), like a well-behaved node. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** A three-step workflow: `a` (two actions) → `b` (sums a's values) → `c` (doubles b). */
function pipeline(extra: Partial<ModelOrchestratorInputInput> = {}): ModelOrchestratorInputInput {
  const a = crypto.randomUUID();
  const b = crypto.randomUUID();
  return {
    workflowName: 'durable-pipeline',
    executionMode: 'parallel',
    steps: [
      {
        stepId: a,
        stepName: 'a',
        actions: [
          { actionType: 'compute', targetNodeType: 'value', operationData: { value: 2 } },
          { actionType: 'compute', targetNodeType: 'value', operationData: { value: 3 } },
        ],
      },
      {
        stepId: b,
        stepName: 'b',
        dependsOn: [a],
        actions: [{ actionType: 'effect', targetNodeType: 'sum', operationData: {} }],
      },
      {
        stepName: 'c',
        dependsOn: [b],
        actions: [{ actionType: 'compute', targetNodeType: 'double', operationData: {} }],
      },
    ],
    ...extra,
  };
}

interface Call {
  target: string;
  key: string;
  attempt: number;
  inputs: unknown[];
  at: number;
}

/** An orchestrator whose nodes record every call; `slowMs` makes `sum` slow (abortable). */
function orchestrator(store: Store, options: NodeOrchestratorOptions & { slowMs?: number } = {}) {
  const calls: Call[] = [];
  const aborted: string[] = [];
  const container = quietContainer();
  const record = (target: string, ctx: NodeContext) =>
    calls.push({ target, key: ctx.idempotencyKey, attempt: ctx.attempt, inputs: [...ctx.inputs], at: Date.now() });
  container.registerNode('value', async (data: Record<string, unknown>, ctx: NodeContext) => {
    record('value', ctx);
    return { value: Number(data.value) };
  });
  container.registerNode('sum', async (_data: unknown, ctx: NodeContext) => {
    record('sum', ctx);
    if (options.slowMs) {
      try {
        await sleepUnlessAborted(options.slowMs, ctx.signal);
      } catch (err) {
        aborted.push(ctx.idempotencyKey);
        throw err;
      }
    }
    const rows = (ctx.inputs[0] as { value: number }[]) ?? [];
    return { total: rows.reduce((n, r) => n + r.value, 0) };
  });
  container.registerNode('double', async (_data: unknown, ctx: NodeContext) => {
    record('double', ctx);
    return { doubled: (ctx.inputs[0] as { total: number }).total * 2 };
  });
  const { slowMs: _s, ...rest } = options;
  const node = new NodeOrchestrator(container, { store, retryBackoff: { initialDelayMs: 1, maxDelayMs: 2 }, ...rest });
  return { node, calls, aborted };
}

/** Poll until `check` holds (or fail after 10 s, naming `what`). */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const STORES: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => SqliteStore.open(join(root, `${crypto.randomUUID()}.db`))],
];

describe.each(STORES)('durable runs through NodeOrchestrator (%s store)', (_name, makeStore) => {
  const stores: Store[] = [];
  const newStore = () => {
    const s = makeStore();
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('records every run: the run, its actions with results, and the epochs the output reports', async () => {
    const store = newStore();
    const { node } = orchestrator(store);
    const out = await node.process(pipeline(), { source: { workflowPath: '/w.yaml', nodesPath: '/n.js' } });
    expect(out.stepOutputs.c).toEqual({ doubled: 10 });
    const run = (await store.getRun(out.operationId))!;
    expect(run).toMatchObject({ state: EnumWorkflowState.COMPLETED, leaseId: node.leaseId, epoch: 2 });
    expect(run.source).toEqual({ workflowPath: '/w.yaml', nodesPath: '/n.js' });
    expect(run.finishedAt).not.toBeNull();
    expect((run.output as { workflow_state: string }).workflow_state).toBe('completed');
    expect(run.actions.map((a) => a.state)).toEqual(Array(4).fill(EnumStepState.COMPLETED));
    const epochs = new Map(out.actionsEmitted.map((a) => [a.actionId, a.epoch]));
    for (const a of run.actions) expect(a.epoch).toBe(epochs.get(a.actionId));
    expect(run.actions[2]!.result).toEqual({ total: 5 });
  });

  it('resumes a run whose owner died at once: COMPLETED actions are not run again, RUNNING ones rerun with the same key', async () => {
    const store = newStore();
    const crashed = await recordCrashedRun(store, pipeline(), {
      owner: { pid: deadPid() },
      completed: (ids) => ({ [ids.a![0]!]: { value: 20 }, [ids.a![1]!]: { value: 30 } }),
      running: (ids) => [ids.b![0]!],
    });
    const { node, calls } = orchestrator(store);
    const waits: LeaseWait[] = [];
    const options: ResumeOptions = { onWait: (w) => waits.push(w) };
    const out = await node.resume(crashed.runId, options);
    expect(waits).toEqual([]);
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.operationId).toBe(crashed.runId);
    // `value` (step a) never ran again: its stored results flowed into b.
    expect(calls.map((c) => c.target)).toEqual(['sum', 'double']);
    expect(calls[0]).toMatchObject({
      key: crashed.actionIds.b![0],
      attempt: 2,
      inputs: [[{ value: 20 }, { value: 30 }]],
    });
    expect(out.stepOutputs).toEqual({ a: [{ value: 20 }, { value: 30 }], b: { total: 50 }, c: { doubled: 100 } });
    const run = (await store.getRun(crashed.runId))!;
    expect(run).toMatchObject({ state: EnumWorkflowState.COMPLETED, leaseId: node.leaseId, epoch: 3 });
    // What the scheduler was handed after the takeover: the run epoch and, per action, the stored state.
    const handed: ResumeState['actions'] extends ReadonlyMap<string, infer V> ? V : never = {
      state: EnumStepState.COMPLETED,
      result: { value: 20 },
      epoch: run.actions[0]!.epoch,
      attempt: 1,
    };
    expect(run.actions[0]).toMatchObject(handed);
    expect(run.actions.every((a) => a.leaseId === node.leaseId && a.state === EnumStepState.COMPLETED)).toBe(true);
  });

  it('waits for the lease of a live owner to expire before taking over, and says so', async () => {
    const store = newStore();
    // This very process is the "owner": alive, so nothing can be taken over before its lease expires.
    const crashed = await recordCrashedRun(store, pipeline(), { owner: { pid: process.pid }, leaseMs: 300 });
    const expiresAt = (await store.getRun(crashed.runId))!.leaseExpiresAt;
    const { node, calls } = orchestrator(store);
    const waits: LeaseWait[] = [];
    const out = await node.resume(crashed.runId, { onWait: (w) => waits.push(w) });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toMatchObject({
      runId: crashed.runId,
      heldBy: crashed.leaseId,
      ownerPid: process.pid,
      leaseExpiresAt: expiresAt,
    });
    expect(waits[0]!.waitMs).toBeGreaterThan(0);
    // Nothing ran before the lease expired.
    expect(Math.min(...calls.map((c) => c.at))).toBeGreaterThanOrEqual(Date.parse(expiresAt));
  });

  it('with wait: false, a live lease is LEASE_CONFLICT (lease_held) and the run is left as it was', async () => {
    const store = newStore();
    const crashed = await recordCrashedRun(store, pipeline(), { owner: { pid: process.pid } });
    const before = await snapshotRun(store, crashed.runId);
    const { node, calls } = orchestrator(store);
    const err = await failure(() => node.resume(crashed.runId, { wait: false }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
    expect(err.context.reason).toBe('lease_held');
    expect(calls).toEqual([]);
    expect(await snapshotRun(store, crashed.runId)).toEqual(before);
  });

  it('bad resumes are typed errors and write nothing: unknown id, ended run, missing node, another workflow', async () => {
    const store = newStore();
    const { node } = orchestrator(store);
    const done = await node.process(pipeline());
    const crashed = await recordCrashedRun(store, pipeline(), { owner: { pid: deadPid() } });
    const before = JSON.stringify(await store.listRuns());
    const beforeRun = await snapshotRun(store, crashed.runId);

    const unknown = await failure(() => node.resume('7d0e4c8e-0000-4000-8000-000000000000'));
    expect(unknown.code).toBe(EnumCoreErrorCode.NOT_FOUND);
    expect(unknown.message).toContain('7d0e4c8e-0000-4000-8000-000000000000');
    const ended = await failure(() => node.resume(done.operationId));
    expect(ended.code).toBe(EnumCoreErrorCode.INVALID_STATE);
    expect(ended.message).toContain('already ended (completed)');

    const bare = new NodeOrchestrator(quietContainer(), { store });
    const missing = await failure(() => bare.resume(crashed.runId));
    expect(missing.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE);

    const other = await failure(() => node.resume(crashed.runId, { input: pipeline() }));
    expect(other.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);

    expect(JSON.stringify(await store.listRuns())).toBe(before);
    expect(await snapshotRun(store, crashed.runId)).toEqual(beforeRun);
  });

  it('renews the lease while a run goes on, so nobody can take it over', async () => {
    const store = newStore();
    const owner = orchestrator(store, { leaseMs: 600, leaseRenewMs: 60, slowMs: 1500 });
    const running = owner.node.process(pipeline());
    let runId = '';
    await until('the slow step to start', async () => {
      runId = (await store.listRuns(1))[0]?.runId ?? '';
      return owner.calls.some((c) => c.target === 'sum');
    });
    const first = Date.parse((await store.getRun(runId))!.leaseExpiresAt);
    await sleep(900);
    const later = Date.parse((await store.getRun(runId))!.leaseExpiresAt);
    expect(later).toBeGreaterThan(first);
    const rival = orchestrator(store);
    const err = await failure(() => rival.node.resume(runId, { wait: false }));
    expect(err.context.reason).toBe('lease_held');
    expect((await running).workflowState).toBe(EnumWorkflowState.COMPLETED);
  });

  it('an owner whose run was taken over stops: in-flight actions aborted, process() rejects, and it writes nothing more', async () => {
    const store = newStore();
    const owner = orchestrator(store, { leaseMs: 5000, leaseRenewMs: 30, slowMs: 10_000 });
    const running = owner.node.process(pipeline());
    const outcome = running.then(
      () => null,
      (err: unknown) => err,
    );
    let runId = '';
    await until('the slow step to start', async () => {
      runId = (await store.listRuns(1))[0]?.runId ?? '';
      return owner.calls.some((c) => c.target === 'sum');
    });
    const run = (await store.getRun(runId))!;
    // A successor proves the owner "dead" and takes over (as if the owner were paused on another host).
    const successor = crypto.randomUUID();
    await store.takeOver({
      runId,
      fromLeaseId: run.leaseId,
      expectedEpoch: run.epoch,
      leaseId: successor,
      leaseMs: 60_000,
      owner: { host: 'successor', pid: 1 },
      ownerDead: true,
      at: new Date().toISOString(),
    });
    const afterTakeover = await snapshotRun(store, runId);
    const err = (await outcome) as OnexError;
    expect(err).toBeInstanceOf(OnexError);
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT);
    expect(err.message).toContain('lost its lease');
    expect(owner.aborted.length).toBe(1);
    await sleep(100);
    expect(await snapshotRun(store, runId)).toEqual(afterTakeover);
  });

  it('an owner blocked past its lease stops by itself, writes nothing more, and leaves the run resumable', async () => {
    const store = newStore();
    const container = quietContainer();
    const ran: string[] = [];
    container.registerNode('value', async (data: Record<string, unknown>) => {
      ran.push(`value ${data.value}`);
      return { value: Number(data.value) };
    });
    container.registerNode('sum', async () => {
      ran.push('sum');
      // Blocks the event loop past the lease, as a paused or starved process would.
      const until = performance.now() + 400;
      while (performance.now() < until) {
        /* busy */
      }
      return { total: 5 };
    });
    container.registerNode('double', async () => {
      ran.push('double');
      return { doubled: 10 };
    });
    const owner = new NodeOrchestrator(container, { store, leaseMs: 200, leaseRenewMs: 50 });
    const err = await failure(() => owner.process(pipeline()));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
    expect(err.message).toMatch(/was not renewed within 200 ms/);
    // The work it finished still counts (nobody had taken the run over, so its write went through); it started
    // nothing after it woke up, and recorded no ending: the run is still RUNNING, its lease expired.
    expect(ran).toEqual(['value 2', 'value 3', 'sum']);
    const [summary] = await store.listRuns(1);
    const run = (await store.getRun(summary!.runId))!;
    expect(run.state).toBe(EnumWorkflowState.RUNNING);
    expect(run.finishedAt).toBeNull();
    expect(run.actions.map((a) => a.state)).toEqual([
      EnumStepState.COMPLETED,
      EnumStepState.COMPLETED,
      EnumStepState.COMPLETED,
      EnumStepState.PENDING,
    ]);
    // Anyone can finish it now.
    const { node, calls } = orchestrator(store);
    const out = await node.resume(run.runId);
    expect(out.stepOutputs).toEqual({ a: [{ value: 2 }, { value: 3 }], b: { total: 5 }, c: { doubled: 10 } });
    expect(calls.map((c) => c.target)).toEqual(['double']);
  });

  it('cancel(runId) of its own run aborts in-flight actions; the run ends CANCELLED', async () => {
    const store = newStore();
    const owner = orchestrator(store, { slowMs: 10_000 });
    const running = owner.node.process(pipeline()).catch((err: unknown) => err);
    let runId = '';
    await until('the slow step to start', async () => {
      runId = (await store.listRuns(1))[0]?.runId ?? '';
      return owner.calls.some((c) => c.target === 'sum');
    });
    const outcome = await owner.node.cancel(runId);
    expect(outcome).toEqual({ runId, state: EnumWorkflowState.CANCELLED, how: 'local' });
    expect(((await running) as OnexError).code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
    expect(owner.aborted).toHaveLength(1);
    expect((await store.getRun(runId))!.state).toBe(EnumWorkflowState.CANCELLED);
  });

  it('cancel(runId) of a run another live orchestrator owns: it notices on its next renewal and stops', async () => {
    const store = newStore();
    const owner = orchestrator(store, { leaseRenewMs: 30, slowMs: 10_000 });
    const running = owner.node.process(pipeline()).catch((err: unknown) => err);
    let runId = '';
    await until('the slow step to start', async () => {
      runId = (await store.listRuns(1))[0]?.runId ?? '';
      return owner.calls.some((c) => c.target === 'sum');
    });
    const canceller = orchestrator(store);
    const options: CancelOptions = { waitMs: 5000 };
    const outcome: CancelOutcome = await canceller.node.cancel(runId, options);
    expect(outcome).toEqual({ runId, state: EnumWorkflowState.CANCELLED, how: 'requested' });
    const err = (await running) as OnexError;
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
    expect((err.context.output as { workflowState: string }).workflowState).toBe(EnumWorkflowState.CANCELLED);
    expect(owner.aborted).toHaveLength(1);
    const run = (await store.getRun(runId))!;
    expect(run.state).toBe(EnumWorkflowState.CANCELLED);
    expect(run.leaseId).toBe(owner.node.leaseId);
  });

  it('cancel(runId) of a run whose owner died records the cancellation itself', async () => {
    const store = newStore();
    const crashed = await recordCrashedRun(store, pipeline(), {
      owner: { pid: deadPid() },
      completed: (ids) => ({ [ids.a![0]!]: { value: 1 } }),
      running: (ids) => [ids.a![1]!],
    });
    const { node } = orchestrator(store);
    const outcome = await node.cancel(crashed.runId);
    expect(outcome).toEqual({ runId: crashed.runId, state: EnumWorkflowState.CANCELLED, how: 'finalized' });
    const run = (await store.getRun(crashed.runId))!;
    expect(run.state).toBe(EnumWorkflowState.CANCELLED);
    expect(run.finishedAt).not.toBeNull();
    expect(run.actions.map((a) => a.state)).toEqual([
      EnumStepState.COMPLETED,
      EnumStepState.CANCELLED,
      EnumStepState.CANCELLED,
      EnumStepState.CANCELLED,
    ]);
    expect(run.actions[1]!.error?.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
    expect(run.actions[2]!.error).toBeNull();
    expect(await node.cancel(crashed.runId)).toMatchObject({ how: 'already_ended', state: 'cancelled' });
    expect((await failure(() => node.cancel('no-such-run'))).code).toBe(EnumCoreErrorCode.NOT_FOUND);
  });

  it('a resumed run that was asked to cancel ends CANCELLED without running anything', async () => {
    const store = newStore();
    const crashed = await recordCrashedRun(store, pipeline(), { owner: { pid: process.pid }, leaseMs: 60_000 });
    await store.requestCancel(crashed.runId);
    // Take it over as the dead owner's successor would, with the request still standing.
    const run = (await store.getRun(crashed.runId))!;
    await store.takeOver({
      runId: crashed.runId,
      fromLeaseId: run.leaseId,
      expectedEpoch: run.epoch,
      leaseId: run.leaseId,
      leaseMs: 1,
      owner: { host: 'gone', pid: deadPid() },
      ownerDead: true,
      at: new Date().toISOString(),
    });
    await sleep(5);
    const { node, calls } = orchestrator(store);
    const err = await failure(() => node.resume(crashed.runId));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
    expect(calls).toEqual([]);
    expect((await store.getRun(crashed.runId))!.state).toBe(EnumWorkflowState.CANCELLED);
  });
});
