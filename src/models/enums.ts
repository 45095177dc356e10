/**
 * The enums of spec §1 as `as const` objects with a derived union type.
 * Member names are the reference's; values are its wire values (lowercase of the name).
 * @module
 */

/** Routing type of an action: which kind of node runs it. */
export const EnumActionType = {
  COMPUTE: 'compute',
  EFFECT: 'effect',
  REDUCE: 'reduce',
  ORCHESTRATE: 'orchestrate',
  CUSTOM: 'custom',
} as const;
export type EnumActionType = (typeof EnumActionType)[keyof typeof EnumActionType];

/** How a workflow (or a step's own actions) runs. CONDITIONAL and STREAMING are reserved and rejected. */
export const EnumExecutionMode = {
  SEQUENTIAL: 'sequential',
  PARALLEL: 'parallel',
  BATCH: 'batch',
  CONDITIONAL: 'conditional',
  STREAMING: 'streaming',
} as const;
export type EnumExecutionMode = (typeof EnumExecutionMode)[keyof typeof EnumExecutionMode];

/** Modes reserved by the reference for later versions, with the version that reserves them. */
export const RESERVED_EXECUTION_MODES: Readonly<Record<string, string>> = {
  conditional: 'v1.1+',
  streaming: 'v1.2+',
};

/** Final (or current) state of a whole workflow run. */
export const EnumWorkflowState = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  PARTIAL_SUCCESS: 'partial_success',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  PAUSED: 'paused',
} as const;
export type EnumWorkflowState = (typeof EnumWorkflowState)[keyof typeof EnumWorkflowState];

/** State of a step or of an action. */
export const EnumStepState = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  SKIPPED: 'skipped',
  CANCELLED: 'cancelled',
  TIMEOUT: 'timeout',
  COMPENSATED: 'compensated',
} as const;
export type EnumStepState = (typeof EnumStepState)[keyof typeof EnumStepState];

/** Whether `state` is a step or action state that never changes again (all but PENDING and RUNNING; false for text that is no state). */
export function isFinalStepState(state: string): boolean {
  switch (state) {
    case EnumStepState.COMPLETED:
    case EnumStepState.FAILED:
    case EnumStepState.SKIPPED:
    case EnumStepState.CANCELLED:
    case EnumStepState.TIMEOUT:
    case EnumStepState.COMPENSATED:
      return true;
    default:
      return false;
  }
}

/** When a step runs, evaluated as it becomes ready (spec §4). */
export const EnumBranchCondition = {
  IF_TRUE: 'if_true',
  IF_FALSE: 'if_false',
  IF_SUCCESS: 'if_success',
  IF_ERROR: 'if_error',
  IF_TIMEOUT: 'if_timeout',
  CUSTOM: 'custom',
} as const;
export type EnumBranchCondition = (typeof EnumBranchCondition)[keyof typeof EnumBranchCondition];

/** What the orchestrator does when an action fails for good. */
export const EnumFailureStrategy = {
  FAIL_FAST: 'fail_fast',
  CONTINUE_ON_ERROR: 'continue_on_error',
  RETRY: 'retry',
  COMPENSATE: 'compensate',
} as const;
export type EnumFailureStrategy = (typeof EnumFailureStrategy)[keyof typeof EnumFailureStrategy];

/** State of a circuit breaker guarding one target node type. */
export const EnumCircuitState = {
  CLOSED: 'closed',
  OPEN: 'open',
  HALF_OPEN: 'half_open',
} as const;
export type EnumCircuitState = (typeof EnumCircuitState)[keyof typeof EnumCircuitState];

/** Reference step types (`ModelWorkflowStep.step_type`); `conditional` is reserved and rejected. */
export const EnumStepType = {
  COMPUTE: 'compute',
  EFFECT: 'effect',
  REDUCER: 'reducer',
  ORCHESTRATOR: 'orchestrator',
  PARALLEL: 'parallel',
  CUSTOM: 'custom',
} as const;
export type EnumStepType = (typeof EnumStepType)[keyof typeof EnumStepType];

/** Lifecycle status of a node (reference `EnumNodeLifecycleStatus`). */
export const EnumNodeLifecycleStatus = {
  INITIALIZED: 'initialized',
  INITIALIZING: 'initializing',
  READY: 'ready',
  FAILED: 'failed',
  CLEANING_UP: 'cleaning_up',
  CLEANED_UP: 'cleaned_up',
  CLEANUP_FAILED: 'cleanup_failed',
} as const;
export type EnumNodeLifecycleStatus = (typeof EnumNodeLifecycleStatus)[keyof typeof EnumNodeLifecycleStatus];

/** Log levels accepted by `emitLogEvent`. */
export const EnumLogLevel = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
} as const;
export type EnumLogLevel = (typeof EnumLogLevel)[keyof typeof EnumLogLevel];
