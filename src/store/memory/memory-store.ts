/**
 * The in-memory store: the default of the API and of tests. Same rules as the durable stores (compare-and-set on
 * lease and epoch, leases with an expiry, takeover, cancel requests); keeps the most recent runs only (bounded), so a
 * long-lived orchestrator does not grow without end.
 * @module
 */

import type { OnexError } from '../../errors/onex-error.js';
import { lastOrAppend, put, STATE_BY_CODE, stateCode } from '../../models/columns.js';
import { EnumStepState, EnumWorkflowState } from '../../models/enums.js';
import { toWire } from '../../models/wire.js';
import {
  fenceError,
  type LeaseGuard,
  leaseHeld,
  leaseRefusal,
  notFound,
  runEnded,
  runExists,
  TERMINAL_RUN_STATES,
  writeFailed,
} from '../fencing.js';
import { currentOwner } from '../owner.js';
import {
  ACTION_WRITER,
  type ActionTransition,
  type ActionWriter,
  DEFAULT_LEASE_MS,
  type LeaseRenewal,
  type LeaseStatus,
  type RunStart,
  type RunSummary,
  type RunTransition,
  type Store,
  type StoredAction,
  type StoredRun,
  type TakeOver,
} from '../store.js';
import { countsFromActions, countsFromOutput, stepCountOf } from '../summary.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableRun = Mutable<Omit<StoredRun, 'actions' | 'leaseExpiresAt'>> & {
  leaseExpiresMs: number;
  stepsTotal: number;
  actions: ActionTable;
};

type ActionRef = { readonly actionId: string; readonly stepId: string };

/**
 * A run's actions, a column per field (every row's lease is the run's: a takeover moves them all). Typed arrays
 * rather than an object per action: the store keeps its recent runs, and what a kept run holds on the garbage-collected
 * heap is copied by every young-generation collection until it is promoted (bench/PROFILE.md). Timestamps are
 * indices into the few distinct strings a run writes (writes in the same millisecond share one); results and errors
 * get a column on their first write.
 */
class ActionTable {
  private byId: Map<string, number> | undefined = undefined;
  readonly state: Uint8Array;
  readonly attempt: Int32Array;
  readonly epoch: Int32Array;
  /** Index into `times`; -1: not started. */
  readonly startedAt: Int32Array;
  /** Index into `times` (0: when the run began). */
  readonly updatedAt: Int32Array;
  private readonly times: string[];
  private result: unknown[] | null = null;
  private error: (StoredAction['error'] | undefined)[] | null = null;

  constructor(
    readonly refs: readonly ActionRef[],
    begunAt: string,
  ) {
    const n = refs.length;
    this.state = new Uint8Array(n);
    this.attempt = new Int32Array(n);
    this.epoch = new Int32Array(n).fill(1);
    this.startedAt = new Int32Array(n).fill(-1);
    this.updatedAt = new Int32Array(n);
    this.times = [begunAt];
  }

  /** The row of `actionId` (`hint`: where the writer says it is). */
  find(actionId: string, hint: number | undefined): number | undefined {
    if (hint !== undefined && this.refs[hint]?.actionId === actionId) return hint;
    this.byId ??= new Map(this.refs.map((r, i) => [r.actionId, i]));
    return this.byId.get(actionId);
  }

  /** Apply a transition that passed the fence check; returns the new epoch. */
  apply(
    i: number,
    state: EnumStepState,
    attempt: number,
    atIso: string,
    result: unknown,
    error: StoredAction['error'] | undefined,
  ): number {
    const epoch = this.epoch[i]! + 1;
    const times = this.times;
    const at = times[times.length - 1] === atIso ? times.length - 1 : lastOrAppend(times, atIso);
    if (state === EnumStepState.RUNNING && this.startedAt[i] === -1) this.startedAt[i] = at;
    this.state[i] = stateCode(state);
    this.attempt[i] = attempt;
    this.epoch[i] = epoch;
    if (result !== undefined) this.result = put(this.result, this.refs.length, undefined, i, result);
    if (error !== undefined) this.error = put(this.error, this.refs.length, undefined, i, error);
    this.updatedAt[i] = at;
    return epoch;
  }

  /** A takeover: every row's epoch moves on with the run's lease. */
  bumpEpochs(): void {
    for (let i = 0; i < this.epoch.length; i++) this.epoch[i] = this.epoch[i]! + 1;
  }

