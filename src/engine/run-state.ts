/**
 * The mutable state of one run: per action and per step, built from the plan (and from what a resumed run had
 * already done), plus the orders of the scheduler's two ready queues.
 * @module
 */
import type { IBackoff } from 'cockatiel';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
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

/** One action as the run goes. */
export interface ActionRt {
  state: EnumStepState;
  epoch: number;
  attempts: number;
  result: unknown;
  error: OnexError | null;
  startedMs: number;
  durationMs: number;
  /** The attempt in flight through a circuit breaker's policy or in a batch, if any. */
  attempt: Attempt | null;
  /** The context of the direct call in flight, if any (it stands for the attempt: see `WorkflowRun.callNode`). */
  call: ActionContext | null;
  /** The backoff sleep before the next attempt, if any. */
  sleep: Sleep | null;
  backoff: IBackoff<unknown> | null;
  /** The node instance that ran the last attempt (the saga compensates through it). */
  ranOn: Invoker | null;
}

/** One step as the run goes. */
export interface StepRt {
  state: EnumStepState;
  reason: SkipReason | null;
  remainingDeps: number;
  startedAt: string | null;
  startedMs: number;
  durationMs: number;
  output: unknown;
  error: OnexError | null;
  /** Actions of the step in the order they may start (same-step dependencies respected; shared, read-only). */
  order: readonly number[];
  /** Next position in `order` (SEQUENTIAL steps). */
  next: number;
  /**
   * Per action (by position in the step): same-step dependencies not yet completed. Made when a PARALLEL step with
   * more than one action starts (most steps have one action and need none).
   */
  localRemaining: Int32Array | null;
  finishedActions: number;
}

/**
 * An action's state as a class: every instance has one shape from birth (numbers that become fractional start out as
 * doubles), so a run's thousands of them are built and read without shape changes.
 */
class ActionRecord implements ActionRt {
  error: OnexError | null = null;
  startedMs = -0.5;
  durationMs = -0.5;
  attempt: Attempt | null = null;
  call: ActionContext | null = null;
  sleep: Sleep | null = null;
  backoff: IBackoff<unknown> | null = null;
  ranOn: Invoker | null = null;

  constructor(
    public state: EnumStepState,
    public epoch: number,
    public attempts: number,
    public result: unknown,
  ) {
    this.startedMs = 0;
    this.durationMs = 0;
  }
}

/** Initial action states: COMPLETED (and COMPENSATED) survive a resume; anything else runs (again, same key). */
export function initialActions(plan: ExecutionPlan, resume: ResumeState | undefined): ActionRt[] {
  const resumed = resume?.actions;
  const n = plan.actions.length;
  const out = new Array<ActionRt>(n);
  if (!resumed) {
    for (let a = 0; a < n; a++) out[a] = new ActionRecord(S.PENDING, 1, 0, undefined);
    return out;
  }
  for (let a = 0; a < n; a++) {
    const before = resumed.get(plan.actions[a]!.action.actionId);
    const kept = before?.state === S.COMPLETED || before?.state === S.COMPENSATED;
    out[a] = new ActionRecord(
      kept ? before.state : S.PENDING,
      before?.epoch ?? 1,
      before?.attempt ?? 0,
      before?.state === S.COMPLETED ? before.result : undefined,
    );
  }
  return out;
}

/** A step's state (a class, for the same reason as `ActionRecord`). */
class StepRecord implements StepRt {
  state: EnumStepState = S.PENDING;
  reason: SkipReason | null = null;
  startedAt: string | null = null;
  startedMs = -0.5;
  durationMs = -0.5;
  output: unknown = undefined;
  error: OnexError | null = null;
  next = 0;
  localRemaining: Int32Array | null = null;
  finishedActions = 0;

  constructor(
    public remainingDeps: number,
    readonly order: readonly number[],
  ) {
    this.startedMs = 0;
    this.durationMs = 0;
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

/** Initial step states: all PENDING, waiting for their dependencies. */
export function initialSteps(plan: ExecutionPlan): StepRt[] {
  const { orders, columns } = layoutOf(plan);
  const { start } = columns.stepDeps;
  const n = plan.steps.length;
  const out = new Array<StepRt>(n);
  for (let s = 0; s < n; s++) out[s] = new StepRecord(start[s + 1]! - start[s]!, orders[s]!);
  return out;
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
