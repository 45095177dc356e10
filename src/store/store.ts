/**
 * The `Store` contract: where runs and their actions are recorded. Every state change is one compare-and-set on
 * `(leaseId, epoch)` that increments the epoch, done atomically inside the store (spec §7). A run is owned through a
 * lease with an expiry that its owner renews; another orchestrator may take it over only once the lease expired (or
 * its owner is provably dead), and from then on every write of the former owner is rejected.
 * Implementations: `memory/` (default for the API and tests), `sqlite/` (the CLI's default), `postgres/` (shared).
 * @module
 */
import type { EnumStepState, EnumWorkflowState } from '../models/enums.js';
import type { LeaseGuard } from './fencing.js';

/** How long a lease lasts before its owner must renew it (spec §7). */
export const DEFAULT_LEASE_MS = 15_000;
/** How often an owner renews its leases. */
export const DEFAULT_LEASE_RENEW_MS = 5_000;

/** An error as stored: code and message. */
export interface StoredError {
  readonly code: string;
  readonly message: string;
}

/** The process that owns a lease: lets a successor on the same host prove the owner dead (its pid gone). */
export interface RunOwner {
  readonly host: string;
  readonly pid: number;
}

/** Where a run came from, so that `onex resume` can load its nodes again. */
export interface RunSource {
  /** Absolute path of the workflow file, when the run started from one. */
  readonly workflowPath: string | null;
  /** Absolute path of the nodes module. */
  readonly nodesPath: string | null;
}

/** What is recorded when a run starts. */
export interface RunStart {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly workflowHash: string;
  readonly leaseId: string;
  readonly startedAt: string;
  /**
   * The orchestrator input (the camelCase model, frozen), enough to resume the run. A store that persists it converts
   * it with `toWire`; the memory store keeps the reference (no copy on the run's critical path).
   */
  readonly definition: unknown;
  /** Every action of the run, recorded PENDING at epoch 1. */
  readonly actions: readonly { readonly actionId: string; readonly stepId: string }[];
  /** Lease length from now. @default DEFAULT_LEASE_MS */
  readonly leaseMs?: number;
  /** The owning process. @default this process */
  readonly owner?: RunOwner;
  /** Where the run came from (workflow file, nodes module). @default null */
  readonly source?: RunSource | null;
}

/** One state change of one action: applied only when the stored lease and epoch match. */
export interface ActionTransition {
  readonly runId: string;
  readonly actionId: string;
  /**
   * The action's position in the run's `RunStart.actions`, when the writer knows it: a store may use it to find the
   * row without a lookup by id (it must still check the id there).
   */
  readonly actionIndex?: number;
  readonly leaseId: string;
  readonly expectedEpoch: number;
  readonly state: EnumStepState;
  readonly attempt: number;
  readonly at: string;
  /** The action's result; `undefined` keeps the stored one. Durable stores keep it as JSON. */
  readonly result?: unknown;
  /** `undefined` keeps the stored error, `null` clears it. */
  readonly error?: StoredError | null;
}

/**
 * Internal (not exported from the package): a synchronous store's writer of one run's actions, by position — the
 * action's place in the `actions` the run began with, which is its identity for the writer (the ids themselves are
 * not compared: reading each id string was a cache miss per write on long runs). It does what `transitionAction`
 * does — same fencing, same errors, same result — without the lookups and the argument object a call through the
 * generic interface needs; the scheduler writes twice per action, so that is most of what a write costs in memory.
 * `nowMs` is the caller's `performance.now()` reading, for the lease guards of a run's store.
 */
export interface ActionWriter {
  write(
    index: number,
    expectedEpoch: number,
    state: EnumStepState,
    attempt: number,
    at: string,
    result: unknown,
    error: StoredError | null | undefined,
    nowMs: number,
  ): number | Promise<number>;
}

/** The key of a store's `ActionWriter` factory (see `WithActionWriter`). */
export const ACTION_WRITER: unique symbol = Symbol('onex.actionWriter');

/**
 * A store that offers an `ActionWriter` for a run it holds (undefined: use `transitionAction`). With a `guard`, the
 * writer refuses what the guard refuses, and ends refused and failed writes as `writeFailed` says.
 */
export interface WithActionWriter {
  [ACTION_WRITER](runId: string, leaseId: string, guard?: LeaseGuard): ActionWriter | undefined;
}

/** The action writer `store` offers for `runId`, if any. */
export function actionWriterOf(
  store: Store,
  runId: string,
  leaseId: string,
  guard?: LeaseGuard,
): ActionWriter | undefined {
  return (store as Partial<WithActionWriter>)[ACTION_WRITER]?.(runId, leaseId, guard);
}

