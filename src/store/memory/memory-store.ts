/**
 * The in-memory store: the default of the API and of tests. Keeps the most recent runs only (bounded), so a
 * long-lived orchestrator does not grow without end.
 * @module
 */
import { EnumStepState, EnumWorkflowState } from '../../models/enums.js';
import { checkFence, notFound } from '../fencing.js';
import type { ActionTransition, RunStart, RunTransition, Store, StoredAction, StoredRun } from '../store.js';

type MutableRun = { -readonly [K in keyof StoredRun]: StoredRun[K] } & { actionsById: Map<string, StoredAction> };

/** Options of the memory store. */
export interface MemoryStoreOptions {
  /** Most runs kept; the oldest finished ones are dropped first. @default 1000 */
  maxRuns?: number;
}

/** A `Store` in process memory. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly runs = new Map<string, MutableRun>();
  private readonly maxRuns: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxRuns = options.maxRuns ?? 1000;
  }

  beginRun(run: RunStart): void {
    const actionsById = new Map<string, StoredAction>();
    for (const a of run.actions) {
      actionsById.set(a.actionId, {
        actionId: a.actionId,
        stepId: a.stepId,
        state: EnumStepState.PENDING,
        attempt: 0,
        epoch: 1,
        leaseId: run.leaseId,
        result: undefined,
        error: null,
        updatedAt: run.startedAt,
      });
    }
    this.runs.set(run.runId, {
      runId: run.runId,
      workflowId: run.workflowId,
      workflowName: run.workflowName,
      workflowHash: run.workflowHash,
      state: EnumWorkflowState.RUNNING,
      leaseId: run.leaseId,
      epoch: 1,
      startedAt: run.startedAt,
      finishedAt: null,
      definition: run.definition,
      output: undefined,
      actions: [],
      actionsById,
    });
    this.evict();
  }

  transitionAction(t: ActionTransition): number {
    const run = this.runs.get(t.runId);
    if (!run) throw notFound('run', t.runId);
    const stored = run.actionsById.get(t.actionId);
    if (!stored) throw notFound('action', t.actionId);
    checkFence(`action ${t.actionId}`, stored, t);
    const epoch = stored.epoch + 1;
    run.actionsById.set(t.actionId, {
      ...stored,
      state: t.state,
      attempt: t.attempt,
      epoch,
      result: t.result === undefined ? stored.result : t.result,
      error: t.error === undefined ? stored.error : t.error,
      updatedAt: t.at,
    });
    return epoch;
  }

  transitionRun(t: RunTransition): number {
    const run = this.runs.get(t.runId);
    if (!run) throw notFound('run', t.runId);
    checkFence(`run ${t.runId}`, run, t);
    run.epoch++;
    run.state = t.state;
    if (t.output !== undefined) {
      run.output = t.output;
      run.finishedAt = t.at;
    }
    return run.epoch;
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const { actionsById, ...rest } = run;
    return { ...rest, actions: [...actionsById.values()] };
  }

  async listRuns(limit = 50) {
    return [...this.runs.values()]
      .reverse()
      .slice(0, limit)
      .map(({ actionsById: _a, actions: _b, definition: _d, output: _o, ...summary }) => summary);
  }

  async close(): Promise<void> {
    this.runs.clear();
  }

  private evict(): void {
    if (this.runs.size <= this.maxRuns) return;
    for (const [id, run] of this.runs) {
      if (this.runs.size <= this.maxRuns) return;
      if (run.finishedAt !== null) this.runs.delete(id);
    }
  }
}
