/**
 * `NodeOrchestrator`: plans workflows (`plan`, the reference's action emission) and runs them (`process`), with a
 * lease of its own, a bound on concurrent workflows, and a store that records every state change (spec §2–§4, §7).
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import { type CancelOutcome, cancelRequestedError, cancelStoredRun, waitForEnd } from '../engine/cancel-run.js';
import { LeaseKeeper } from '../engine/lease-keeper.js';
import { leasedStore } from '../engine/leased-store.js';
import type { ExecutionPlan, PlanOutline } from '../engine/plan-types.js';
import { outlineWorkflow, planWorkflow, workflowHashOf } from '../engine/planner.js';
import { type LeaseWait, planOfRecordedRun, resumeStateOf, takeOverRun } from '../engine/resume.js';
import type { ResumeState, RetryBackoff, RunDeps, RunEvent } from '../engine/run-options.js';
import { WorkflowRun } from '../engine/workflow-run.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { type ModelAction, withLease } from '../models/action.js';
import { type EnumExecutionMode, EnumLogLevel, EnumWorkflowState } from '../models/enums.js';
import type { ModelOrchestratorInput, ModelOrchestratorInputInput } from '../models/orchestrator-input.js';
import type { ModelOrchestratorOutput } from '../models/orchestrator-output.js';
import type { ModelWorkflowStep } from '../models/step.js';
import { fromWire } from '../models/wire.js';
import { type CircuitBreakerOptions, CircuitBreakerRegistry } from '../resilience/circuit-breakers.js';
import { notFound, runEnded, TERMINAL_RUN_STATES } from '../store/fencing.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { currentOwner } from '../store/owner.js';
import { DEFAULT_LEASE_MS, DEFAULT_LEASE_RENEW_MS, type RunSource, type Store } from '../store/store.js';
import { NodeCoreBase } from './node-core-base.js';

/** Options of an orchestrator. */
export interface NodeOrchestratorOptions {
  /** Where runs are recorded. @default a new bounded `MemoryStore` */
  store?: Store;
  /** Most workflows `process()` runs at once; further calls wait their turn. @default 5 */
  maxConcurrentWorkflows?: number;
  /** Retry backoff (exponential with jitter). @default { initialDelayMs: 100, maxDelayMs: 10000 } */
  retryBackoff?: Partial<RetryBackoff>;
  /** The lease id this orchestrator writes with. @default a random uuid */
  leaseId?: string;
  /**
   * Circuit breakers per target node type, shared by all workflows of this orchestrator; `false` turns them off.
   * @default { failureThreshold: 3, cooldownMs: 30000 }
   */
  circuitBreakers?: CircuitBreakerOptions | false;
  /** How long a run's lease lasts without renewal; another orchestrator may take the run over after that. @default 15000 */
  leaseMs?: number;
  /** How often the lease of each running run is renewed (and cancel requests noticed). @default 5000 */
  leaseRenewMs?: number;
}

/** Per-call options of `process()`. */
export interface ProcessOptions {
  /** Abort to cancel the run: in-flight actions are aborted, the run ends CANCELLED. */
  signal?: AbortSignal;
  /** Called on every step state change (live progress). */
  onEvent?: (event: RunEvent) => void;
  /** Recorded with the run (workflow file, nodes module) so that `onex resume` can load its nodes again. */
  source?: RunSource;
}

/** Options of `resume()`. */
export interface ResumeOptions {
  /** Abort to cancel the resumed run (or the wait for the lease). */
  signal?: AbortSignal;
  /** Called on every step state change (live progress). */
  onEvent?: (event: RunEvent) => void;
  /**
   * The run's input again (same operationId and workflow), instead of the definition the store recorded. Needed only
   * when steps use a `conditionFunction`, which cannot be stored.
   */
  input?: ModelOrchestratorInputInput | ModelOrchestratorInput;
  /** Wait for a live owner's lease to expire (true), or reject at once with LEASE_CONFLICT (false). @default true */
  wait?: boolean;
  /** Told before each wait for the owner's lease to expire (the CLI prints it). */
  onWait?: (wait: LeaseWait) => void;
}

/** Options of `cancel()`. */
export interface CancelOptions {
  /** When the run's owner is another live process, wait this long for it to stop. @default 0 */
  waitMs?: number;
}