/** One state change of a run: applied only when the stored lease and epoch match. */
export interface RunTransition {
  readonly runId: string;
  readonly leaseId: string;
  readonly expectedEpoch: number;
  readonly state: EnumWorkflowState;
  readonly at: string;
  /** The final output (the camelCase `ModelOrchestratorOutput`) when the run ends; persisted with `toWire`. */
  readonly output?: unknown;
}

/** A lease renewal: applied only while the run is still held by `leaseId`. Does not change the epoch. */
export interface LeaseRenewal {
  readonly runId: string;
  readonly leaseId: string;
  /** New lease length from now. */
  readonly leaseMs: number;
}

/** What the owner learns when it renews. */
export interface LeaseStatus {
  readonly leaseExpiresAt: string;
  /** Someone asked the run to stop (`onex cancel`): the owner aborts it. */
  readonly cancelRequested: boolean;
  readonly state: EnumWorkflowState;
}

/**
 * A takeover: a compare-and-set of the run on `(fromLeaseId, expectedEpoch)` that moves the run and every one of its
 * actions to `leaseId` with an incremented epoch. Refused while the old lease is live, unless `ownerDead`.
 */
export interface TakeOver {
  readonly runId: string;
  /** The lease the caller saw on the run. */
  readonly fromLeaseId: string;
  /** The run epoch the caller saw. */
  readonly expectedEpoch: number;
  /** The new owner's lease. */
  readonly leaseId: string;
  readonly leaseMs: number;
  readonly owner: RunOwner;
  /** The caller proved the old owner dead (same host, pid gone): no need to wait for the expiry. */
  readonly ownerDead: boolean;
  readonly at: string;
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
  /** When its first attempt started (null while it never ran). */
  readonly startedAt: string | null;
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
  readonly leaseExpiresAt: string;
  readonly ownerHost: string;
  readonly ownerPid: number;
  readonly cancelRequested: boolean;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly source: RunSource | null;
  readonly definition: unknown;
  readonly output: unknown;
  /** Actions in the order the run declared them. */
  readonly actions: readonly StoredAction[];
}

/** A run in a listing: no actions, definition or output, but step counts. */
export interface RunSummary extends Omit<StoredRun, 'actions' | 'definition' | 'output'> {
  readonly stepsTotal: number;
  /** Steps that completed (every action COMPLETED; from the output once the run ended). */
  readonly stepsCompleted: number;
  /** Steps with a FAILED or TIMEOUT action (from the output once the run ended). */
  readonly stepsFailed: number;
}

/** The persistence contract of the orchestrator. */
export interface Store {
  /** `memory`, `sqlite`, `postgres`, … */
  readonly kind: string;
  /** Record a new run (epoch 1, RUNNING) and its actions (epoch 1, PENDING). INVALID_STATE when the id exists. */
  beginRun(run: RunStart): void | Promise<void>;
  /**
   * Compare-and-set one action: applied only when the stored `(leaseId, epoch)` equals `(t.leaseId, t.expectedEpoch)`;
   * returns the new epoch (always `expectedEpoch + 1`). Throws (or rejects with) ORCHESTRATOR_EXEC_LEASE_CONFLICT
   * (foreign lease), ORCHESTRATOR_EXEC_STALE_EPOCH (old epoch) or NOT_FOUND, and then changes nothing.
   */
  transitionAction(t: ActionTransition): number | Promise<number>;
  /** Compare-and-set the run itself, with the same rules. A terminal state sets `finishedAt`. */
  transitionRun(t: RunTransition): number | Promise<number>;
  /** Extend the lease of a run still held by `r.leaseId`; LEASE_CONFLICT once another lease took it over. */
  renewLease(r: LeaseRenewal): Promise<LeaseStatus>;
  /**
   * Take a run over (see `TakeOver`); returns the run as it is after the takeover. LEASE_CONFLICT (with
   * `context.reason = 'lease_held'` and `context.leaseExpiresAt`) while the old lease is live, the fencing errors when
   * the run moved on since the caller read it, INVALID_STATE when it already ended, NOT_FOUND when it does not exist.
   */
  takeOver(t: TakeOver): Promise<StoredRun>;
  /** Flag a run for cancellation (its owner notices on its next renewal). NOT_FOUND when it does not exist. */
  requestCancel(runId: string): Promise<RunSummary>;
  /** One run with its actions, or undefined. */
  getRun(runId: string): Promise<StoredRun | undefined>;
  /** The most recent runs first. @param limit @default 50 */
  listRuns(limit?: number): Promise<RunSummary[]>;
  /** Flush and release resources. */
  close(): Promise<void>;
}
