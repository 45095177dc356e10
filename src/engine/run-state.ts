/**
 * The mutable state of one run: per action and per step, built from the plan (and from what a resumed run had
 * already done), plus the orders of the scheduler's two ready queues.
 * @module
 */
import type { IBackoff } from 'cockatiel';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { put, putSparse } from '../models/columns.js';
import { EnumExecutionMode, EnumFailureStrategy, EnumStepState } from '../models/enums.js';
import type { SkipReason } from '../models/orchestrator-output.js';
import type { Invoker } from '../nodes/node-adapter.js';
import type { ActionContext } from './action-context.js';
import type { Attempt, Sleep } from './attempt.js';
import type { Ranking } from './heap.js';
import { PlanColumns } from './plan-columns.js';
import type { ExecutionPlan } from './plan-types.js';
import { localOrder } from './planner.js';
import type { ResumeState } from './run-options.js';

const S = EnumStepState;

/**
 * A run's state, a column per field (bench/PROFILE.md, fourth pass): per action and per step, arrays indexed by
 * position instead of an object per action and per step. A 1,000-step run allocates ~90 KB of columns instead of
 * ~310 KB of records, reads the fields it checks on every step from dense arrays, and hands its final columns to the
 * output's snapshot instead of copying them. Fields most runs never set (errors, retry sleeps, attempts through a
 * breaker's policy, skip reasons, step outputs) get their column on first write.
 */
export class RunState {
  readonly actionState: EnumStepState[];
  readonly actionEpoch: Int32Array;
  readonly actionAttempts: Int32Array;
  readonly actionStartedMs: Float64Array;
  readonly actionDurationMs: Float64Array;
  /** The context of each action's direct call in flight, if any (it stands for the attempt: `WorkflowRun.callNode`). */
  readonly actionCall: (ActionContext | null)[];
  /** The node instance that ran each action's last attempt (the saga compensates through it). */
  readonly actionRanOn: (Invoker | null)[];
  actionResult: unknown[] | null = null;
  actionError: (OnexError | null)[] | null = null;
  /** The attempt in flight through a circuit breaker's policy or in a batch, if any. */
  actionAttempt: (Attempt | null)[] | null = null;
  /** The backoff sleep before the next attempt, if any; and the backoff it follows. */
  actionSleep: (Sleep | null)[] | null = null;
  actionBackoff: (IBackoff<unknown> | null)[] | null = null;

  readonly stepState: EnumStepState[];
  readonly stepRemainingDeps: Int32Array;
  readonly stepStartedAt: (string | null)[];
  readonly stepStartedMs: Float64Array;
  readonly stepDurationMs: Float64Array;
  readonly stepFinishedActions: Int32Array;
  stepReason: (SkipReason | null)[] | null = null;
  stepOutput: unknown[] | null = null;
  stepError: (OnexError | null)[] | null = null;
  /** Next position in the step's action order (SEQUENTIAL steps with several actions). */
  stepNext: Int32Array | null = null;
  /**
   * Per action (by position in the step): same-step dependencies not yet completed. Made when a PARALLEL step with
   * more than one action starts (most steps have one action and need none).
   */
  stepLocalRemaining: (Int32Array | null)[] | null = null;

  constructor(plan: ExecutionPlan, resume: ResumeState | undefined) {
    const na = plan.actions.length;
    const ns = plan.steps.length;
    this.actionState = new Array<EnumStepState>(na).fill(S.PENDING);
    this.actionEpoch = new Int32Array(na).fill(1);
    this.actionAttempts = new Int32Array(na);
    this.actionStartedMs = new Float64Array(na);
    this.actionDurationMs = new Float64Array(na);
    this.actionCall = new Array<ActionContext | null>(na).fill(null);
    this.actionRanOn = new Array<Invoker | null>(na).fill(null);
    this.stepState = new Array<EnumStepState>(ns).fill(S.PENDING);
    const { start } = layoutOf(plan).columns.stepDeps;
    this.stepRemainingDeps = new Int32Array(ns);
    for (let s = 0; s < ns; s++) this.stepRemainingDeps[s] = start[s + 1]! - start[s]!;
    this.stepStartedAt = new Array<string | null>(ns).fill(null);
    this.stepStartedMs = new Float64Array(ns);
    this.stepDurationMs = new Float64Array(ns);
    this.stepFinishedActions = new Int32Array(ns);
    // COMPLETED (and COMPENSATED) survive a resume; anything else runs (again, same key).
    const resumed = resume?.actions;
    if (!resumed) return;
    for (let a = 0; a < na; a++) {
      const before = resumed.get(plan.actions[a]!.action.actionId);
      if (!before) continue;
      const kept = before.state === S.COMPLETED || before.state === S.COMPENSATED;
      if (kept) this.actionState[a] = before.state;
      this.actionEpoch[a] = before.epoch;
      this.actionAttempts[a] = before.attempt;
      if (before.state === S.COMPLETED) this.setResult(a, before.result);
    }
  }

