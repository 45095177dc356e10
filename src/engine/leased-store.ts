/**
 * The store as one run sees it: `beginRun` also records the lease length, the owning process and where the run came
 * from (the scheduler does not know about those), and starts the lease keeper once the run exists; claims (RUNNING)
 * are refused while the lease is not surely held. Every other call goes straight to the real store.
 * @module
 */
import { type LeaseGuard, leaseRefusal, writeFailed } from '../store/fencing.js';
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
  /** The run's lease (its `LeaseKeeper`): every action write and the run's own transitions pass it. */
  readonly guard?: LeaseGuard;
}

/** Wrap `store` for one run. */
export function leasedStore(store: Store, extras: RunExtras): Store {
  const { guard } = extras;
  const wrapped: Store & { [ACTION_WRITER](runId: string, leaseId: string): ActionWriter | undefined } = {
    kind: store.kind,
    // The store's own writer, when it has one, handed the same guard as `transitionAction` passes: one layer, not a
    // wrapper around every write (bench/PROFILE.md, fourth pass).
    [ACTION_WRITER]: (runId, leaseId) => actionWriterOf(store, runId, leaseId, guard),
    async beginRun(run: RunStart) {
      const sentAt = performance.now();
      await store.beginRun({ ...run, leaseMs: extras.leaseMs, owner: extras.owner, source: extras.source });
      extras.onBegun(sentAt);
    },
    transitionAction: (t) => {
      try {
        const refused = leaseRefusal(guard, t.state);
        if (refused) throw refused;
        return store.transitionAction(t);
      } catch (err) {
        return writeFailed(t.state, err);
      }
    },
    transitionRun: (t) => {
      extras.onRunTransition?.(t);
      const refused = guard?.lost;
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
