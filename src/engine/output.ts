/**
 * Builds `ModelOrchestratorOutput` from what a run recorded (spec §2).
 * @module
 */
import type { OnexError } from '../errors/onex-error.js';
import { withLease } from '../models/action.js';
import { EnumStepState, type EnumWorkflowState } from '../models/enums.js';
import type {
  ModelOrchestratorOutput,
  OrchestratorError,
  SkipReason,
  StepReport,
} from '../models/orchestrator-output.js';
import { nowIso } from './clock.js';
import type { ExecutionPlan } from './plan-types.js';
import type { RunState } from './run-state.js';

/** Counters and lists a run fills as it goes. */
export interface RunRecordView {
  completed: string[];
  failed: string[];
  skipped: string[];
  results: unknown[];
  errors: OrchestratorError[];
  parallelExecutions: number;
  peakConcurrency: number;
  loadBalancedOperations: number;
  batches: number;
  startedAt: string;
}

/** Assemble the output of a finished run. */
export function buildOutput(
  plan: ExecutionPlan,
  leaseId: string,
  record: RunRecordView,
  final: {
    /** This execution's id (the input's operationId, or a fresh one when the same plan runs again). */
    operationId: string;
    state: EnumWorkflowState;
    processingTimeMs: number;
    /** The run's final state (its columns are taken over, not copied: the run is over). */
    run: RunState;
    /** Added to the output metadata (circuit breaker states, compensations, …). */
    extraMetadata?: Record<string, unknown>;
  },
): ModelOrchestratorOutput {
  const { input } = plan;
  const output = {
    workflowId: input.workflowId,
    operationId: final.operationId,
    workflowState: final.state,
    stepsCompleted: record.completed.length,
    stepsFailed: record.failed.length,
    stepsSkipped: record.skipped.length,
    completedSteps: record.completed,
    failedSteps: record.failed,
    skippedSteps: record.skipped,
    // The three derived views are defined below, in these places (so the fields keep the order of spec §2).
    actionsEmitted: undefined as unknown as ModelOrchestratorOutput['actionsEmitted'],
    results: record.results,
    stepOutputs: undefined as unknown as ModelOrchestratorOutput['stepOutputs'],
    errors: record.errors,
    processingTimeMs: final.processingTimeMs,
    parallelExecutions: record.parallelExecutions,
    peakConcurrency: record.peakConcurrency,
    loadBalancedOperations: record.loadBalancedOperations,
    batches: record.batches,
    stepReports: undefined as unknown as ModelOrchestratorOutput['stepReports'],
    leaseId,
    startedAt: record.startedAt,
    completedAt: nowIso(),
    metadata: {
      ...input.metadata,
      execution_mode: input.executionMode,
      workflow_name: input.workflowName ?? (input.metadata.workflow_name as string | undefined) ?? 'unnamed',
      workflow_hash: plan.workflowHash,
      failure_strategy: input.failureStrategy,
      ...(input.executionMode === 'batch' ? { batch_size: input.batchSize } : {}),
      ...final.extraMetadata,
    },
  };
  // The per-step and per-action views are made on first read: most callers only look at the state and the results,
  // and building them is a tenth of a short run (bench/PROFILE.md). They read a compact copy of the final run state
  // (a few arrays), so an output that is kept (the memory store keeps recent runs) keeps no per-action objects alive.
  const snap = new Snapshot(final.run);
  lazyProperty(output, 'actionsEmitted', () =>
    plan.actionOrder.map((a) => withLease(plan.actions[a]!.action, leaseId, snap.actionEpoch[a]!)),
  );
  lazyProperty(output, 'stepReports', () => stepReportsOf(plan, snap));
  lazyProperty(output, 'stepOutputs', () => {
    const stepOutputs: Record<string, unknown> = {};
    for (let s = 0; s < plan.steps.length; s++) {
      if (snap.state(s) === EnumStepState.COMPLETED) stepOutputs[plan.steps[s]!.step.stepName] = snap.output(s);
    }
    return stepOutputs;
  });
  return output;
}