  setResult(a: number, value: unknown): void {
    this.actionResult = putSparse(this.actionResult, this.actionState.length, undefined, a, value);
  }

  resultOf(a: number): unknown {
    return this.actionResult?.[a];
  }

  setActionError(a: number, error: OnexError | null): void {
    this.actionError = putSparse(this.actionError, this.actionState.length, null, a, error);
  }

  actionErrorOf(a: number): OnexError | null {
    return this.actionError?.[a] ?? null;
  }

  setAttempt(a: number, attempt: Attempt | null): void {
    this.actionAttempt = putSparse(this.actionAttempt, this.actionState.length, null, a, attempt);
  }

  attemptOf(a: number): Attempt | null {
    return this.actionAttempt?.[a] ?? null;
  }

  setSleep(a: number, sleep: Sleep | null): void {
    this.actionSleep = putSparse(this.actionSleep, this.actionState.length, null, a, sleep);
  }

  sleepOf(a: number): Sleep | null {
    return this.actionSleep?.[a] ?? null;
  }

  setBackoff(a: number, backoff: IBackoff<unknown>): void {
    this.actionBackoff = put(this.actionBackoff, this.actionState.length, null, a, backoff);
  }

  backoffOf(a: number): IBackoff<unknown> | null {
    return this.actionBackoff?.[a] ?? null;
  }

  setReason(s: number, reason: SkipReason): void {
    this.stepReason = put(this.stepReason, this.stepState.length, null, s, reason);
  }

  reasonOf(s: number): SkipReason | null {
    return this.stepReason?.[s] ?? null;
  }

  setOutput(s: number, output: unknown): void {
    this.stepOutput = putSparse(this.stepOutput, this.stepState.length, undefined, s, output);
  }

  outputOf(s: number): unknown {
    return this.stepOutput?.[s];
  }

  /** Record the step's error unless it has one already (the first cause is the one reported). */
  keepStepError(s: number, error: OnexError | null): void {
    if (error === null || this.stepErrorOf(s) !== null) return;
    this.stepError = put(this.stepError, this.stepState.length, null, s, error);
  }

  setStepError(s: number, error: OnexError): void {
    this.stepError = put(this.stepError, this.stepState.length, null, s, error);
  }

  stepErrorOf(s: number): OnexError | null {
    return this.stepError?.[s] ?? null;
  }

  /** The next position in step `s`'s action order, moving on (SEQUENTIAL steps). */
  takeNext(s: number): number {
    this.stepNext ??= new Int32Array(this.stepState.length);
    return this.stepNext[s]!++;
  }

  nextOf(s: number): number {
    return this.stepNext?.[s] ?? 0;
  }

  setLocalRemaining(s: number, remaining: Int32Array): void {
    this.stepLocalRemaining = put(this.stepLocalRemaining, this.stepState.length, null, s, remaining);
  }

  localRemainingOf(s: number): Int32Array | null {
    return this.stepLocalRemaining?.[s] ?? null;
  }
}

/** What every run of a plan shares: each step's action order, step ids to indices. Made once per plan. */
export interface PlanLayout {
  readonly orders: readonly (readonly number[])[];
  /** Step ids to indices (made on first use: only nodes that read their inputs need it). */
  readonly stepIndexById: ReadonlyMap<string, number>;
  /** Every action with its step, as a run records them when it begins (`actionIndex` = position here). */
  readonly actionRefs: readonly { readonly actionId: string; readonly stepId: string }[];
  /** Ready-queue orders (see `stepRanking`, `actionRanking`): one comparison of two integers per queue step. */
  readonly stepRanking: Ranking;
  readonly plannedStepRanking: Ranking;
  readonly actionRanking: Ranking;
  /** What BATCH mode groups action `a` by: its action type and target node type. */
  batchKey(a: number): string;
  /** The steps without dependencies, in planned order: where every run starts. */
  readonly roots: readonly number[];
  /** What the scheduler reads for every step and action, as dense columns. */
  readonly columns: PlanColumns;
}

class Layout implements PlanLayout {
  readonly orders: readonly (readonly number[])[];
  readonly actionRefs: readonly { readonly actionId: string; readonly stepId: string }[];
  readonly roots: readonly number[];
  readonly columns: PlanColumns;
  private byId: Map<string, number> | undefined = undefined;
  private stepRanks: Ranking | undefined = undefined;
  private plannedRanks: Ranking | undefined = undefined;
  private actionRanks: Ranking | undefined = undefined;
  private batchKeys: string[] | undefined = undefined;

