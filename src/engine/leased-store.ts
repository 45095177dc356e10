/**
 * The store as one run sees it: `beginRun` also records the lease length, the owning process and where the run came
 * from (the scheduler does not know about those), and starts the lease keeper once the run exists; claims (RUNNING)
 * are refused while the lease is not surely held. Every other call goes straight to the real store.
 * @module
 */
import type { OnexError } from '../errors/onex-error.js';
import { EnumStepState } from '../models/enums.js';
import {
  ACTION_WRITER,
  type ActionWriter,
  actionWriterOf,
  type RunOwner,
  type RunSource,
  type RunStart,
  type RunTransition,
  type Store,
} from '../store/store.js';

/** What the orchestrator adds to `beginRun`. */
export interface RunExtras {
  readonly leaseMs: number;
  readonly owner: RunOwner;
  readonly source: RunSource | null;
  /** Called once the run is recorded, with the `performance.now()` at which it was sent (start renewing its lease). */
  readonly onBegun: (sentAt: number) => void;
  /** Told of each run transition the scheduler attempts (its final output, even when the store refuses it). */
  readonly onRunTransition?: (t: RunTransition) => void;
  /**
   * Checked before each claim (RUNNING): an error refuses the claim, so the node is not called. `nowMs`, when given,
   * is the writer's `performance.now()` reading of this synchronous turn.
   */
  readonly claimGuard?: (nowMs?: number) => OnexError | null;
  /**
   * Checked before every other write: once the lease is known lost, nothing more is written, so the run stays as
   * its last confirmed owner left it — resumable — instead of being recorded CANCELLED by an owner that stopped.
   */
  readonly writeGuard?: () => OnexError | null;
}

/** Wrap `store` for one run. */
export function leasedStore(store: Store, extras: RunExtras): Store {
  // Every action write passes the same guards. A claim precedes the node call: refusing it synchronously is what keeps
  // a fenced-off owner from running the node (the scheduler makes its claims where it catches synchronous errors).
  // Any other refusal or error becomes a rejected promise: the scheduler also writes from its cancel path, where a
  // synchronous throw would escape as an uncaught exception.
  const { claimGuard, writeGuard } = extras;
  const refusal = (state: EnumStepState, nowMs?: number): OnexError | null =>
    (state === EnumStepState.RUNNING ? claimGuard?.(nowMs) : writeGuard?.()) ?? null;
  const failed = (state: EnumStepState, err: unknown): Promise<never> => {
    if (state === EnumStepState.RUNNING) throw err;
    return Promise.reject(err);
  };
  const wrapped: Store & { [ACTION_WRITER](runId: string, leaseId: string): ActionWriter | undefined } = {
    kind: store.kind,
    // The store's own writer, when it has one, behind the same guards as `transitionAction`.
    [ACTION_WRITER]: (runId, leaseId) => {
      const inner = actionWriterOf(store, runId, leaseId);
      if (!inner) return undefined;
      return {
        write: (index, actionId, expectedEpoch, state, attempt, at, result, error, nowMs) => {
          try {
            const refused = refusal(state, nowMs);
            if (refused) throw refused;
            return inner.write(index, actionId, expectedEpoch, state, attempt, at, result, error, nowMs);
          } catch (err) {
            return failed(state, err);
          }
        },
      };
    },
    async beginRun(run: RunStart) {
      const sentAt = performance.now();
      await store.beginRun({ ...run, leaseMs: extras.leaseMs, owner: extras.owner, source: extras.source });
      extras.onBegun(sentAt);
    },
    transitionAction: (t) => {
      try {
        const refused = refusal(t.state);
        if (refused) throw refused;
        return store.transitionAction(t);
      } catch (err) {
        return failed(t.state, err);
      }
    },
    transitionRun: (t) => {
      extras.onRunTransition?.(t);
      const refused = extras.writeGuard?.();
      if (refused) return Promise.reject(refused);
      return store.transitionRun(t);
    },
    renewLease: (r) => store.renewLease(r),
    takeOver: (t) => store.takeOver(t),
    requestCancel: (id) => store.requestCancel(id),
    getRun: (id) => store.getRun(id),
    listRuns: (limit) => store.listRuns(limit),
    // The run never closes the orchestrator's store.
    close: async () => {},
  };
  return wrapped;
}
