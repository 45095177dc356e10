/**
 * The one fencing rule every store applies: a write must carry the stored lease and the stored epoch. Also the other
 * typed errors every store raises the same way (run not found, run already ended, lease still held).
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumStepState, EnumWorkflowState } from '../models/enums.js';

/** The lease as a run's action writes see it (a `LeaseKeeper` is one). */
export interface LeaseGuard {
  /**
   * Checked before each claim (RUNNING): an error refuses the claim, so the node is not called. `nowMs`, when given,
   * is the writer's `performance.now()` reading of this synchronous turn.
   */
  claim(nowMs?: number): OnexError | null;
  /**
   * Checked before every other write: once the lease is known lost, nothing more is written, so the run stays as
   * its last confirmed owner left it — resumable — instead of being recorded CANCELLED by an owner that stopped.
   */
  readonly lost: OnexError | null;
}

/** Why `guard` refuses a write of `state` now (a claim while the lease is not surely held, anything once it is lost). */
export function leaseRefusal(guard: LeaseGuard | undefined, state: EnumStepState, nowMs?: number): OnexError | null {
  if (guard === undefined) return null;
  return state === EnumStepState.RUNNING ? guard.claim(nowMs) : guard.lost;
}

/**
 * How an action write that is refused or fails ends. A claim (RUNNING) precedes the node call: it throws, so a
 * fenced-off owner never calls the node (the scheduler makes its claims where it catches synchronous errors). Any
 * other write rejects: the scheduler also writes from its cancel path, where a synchronous throw would escape.
 */
export function writeFailed(state: EnumStepState, err: unknown): Promise<never> {
  if (state === EnumStepState.RUNNING) throw err;
  return Promise.reject(err);
}

/** Workflow states after which a run never changes again. */
export const TERMINAL_RUN_STATES: ReadonlySet<string> = new Set([
  EnumWorkflowState.COMPLETED,
  EnumWorkflowState.PARTIAL_SUCCESS,
  EnumWorkflowState.FAILED,
  EnumWorkflowState.CANCELLED,
]);

/** Throw the typed error for a write whose `(leaseId, epoch)` does not match what is stored. */
export function checkFence(
  what: string,
  stored: { leaseId: string; epoch: number },
  write: { leaseId: string; expectedEpoch: number },
): void {
  if (stored.leaseId !== write.leaseId) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
      `${what}: write rejected, it is owned by lease ${stored.leaseId}, not ${write.leaseId}`,
      { context: { owner: stored.leaseId, writer: write.leaseId } },
    );
  }
  if (stored.epoch !== write.expectedEpoch) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
      `${what}: write rejected, stale epoch ${write.expectedEpoch} (stored epoch is ${stored.epoch})`,
      { context: { storedEpoch: stored.epoch, writeEpoch: write.expectedEpoch } },
    );
  }
}

/**
 * The error for a compare-and-set that matched no row: NOT_FOUND when the row is gone, else the fencing error for
 * what is stored now. A store reads the row *after* its conditional update failed, so the row can only have moved
 * further on; when it somehow matches again, that was a concurrent writer, reported as a stale epoch.
 */
export function fenceError(
  kind: 'run' | 'action',
  id: string,
  stored: { leaseId: string; epoch: number } | undefined,
  write: { leaseId: string; expectedEpoch: number },
): OnexError {
  if (!stored) return notFound(kind, id);
  const what = `${kind} ${id}`;
  try {
    checkFence(what, stored, write);
  } catch (err) {
    return err as OnexError;
  }
  return new OnexError(
    EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
    `${what}: write rejected, a concurrent writer changed it at epoch ${write.expectedEpoch}`,
    { context: { storedEpoch: stored.epoch, writeEpoch: write.expectedEpoch } },
  );
}

/** NOT_FOUND for a run or action the store does not hold. */
export function notFound(what: string, id: string): OnexError {
  return new OnexError(EnumCoreErrorCode.NOT_FOUND, `${what} ${id} does not exist in the store`, { context: { id } });
}

/** INVALID_STATE for a run id that is already recorded (a run id is its operation id: one per run). */
export function runExists(runId: string): OnexError {
  return new OnexError(
    EnumCoreErrorCode.INVALID_STATE,
    `run ${runId} already exists in the store (the run id is the input's operationId; give each run its own)`,
    { context: { runId } },
  );
}

/** INVALID_STATE for a takeover (to resume or cancel) of a run that already ended. */
export function runEnded(runId: string, state: string, what: 'resume' | 'cancel' = 'resume'): OnexError {
  return new OnexError(
    EnumCoreErrorCode.INVALID_STATE,
    `run ${runId} already ended (${state}); there is nothing to ${what}`,
    { context: { runId, state } },
  );
}

/** LEASE_CONFLICT for a takeover attempted while the owner's lease is still live. */
export function leaseHeld(
  runId: string,
  run: { leaseId: string; leaseExpiresAt: string; ownerHost: string; ownerPid: number },
): OnexError {
  return new OnexError(
    EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
    `run ${runId} is held by lease ${run.leaseId} (pid ${run.ownerPid} on ${run.ownerHost}) until ${run.leaseExpiresAt}`,
    {
      context: {
        reason: 'lease_held',
        runId,
        owner: run.leaseId,
        leaseExpiresAt: run.leaseExpiresAt,
        ownerHost: run.ownerHost,
        ownerPid: run.ownerPid,
      },
    },
  );
}
