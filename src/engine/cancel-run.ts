/**
 * Cancelling a recorded run that this process does not run. The request is always written first (the owner notices
 * it on its next renewal, aborts its in-flight actions and records CANCELLED). When the owner is gone — provably dead,
 * or its lease expired — nobody would notice, so the canceller takes the run over and records the cancellation itself.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumStepState, EnumWorkflowState, isFinalStepState } from '../models/enums.js';
import { notFound, TERMINAL_RUN_STATES } from '../store/fencing.js';
import { currentOwner, ownerIsDead } from '../store/owner.js';
import type { Store, StoredRun } from '../store/store.js';

/** How a cancellation went. */
export interface CancelOutcome {
  readonly runId: string;
  /** The run's state when `cancel` returned. */
  readonly state: EnumWorkflowState;
  /**
   * `local`: this orchestrator ran it and aborted it; `requested`: its live owner was asked (see `state` for whether
   * it already stopped); `finalized`: the owner was gone, the canceller recorded CANCELLED; `already_ended`: nothing
   * to cancel.
   */
  readonly how: 'local' | 'requested' | 'finalized' | 'already_ended';
}

/** Cancel `runId` in `store` on behalf of lease `leaseId`. NOT_FOUND when the run does not exist. */
export async function cancelStoredRun(options: {
  readonly store: Store;
  readonly runId: string;
  readonly leaseId: string;
  readonly leaseMs: number;
}): Promise<CancelOutcome> {
  const { store, runId } = options;
  const before = await store.getRun(runId);
  if (!before) throw notFound('run', runId);
  if (TERMINAL_RUN_STATES.has(before.state)) return { runId, state: before.state, how: 'already_ended' };
  await store.requestCancel(runId);
  const dead = ownerIsDead({ host: before.ownerHost, pid: before.ownerPid });
  const expired = Date.parse(before.leaseExpiresAt) <= Date.now();
  if (!dead && !expired) return { runId, state: before.state, how: 'requested' };
  let taken: StoredRun;
  try {
    taken = await store.takeOver({
      runId,
      fromLeaseId: before.leaseId,
      expectedEpoch: before.epoch,
      leaseId: options.leaseId,
      leaseMs: options.leaseMs,
      owner: currentOwner(),
      ownerDead: dead,
      at: new Date().toISOString(),
    });
  } catch (err) {
    // The owner renewed, ended or was replaced in the meantime: it is alive, and the request is recorded.
    const after = await store.getRun(runId);
    if (after && !TERMINAL_RUN_STATES.has(after.state)) return { runId, state: after.state, how: 'requested' };
    if (after) return { runId, state: after.state, how: 'already_ended' };
    throw err;
  }
  await finalizeCancelled(store, taken, options.leaseId);
  return { runId, state: EnumWorkflowState.CANCELLED, how: 'finalized' };
}

/** Record every unfinished action CANCELLED, then the run, with the lease the canceller took over. */
async function finalizeCancelled(store: Store, run: StoredRun, leaseId: string): Promise<void> {
  const at = new Date().toISOString();
  const error = { code: EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, message: 'run cancelled' };
  const writes = run.actions
    .filter((a) => !isFinalStepState(a.state))
    .map((a) =>
      store.transitionAction({
        runId: run.runId,
        actionId: a.actionId,
        leaseId,
        expectedEpoch: a.epoch,
        state: EnumStepState.CANCELLED,
        attempt: a.attempt,
        at,
        error: a.attempt > 0 ? error : null,
      }),
    );
  await Promise.all(writes);
  await store.transitionRun({
    runId: run.runId,
    leaseId,
    expectedEpoch: run.epoch,
    state: EnumWorkflowState.CANCELLED,
    at,
  });
}

/** Poll `runId` until it ended or `waitMs` passed; resolves with its last state. */
export async function waitForEnd(store: Store, runId: string, waitMs: number): Promise<EnumWorkflowState> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const run = await store.getRun(runId);
    if (!run) throw notFound('run', runId);
    if (TERMINAL_RUN_STATES.has(run.state) || Date.now() >= deadline) return run.state;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(deadline - Date.now(), 1))));
  }
}

/** The error a run reports when it was cancelled through the store. */
export function cancelRequestedError(runId: string): OnexError {
  return new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, `run ${runId} cancelled on request`, {
    context: { runId },
  });
}
