/**
 * One execution of a plan (spec §4): the scheduler. Steps start when their dependencies are done (no wave
 * barriers), under the mode's bound; actions run under a concurrency bound, with per-attempt timeouts, retries with
 * exponential backoff and jitter, step and workflow timeouts, conditions, and the failure strategy. Every state change
 * of an action goes through the store as a compare-and-set on (leaseId, epoch).
 * @module
 */
import { ExponentialBackoff } from 'cockatiel';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { isRetryable, OnexError } from '../errors/onex-error.js';
import type { ModelAction } from '../models/action.js';
import {
  EnumBranchCondition,
  EnumExecutionMode,
  EnumFailureStrategy,
  EnumStepState,
  EnumWorkflowState,
  isFinalStepState,
} from '../models/enums.js';
import { deepFreeze } from '../models/json.js';
import type { ModelOrchestratorOutput, SkipReason } from '../models/orchestrator-output.js';
import { toWire } from '../models/wire.js';
import type { BatchItem } from '../nodes/context.js';
import { type Invoker, resolveInvokers } from '../nodes/node-adapter.js';
import { type CompensationCandidate, type CompensationRecord, compensate } from '../resilience/saga.js';
import { type ActionWriter, actionWriterOf } from '../store/store.js';
import {
  ActionContext,
  type ActionInputs,
  type InputSource,
  type RunContextFields,
  type SignalSource,
} from './action-context.js';
import { Attempt, Sleep, timeoutError } from './attempt.js';
import { LoadBalancer } from './balancer.js';
import { Bulkheads } from './bulkheads.js';
import { isoAt, nowIso } from './clock.js';
import { conditionHolds } from './conditions.js';
import { Deadlines } from './deadlines.js';
import { RankQueue } from './heap.js';
import { buildOutput, type RunRecordView } from './output.js';
import { type PlanColumns, STEP_HANDLES_FAILURE, STEP_PARALLEL, STEP_PLAIN } from './plan-columns.js';
import type { ExecutionPlan } from './plan-types.js';
import type { RunDeps } from './run-options.js';
import { actionRanking, failureBeforeResume, layoutOf, type PlanLayout, RunState, stepRanking } from './run-state.js';

const S = EnumStepState;

/** Default retries the RETRY strategy gives actions that declare none. */
export const RETRY_STRATEGY_DEFAULT_RETRIES = 3;

