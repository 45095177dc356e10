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

interface StepView {
  state: EnumStepState;
  reason: SkipReason | null;
  startedAt: string | null;
  durationMs: number;
  output: unknown;
  error: OnexError | null;
}

interface ActionView {
  state: EnumStepState;
  epoch: number;
  attempts: number;
  durationMs: number;
  error: OnexError | null;
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
    steps: readonly StepView[];
    actions: readonly ActionView[];
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
  const snap = snapshot(final.steps, final.actions);
  lazyProperty(output, 'actionsEmitted', () =>
    plan.actionOrder.map((a) => withLease(plan.actions[a]!.action, leaseId, snap.actionEpoch[a]!)),
  );
  lazyProperty(output, 'stepReports', () => stepReportsOf(plan, snap));
  lazyProperty(output, 'stepOutputs', () => {
    const stepOutputs: Record<string, unknown> = {};
    for (let s = 0; s < plan.steps.length; s++) {
      if (snap.stepState[s] === EnumStepState.COMPLETED) stepOutputs[plan.steps[s]!.step.stepName] = snap.stepOutput[s];
    }
    return stepOutputs;
  });
  return output;
}

type ErrorView = { code: string; message: string } | null;

/** The final run state the derived views need, a column per field. */
interface Snapshot {
  readonly stepState: EnumStepState[];
  readonly stepReason: (SkipReason | null)[];
  readonly stepStartedAt: (string | null)[];
  readonly stepDuration: Float64Array;
  readonly stepError: ErrorView[];
  readonly stepOutput: unknown[];
  readonly actionState: EnumStepState[];
  readonly actionAttempts: Int32Array;
  readonly actionDuration: Float64Array;
  readonly actionEpoch: Int32Array;
  readonly actionError: ErrorView[];
}

const errorView = (error: OnexError | null): ErrorView => (error ? { code: error.code, message: error.message } : null);

function snapshot(steps: readonly StepView[], actions: readonly ActionView[]): Snapshot {
  const ns = steps.length;
  const na = actions.length;
  const snap: Snapshot = {
    stepState: new Array(ns),
    stepReason: new Array(ns),
    stepStartedAt: new Array(ns),
    stepDuration: new Float64Array(ns),
    stepError: new Array(ns),
    stepOutput: new Array(ns),
    actionState: new Array(na),
    actionAttempts: new Int32Array(na),
    actionDuration: new Float64Array(na),
    actionEpoch: new Int32Array(na),
    actionError: new Array(na),
  };
  for (let s = 0; s < ns; s++) {
    const rt = steps[s]!;
    snap.stepState[s] = rt.state;
    snap.stepReason[s] = rt.reason;
    snap.stepStartedAt[s] = rt.startedAt;
    snap.stepDuration[s] = rt.durationMs;
    snap.stepError[s] = errorView(rt.error);
    snap.stepOutput[s] = rt.output;
  }
  for (let a = 0; a < na; a++) {
    const ar = actions[a]!;
    snap.actionState[a] = ar.state;
    snap.actionAttempts[a] = ar.attempts;
    snap.actionDuration[a] = ar.durationMs;
    snap.actionEpoch[a] = ar.epoch;
    snap.actionError[a] = errorView(ar.error);
  }
  return snap;
}

/** Per-step reports in planned order. */
function stepReportsOf(plan: ExecutionPlan, snap: Snapshot): StepReport[] {
  return plan.steps.map((ps, s) => {
    const state = snap.stepState[s]!;
    let attempts = 0;
    for (const a of ps.actions) attempts = Math.max(attempts, snap.actionAttempts[a]!);
    return {
      stepId: ps.step.stepId,
      stepName: ps.step.stepName,
      state,
      reason: state === EnumStepState.PENDING ? 'not_started' : snap.stepReason[s]!,
      attempts,
      startedAt: snap.stepStartedAt[s]!,
      durationMs: snap.stepDuration[s]!,
      error: snap.stepError[s]!,
      actions: ps.actions.map((a) => ({
        actionId: plan.actions[a]!.action.actionId,
        targetNodeType: plan.actions[a]!.action.targetNodeType,
        state: snap.actionState[a]!,
        attempts: snap.actionAttempts[a]!,
        durationMs: snap.actionDuration[a]!,
        epoch: snap.actionEpoch[a]!,
        error: snap.actionError[a]!,
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