/** What `plan()` returns: the order, the waves, the critical path and the actions, with nothing run. */
export interface WorkflowPlan {
  readonly workflowId: string;
  readonly workflowName: string;
  readonly workflowHash: string;
  readonly executionMode: EnumExecutionMode;
  /** Step ids in planned order. */
  readonly order: readonly string[];
  /** Step ids by topological level. */
  readonly waves: readonly (readonly string[])[];
  /** Step ids of one longest dependency chain. */
  readonly criticalPath: readonly string[];
  readonly steps: readonly {
    stepId: string;
    stepName: string;
    wave: number;
    dependsOn: readonly string[];
    actionIds: readonly string[];
  }[];
  /** Every action in emission order, carrying this orchestrator's lease and epoch 1. */
  readonly actionsEmitted: readonly ModelAction[];
}

/** The ORCHESTRATOR node. */
export class NodeOrchestrator extends NodeCoreBase {
  /** The lease every action this orchestrator emits carries. */
  readonly leaseId: string;
  readonly maxConcurrentWorkflows: number;
  readonly store: Store;
  /** Circuit breakers per target node type (state in every output's `metadata.circuit_breakers`). */
  readonly breakers: CircuitBreakerRegistry;
  /** Runs in progress, by operation id. Cleared as each ends. */
  readonly activeWorkflows = new Map<string, WorkflowRun>();
  /** Lease length of every run of this orchestrator. */
  readonly leaseMs: number;
  /** Renewal interval of those leases. */
  readonly leaseRenewMs: number;
  private readonly backoff: RetryBackoff;
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  /** Abort controllers of the runs in progress, and the promise of each one's end (for `cancel`). */
  private readonly controls = new Map<string, { controller: AbortController; ended: Promise<unknown> }>();

  constructor(container: ModelONEXContainer, options: NodeOrchestratorOptions = {}) {
    super(container);
    this.leaseId = options.leaseId ?? crypto.randomUUID();
    this.maxConcurrentWorkflows = options.maxConcurrentWorkflows ?? 5;
    if (!Number.isInteger(this.maxConcurrentWorkflows) || this.maxConcurrentWorkflows < 1) {
      throw new OnexError(
        EnumCoreErrorCode.INVALID_PARAMETER,
        `maxConcurrentWorkflows must be an integer ≥ 1, got ${options.maxConcurrentWorkflows}`,
      );
    }
    this.store = options.store ?? new MemoryStore();
    this.breakers = new CircuitBreakerRegistry(options.circuitBreakers ?? {});
    this.backoff = { initialDelayMs: 100, maxDelayMs: 10_000, ...options.retryBackoff };
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.leaseRenewMs = options.leaseRenewMs ?? Math.min(DEFAULT_LEASE_RENEW_MS, Math.floor(this.leaseMs / 3));
    if (!(this.leaseMs > 0) || !(this.leaseRenewMs > 0) || this.leaseRenewMs >= this.leaseMs) {
      throw new OnexError(
        EnumCoreErrorCode.INVALID_PARAMETER,
        `leaseRenewMs (${this.leaseRenewMs}) must be > 0 and below leaseMs (${this.leaseMs})`,
        { context: { leaseMs: this.leaseMs, leaseRenewMs: this.leaseRenewMs } },
      );
    }
  }