  row(i: number, leaseId: string): StoredAction {
    const started = this.startedAt[i]!;
    return {
      actionId: this.refs[i]!.actionId,
      stepId: this.refs[i]!.stepId,
      state: STATE_BY_CODE[this.state[i]!]!,
      attempt: this.attempt[i]!,
      epoch: this.epoch[i]!,
      leaseId,
      result: this.result?.[i],
      error: this.error?.[i] ?? null,
      startedAt: started < 0 ? null : this.times[started]!,
      updatedAt: this.times[this.updatedAt[i]!]!,
    };
  }

  rows(leaseId: string): StoredAction[] {
    return this.refs.map((_, i) => this.row(i, leaseId));
  }
}

/**
 * The writer of one run's table: `transitionAction` without the lookups. A class, so that its `write` is one small
 * function V8 inlines into the scheduler; anything unusual (refused, an index that does not hold the action) goes
 * through `transitionAction`, which raises the precise error.
 */
class TableWriter implements ActionWriter {
  constructor(
    private readonly store: MemoryStore,
    private readonly run: MutableRun,
    private readonly leaseId: string,
    private readonly guard: LeaseGuard | undefined,
  ) {}

  write(
    index: number,
    expectedEpoch: number,
    state: EnumStepState,
    attempt: number,
    at: string,
    result: unknown,
    error: StoredAction['error'] | undefined,
    nowMs: number,
  ): number | Promise<number> {
    const refused = leaseRefusal(this.guard, state, nowMs);
    const table = this.run.actions;
    if (refused === null && table.epoch[index] === expectedEpoch && this.run.leaseId === this.leaseId)
      return table.apply(index, state, attempt, at, result, error);
    return this.generic(refused, index, expectedEpoch, state, attempt, at, result, error);
  }

  /**
   * Refused (by the guard or the fence), or a position out of range: `transitionAction` raises the precise error.
   * With a guard, refusals and errors end as `writeFailed` says (as through the run's store); without one, they throw
   * as `transitionAction` does.
   */
  private generic(
    refused: OnexError | null,
    actionIndex: number,
    expectedEpoch: number,
    state: EnumStepState,
    attempt: number,
    at: string,
    result: unknown,
    error: StoredAction['error'] | undefined,
  ): number | Promise<number> {
    if (refused !== null) return writeFailed(state, refused);
    const { runId } = this.run;
    const { leaseId } = this;
    const actionId = this.run.actions.refs[actionIndex]?.actionId ?? `#${actionIndex}`;
    const t = { runId, actionId, actionIndex, leaseId, expectedEpoch, state, attempt, at, result, error };
    if (this.guard === undefined) return this.store.transitionAction(t);
    try {
      return this.store.transitionAction(t);
    } catch (err) {
      return writeFailed(state, err);
    }
  }
}

/** Options of the memory store. */
export interface MemoryStoreOptions {
  /**
   * Most runs kept; the oldest finished ones are dropped first. Small on purpose: the memory store is for tests and
   * embedded use, durable stores keep history, and a long-lived orchestrator must not grow. @default 25
   */
  maxRuns?: number;
}

