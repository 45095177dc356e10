/**
 * `ModelOrchestratorOutput`: what a run (or a plan) produced (spec §2).
 * @module
 */
import type { ModelAction } from './action.js';
import type { EnumStepState, EnumWorkflowState } from './enums.js';

/** One failure, as listed in `errors`. */
export interface OrchestratorError {
  readonly stepId: string;
  readonly actionId: string | null;
  readonly code: string;
  readonly message: string;
}

/** Why a step was skipped. */
export type SkipReason = 'disabled' | 'condition_false' | 'upstream_failed' | 'skip_on_failure' | 'not_started';

/** How one action ended. */
export interface ActionReport {
  readonly actionId: string;
  readonly targetNodeType: string;
  readonly state: EnumStepState;
  readonly attempts: number;
  readonly durationMs: number;
  readonly epoch: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** How one step ended: the summary table's row. */
export interface StepReport {
  readonly stepId: string;
  readonly stepName: string;
  readonly state: EnumStepState;
  readonly reason: SkipReason | null;
  readonly attempts: number;
  readonly startedAt: string | null;
  readonly durationMs: number;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly actions: readonly ActionReport[];
}

/** The result of `NodeOrchestrator.process()`. */
export interface ModelOrchestratorOutput {
  readonly workflowId: string;
  readonly operationId: string;
  readonly workflowState: EnumWorkflowState;
  readonly stepsCompleted: number;
  readonly stepsFailed: number;
  readonly stepsSkipped: number;
  /** Step ids in the order they finished. */
  readonly completedSteps: readonly string[];
  readonly failedSteps: readonly string[];
  readonly skippedSteps: readonly string[];
  /** Every action with its final `leaseId` and `epoch`, in planned order. */
  readonly actionsEmitted: readonly ModelAction[];
  /** Step outputs in completion order. */
  readonly results: readonly unknown[];
  /** Step outputs by step name. */
  readonly stepOutputs: Readonly<Record<string, unknown>>;
  readonly errors: readonly OrchestratorError[];
  readonly processingTimeMs: number;
  /** Actions dispatched by the parallel scheduler (0 in SEQUENTIAL). */
  readonly parallelExecutions: number;
  /** Most actions in flight at once. */
  readonly peakConcurrency: number;
  /** Actions dispatched through the load balancer (BATCH). */
  readonly loadBalancedOperations: number;
  /** Batches dispatched (BATCH): calls to `processBatch` plus balanced groups. */
  readonly batches: number;
  /** Per-step report (state, reason, attempts, duration, error) in planned order. */
  readonly stepReports: readonly StepReport[];
  readonly leaseId: string;
  readonly startedAt: string;
  readonly completedAt: string;
  /** Includes `execution_mode`, `workflow_name`, `workflow_hash`. */
  readonly metadata: Readonly<Record<string, unknown>>;
}