  /** Validate and plan `input` without running anything. Throws `OnexError` for a bad workflow. */
  plan(input: ModelOrchestratorInputInput | ModelOrchestratorInput): WorkflowPlan {
    const outline = outlineWorkflow(input);
    const { input: model, order, actions, firstAction, stepDeps } = outline;
    const steps: WorkflowPlan['steps'][number][] = new Array(order.length);
    for (let i = 0; i < order.length; i++) {
      const s = order[i]!;
      const step = model.steps[s]!;
      steps[i] = {
        stepId: step.stepId,
        stepName: step.stepName,
        wave: outline.wave[s]!,
        dependsOn: dependsOnIds(stepDeps.items, stepDeps.start[s]!, stepDeps.start[s + 1]!, model, step),
        actionIds: actionIds(actions, firstAction[s]!, firstAction[s + 1]!),
      };
    }
    // A disabled step emits nothing (as the reference's process(): it is skipped, yet satisfies its dependents).
    let enabled = 0;
    for (let s = 0; s < model.steps.length; s++)
      if (model.steps[s]!.enabled) enabled += firstAction[s + 1]! - firstAction[s]!;
    const actionsEmitted: ModelAction[] = new Array(enabled);
    let emitted = 0;
    for (const a of outline.actionOrder) {
      if (model.steps[outline.actionStep[a]!]!.enabled)
        actionsEmitted[emitted++] = withLease(actions[a]!, this.leaseId, 1);
    }
    const waves: string[][] = new Array(outline.waves.length);
    for (let w = 0; w < waves.length; w++) waves[w] = stepIds(outline.waves[w]!, 0, outline.waves[w]!.length, model);
    // (No closure in this method but the getter's: it would keep the whole outline alive with the result.)
    const hashOf = lazyHash(outline);
    return {
      workflowId: model.workflowId,
      workflowName: model.workflowName ?? 'unnamed',
      // Computed when first read: it goes over every payload, and most callers of plan() never look at it.
      get workflowHash() {
        return hashOf();
      },
      executionMode: model.executionMode,
      order: stepIds(order, 0, order.length, model),
      waves,
      criticalPath: stepIds(outline.criticalPath, 0, outline.criticalPath.length, model),
      steps,
      actionsEmitted,
    };
  }

  /**
   * Run a workflow. Resolves with the output when the run COMPLETED, or ended PARTIAL_SUCCESS / FAILED under
   * CONTINUE_ON_ERROR. Rejects with an `OnexError` for an invalid workflow (before anything runs), and when a
   * failure stops the run (the failing action's code, else OPERATION_FAILED), with `context.output` the partial output.
   * The run is recorded in the store under a lease this orchestrator renews; when another orchestrator takes it over,
   * this one stops and rejects with the fencing error (LEASE_CONFLICT) — or LEASE_EXPIRED when it could not renew.
   */
  async process(
    input: ModelOrchestratorInputInput | ModelOrchestratorInput,
    options: ProcessOptions = {},
  ): Promise<ModelOrchestratorOutput> {
    const plan = planWorkflow(input);
    if (this.controls.has(plan.input.operationId)) throw runInProgress(plan.input.operationId);
    return this.runPlan(plan, options, undefined);
  }

  /**
   * Finish a recorded run (after a crash, or an owner that stopped renewing): take its lease over — at once when the
   * owner is provably dead (same host, pid gone), else once its lease expired (`onWait` says so) — then run what is
   * left. No action that COMPLETED runs again; the others run again with the same `ctx.idempotencyKey`. Resolves and
   * rejects as `process()` does. NOT_FOUND for an unknown run id, INVALID_STATE for a run that already ended; then
   * nothing is written.
   */
  async resume(runId: string, options: ResumeOptions = {}): Promise<ModelOrchestratorOutput> {
    if (this.controls.has(runId)) throw runInProgress(runId);
    const recorded = await this.store.getRun(runId);
    if (!recorded) throw notFound('run', runId);
    if (TERMINAL_RUN_STATES.has(recorded.state)) throw runEnded(runId, recorded.state);
    const plan = planOfRecordedRun(recorded, options.input);
    // Every node must resolve before the takeover: a resume that cannot run must not take the run away.
    this.newRun(plan, this.store, undefined, undefined).resolveNodes();
    const { run: taken, sentAt } = await takeOverRun({
      store: this.store,
      runId,
      leaseId: this.leaseId,
      leaseMs: this.leaseMs,
      wait: options.wait,
      signal: options.signal,
      onWait: (wait) => {
        this.container.emitLogEvent(EnumLogLevel.WARNING, 'waiting for the lease of a live owner to expire', {
          ...wait,
        });
        options.onWait?.(wait);
      },
    });
    this.container.emitLogEvent(EnumLogLevel.INFO, 'run taken over', { runId, epoch: taken.epoch });
    return this.runPlan(
      plan,
      { signal: options.signal, onEvent: options.onEvent },
      { state: resumeStateOf(taken), cancelRequested: taken.cancelRequested, leaseSentAt: sentAt },
    );
  }

