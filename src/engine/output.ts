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
    results: record.results,
    errors: record.errors,
    processingTimeMs: final.processingTimeMs,
    parallelExecutions: record.parallelExecutions,
    peakConcurrency: record.peakConcurrency,
    loadBalancedOperations: record.loadBalancedOperations,
    batches: record.batches,
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
  // and building them is a tenth of a short run (bench/PROFILE.md). The run state they read is final by now.
  lazyProperty(output, 'actionsEmitted', () =>
    plan.actionOrder.map((a) => withLease(plan.actions[a]!.action, leaseId, final.actions[a]!.epoch)),
  );
  lazyProperty(output, 'stepReports', () => stepReportsOf(plan, final.steps, final.actions));
  lazyProperty(output, 'stepOutputs', () => {
    const stepOutputs: Record<string, unknown> = {};
    for (let s = 0; s < plan.steps.length; s++) {
      const rt = final.steps[s]!;
      if (rt.state === EnumStepState.COMPLETED) stepOutputs[plan.steps[s]!.step.stepName] = rt.output;
    }
    return stepOutputs;
  });
  return output as typeof output & Pick<ModelOrchestratorOutput, 'actionsEmitted' | 'stepReports' | 'stepOutputs'>;
}

/** Per-step reports in planned order. */
function stepReportsOf(plan: ExecutionPlan, steps: readonly StepView[], actions: readonly ActionView[]): StepReport[] {
  return plan.steps.map((ps, s) => {
    const rt = steps[s]!;
    return {
      stepId: ps.step.stepId,
      stepName: ps.step.stepName,
      state: rt.state,
      reason: rt.state === EnumStepState.PENDING ? 'not_started' : rt.reason,
      attempts: ps.actions.reduce((n, a) => Math.max(n, actions[a]!.attempts), 0),
      startedAt: rt.startedAt,
      durationMs: rt.durationMs,
      error: rt.error ? { code: rt.error.code, message: rt.error.message } : null,
      actions: ps.actions.map((a) => {
        const ar = actions[a]!;
        return {
          actionId: plan.actions[a]!.action.actionId,
          targetNodeType: plan.actions[a]!.action.targetNodeType,
          state: ar.state,
          attempts: ar.attempts,
          durationMs: ar.durationMs,
          epoch: ar.epoch,
          error: ar.error ? { code: ar.error.code, message: ar.error.message } : null,
        };
      }),
    };
  });
}

/**
 * Define `key` on `target` as an enumerable property computed on first read (then kept): it serialises, spreads and
 * compares like a plain field. Writable (assigning replaces it), so a copy made by spreading stays a plain object.
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
