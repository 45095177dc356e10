/**
 * onex: a TypeScript workflow orchestrator built on the ONEX four-node architecture (COMPUTE, EFFECT, REDUCER,
 * ORCHESTRATOR). This module is the whole public API.
 *
 * @example
 * ```ts
 * import { ModelONEXContainer, NodeOrchestrator } from 'onex';
 * const container = new ModelONEXContainer();
 * container.registerNode('double', async (data) => ({ value: Number(data.value) * 2 }));
 * const output = await new NodeOrchestrator(container).process({
 *   steps: [{ stepName: 'double', actions: [{ actionType: 'compute', targetNodeType: 'double', operationData: { value: 21 } }] }],
 * });
 * output.stepOutputs.double; // { value: 42 }
 * ```
 * @module
 */

// Container and nodes.
export { type ContainerOptions, ModelONEXContainer, type ServiceFactory } from './container/container.js';
// Durable runs: stores, leases, resume and cancel.
export type { CancelOutcome } from './engine/cancel-run.js';
export type { LeaseWait } from './engine/resume.js';
export type { ResumeState, RetryBackoff, RunEvent } from './engine/run-options.js';
export { EnumCoreErrorCode } from './errors/error-codes.js';
export { isRetryable, OnexError, type OnexErrorOptions } from './errors/onex-error.js';
// Workflow files.
export { type LoadedWorkflow, type LoadWorkflowOptions, loadWorkflowFile } from './loader/workflow-file.js';
export { createAction, type ModelAction, type ModelActionInput } from './models/action.js';
// Enums, errors, models and the wire codec.
export {
  EnumActionType,
  EnumBranchCondition,
  EnumCircuitState,
  EnumExecutionMode,
  EnumFailureStrategy,
  EnumLogLevel,
  EnumNodeLifecycleStatus,
  EnumStepState,
  EnumStepType,
  EnumWorkflowState,
} from './models/enums.js';
export {
  createOrchestratorInput,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
} from './models/orchestrator-input.js';
export type {
  ActionReport,
  ModelOrchestratorOutput,
  OrchestratorError,
  SkipReason,
  StepReport,
} from './models/orchestrator-output.js';
export {
  type ConditionFunction,
  createWorkflowStep,
  type ModelWorkflowStep,
  type ModelWorkflowStepInput,
} from './models/step.js';
export { fromWire, toWire } from './models/wire.js';
export type { BatchItem, NodeContext } from './nodes/context.js';
export { NodeCompute, type NodeComputeOptions } from './nodes/node-compute.js';
export { NodeCoreBase, type NodeMetrics, type NodePerformanceMetrics } from './nodes/node-core-base.js';
export { NodeEffect } from './nodes/node-effect.js';
export type { CancelOptions, ResumeOptions } from './nodes/node-orchestrator.js';
export {
  NodeOrchestrator,
  type NodeOrchestratorOptions,
  type ProcessOptions,
  type WorkflowPlan,
} from './nodes/node-orchestrator.js';
export { NodeReducer } from './nodes/node-reducer.js';
export type { AggregateSpec, Aggregation, ReductionOp } from './nodes/reductions.js';
// Recovery of failed runs: retry with backoff, skip the failed step, roll back (spec §5).
export {
  NodeResilientOrchestrator,
  type NodeResilientOrchestratorOptions,
  processWithRecovery,
  type RecoveryEvent,
  type RecoveryOptions,
  type RecoveryStrategy,
} from './resilience/recovery.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory/memory-store.js';
export { DEFAULT_SQLITE_PATH, openStore, parseStoreSpec, type StoreSpec } from './store/open-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
// Stores.
export type { ActionTransition, RunStart, RunTransition, Store, StoredAction, StoredRun } from './store/store.js';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_LEASE_RENEW_MS,
  type LeaseRenewal,
  type LeaseStatus,
  type RunOwner,
  type RunSource,
  type RunSummary,
  type StoredError,
  type TakeOver,
} from './store/store.js';