  constructor(private readonly plan: ExecutionPlan) {
    // A step with one action (the usual case) needs no ordering of its own.
    this.orders = plan.steps.map((ps) => (ps.actions.length === 1 ? ps.actions : localOrder(ps, plan.actions)));
    this.actionRefs = plan.actions.map((pa) => ({
      actionId: pa.action.actionId,
      stepId: plan.steps[pa.stepIndex]!.step.stepId,
    }));
    this.roots = plan.order.filter((s) => plan.steps[s]!.deps.length === 0);
    this.columns = new PlanColumns(plan);
  }

  get stepRanking(): Ranking {
    this.stepRanks ??= stepRanks(this.plan);
    return this.stepRanks;
  }

  get plannedStepRanking(): Ranking {
    const steps = this.plan.steps;
    this.plannedRanks ??= ranking(steps.length, (a, b) => steps[a]!.orderIndex < steps[b]!.orderIndex);
    return this.plannedRanks;
  }

  get actionRanking(): Ranking {
    this.actionRanks ??= actionRanks(this.plan);
    return this.actionRanks;
  }

  batchKey(a: number): string {
    this.batchKeys ??= this.plan.actions.map((pa) => `${pa.action.actionType}\u0000${pa.action.targetNodeType}`);
    return this.batchKeys[a]!;
  }

  get stepIndexById(): ReadonlyMap<string, number> {
    this.byId ??= new Map(this.plan.steps.map((ps) => [ps.step.stepId, ps.index]));
    return this.byId;
  }
}

const layouts = new WeakMap<ExecutionPlan, PlanLayout>();

/** The layout of `plan`, computed on its first run. */
export function layoutOf(plan: ExecutionPlan): PlanLayout {
  let layout = layouts.get(plan);
  if (!layout) {
    layout = new Layout(plan);
    layouts.set(plan, layout);
  }
  return layout;
}

/**
 * Which ready step goes first: planned order in SEQUENTIAL; otherwise higher priority, then longer remaining
 * critical path, then planned order (spec §4).
 */
export function stepRanking(plan: ExecutionPlan, mode: EnumExecutionMode): Ranking {
  const layout = layoutOf(plan);
  return mode === EnumExecutionMode.SEQUENTIAL ? layout.plannedStepRanking : layout.stepRanking;
}

/** Which ready action goes first: higher priority, then its step's planned order, then declaration. */
export function actionRanking(plan: ExecutionPlan): Ranking {
  return layoutOf(plan).actionRanking;
}

/** The ranking of `0..n-1` sorted by `before` (a total order), so comparing ranks compares items. */
function ranking(n: number, before: (a: number, b: number) => boolean): Ranking {
  const byRank = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const rank = new Int32Array(n);
  for (let r = 0; r < n; r++) rank[byRank[r]!] = r;
  return { rank, byRank };
}

function stepRanks(plan: ExecutionPlan): Ranking {
  const steps = plan.steps;
  return ranking(steps.length, (a, b) => {
    const x = steps[a]!;
    const y = steps[b]!;
    if (x.priority !== y.priority) return x.priority > y.priority;
    if (x.criticalPathLength !== y.criticalPathLength) return x.criticalPathLength > y.criticalPathLength;
    return x.orderIndex < y.orderIndex;
  });
}

function actionRanks(plan: ExecutionPlan): Ranking {
  const steps = plan.steps;
  const acts = plan.actions;
  return ranking(acts.length, (a, b) => {
    const pa = acts[a]!.action.priority;
    const pb = acts[b]!.action.priority;
    if (pa !== pb) return pa > pb;
    const oa = steps[acts[a]!.stepIndex]!.orderIndex;
    const ob = steps[acts[b]!.stepIndex]!.orderIndex;
    return oa !== ob ? oa < ob : a < b;
  });
}
/**
 * A resumed run that had already failed for good under a stopping strategy (an action recorded FAILED or TIMEOUT,
 * or a compensation recorded): it is not run again; resuming finishes its failure, i.e. the saga (spec §5: an
 * interrupted compensation resumes).
 */
export function failureBeforeResume(
  plan: ExecutionPlan,
  resume: ResumeState | undefined,
  strategy: EnumFailureStrategy,
): { a: number; error: OnexError } | null {
  const resumed = resume?.actions;
  if (!resumed || strategy === EnumFailureStrategy.CONTINUE_ON_ERROR) return null;
  let compensating = false;
  for (const pa of plan.actions) {
    const before = resumed.get(pa.action.actionId);
    if (before?.state === S.FAILED || before?.state === S.TIMEOUT) {
      const code = before.error?.code ?? EnumCoreErrorCode.OPERATION_FAILED;
      const message = before.error?.message ?? `action ${pa.action.actionId} failed before the resume`;
      return { a: pa.index, error: new OnexError(code, message) };
    }
    if (before?.state === S.COMPENSATED) compensating = true;
  }
  if (!compensating) return null;
  return {
    a: -1,
    error: new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_WORKFLOW_FAILED,
      'the run had failed and its compensation was interrupted',
    ),
  };
}