/** Runs one plan to its end and builds the output. Create one per `process()` call. */
export class WorkflowRun implements InputSource {
  readonly runId: string;
  private readonly contextFields: RunContextFields;
  /** What every run of this plan shares (orders, ranks, roots, ids). */
  private readonly layout: PlanLayout;
  /** The plan's hot facts (the layout's columns): read on every step instead of the scattered model objects. */
  private readonly cols: PlanColumns;
  /** The node instances of each of the plan's targets (`cols.targets`), by target index. */
  private byTarget: (readonly Invoker[])[] = [];
  private readonly mode: EnumExecutionMode;
  private readonly strategy: EnumFailureStrategy;
  private readonly stepLimit: number;
  private readonly actionLimit: number;
  /** The run's state: a column per field, per action and per step. */
  private readonly rs: RunState;
  private readonly readySteps: RankQueue;
  private readonly readyActions: RankQueue;
  private readonly balancer = new LoadBalancer<Invoker>();
  private readonly invokers = new Map<string, readonly Invoker[]>();
  private readonly bulkheads: Bulkheads;
  /** Action indices in the order they completed (the saga undoes them in reverse). */
  private readonly completionOrder: Int32Array;
  /** How many entries of `completionOrder` are filled. */
  private completedActions = 0;
  /** Steps whose dependencies all ended, waiting to be considered (a stack: see `pump`). */
  private readonly toConsider: number[] = [];
  private pumping = false;
  /** Passes `pump` has made (re-entrant calls that only queued work do not count). */
  private pumps = 0;
  private readonly batchQueue = new Map<string, number[]>();
  private batchFlushScheduled = false;
  private readonly record: RunRecordView;
  private stepsInFlight = 0;
  /** Node calls in flight (a `processBatch` call is one): bounded by `maxParallelSteps`. */
  private callsInFlight = 0;
  /** Actions in flight (every action of a batch counts): `peakConcurrency` is its maximum. */
  private actionsInFlight = 0;
  private finishedSteps = 0;
  private stopReason: OnexError | null = null;
  private cancelled = false;
  private globalTimer: NodeJS.Timeout | undefined;
  private startedMs = 0;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });
  private settled = false;
  /**
   * The clock, read once per scheduler turn (every entry goes through `guard`, which resets it), as libuv reads its
   * clock once per loop iteration: actions that start or end in one synchronous burst share one timestamp.
   */
  private tickMs = -1;
  /** `nowIso()`'s last answer, and the reading of `now()` it was for. */
  private iso = '';
  private isoOfMs = -1;
  /** Step timeouts, on one timer. */
  private readonly stepDeadlines = new Deadlines(
    (s) => this.rs.stepState[s] === S.RUNNING,
    (s) => this.guard(() => this.timeoutStep(s)),
  );
  /** Timeouts of direct calls (token: the attempt number), on one timer. */
  private readonly callDeadlines = new Deadlines(
    (a, attempt) => this.rs.actionCall[a] !== null && this.rs.actionAttempts[a] === attempt,
    (a) => this.guard(() => this.callTimedOut(a)),
  );

  /** The store's writer for this run's actions, when it offers one (found once the run is in the store). */
  private writer: ActionWriter | undefined = undefined;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly deps: RunDeps,
  ) {
    const input = plan.input;
    // A plan run before (the same built input processed again) gets a fresh operation id: one id per execution.
    this.runId = !deps.resume && usedPlans.has(plan) ? crypto.randomUUID() : input.operationId;
    usedPlans.add(plan);
    this.layout = layoutOf(plan);
    this.cols = this.layout.columns;
    this.contextFields = {
      workflowInput: input.inputData,
      workflowId: input.workflowId,
      operationId: this.runId,
      container: deps.container,
      logger: deps.container.logger,
      inputSource: this,
    };
    this.mode = input.dependencyResolutionEnabled ? input.executionMode : EnumExecutionMode.SEQUENTIAL;
    this.strategy = input.failureStrategy;
    this.stepLimit =
      this.mode === EnumExecutionMode.SEQUENTIAL
        ? 1
        : this.mode === EnumExecutionMode.PARALLEL
          ? input.maxParallelSteps
          : Infinity;
    this.actionLimit = input.maxParallelSteps;
    this.rs = new RunState(plan, deps.resume);
    this.completionOrder = new Int32Array(plan.actions.length);
    // Actions completed before a resume are undone by the saga too (their exact order is not recorded: planned order).
    if (deps.resume) {
      for (const a of plan.actionOrder) if (this.rs.actionState[a] === S.COMPLETED) this.completedAction(a);
    }
    this.readySteps = new RankQueue(stepRanking(plan, this.mode));
    this.readyActions = new RankQueue(actionRanking(plan));
    this.bulkheads = new Bulkheads(input.nodeConcurrency);
    this.record = {
      completed: [],
      failed: [],
      skipped: [],
      results: [],
      errors: [],
      parallelExecutions: 0,
      peakConcurrency: 0,
      loadBalancedOperations: 0,
      batches: 0,
      startedAt: nowIso(),
    };
  }

  /** Resolve every node the plan needs; throws before anything runs when one is missing. */
  resolveNodes(): void {
    if (this.invokers.size > 0) return;
    for (const target of targetsOf(this.plan)) {
      if (!this.invokers.has(target)) this.invokers.set(target, resolveInvokers(this.deps.container, target));
    }
    this.byTarget = this.cols.targets.map((target) => this.invokers.get(target)!);
  }

  /** Run to the end. Resolves with the output whatever the outcome; the orchestrator decides to reject. */
  async execute(): Promise<ModelOrchestratorOutput> {
    this.resolveNodes();
    this.startedMs = performance.now();
    const { input } = this.plan;
    if (!this.deps.resume)
      await this.deps.store.beginRun({
        runId: this.runId,
        workflowId: input.workflowId,
        workflowName: input.workflowName ?? 'unnamed',
        workflowHash: this.plan.workflowHash,
        leaseId: this.deps.leaseId,
        startedAt: this.record.startedAt,
        definition: input,
        actions: this.layout.actionRefs,
      });
    this.writer = actionWriterOf(this.deps.store, this.runId, this.deps.leaseId);
    this.globalTimer = setTimeout(() => {
      this.stop(
        new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_EXEC_WORKFLOW_TIMEOUT,
          `workflow timed out after ${input.globalTimeoutMs} ms (globalTimeoutMs)`,
          { context: { globalTimeoutMs: input.globalTimeoutMs } },
        ),
        S.TIMEOUT,
      );
    }, input.globalTimeoutMs);
    const onCancel = () =>
      this.guard(() => {
        this.cancelled = true;
        this.stop(new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, 'run cancelled'), S.CANCELLED);
      });
    if (this.deps.signal?.aborted) onCancel();
    else this.deps.signal?.addEventListener('abort', onCancel, { once: true });
    const failedBefore = failureBeforeResume(this.plan, this.deps.resume, this.strategy);
    this.guard(() => {
      if (failedBefore) return this.finishFailedRun(failedBefore);
      // The steps without dependencies, last planned first (`toConsider` is a stack).
      const roots = this.layout.roots;
      for (let i = roots.length - 1; i >= 0; i--) {
        const s = roots[i]!;
        if (this.rs.stepState[s] === S.PENDING) this.toConsider.push(s);
      }
      this.pump();
    });
    await this.done;
    clearTimeout(this.globalTimer);
    this.deps.signal?.removeEventListener('abort', onCancel);
    const compensations = this.shouldCompensate() ? await this.compensate() : [];
    const output = buildOutput(this.plan, this.deps.leaseId, this.record, {
      operationId: this.runId,
      state: this.finalState(),
      processingTimeMs: Math.max(performance.now() - this.startedMs, Number.EPSILON),
      run: this.rs,
      extraMetadata: {
        ...(this.deps.breakers ? { circuit_breakers: this.deps.breakers.snapshot(this.invokers.keys()) } : {}),
        ...(compensations.length > 0 ? { compensations: toWire(compensations) } : {}),
      },
    });
    await this.deps.store.transitionRun({
      runId: this.runId,
      leaseId: this.deps.leaseId,
      expectedEpoch: this.deps.resume?.runEpoch ?? 1,
      state: output.workflowState,
      at: output.completedAt,
      output,
    });
    return output;
  }

  /** Record the steps as they stood, then stop with the recorded failure: `execute` then runs the rest of the saga. */
  private finishFailedRun(failed: { a: number; error: OnexError }): void {
    if (failed.a >= 0) {
      const pa = this.plan.actions[failed.a]!;
      this.rs.actionState[failed.a] = S.FAILED;
      this.rs.setActionError(failed.a, failed.error);
      this.record.errors.push({
        stepId: this.plan.input.steps[pa.stepIndex]!.stepId,
        actionId: pa.action.actionId,
        code: failed.error.code,
        message: failed.error.message,
      });
    }
    this.plan.order.forEach((s) => {
      const states = this.plan.steps[s]!.actions.map((a) => this.rs.actionState[a]!);
      if (states.length > 0 && states.every((st) => st === S.COMPLETED || st === S.COMPENSATED)) {
        this.rs.stepState[s] = states.every((st) => st === S.COMPENSATED) ? S.COMPENSATED : S.COMPLETED;
        this.record.completed.push(this.plan.steps[s]!.step.stepId);
      } else if (states.includes(S.FAILED)) {
        this.rs.stepState[s] = S.FAILED;
        this.rs.setStepError(s, failed.error);
        this.record.failed.push(this.plan.steps[s]!.step.stepId);
      }
    });
    this.stop(failed.error);
  }

  /** A failure stopped the run under FAIL_FAST, RETRY or COMPENSATE (not a cancel): undo what it did (spec §5). */
  private shouldCompensate(): boolean {
    return this.stopReason !== null && !this.cancelled && this.strategy !== EnumFailureStrategy.CONTINUE_ON_ERROR;
  }

  /** Run the saga over the completed actions, in reverse completion order, and record each outcome. */
  private compensate(): Promise<CompensationRecord[]> {
    const order = Array.from(this.completionOrder.subarray(0, this.completedActions));
    const candidates: CompensationCandidate[] = order.map((a) => {
      const pa = this.plan.actions[a]!;
      return {
        actionId: pa.action.actionId,
        step: this.plan.input.steps[pa.stepIndex]!,
        operationData: pa.action.operationData,
        result: this.rs.resultOf(a),
        retryCount: pa.action.retryCount,
        timeoutMs: pa.action.timeoutMs,
        // Completed before a resume: no instance ran it in this process; use the first registered one.
        invoker: this.rs.actionRanOn[a] ?? this.invokers.get(pa.action.targetNodeType)![0]!,
        ctx: this.context(a, NO_SIGNAL).toJSON(),
      };
    });
    const indexById = new Map(order.map((a) => [this.plan.actions[a]!.action.actionId, a]));
    const lookup = (target: string) => {
      try {
        return resolveInvokers(this.deps.container, target)[0];
      } catch {
        return undefined;
      }
    };
    return compensate(candidates, lookup, this.deps.backoff, (record) =>
      this.guard(() => {
        const a = indexById.get(record.actionId)!;
        this.rs.actionState[a] = record.state;
        this.transition(a, record.state, undefined, record.error);
        if (record.error)
          this.record.errors.push({ stepId: record.stepId, actionId: record.actionId, ...record.error });
        const s = this.plan.actions[a]!.stepIndex;
        const stepActions = this.plan.steps[s]!.actions.map((x) => this.rs.actionState[x]!);
        if (stepActions.every((st) => st === S.COMPENSATED)) this.rs.stepState[s] = S.COMPENSATED;
      }),
    );
  }

  /** Why the run stopped early (fail-fast, timeout, cancel), if it did. */
  get stoppedBy(): OnexError | null {
    return this.stopReason;
  }

  private finalState(): EnumWorkflowState {
    if (this.cancelled) return EnumWorkflowState.CANCELLED;
    if (this.stopReason) return EnumWorkflowState.FAILED;
    const { completed, failed } = this.record;
    if (failed.length === 0) return EnumWorkflowState.COMPLETED;
    return completed.length > 0 ? EnumWorkflowState.PARTIAL_SUCCESS : EnumWorkflowState.FAILED;
  }

  // ---- steps -------------------------------------------------------------------------------------------------

  /** A step whose dependencies all ended: skip it for an upstream failure, or queue it. */
  private consider(s: number): void {
    const { start, items } = this.cols.stepDeps;
    const end = start[s + 1]!;
    for (let i = start[s]!; i < end; i++) {
      if (!this.satisfies(items[i]!)) {
        if ((this.cols.stepFlags[s]! & STEP_HANDLES_FAILURE) === 0) return this.skip(s, 'upstream_failed');
        break;
      }
    }
    // The pump's only candidate (nothing left to consider, nothing queued, a free slot): start it now, as the pump
    // would right after queueing it.
    if (this.toConsider.length === 0 && this.readySteps.size === 0 && this.stepsInFlight < this.stepLimit)
      return this.decideAndStart(s);
    this.readySteps.push(s);
  }

  /**
   * A queued step's turn has come: skip it (disabled, skipOnFailure, false condition) or start it. Deciding now, not
   * when it was queued, lets `skipOnFailure` and `conditionFunction` see every step that ended before it.
   */
  private decideAndStart(s: number): void {
    if ((this.cols.stepFlags[s]! & STEP_PLAIN) !== 0) return this.startStep(s);
    const ps = this.plan.steps[s]!;
    const step = ps.step;
    if (!step.enabled) return this.skip(s, 'disabled');
    if (step.skipOnFailure && this.record.failed.length > 0) return this.skip(s, 'skip_on_failure');
    if (step.condition === undefined) return this.startStep(s);
    const depStates = ps.deps.map((d) => this.rs.stepState[d]!);
    let holds: boolean;
    try {
      holds = conditionHolds(step, {
        dependencyOutputs: ps.deps.filter((d) => this.rs.stepState[d] === S.COMPLETED).map((d) => this.rs.outputOf(d)),
        dependencyStates: depStates,
        previousResults: [...this.record.results],
        input: this.plan.input.inputData,
      });
    } catch (err) {
      const error = OnexError.from(err);
      this.rs.setStepError(s, error);
      this.record.errors.push({ stepId: step.stepId, actionId: null, code: error.code, message: error.message });
      return this.endStep(s, S.FAILED, error);
    }
    if (!holds) return this.skip(s, 'condition_false');
    this.startStep(s);
  }

  private satisfies(d: number): boolean {
    return (
      this.rs.stepState[d] === S.COMPLETED ||
      (this.rs.stepState[d] === S.SKIPPED && this.rs.reasonOf(d) !== 'upstream_failed')
    );
  }

  private skip(s: number, reason: SkipReason): void {
    this.rs.setReason(s, reason);
    const actions = this.plan.steps[s]!.actions;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      this.rs.actionState[a] = S.SKIPPED;
      // Recorded, so that `onex show` of a run that later crashed tells skipped from not yet run.
      this.transition(a, S.SKIPPED);
    }
    this.endStep(s, S.SKIPPED, null);
  }

  /**
   * Consider the steps whose dependencies ended, start queued steps while the mode's bound allows, then queued
   * actions. Re-entrant calls (a skip ending a step inside the loop) only queue work for the running loop, so long
   * chains of skips never grow the stack.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pumps++;
    try {
      for (;;) {
        const s = this.toConsider.pop();
        if (s !== undefined) {
          if (!this.stopReason) this.consider(s);
          continue;
        }
        if (this.stopReason || this.readySteps.size === 0 || this.stepsInFlight >= this.stepLimit) break;
        this.decideAndStart(this.readySteps.pop()!);
      }
    } finally {
      this.pumping = false;
    }
    this.pumpActions();
    this.checkDone();
  }

  private startStep(s: number): void {
    const cols = this.cols;
    this.rs.stepState[s] = S.RUNNING;
    this.rs.stepStartedAt[s] = this.nowIso();
    this.rs.stepStartedMs[s] = this.now();
    this.stepsInFlight++;
    this.emit(s);
    if (cols.stepActionCount[s] === 0) return this.endStep(s, S.COMPLETED, null);
    // Actions completed before a resume count as done; the step only runs the rest.
    if (this.deps.resume) {
      const actions = this.plan.steps[s]!.actions;
      this.rs.stepFinishedActions[s] = actions.filter((a) => this.rs.actionState[a] === S.COMPLETED).length;
      if (this.rs.stepFinishedActions[s]! === actions.length) return this.finishRunningStep(s);
    }
    this.stepDeadlines.add(cols.stepTimeoutMs[s]!, s, 0, this.rs.stepStartedMs[s]!);
    const single = cols.stepSingleAction[s]!;
    if (single >= 0) {
      if (this.rs.actionState[single] !== S.PENDING) return;
      // The pump's last candidate (nothing left to consider or start, no action waiting) with a free slot: its action
      // starts now, as `pumpActions` would start it first thing after the pass.
      if (
        this.toConsider.length === 0 &&
        this.readySteps.size === 0 &&
        this.readyActions.size === 0 &&
        this.callsInFlight < this.actionLimit &&
        this.mode !== EnumExecutionMode.BATCH &&
        this.bulkheads.hasRoom(cols.targets[cols.actionTarget[single]!]!)
      )
        return this.runAction(single);
      return this.queueAction(single);
    }
    const ps = this.plan.steps[s]!;
    if ((cols.stepFlags[s]! & STEP_PARALLEL) !== 0) {
      const remaining = new Int32Array(ps.actions.length);
      this.rs.setLocalRemaining(s, remaining);
      ps.actions.forEach((a, pos) => {
        let open = 0;
        for (const d of this.plan.actions[a]!.localDeps)
          if (this.rs.actionState[ps.actions[d]!] !== S.COMPLETED) open++;
        remaining[pos] = open;
        if (open === 0 && this.rs.actionState[a] === S.PENDING) this.queueAction(a);
      });
    } else {
      while (this.rs.nextOf(s) < this.layout.orders[s]!.length) {
        const a = this.layout.orders[s]![this.rs.takeNext(s)]!;
        if (this.rs.actionState[a] === S.PENDING) return this.queueAction(a);
      }
    }
  }

  /** An action of step `s` reached a terminal state: start what it unblocks, or end the step. */
  private actionEnded(a: number): void {
    const s = this.cols.actionStep[a]!;
    if (this.rs.stepState[s] !== S.RUNNING) return;
    this.rs.stepFinishedActions[s]!++;
    const ok = this.rs.actionState[a] === S.COMPLETED;
    if (!ok) this.skipLocalDependents(s, a);
    if (this.rs.stepFinishedActions[s]! >= this.cols.stepActionCount[s]!) return this.finishRunningStep(s);
    if (this.stopReason) return;
    const ps = this.plan.steps[s]!;
    if ((this.cols.stepFlags[s]! & STEP_PARALLEL) !== 0) {
      const pos = ps.actions.indexOf(a);
      const remaining = this.rs.localRemainingOf(s)!;
      ps.actions.forEach((b, bpos) => {
        if (this.plan.actions[b]!.localDeps.includes(pos)) {
          const left = --remaining[bpos]!;
          if (left === 0 && this.rs.actionState[b] === S.PENDING) this.queueAction(b);
        }
      });
    } else {
      while (this.rs.nextOf(s) < this.layout.orders[s]!.length) {
        const b = this.layout.orders[s]![this.rs.takeNext(s)]!;
        if (this.rs.actionState[b] === S.PENDING) return this.queueAction(b);
      }
    }
  }

  /** Same-step actions that (transitively) depend on a failed one can never run. */
  private skipLocalDependents(s: number, failed: number): void {
    const ps = this.plan.steps[s]!;
    const stack = [ps.actions.indexOf(failed)];
    while (stack.length > 0) {
      const pos = stack.pop()!;
      ps.actions.forEach((b, bpos) => {
        if (this.rs.actionState[b] === S.PENDING && this.plan.actions[b]!.localDeps.includes(pos)) {
          this.rs.actionState[b] = S.SKIPPED;
          this.rs.stepFinishedActions[s]!++;
          stack.push(bpos);
        }
      });
    }
  }

  private finishRunningStep(s: number): void {
    const single = this.cols.stepSingleAction[s]!;
    if (single >= 0 && this.rs.actionState[single] === S.COMPLETED) {
      this.rs.setOutput(s, this.rs.resultOf(single));
      return this.endStep(s, S.COMPLETED, null);
    }
    const ps = this.plan.steps[s]!;
    const states = ps.actions.map((a) => this.rs.actionState[a]!);
    if (states.every((st) => st === S.COMPLETED)) {
      const results = ps.actions.map((a) => this.rs.resultOf(a));
      this.rs.setOutput(s, results.length === 1 ? results[0] : results);
      return this.endStep(s, S.COMPLETED, null);
    }
    if (!this.stopReason && this.withinTolerance(s)) {
      // Tolerated failures (Step Functions' Map style): the step succeeds; failed actions give null.
      this.rs.setOutput(
        s,
        ps.actions.map((a) => (this.rs.actionState[a] === S.COMPLETED ? this.rs.resultOf(a) : null)),
      );
      return this.endStep(s, S.COMPLETED, null);
    }
    const failedAt = ps.actions.find((a) => this.rs.actionErrorOf(a) !== null);
    const failed = failedAt === undefined ? null : this.rs.actionErrorOf(failedAt);
    const state = states.includes(S.TIMEOUT) ? S.TIMEOUT : states.includes(S.FAILED) ? S.FAILED : S.CANCELLED;
    this.endStep(s, state, failed);
  }

  /** Whether the step's failed actions are within its `toleratedFailureCount` / `toleratedFailurePercentage`. */
  private withinTolerance(s: number): boolean {
    const ps = this.plan.steps[s]!;
    const { toleratedFailureCount, toleratedFailurePercentage } = ps.step;
    if (toleratedFailureCount === undefined && toleratedFailurePercentage === undefined) return false;
    const failed = ps.actions.filter((a) => {
      const st = this.rs.actionState[a];
      return st === S.FAILED || st === S.TIMEOUT || st === S.SKIPPED;
    }).length;
    // As Step Functions' Map: exceeding either threshold fails the step.
    if (toleratedFailureCount !== undefined && failed > toleratedFailureCount) return false;
    return toleratedFailurePercentage === undefined || (failed / ps.actions.length) * 100 <= toleratedFailurePercentage;
  }

  private timeoutStep(s: number): void {
    if (this.rs.stepState[s] !== S.RUNNING) return;
    const ps = this.plan.steps[s]!;
    const error = new OnexError(
      EnumCoreErrorCode.TIMEOUT,
      `step '${ps.step.stepName}' timed out after ${ps.step.timeoutMs} ms`,
      { context: { stepName: ps.step.stepName, timeoutMs: ps.step.timeoutMs } },
    );
    this.rs.setStepError(s, error);
    this.record.errors.push({ stepId: ps.step.stepId, actionId: null, code: error.code, message: error.message });
    for (const a of ps.actions) this.abortAction(a, error, S.TIMEOUT);
    this.endStep(s, S.TIMEOUT, error);
  }

  /** Record the step's end, release its slot, and wake its dependents. */
  private endStep(s: number, state: EnumStepState, error: OnexError | null): void {
    if (isFinalStepState(this.rs.stepState[s]!)) return;
    const wasRunning = this.rs.stepState[s] === S.RUNNING;
    this.rs.stepState[s] = state;
    this.rs.keepStepError(s, error);
    this.rs.stepDurationMs[s] = wasRunning ? this.now() - this.rs.stepStartedMs[s]! : 0;
    if (wasRunning) this.stepsInFlight--;
    this.finishedSteps++;
    const stepId = this.cols.stepIds[s]!;
    if (state === S.COMPLETED) {
      this.record.completed.push(stepId);
      this.record.results.push(this.rs.outputOf(s));
    } else if (state === S.SKIPPED) {
      this.record.skipped.push(stepId);
    } else {
      this.record.failed.push(stepId);
    }
    this.emit(s);
    if ((state === S.FAILED || state === S.TIMEOUT) && !this.failureHandled(s, state)) {
      this.stop(
        this.rs.stepErrorOf(s) ??
          new OnexError(EnumCoreErrorCode.OPERATION_FAILED, `step '${this.plan.steps[s]!.step.stepName}' failed`),
      );
    }
    // Wake dependents through the worklist (skips can cascade down long chains), last first: it is a stack.
    const { start, items } = this.cols.stepDependents;
    for (let i = start[s + 1]! - 1; i >= start[s]!; i--) {
      const t = items[i]!;
      if (--this.rs.stepRemainingDeps[t]! === 0 && this.rs.stepState[t] === S.PENDING) this.toConsider.push(t);
    }
    this.pump();
  }

  /**
   * A failure is handled when the strategy continues, or when a branch that matches it depends on the step:
   * IF_ERROR matches a failure or a timeout, IF_TIMEOUT a timeout only.
   */
  private failureHandled(s: number, state: EnumStepState): boolean {
    if (this.strategy === EnumFailureStrategy.CONTINUE_ON_ERROR) return true;
    return this.plan.steps[s]!.dependents.some((t) => {
      const condition = this.plan.steps[t]!.step.condition;
      return (
        condition === EnumBranchCondition.IF_ERROR ||
        (condition === EnumBranchCondition.IF_TIMEOUT && state === S.TIMEOUT)
      );
    });
  }

  // ---- actions -----------------------------------------------------------------------------------------------

  private queueAction(a: number): void {
    if (this.mode === EnumExecutionMode.BATCH) return this.queueBatch(a);
    this.readyActions.push(a);
  }

  private pumpActions(): void {
    while (!this.stopReason && this.readyActions.size > 0 && this.callsInFlight < this.actionLimit) {
      const a = this.readyActions.pop()!;
      // Aborted while it waited (its step timed out): it must never start.
      if (this.rs.actionState[a] !== S.PENDING) continue;
      const target = this.cols.targets[this.cols.actionTarget[a]!]!;
      if (!this.bulkheads.hasRoom(target)) {
        // Bulkhead full: park it; a slot of the same node type freeing up brings it back.
        this.bulkheads.park(target, a);
        continue;
      }
      this.runAction(a);
    }
  }

  private releaseTarget(target: string): void {
    const next = this.bulkheads.release(target);
    if (next !== undefined) this.readyActions.push(next);
  }

  private retryCountOf(action: ModelAction): number {
    if (this.strategy === EnumFailureStrategy.RETRY && action.retryCount === 0) return RETRY_STRATEGY_DEFAULT_RETRIES;
    return action.retryCount;
  }

  /** Start one attempt of action `a` on a node instance (balanced when several are registered). */
  private runAction(a: number): void {
    const t = this.cols.actionTarget[a]!;
    const target = this.cols.targets[t]!;
    const instances = this.byTarget[t]!;
    const invoker = instances.length === 1 ? instances[0]! : this.balancer.acquire(instances);
    if (this.mode === EnumExecutionMode.BATCH) this.record.loadBalancedOperations++;
    const claim = this.beginAttempt(a);
    this.callsInFlight++;
    this.bulkheads.acquire(target);
    this.rs.actionRanOn[a] = invoker;
    // A synchronous store (memory, or a refusal thrown at once) confirmed the claim already: launch now.
    if (claim === undefined) return this.launchAction(a, invoker, instances, target);
    this.launchWhenClaimed(a, claim, invoker, instances, target);
  }

  /** `runAction`'s asynchronous case, out of line (its closures would cost the common case a context per call). */
  private launchWhenClaimed(
    a: number,
    claim: Promise<boolean>,
    invoker: Invoker,
    instances: readonly Invoker[],
    target: string,
  ): void {
    const release = () => {
      this.endAttempt(invoker, instances, target);
      this.pump();
    };
    this.afterClaims([claim], () => this.launchAction(a, invoker, instances, target), release);
  }

  private launchAction(a: number, invoker: Invoker, instances: readonly Invoker[], target: string): void {
    // Aborted while its claim was being confirmed (its step timed out): free the slot, run nothing.
    if (this.rs.actionState[a] !== S.RUNNING) {
      this.endAttempt(invoker, instances, target);
      return this.pump();
    }
    const breakers = this.deps.breakers;
    if (breakers && !breakers.allClear && !breakers.isClear(target))
      return this.launchThroughPolicy(a, invoker, instances);
    this.callNode(a, invoker);
  }

  /**
   * The common case: call the node directly. The call's context stands for the attempt (`actionCall`); its deadline is
   * on the run's timer queue; whichever of result, timeout or abort comes first settles it, and the others find
   * `actionCall` changed and do nothing. The breaker, when there is one, is closed and clean: it hears of failures only.
   */
  private callNode(a: number, invoker: Invoker): void {
    const ctx = this.context(a, null);
    this.rs.actionCall[a] = ctx;
    this.callDeadlines.add(this.cols.actionTimeoutMs[a]!, a, this.rs.actionAttempts[a]!, this.now());
    let value: unknown;
    try {
      value = invoker.run(this.cols.actionData[a]!, ctx);
    } catch (err) {
      // Settled on a later tick, as a promise would be: the scheduler is not re-entered from inside its own loop.
      queueMicrotask(() => this.callSettled(a, ctx, false, err));
      return;
    } finally {
      // The node may have computed synchronously for a while: read the clock afresh after it.
      this.tickMs = -1;
    }
    if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
      (value as PromiseLike<unknown>).then(
        (v) => this.callSettled(a, ctx, true, v),
        (e: unknown) => this.callSettled(a, ctx, false, e),
      );
    } else {
      queueMicrotask(() => this.callSettled(a, ctx, true, value));
    }
  }

  /** A direct call returned or threw. Ignored when its attempt already ended (timed out, aborted). */
  private callSettled(a: number, ctx: ActionContext, ok: boolean, value: unknown): void {
    if (this.rs.actionCall[a] !== ctx) return;
    // `guard`, inlined: this runs once per action.
    this.tickMs = -1;
    try {
      this.rs.actionCall[a] = null;
      if (ok) {
        this.releaseCall(a);
        const breakers = this.deps.breakers;
        if (breakers && !breakers.allClear) breakers.recordSuccess(this.cols.targets[this.cols.actionTarget[a]!]!);
        const pumps = this.pumps;
        this.complete(a, null, value);
        // Ending the step pumped already (it is the last thing `complete` does): once is enough.
        if (this.pumps === pumps) this.pump();
      } else {
        this.directFailure(a, value);
      }
    } catch (err) {
      this.schedulerError(err);
    }
  }

  /** A direct call's deadline passed: abort its signal and fail the attempt with TIMEOUT (the node may go on). */
  private callTimedOut(a: number): void {
    const ctx = this.rs.actionCall[a]!;
    this.rs.actionCall[a] = null;
    const error = timeoutError(this.describeAction(a), this.plan.actions[a]!.action.timeoutMs);
    ctx.abort(error);
    this.directFailure(a, error);
  }

  /** A direct call failed: the breaker counts it first (it may open), then the slot frees and the action fails. */
  private directFailure(a: number, err: unknown): void {
    const finish = () => {
      this.releaseCall(a);
      this.fail(a, null, err);
      this.pump();
    };
    const counted = this.deps.breakers?.recordFailure(this.plan.actions[a]!.action.targetNodeType, err);
    if (counted) counted.then(() => this.guard(finish));
    else finish();
  }

  /** How errors name action `a`. */
  private describeAction(a: number): string {
    const pa = this.plan.actions[a]!;
    return `action ${pa.action.actionId} of step '${this.plan.steps[pa.stepIndex]!.step.stepName}'`;
  }

  /** Free the slot, bulkhead place and balancer load of action `a`'s direct call. */
  private releaseCall(a: number): void {
    const t = this.cols.actionTarget[a]!;
    this.endAttempt(this.rs.actionRanOn[a]!, this.byTarget[t]!, this.cols.targets[t]!);
  }

  /** While the target's breaker is not closed and clean, calls go through its policy (half-open probes and all). */
  private launchThroughPolicy(a: number, invoker: Invoker, instances: readonly Invoker[]): void {
    const pa = this.plan.actions[a]!;
    let attempt: Attempt | null = null;
    const start = () => {
      attempt = new Attempt(
        (att) => invoker.run(pa.action.operationData, this.context(a, att)),
        pa.action.timeoutMs,
        this.describeAction(a),
      );
      this.tickMs = -1; // the node may have run synchronously for a while
      this.rs.setAttempt(a, attempt);
      return attempt.promise;
    };
    this.throughBreaker(pa.action.targetNodeType, start).then(
      (value) => this.guard(() => this.attemptSucceeded(a, attempt, value, invoker, instances)),
      (err: unknown) => this.guard(() => this.attemptFailed(a, attempt, err, invoker, instances)),
    );
  }

  /** The call goes through the target's circuit breaker, which counts timeouts too (the attempt is inside it). */
  private throughBreaker<T>(target: string, start: () => Promise<T>): Promise<T> {
    const breakers = this.deps.breakers;
    return breakers?.enabled(target) ? breakers.execute(target, start) : start();
  }

  /** Claim the action (RUNNING, one more attempt); returns the store's pending confirmation when it is asynchronous. */
  private beginAttempt(a: number): Promise<boolean> | undefined {
    this.rs.actionAttempts[a]!++;
    if (this.rs.actionAttempts[a]! === 1) this.rs.actionStartedMs[a] = this.now();
    this.rs.actionState[a] = S.RUNNING;
    const claim = this.transition(a, S.RUNNING);
    this.actionsInFlight++;
    if (this.actionsInFlight > this.record.peakConcurrency) this.record.peakConcurrency = this.actionsInFlight;
    if (this.mode !== EnumExecutionMode.SEQUENTIAL) this.record.parallelExecutions++;
    return claim;
  }

  /**
   * Start `launch` once the claims are confirmed: with an asynchronous store a node must not run before the store
   * accepted its RUNNING write (an orchestrator fenced off meanwhile would otherwise call one more node). If the
   * claim is refused the run stops (see `transition`) and `release` frees the slot.
   */
  private afterClaims(
    claims: readonly (Promise<boolean> | undefined)[],
    launch: () => void,
    release: () => void,
  ): void {
    const pending = claims.filter((c): c is Promise<boolean> => c !== undefined);
    if (pending.length === 0) return launch();
    // Checked again now: the owner may have been paused between sending the claims and hearing back.
    Promise.all(pending).then((accepted) =>
      this.guard(() =>
        this.stopReason || !accepted.every(Boolean) || this.deps.leaseCheck?.() ? release() : launch(),
      ),
    );
  }

  /** A node call ended: free its slot, its bulkhead place and its balancer load; `actions` were in it. */
  private endAttempt(invoker: Invoker, instances: readonly Invoker[], target: string, actions = 1): void {
    this.callsInFlight--;
    this.actionsInFlight -= actions;
    this.releaseTarget(target);
    if (instances.length > 1) this.balancer.release(invoker);
  }

  private attemptSucceeded(
    a: number,
    attempt: Attempt | null,
    value: unknown,
    invoker: Invoker,
    instances: readonly Invoker[],
  ) {
    this.endAttempt(invoker, instances, this.plan.actions[a]!.action.targetNodeType);
    this.complete(a, attempt, value);
    this.pump();
  }

  /** Action `a` completed: the saga undoes completed actions in reverse order of this. */
  private completedAction(a: number): void {
    this.completionOrder[this.completedActions++] = a;
  }

  private complete(a: number, attempt: Attempt | null, value: unknown): void {
    if (attempt && this.rs.attemptOf(a) !== attempt) return;
    this.rs.setAttempt(a, null);
    if (this.rs.actionState[a] !== S.RUNNING) return;
    // Results are shared by every dependent (and the compute cache): frozen, so no node can change another's input.
    this.rs.setResult(a, deepFreeze(value));
    this.rs.actionState[a] = S.COMPLETED;
    this.completedAction(a);
    this.rs.actionDurationMs[a] = this.now() - this.rs.actionStartedMs[a]!;
    this.transition(a, S.COMPLETED, value);
    this.actionEnded(a);
  }

  private attemptFailed(
    a: number,
    attempt: Attempt | null,
    err: unknown,
    invoker: Invoker,
    instances: readonly Invoker[],
  ) {
    this.endAttempt(invoker, instances, this.plan.actions[a]!.action.targetNodeType);
    this.fail(a, attempt, err);
    this.pump();
  }

  /** An attempt failed: retry when allowed, else the action fails (TIMEOUT or FAILED). */
  private fail(a: number, attempt: Attempt | null, err: unknown): void {
    if (attempt && this.rs.attemptOf(a) !== attempt) return;
    this.rs.setAttempt(a, null);
    if (this.rs.actionState[a] !== S.RUNNING) return;
    const error = OnexError.from(err);
    const pa = this.plan.actions[a]!;
    if (!this.stopReason && this.rs.actionAttempts[a]! <= this.retryCountOf(pa.action) && isRetryable(error)) {
      this.rs.setActionError(a, error);
      this.rs.actionState[a] = S.PENDING;
      this.transition(a, S.PENDING, undefined, error);
      const previous = this.rs.backoffOf(a);
      const backoff = previous ? previous.next(undefined) : this.backoffFactory().next();
      this.rs.setBackoff(a, backoff);
      const sleep = new Sleep(backoff.duration);
      this.rs.setSleep(a, sleep);
      sleep.promise.then((slept) =>
        this.guard(() => {
          this.rs.setSleep(a, null);
          if (slept && this.rs.actionState[a] === S.PENDING && !this.stopReason) {
            this.queueAction(a);
            this.pump();
          }
        }),
      );
      return;
    }
    this.finalFailure(a, error, error.code === EnumCoreErrorCode.TIMEOUT ? S.TIMEOUT : S.FAILED);
  }

  private finalFailure(a: number, error: OnexError, state: EnumStepState): void {
    const pa = this.plan.actions[a]!;
    this.rs.setActionError(a, error);
    this.rs.actionState[a] = state;
    this.rs.actionDurationMs[a] = this.rs.actionStartedMs[a]! ? this.now() - this.rs.actionStartedMs[a]! : 0;
    this.transition(a, state, undefined, error);
    this.record.errors.push({
      stepId: this.plan.input.steps[pa.stepIndex]!.stepId,
      actionId: pa.action.actionId,
      code: error.code,
      message: error.message,
    });
    this.actionEnded(a);
    // FAIL_FAST (and RETRY, COMPENSATE): the first action that fails for good stops the run, unless handled.
    if (!this.stopReason && !this.failureHandled(pa.stepIndex, state) && !this.withinTolerance(pa.stepIndex))
      this.stop(error);
  }

  /** Abort an action that has not ended (step timeout, fail-fast, cancel, workflow timeout). */
  private abortAction(a: number, reason: OnexError, state: EnumStepState): void {
    if (isFinalStepState(this.rs.actionState[a]!)) return;
    const started = this.rs.actionAttempts[a]! > 0;
    this.rs.sleepOf(a)?.cancel();
    this.rs.setSleep(a, null);
    const attempt = this.rs.attemptOf(a);
    this.rs.setAttempt(a, null);
    attempt?.cancel(reason);
    const call = this.rs.actionCall[a]!;
    if (call) {
      this.rs.actionCall[a] = null;
      call.abort(reason);
      this.releaseCall(a);
    }
    const final = started ? state : S.CANCELLED;
    this.rs.setActionError(a, started ? reason : null);
    this.rs.actionState[a] = final;
    this.rs.actionDurationMs[a] = started ? this.now() - this.rs.actionStartedMs[a]! : 0;
    this.transition(a, final, undefined, started ? reason : null);
  }

  // ---- BATCH -------------------------------------------------------------------------------------------------

  private queueBatch(a: number): void {
    const key = this.layout.batchKey(a);
    let group = this.batchQueue.get(key);
    if (!group) {
      group = [];
      this.batchQueue.set(key, group);
    }
    group.push(a);
    if (!this.batchFlushScheduled) {
      this.batchFlushScheduled = true;
      queueMicrotask(() => this.guard(() => this.flushBatches()));
    }
  }

  /** Group the actions that became ready together by (actionType, targetNodeType), in batches of `batchSize`. */
  private flushBatches(): void {
    this.batchFlushScheduled = false;
    const size = this.plan.input.batchSize;
    for (const group of this.batchQueue.values()) {
      const target = this.plan.actions[group[0]!]!.action.targetNodeType;
      const instances = this.invokers.get(target)!;
      if (instances.some((i) => i.runBatch)) {
        for (let i = 0; i < group.length; i += size) this.batchUnits.push(group.slice(i, i + size));
      } else {
        for (const a of group) this.readyActions.push(a);
      }
    }
    this.batchQueue.clear();
    this.pumpBatches();
    this.pump();
  }

  private readonly batchUnits: number[][] = [];

  private pumpBatches(): void {
    while (!this.stopReason && this.batchUnits.length > 0 && this.callsInFlight < this.actionLimit) {
      const next = this.batchUnits.findIndex((unit) =>
        this.bulkheads.hasRoom(this.plan.actions[unit[0]!]!.action.targetNodeType),
      );
      if (next < 0) return;
      this.runBatch(this.batchUnits.splice(next, 1)[0]!);
    }
  }

  /** One `processBatch` call for a group of actions, on the least-loaded instance that implements it. */
  private runBatch(group: number[]): void {
    const live = group.filter((a) => this.rs.actionState[a] === S.PENDING);
    if (live.length === 0) return;
    const target = this.plan.actions[live[0]!]!.action.targetNodeType;
    const instances = this.invokers.get(target)!.filter((i) => i.runBatch);
    const invoker = instances.length === 1 ? instances[0]! : this.balancer.acquire(instances);
    this.record.batches++;
    this.record.loadBalancedOperations += live.length;
    this.bulkheads.acquire(target);
    for (const a of live) this.rs.actionRanOn[a] = invoker;
    const claims = live.map((a) => this.beginAttempt(a));
    this.callsInFlight++;
    const release = () => {
      this.endAttempt(invoker, instances, target, live.length);
      this.pumpBatches();
      this.pump();
    };
    this.afterClaims(claims, () => this.launchBatch(live, invoker, instances, target), release);
  }

  private launchBatch(claimed: number[], invoker: Invoker, instances: readonly Invoker[], target: string): void {
    // Actions aborted while their claims were being confirmed leave the batch.
    const live = claimed.filter((a) => this.rs.actionState[a] === S.RUNNING);
    this.actionsInFlight -= claimed.length - live.length;
    if (live.length === 0) {
      this.endAttempt(invoker, instances, target, 0);
      this.pumpBatches();
      return this.pump();
    }
    const timeoutMs = Math.min(...live.map((a) => this.plan.actions[a]!.action.timeoutMs));
    let attempt: Attempt | null = null;
    const start = () => {
      const started = new Attempt(
        (att) => {
          const items: BatchItem[] = live.map((a) => ({
            operationData: this.plan.actions[a]!.action.operationData,
            ctx: this.context(a, att),
          }));
          return invoker.runBatch!(items, items[0]!.ctx);
        },
        timeoutMs,
        `batch of ${live.length} '${target}' actions`,
      );
      attempt = started;
      this.tickMs = -1; // processBatch may have run synchronously for a while
      for (const a of live) this.rs.setAttempt(a, started);
      return started.promise;
    };
    this.throughBreaker(target, start).then(
      (values) =>
        this.guard(() => {
          this.endAttempt(invoker, instances, target, live.length);
          if (!Array.isArray(values) || values.length !== live.length) {
            const error = new OnexError(
              EnumCoreErrorCode.OPERATION_FAILED,
              `processBatch of '${target}' returned ${Array.isArray(values) ? values.length : typeof values} results for ${live.length} items`,
              { context: { targetNodeType: target, expected: live.length }, retryable: false },
            );
            for (const a of live) this.fail(a, attempt, error);
          } else {
            for (const [i, a] of live.entries()) this.complete(a, attempt, values[i]);
          }
          this.pumpBatches();
          this.pump();
        }),
      (err: unknown) =>
        this.guard(() => {
          this.endAttempt(invoker, instances, target, live.length);
          for (const a of live) this.fail(a, attempt, err);
          this.pumpBatches();
          this.pump();
        }),
    );
  }

  // ---- run control -------------------------------------------------------------------------------------------

  /** Stop the run: nothing new starts; in-flight actions are aborted through their signals. */
  private stop(reason: OnexError, inFlightState: EnumStepState = S.CANCELLED): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    // Siblings aborted because the run stops were cancelled, not failed: they must not count against their node
    // (breakers) nor be reported as failing with another action's error. A timeout stays a timeout.
    const abortReason =
      inFlightState === S.CANCELLED && reason.code !== EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED
        ? new OnexError(
            EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED,
            `cancelled: the run stopped (${reason.message})`,
            {
              cause: reason,
            },
          )
        : reason;
    for (let a = 0; a < this.rs.actionState.length; a++) {
      if (this.rs.actionState[a] === S.RUNNING || this.rs.sleepOf(a)) this.abortAction(a, abortReason, inFlightState);
    }
    for (let s = 0; s < this.rs.stepState.length; s++) {
      if (this.rs.stepState[s] !== S.RUNNING) continue;
      const states = this.plan.steps[s]!.actions.map((a) => this.rs.actionState[a]!);
      this.rs.keepStepError(s, reason);
      const state = states.includes(S.TIMEOUT) ? S.TIMEOUT : states.includes(S.FAILED) ? S.FAILED : S.CANCELLED;
      this.endStep(s, state, reason);
    }
    this.checkDone();
  }

  private checkDone(): void {
    if (this.settled) return;
    const finished = this.finishedSteps === this.rs.stepState.length;
    const drained = this.stopReason !== null && this.stepsInFlight === 0;
    if (finished || drained) {
      this.settled = true;
      clearTimeout(this.globalTimer);
      this.stepDeadlines.close();
      this.callDeadlines.close();
      this.resolveDone();
    }
  }

  /**
   * Record action `a`'s new state in the store. The common case (a synchronous store with a writer, no error) stays
   * small enough for V8 to inline into its callers; the generic write and the asynchronous answer are out of line.
   */
  private transition(
    a: number,
    state: EnumStepState,
    result?: unknown,
    error?: { code: string; message: string } | null,
  ): Promise<boolean> | undefined {
    const writer = this.writer;
    const stored = error ? { code: error.code, message: error.message } : error;
    const epoch = writer
      ? writer.write(
          a,
          this.rs.actionEpoch[a]!,
          state,
          this.rs.actionAttempts[a]!,
          this.nowIso(),
          result,
          stored,
          this.now(),
        )
      : this.transitionGeneric(a, state, result, stored);
    if (typeof epoch === 'number') {
      this.rs.actionEpoch[a] = epoch;
      return undefined;
    }
    return this.transitionPending(a, epoch);
  }

  /** `transition` through the store's `transitionAction` (a store without a writer). */
  private transitionGeneric(
    a: number,
    state: EnumStepState,
    result: unknown,
    error: { code: string; message: string } | null | undefined,
  ): number | Promise<number> {
    return this.deps.store.transitionAction({
      runId: this.runId,
      actionId: this.plan.actions[a]!.action.actionId,
      actionIndex: a,
      leaseId: this.deps.leaseId,
      expectedEpoch: this.rs.actionEpoch[a]!,
      state,
      attempt: this.rs.actionAttempts[a]!,
      at: this.nowIso(),
      result,
      error,
    });
  }

  /**
   * An asynchronous write: the epoch moves on now (the store applies writes in order). A refused write (another
   * orchestrator owns the run now) stops this run. Never rejects: callers that ignore the result must not leave an
   * unhandled rejection behind.
   */
  private transitionPending(a: number, epoch: Promise<number>): Promise<boolean> {
    this.rs.actionEpoch[a]!++;
    return epoch.then(
      () => true,
      (err: unknown) => {
        this.guard(() => this.stop(OnexError.from(err)));
        return false;
      },
    );
  }

  private backoffFactory(): ExponentialBackoff<unknown> {
    return new ExponentialBackoff({
      initialDelay: this.deps.backoff.initialDelayMs,
      maxDelay: this.deps.backoff.maxDelayMs,
    });
  }

  private context(a: number, source: SignalSource | null): ActionContext {
    return new ActionContext(this.contextFields, a, this.rs.actionAttempts[a]!, source);
  }

  /** The action a context of action `a` is about. */
  actionOf(a: number): ModelAction {
    return this.plan.actions[a]!.action;
  }

  /** The name of action `a`'s step. */
  stepNameOf(a: number): string {
    return this.plan.steps[this.cols.actionStep[a]!]!.step.stepName;
  }

  /** What action `a` receives as inputs: its same-step dependencies' results, then its step's dependencies' outputs. */
  inputsOf(a: number): ActionInputs {
    const pa = this.plan.actions[a]!;
    const ps = this.plan.steps[pa.stepIndex]!;
    const inputs: unknown[] = [];
    const inputsById: Record<string, unknown> = {};
    for (const d of pa.deps) {
      const value = this.rs.resultOf(d);
      inputs.push(value);
      inputsById[this.plan.actions[d]!.action.actionId] = value;
    }
    const stepIndexById = this.layout.stepIndexById;
    for (const id of ps.step.dependsOn) {
      const d = stepIndexById.get(id)!;
      if (this.rs.stepState[d] === S.COMPLETED) {
        const output = this.rs.outputOf(d);
        inputs.push(output);
        inputsById[id] = output;
      }
    }
    return { inputs, inputsById };
  }

  /** Tell the listener, if any, of step `s`'s state (the check stays small: it is on every step's path). */
  private emit(s: number): void {
    if (this.deps.onEvent !== undefined) this.emitStep(s, this.deps.onEvent);
  }

  private emitStep(s: number, onEvent: NonNullable<RunDeps['onEvent']>): void {
    const ps = this.plan.steps[s]!;
    onEvent({
      type: 'step',
      stepId: ps.step.stepId,
      stepName: ps.step.stepName,
      state: this.rs.stepState[s]!,
      attempt: ps.actions.reduce((n, a) => Math.max(n, this.rs.actionAttempts[a]!), 0),
      durationMs: this.rs.stepDurationMs[s]!,
    });
  }

  /** `performance.now()` as of this scheduler turn. */
  private now(): number {
    if (this.tickMs < 0) this.tickMs = performance.now();
    return this.tickMs;
  }

  /** The wall clock (ISO-8601) as of this scheduler turn (formatted once per turn: a turn writes it several times). */
  private nowIso(): string {
    const now = this.now();
    if (now !== this.isoOfMs) {
      this.isoOfMs = now;
      this.iso = isoAt(now);
    }
    return this.iso;
  }

  /** Run scheduler code; an unexpected exception stops the run with INTERNAL_ERROR instead of being lost. */
  private guard(fn: () => void): void {
    this.tickMs = -1;
    try {
      fn();
    } catch (err) {
      this.schedulerError(err);
    }
  }

  /** What `guard` does with an exception (also used by hot paths that inline the guard). */
  private schedulerError(err: unknown): void {
    const error =
      err instanceof OnexError
        ? err
        : new OnexError(EnumCoreErrorCode.INTERNAL_ERROR, `scheduler error: ${(err as Error)?.message ?? err}`, {
            cause: err,
          });
    if (!this.stopReason) this.stop(error);
    else if (!this.settled) {
      this.settled = true;
      this.resolveDone();
    }
  }
}

/** For contexts built outside an attempt (the saga's copy): a signal that never aborts. */
const NO_SIGNAL: SignalSource = { signal: new AbortController().signal };

/** The distinct node types a plan calls, compensation nodes included (a typo there must not surface only after effects ran). */
const planTargets = new WeakMap<ExecutionPlan, readonly string[]>();
function targetsOf(plan: ExecutionPlan): readonly string[] {
  let targets = planTargets.get(plan);
  if (!targets) {
    const set = new Set(plan.actions.map((pa) => pa.action.targetNodeType));
    for (const ps of plan.steps) if (ps.step.compensation) set.add(ps.step.compensation.targetNodeType);
    targets = [...set];
    planTargets.set(plan, targets);
  }
  return targets;
}

/** Plans already executed (by any run): see the run id above. */
const usedPlans = new WeakSet<ExecutionPlan>();
