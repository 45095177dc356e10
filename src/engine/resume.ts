/**
 * Resuming a recorded run (spec §7): rebuild its plan from what the store holds, take its lease over — at once when
 * the owner is provably dead (same host, pid gone), else after the lease expired, saying so while it waits — and hand
 * the scheduler the state the store had after the takeover (COMPLETED actions are not run again; the others run with
 * the same idempotency key, their action id).
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import {
  createOrchestratorInput,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
} from '../models/orchestrator-input.js';
import { fromWire } from '../models/wire.js';
import { notFound, runEnded, TERMINAL_RUN_STATES } from '../store/fencing.js';
import { currentOwner, ownerIsDead } from '../store/owner.js';
import type { Store, StoredRun } from '../store/store.js';
import type { ExecutionPlan } from './plan-types.js';
import { planWorkflow } from './planner.js';
import type { ResumeState } from './run-options.js';

/** A takeover that has to wait for the owner's lease to expire. */
export interface LeaseWait {
  readonly runId: string;
  /** The lease that still holds the run. */
  readonly heldBy: string;
  readonly ownerHost: string;
  readonly ownerPid: number;
  readonly leaseExpiresAt: string;
  /** How long the takeover waits before trying again. */
  readonly waitMs: number;
}

/** Options of `takeOverRun`. */
export interface TakeOverRunOptions {
  readonly store: Store;
  readonly runId: string;
  /** The new owner's lease. */
  readonly leaseId: string;
  readonly leaseMs: number;
  /** Wait for a live owner's lease to expire (true), or fail at once with LEASE_CONFLICT (false). @default true */
  readonly wait?: boolean;
  /** Abort the wait. */
  readonly signal?: AbortSignal;
  /** Told before each wait, so a caller can say why nothing happens yet. */
  readonly onWait?: (wait: LeaseWait) => void;
}

/** Slack added to a lease's expiry before trying again, so that a takeover does not race the expiry itself. */
const EXPIRY_SLACK_MS = 25;
/** Takeover races lost in a row (the run moved on between read and write) before giving up with the last error. */
const MAX_RACES = 10;

/**
 * Take `runId` over for `leaseId`; resolves with the run as the store holds it after the takeover, and the
 * `performance.now()` at which the successful takeover was sent (the new lease holds for `leaseMs` from then).
 */
export async function takeOverRun(options: TakeOverRunOptions): Promise<{ run: StoredRun; sentAt: number }> {
  const { store, runId, leaseId } = options;
  let racesLost = 0;
  for (;;) {
    const run = await store.getRun(runId);
    if (!run) throw notFound('run', runId);
    if (TERMINAL_RUN_STATES.has(run.state)) throw runEnded(runId, run.state);
    const ownerDead = run.leaseId === leaseId || ownerIsDead({ host: run.ownerHost, pid: run.ownerPid });
    const sentAt = performance.now();
    try {
      const taken = await store.takeOver({
        runId,
        fromLeaseId: run.leaseId,
        expectedEpoch: run.epoch,
        leaseId,
        leaseMs: options.leaseMs,
        owner: currentOwner(),
        ownerDead,
        at: new Date().toISOString(),
      });
      return { run: taken, sentAt };
    } catch (err) {
      const error = OnexError.from(err);
      if (error.context.reason === 'lease_held') {
        if (options.wait === false) throw error;
        const expiresAt = String(error.context.leaseExpiresAt);
        const waitMs = Math.max(Date.parse(expiresAt) - Date.now(), 0) + EXPIRY_SLACK_MS;
        options.onWait?.({
          runId,
          heldBy: String(error.context.owner),
          ownerHost: String(error.context.ownerHost),
          ownerPid: Number(error.context.ownerPid),
          leaseExpiresAt: expiresAt,
          waitMs,
        });
        await sleep(waitMs, options.signal);
        continue;
      }
      // Someone else moved the run on between our read and our takeover: read it again and decide again.
      const movedOn =
        error.code === EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH ||
        error.code === EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT;
      if (movedOn && ++racesLost < MAX_RACES) continue;
      throw error;
    }
  }
}

/** What the scheduler needs from the run the store holds after a takeover. */
export function resumeStateOf(run: StoredRun): ResumeState {
  return {
    runEpoch: run.epoch,
    actions: new Map(
      run.actions.map((a) => [
        a.actionId,
        { state: a.state, result: a.result, epoch: a.epoch, attempt: a.attempt, error: a.error },
      ]),
    ),
  };
}

/**
 * The plan of a recorded run: from `input` when the caller gives it again (needed when steps use a
 * `conditionFunction`, which cannot be stored), else from the stored definition. Either must be the recorded run:
 * same operation id, same workflow hash; VALIDATION_ERROR otherwise.
 */
export function planOfRecordedRun(
  run: StoredRun,
  input?: ModelOrchestratorInputInput | ModelOrchestratorInput,
): ExecutionPlan {
  let model: ModelOrchestratorInput;
  try {
    model = createOrchestratorInput(input ?? (fromWire(run.definition) as ModelOrchestratorInputInput));
  } catch (err) {
    const error = OnexError.from(err, EnumCoreErrorCode.VALIDATION_ERROR);
    throw new OnexError(error.code, `run ${run.runId}: its recorded definition is not valid: ${error.message}`, {
      context: { runId: run.runId },
      cause: error,
    });
  }
  const plan = planWorkflow(model);
  if (plan.input.operationId !== run.runId || plan.workflowHash !== run.workflowHash) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `run ${run.runId}: the workflow given to resume is not the recorded one ` +
        `(operation id ${plan.input.operationId}, hash ${plan.workflowHash.slice(0, 12)}; recorded hash ${run.workflowHash.slice(0, 12)})`,
      { context: { runId: run.runId, operationId: plan.input.operationId } },
    );
  }
  return plan;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled(signal: AbortSignal): OnexError {
  return new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, 'resume cancelled while waiting for the lease', {
    cause: signal.reason,
  });
}
