/**
 * The `Store` contract: where runs and their actions are recorded. Every state change is one compare-and-set on
 * `(leaseId, epoch)` that increments the epoch, done atomically inside the store (spec §7). Implementations:
 * `memory/` (default for the API and tests); durable ones plug in behind the same interface.
 * @module
 */
import type { EnumStepState, EnumWorkflowState } from '../models/enums.js';

/** An error as stored: code and message. */
export interface StoredError {
  readonly code: string;
  readonly message: string;
}

/** What is recorded when a run starts. */
export interface RunStart {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly workflowHash: string;
  readonly leaseId: string;
  readonly startedAt: string;
  /** The orchestrator input in wire form, enough to resume the run. */
  readonly definition: unknown;
  /** Every action of the run, recorded PENDING at epoch 1. */
  readonly actions: readonly { readonly actionId: string; readonly stepId: string }[];
}

/** One state change of one action: applied only when the stored lease and epoch match. */
export interface ActionTransition {
  readonly runId: string;
  readonly actionId: string;
  readonly leaseId: string;
  readonly expectedEpoch: number;
  readonly state: EnumStepState;
  readonly attempt: number;
  readonly at: string;
  readonly result?: unknown;
  readonly error?: StoredError | null;
}

/** One state change of a run: applied only when the stored lease and epoch match. */
export interface RunTransition {
  readonly runId: string;
  readonly leaseId: string;
  readonly expectedEpoch: number;
  readonly state: EnumWorkflowState;
  readonly at: string;
  /** The final output (wire form) when the run ends. */
  readonly output?: unknown;
}

/** One action as stored. */
export interface StoredAction {
  readonly actionId: string;
  readonly stepId: string;
  readonly state: EnumStepState;
  readonly attempt: number;
  readonly epoch: number;
  readonly leaseId: string;
  readonly result: unknown;
  readonly error: StoredError | null;
  readonly updatedAt: string;
}

/** One run as stored. */
export interface StoredRun {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly workflowHash: string;
  readonly state: EnumWorkflowState;
  readonly leaseId: string;
  readonly epoch: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly definition: unknown;
  readonly output: unknown;
  readonly actions: readonly StoredAction[];
}

/** The persistence contract of the orchestrator. */
export interface Store {
  /** `memory`, `sqlite`, `postgres`, … */
  readonly kind: string;
  /** Record a new run (epoch 1, RUNNING) and its actions (epoch 1, PENDING). */
  beginRun(run: RunStart): void | Promise<void>;
  /**
   * Compare-and-set one action: applied only when the stored `(leaseId, epoch)` equals `(t.leaseId, t.expectedEpoch)`;
   * returns the new epoch. Throws ORCHESTRATOR_EXEC_LEASE_CONFLICT (foreign lease), ORCHESTRATOR_EXEC_STALE_EPOCH
   * (old epoch) or NOT_FOUND, and then changes nothing. May return synchronously.
   */
  transitionAction(t: ActionTransition): number | Promise<number>;
  /** Compare-and-set the run itself, with the same rules. */
  transitionRun(t: RunTransition): number | Promise<number>;
  /** One run with its actions, or undefined. */
  getRun(runId: string): Promise<StoredRun | undefined>;
  /** The most recent runs first. */
  listRuns(limit?: number): Promise<Omit<StoredRun, 'actions' | 'definition' | 'output'>[]>;
  /** Flush and release resources. */
  close(): Promise<void>;
}