/** A `Store` in process memory. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly runs = new Map<string, MutableRun>();
  private readonly maxRuns: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxRuns = options.maxRuns ?? 25;
  }

  beginRun(run: RunStart): void {
    if (this.runs.has(run.runId)) throw runExists(run.runId);
    const owner = run.owner ?? currentOwner();
    this.runs.set(run.runId, {
      runId: run.runId,
      workflowId: run.workflowId,
      workflowName: run.workflowName,
      workflowHash: run.workflowHash,
      state: EnumWorkflowState.RUNNING,
      leaseId: run.leaseId,
      epoch: 1,
      leaseExpiresMs: Date.now() + (run.leaseMs ?? DEFAULT_LEASE_MS),
      ownerHost: owner.host,
      ownerPid: owner.pid,
      cancelRequested: false,
      startedAt: run.startedAt,
      finishedAt: null,
      source: run.source ?? null,
      definition: run.definition,
      output: undefined,
      stepsTotal: stepCountOf(run.definition, run.actions),
      actions: new ActionTable(run.actions, run.startedAt),
    });
    this.evict();
  }

  transitionAction(t: ActionTransition): number {
    const run = this.runs.get(t.runId);
    if (!run) throw notFound('run', t.runId);
    const table = run.actions;
    const i = table.find(t.actionId, t.actionIndex);
    if (i === undefined || run.leaseId !== t.leaseId || table.epoch[i] !== t.expectedEpoch) {
      throw fenceError('action', t.actionId, i === undefined ? undefined : table.row(i, run.leaseId), t);
    }
    // Updated in place (readers get copies): no allocation per state change.
    return table.apply(i, t.state, t.attempt, t.at, t.result, t.error);
  }

  /** A writer bound to the run's table: no lookup by run id or action id per write (see `ActionWriter`). */
  [ACTION_WRITER](runId: string, leaseId: string, guard?: LeaseGuard): ActionWriter | undefined {
    // The writer is this class's `transitionAction`, inlined: a subclass or an object that overrides that method
    // (to observe or delay writes) must see every write, so it gets none.
    if (this.transitionAction !== MemoryStore.prototype.transitionAction) return undefined;
    const run = this.runs.get(runId);
    if (!run) return undefined;
    return new TableWriter(this, run, leaseId, guard);
  }

  transitionRun(t: RunTransition): number {
    const run = this.runs.get(t.runId);
    if (!run || run.leaseId !== t.leaseId || run.epoch !== t.expectedEpoch) {
      throw fenceError('run', t.runId, run, t);
    }
    run.epoch++;
    run.state = t.state;
    if (TERMINAL_RUN_STATES.has(t.state)) run.finishedAt = t.at;
    if (t.output !== undefined) run.output = t.output;
    return run.epoch;
  }

  async renewLease(r: LeaseRenewal): Promise<LeaseStatus> {
    const run = this.runs.get(r.runId);
    if (!run || run.leaseId !== r.leaseId)
      throw fenceError('run', r.runId, run, { ...r, expectedEpoch: run?.epoch ?? 0 });
    if (!TERMINAL_RUN_STATES.has(run.state)) run.leaseExpiresMs = Date.now() + r.leaseMs;
    return {
      leaseExpiresAt: new Date(run.leaseExpiresMs).toISOString(),
      cancelRequested: run.cancelRequested,
      state: run.state,
    };
  }

  async takeOver(t: TakeOver): Promise<StoredRun> {
    const run = this.runs.get(t.runId);
    if (!run) throw notFound('run', t.runId);
    if (TERMINAL_RUN_STATES.has(run.state)) throw runEnded(t.runId, run.state);
    if (run.leaseId !== t.fromLeaseId || run.epoch !== t.expectedEpoch) {
      throw fenceError('run', t.runId, run, { leaseId: t.fromLeaseId, expectedEpoch: t.expectedEpoch });
    }
    if (!t.ownerDead && run.leaseId !== t.leaseId && run.leaseExpiresMs > Date.now()) {
      throw leaseHeld(t.runId, { ...run, leaseExpiresAt: new Date(run.leaseExpiresMs).toISOString() });
    }
    run.leaseId = t.leaseId;
    run.epoch++;
    run.leaseExpiresMs = Date.now() + t.leaseMs;
    run.ownerHost = t.owner.host;
    run.ownerPid = t.owner.pid;
    run.actions.bumpEpochs();
    return this.view(run);
  }

  async requestCancel(runId: string): Promise<RunSummary> {
    const run = this.runs.get(runId);
    if (!run) throw notFound('run', runId);
    if (!TERMINAL_RUN_STATES.has(run.state)) run.cancelRequested = true;
    return this.summary(run);
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const run = this.runs.get(runId);
    return run ? this.view(run) : undefined;
  }

  async listRuns(limit = 50): Promise<RunSummary[]> {
    return [...this.runs.values()]
      .reverse()
      .slice(0, limit)
      .map((run) => this.summary(run));
  }

  async close(): Promise<void> {
    this.runs.clear();
  }

  private view(run: MutableRun): StoredRun {
    const { actions, leaseExpiresMs, stepsTotal: _s, ...rest } = run;
    // Kept as given (no copy while the run is hot); served in wire form, like every other store.
    return {
      ...rest,
      definition: toWire(rest.definition),
      output: rest.output === undefined ? undefined : toWire(rest.output),
      leaseExpiresAt: new Date(leaseExpiresMs).toISOString(),
      actions: actions.rows(run.leaseId),
    };
  }

  private summary(run: MutableRun): RunSummary {
    const { actions, leaseExpiresMs, definition: _d, output, ...rest } = run;
    const counts = countsFromOutput(output) ?? countsFromActions(actions.rows(run.leaseId));
    return { ...rest, leaseExpiresAt: new Date(leaseExpiresMs).toISOString(), ...counts };
  }

  private evict(): void {
    if (this.runs.size <= this.maxRuns) return;
    for (const [id, run] of this.runs) {
      if (this.runs.size <= this.maxRuns) return;
      if (run.finishedAt !== null) this.runs.delete(id);
    }
  }
}
