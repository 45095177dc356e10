/**
 * The in-memory store: the default of the API and of tests. Same rules as the durable stores (compare-and-set on
 * lease and epoch, leases with an expiry, takeover, cancel requests); keeps the most recent runs only (bounded), so a
 * long-lived orchestrator does not grow without end.
 * @module
 */

import { EnumStepState, EnumWorkflowState } from '../../models/enums.js';
import { toWire } from '../../models/wire.js';
import { fenceError, leaseHeld, notFound, runEnded, runExists, TERMINAL_RUN_STATES } from '../fencing.js';
import { currentOwner } from '../owner.js';
import {
  type ActionTransition,
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
  actionsById: Map<string, StoredAction>;
};

/** One action's record, a class so every row has one shape from the start (rows change state in place). */
class ActionRow implements Mutable<StoredAction> {
  state: EnumStepState = EnumStepState.PENDING;
  attempt = 0;
  epoch = 1;
  result: unknown = undefined;
  error: StoredAction['error'] = null;
  startedAt: string | null = null;

  constructor(
    readonly actionId: string,
    readonly stepId: string,
    public leaseId: string,
    public updatedAt: string,
  ) {}
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
    const actionsById = new Map<string, StoredAction>();
    for (const a of run.actions) actionsById.set(a.actionId, new ActionRow(a.actionId, a.stepId, run.leaseId, run.startedAt));
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
      actionsById,
    });
    this.evict();
  }

  transitionAction(t: ActionTransition): number {
    const run = this.runs.get(t.runId);
    if (!run) throw notFound('run', t.runId);
    const stored = run.actionsById.get(t.actionId);
    if (!stored || stored.leaseId !== t.leaseId || stored.epoch !== t.expectedEpoch) {
      throw fenceError('action', t.actionId, stored, t);
    }
    // Updated in place (the record is this store's own; readers get copies): no allocation per state change.
    const epoch = stored.epoch + 1;
    const row = stored as Mutable<StoredAction>;
    if (row.startedAt === null && t.state === EnumStepState.RUNNING) row.startedAt = t.at;
    row.state = t.state;
    row.attempt = t.attempt;
    row.epoch = epoch;
    if (t.result !== undefined) row.result = t.result;
    if (t.error !== undefined) row.error = t.error;
    row.updatedAt = t.at;
    return epoch;
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
    for (const a of run.actionsById.values()) {
      const row = a as Mutable<StoredAction>;
      row.leaseId = t.leaseId;
      row.epoch++;
    }
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
    const { actionsById, leaseExpiresMs, stepsTotal: _s, ...rest } = run;
    // Kept as given (no copy while the run is hot); served in wire form, like every other store.
    return {
      ...rest,
      definition: toWire(rest.definition),
      output: rest.output === undefined ? undefined : toWire(rest.output),
      leaseExpiresAt: new Date(leaseExpiresMs).toISOString(),
      actions: [...actionsById.values()].map((a) => ({ ...a })),
    };
  }

  private summary(run: MutableRun): RunSummary {
    const { actionsById, leaseExpiresMs, definition: _d, output, ...rest } = run;
    const counts = countsFromOutput(output) ?? countsFromActions([...actionsById.values()]);
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