type ErrorView = { code: string; message: string } | null;

const errorView = (error: OnexError | null): ErrorView => (error ? { code: error.code, message: error.message } : null);

/**
 * The final run state the lazy views read: the run's own columns (typed arrays and arrays of interned state strings,
 * taken over as they are), errors reduced to their code and message. A kept output (the memory store keeps recent
 * runs) holds no per-action object, and building it copies nothing per step.
 */
class Snapshot {
  private readonly stepState: readonly EnumStepState[];
  readonly stepDuration: Float64Array;
  private readonly stepStartedAt: readonly (string | null)[];
  private readonly stepReason: readonly (SkipReason | null)[] | null;
  private readonly stepError: readonly ErrorView[] | null;
  private readonly stepOutput: readonly unknown[] | null;
  private readonly actionState: readonly EnumStepState[];
  readonly actionAttempts: Int32Array;
  readonly actionDuration: Float64Array;
  readonly actionEpoch: Int32Array;
  private readonly actionError: readonly ErrorView[] | null;

  constructor(run: RunState) {
    this.stepState = run.stepState;
    this.stepDuration = run.stepDurationMs;
    this.stepStartedAt = run.stepStartedAt;
    this.stepReason = run.stepReason;
    this.stepError = run.stepError?.map(errorView) ?? null;
    this.stepOutput = run.stepOutput;
    this.actionState = run.actionState;
    this.actionAttempts = run.actionAttempts;
    this.actionDuration = run.actionDurationMs;
    this.actionEpoch = run.actionEpoch;
    this.actionError = run.actionError?.map(errorView) ?? null;
  }

  state(s: number): EnumStepState {
    return this.stepState[s]!;
  }

  startedAt(s: number): string | null {
    return this.stepStartedAt[s] ?? null;
  }

  reason(s: number): SkipReason | null {
    return this.stepReason?.[s] ?? null;
  }

  error(s: number): ErrorView {
    return this.stepError?.[s] ?? null;
  }

  output(s: number): unknown {
    return this.stepOutput?.[s];
  }

  actionStateOf(a: number): EnumStepState {
    return this.actionState[a]!;
  }

  actionErrorOf(a: number): ErrorView {
    return this.actionError?.[a] ?? null;
  }
}

function stepReportsOf(plan: ExecutionPlan, snap: Snapshot): StepReport[] {
  return plan.steps.map((ps, s) => {
    const state = snap.state(s);
    let attempts = 0;
    for (const a of ps.actions) attempts = Math.max(attempts, snap.actionAttempts[a]!);
    return {
      stepId: ps.step.stepId,
      stepName: ps.step.stepName,
      state,
      reason: state === EnumStepState.PENDING ? 'not_started' : snap.reason(s),
      attempts,
      startedAt: snap.startedAt(s),
      durationMs: snap.stepDuration[s]!,
      error: snap.error(s),
      actions: ps.actions.map((a) => ({
        actionId: plan.actions[a]!.action.actionId,
        targetNodeType: plan.actions[a]!.action.targetNodeType,
        state: snap.actionStateOf(a),
        attempts: snap.actionAttempts[a]!,
        durationMs: snap.actionDuration[a]!,
        epoch: snap.actionEpoch[a]!,
        error: snap.actionErrorOf(a),
      })),
    };
  });
}

/**
 * Make `target`'s `key` (already there, so it keeps its place in the field order) an enumerable property computed on
 * first read (then kept): it serialises, spreads and compares like a plain field. Writable (assigning replaces it), so
 * a copy made by spreading stays a plain object.
 */
function lazyProperty<T>(target: object, key: string, compute: () => T): void {
  let value: T;
  let done = false;
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      if (!done) {
        value = compute();
        done = true;
      }
      return value;
    },
    set(next: T) {
      Object.defineProperty(target, key, { value: next, enumerable: true, writable: true, configurable: true });
    },
  });
}