  /**
   * Cancel a run. A run of this orchestrator is aborted at once (in-flight actions aborted, state CANCELLED). A run
   * owned by another live process is flagged in the store: its owner notices on its next renewal (`waitMs` waits for
   * that). A run whose owner is gone is taken over and recorded CANCELLED here. NOT_FOUND for an unknown run id.
   */
  async cancel(runId: string, options: CancelOptions = {}): Promise<CancelOutcome> {
    const local = this.controls.get(runId);
    if (local) {
      local.controller.abort(cancelRequestedError(runId));
      await local.ended;
      const run = await this.store.getRun(runId);
      return { runId, state: run?.state ?? EnumWorkflowState.CANCELLED, how: 'local' };
    }
    const outcome = await cancelStoredRun({
      store: this.store,
      runId,
      leaseId: this.leaseId,
      leaseMs: this.leaseMs,
    });
    if (outcome.how !== 'requested' || !options.waitMs) return outcome;
    return { ...outcome, state: await waitForEnd(this.store, runId, options.waitMs) };
  }

  /** Run `plan` (fresh, or resumed from `resumed`) under a renewed lease, with the concurrency bound. */
  private async runPlan(
    plan: ExecutionPlan,
    options: ProcessOptions,
    resumed: { state: ResumeState; cancelRequested: boolean; leaseSentAt: number } | undefined,
  ): Promise<ModelOrchestratorOutput> {
    const runId = plan.input.operationId;
    const controller = new AbortController();
    const userSignal = options.signal;
    const forwardAbort = () => controller.abort(userSignal?.reason);
    if (userSignal?.aborted) forwardAbort();
    else userSignal?.addEventListener('abort', forwardAbort, { once: true });
    const keeper = new LeaseKeeper({
      store: this.store,
      runId,
      leaseId: this.leaseId,
      leaseMs: this.leaseMs,
      renewMs: this.leaseRenewMs,
      onCancelRequested: () => controller.abort(cancelRequestedError(runId)),
      onLost: (error) => {
        this.container.emitLogEvent(EnumLogLevel.ERROR, 'lease lost, stopping the run', { runId, code: error.code });
        controller.abort(error);
      },
    });
    let finalOutput: unknown;
    const store = leasedStore(this.store, {
      leaseMs: this.leaseMs,
      owner: currentOwner(),
      source: options.source ?? null,
      onBegun: (sentAt) => {
        keeper.granted(sentAt);
        keeper.start();
      },
      onRunTransition: (t) => {
        finalOutput = t.output;
      },
      guard: keeper,
    });
    const run = this.newRun(plan, store, resumed?.state, {
      signal: controller.signal,
      onEvent: options.onEvent,
      leaseCheck: () => keeper.claim(),
    });
    let ended!: (value?: unknown) => void;
    this.controls.set(runId, { controller, ended: new Promise((resolve) => (ended = resolve)) });
    let output: ModelOrchestratorOutput;
    const started = performance.now();
    try {
      run.resolveNodes();
      if (resumed) {
        // Taken over already: renew from now on, even while waiting for a concurrency slot.
        keeper.granted(resumed.leaseSentAt);
        keeper.start();
        if (resumed.cancelRequested) controller.abort(cancelRequestedError(runId));
      }
      await this.acquireSlot();
      this.activeWorkflows.set(runId, run);
      try {
        output = await run.execute();
      } catch (err) {
        // Refused writes (another orchestrator took the run over) end here: report them with what this run did.
        const error = OnexError.from(err);
        const lost = keeper.lost ?? (FENCING_CODES.has(error.code) ? error : null);
        if (!lost) throw err;
        throw leaseLost(runId, lost, err, finalOutput ? (fromWire(finalOutput) as ModelOrchestratorOutput) : undefined);
      } finally {
        this.activeWorkflows.delete(runId);
        this.releaseSlot();
      }
    } finally {
      keeper.stop();
      userSignal?.removeEventListener('abort', forwardAbort);
      this.controls.delete(runId);
      ended();
    }
    // Stopped because the lease was lost (its last writes were refused, so the run stays resumable in the store).
    if (keeper.lost && run.stoppedBy) throw leaseLost(runId, keeper.lost, run.stoppedBy, output);
    this.recordOperation(performance.now() - started, output.workflowState !== 'failed');
    const stopped = run.stoppedBy;
    this.container.emitLogEvent(EnumLogLevel.INFO, 'workflow finished', {
      workflowId: output.workflowId,
      state: output.workflowState,
      stepsCompleted: output.stepsCompleted,
      processingTimeMs: output.processingTimeMs,
    });
    if (stopped) {
      const code = stopped.code.startsWith('ONEX_') ? stopped.code : EnumCoreErrorCode.OPERATION_FAILED;
      throw new OnexError(
        code,
        `workflow '${output.metadata.workflow_name}' ${output.workflowState}: ${stopped.message}`,
        {
          context: { output, workflowId: output.workflowId },
          cause: stopped,
        },
      );
    }
    return output;
  }

  private newRun(
    plan: ExecutionPlan,
    store: Store,
    resume: ResumeState | undefined,
    options: (ProcessOptions & Pick<RunDeps, 'leaseCheck'>) | undefined,
  ): WorkflowRun {
    return new WorkflowRun(plan, {
      container: this.container,
      store,
      leaseId: this.leaseId,
      backoff: this.backoff,
      breakers: this.breakers,
      onEvent: options?.onEvent,
      signal: options?.signal,
      leaseCheck: options?.leaseCheck,
      resume,
    });
  }

  /** Workflows running now. */
  get activeCount(): number {
    return this.running;
  }

  protected override async cleanupNodeResources(): Promise<void> {
    this.activeWorkflows.clear();
  }

  private async acquireSlot(): Promise<void> {
    if (this.running < this.maxConcurrentWorkflows) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/** The ids of the steps `list[from]` up to `list[to]` (a new array; the short ones are literals). */
function stepIds(list: ArrayLike<number>, from: number, to: number, input: ModelOrchestratorInput): string[] {
  const steps = input.steps;
  switch (to - from) {
    case 0:
      return [];
    case 1:
      return [steps[list[from]!]!.stepId];
    case 2:
      return [steps[list[from]!]!.stepId, steps[list[from + 1]!]!.stepId];
    default: {
      const ids: string[] = new Array(to - from);
      for (let i = from; i < to; i++) ids[i - from] = steps[list[i]!]!.stepId;
      return ids;
    }
  }
}

/**
 * The ids of a step's dependencies `list[from]` up to `list[to]` (sorted by declaration): the step's own frozen
 * `dependsOn` list when it says exactly that (the usual case), else a new array.
 */
function dependsOnIds(
  list: Int32Array,
  from: number,
  to: number,
  input: ModelOrchestratorInput,
  step: ModelWorkflowStep,
): readonly string[] {
  const given = step.dependsOn;
  if (given.length !== to - from) return stepIds(list, from, to, input);
  for (let i = from; i < to; i++)
    if (input.steps[list[i]!]!.stepId !== given[i - from]) return stepIds(list, from, to, input);
  return given;
}

/** The ids of the actions `from` up to `to` (one action per step is the usual). */
function actionIds(actions: readonly ModelAction[], from: number, to: number): string[] {
  if (to - from === 1) return [actions[from]!.actionId];
  const ids: string[] = new Array(to - from);
  for (let a = from; a < to; a++) ids[a - from] = actions[a]!.actionId;
  return ids;
}

/** The workflow hash when first asked for; the outline is let go of then. */
function lazyHash(outline: PlanOutline): () => string {
  let source: PlanOutline | undefined = outline;
  let hash: string | undefined;
  return () => {
    if (hash === undefined) {
      hash = workflowHashOf(source!);
      source = undefined;
    }
    return hash;
  };
}

/** Errors that say another orchestrator owns the run now. */
const FENCING_CODES = new Set<string>([
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
]);

/** INVALID_STATE for a run id this orchestrator is running right now. */
function runInProgress(runId: string): OnexError {
  return new OnexError(EnumCoreErrorCode.INVALID_STATE, `run ${runId} is already running in this orchestrator`, {
    context: { runId },
  });
}

/** The rejection of a run whose lease was lost: the lease error's code, the partial output when there is one. */
function leaseLost(
  runId: string,
  lost: OnexError,
  cause: unknown,
  output: ModelOrchestratorOutput | undefined,
): OnexError {
  return new OnexError(lost.code, `run ${runId} stopped, this orchestrator lost its lease: ${lost.message}`, {
    context: { ...lost.context, runId, ...(output ? { output } : {}) },
    cause: cause ?? lost,
  });
}
