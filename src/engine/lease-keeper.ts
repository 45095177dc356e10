/**
 * Keeps one run's lease alive while this orchestrator runs it: renews it every `renewMs`, and learns from each
 * renewal whether someone asked the run to stop (`onex cancel` in another process). When the lease is lost (another
 * orchestrator took the run over, or no renewal got through before the lease ran out) the owner must stop at once:
 * its writes would be rejected anyway, and its nodes should not keep doing work nobody will record.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { Store } from '../store/store.js';

/** Options of a `LeaseKeeper`. */
export interface LeaseKeeperOptions {
  readonly store: Store;
  readonly runId: string;
  readonly leaseId: string;
  /** Lease length granted by each renewal. */
  readonly leaseMs: number;
  /** Time between renewals (well under `leaseMs`, so one missed renewal does not lose the lease). */
  readonly renewMs: number;
  /** Someone requested cancellation: abort the run. */
  readonly onCancelRequested: () => void;
  /** The lease is lost (taken over, or expired without renewal): abort the run. */
  readonly onLost: (error: OnexError) => void;
}

/** Codes that prove the lease is gone (as opposed to a store that is briefly unreachable). */
const LOST_CODES = new Set<string>([
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
  EnumCoreErrorCode.NOT_FOUND,
]);

/**
 * Renews a run's lease on a timer until stopped, and knows, by its own monotonic clock, until when the lease is
 * surely still held: `leaseMs` after the last renewal that succeeded was *sent* (the store's expiry can only be
 * later). Past that moment the owner must assume it lost the run — it may have been paused (SIGSTOP, a VM freeze) or
 * blocked while another orchestrator took over — and must not start any more work.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private validUntil: number;
  private lostError: OnexError | null = null;
  private cancelSeen = false;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.validUntil = performance.now() + options.leaseMs;
  }

  /** The store granted the lease by a request sent at `sentAt` (`performance.now()`): it holds until `sentAt + leaseMs`. */
  granted(sentAt: number): void {
    this.validUntil = sentAt + this.options.leaseMs;
  }

  /** Why the lease was lost, once it was. */
  get lost(): OnexError | null {
    return this.lostError;
  }

  /**
   * Null while the lease is surely held; else the error to stop with (the lease lost, or not renewed in time). The
   * scheduler's claims check it synchronously, so a paused owner that wakes up starts nothing. `nowMs`: a
   * `performance.now()` reading taken in the caller's current synchronous turn (the scheduler reads the clock once
   * per turn, when it resumes — after a pause, that reading is already late).
   */
  check(nowMs = performance.now()): OnexError | null {
    if (this.lostError) return this.lostError;
    const late = nowMs - this.validUntil;
    if (late < 0) return null;
    const { runId, leaseId, leaseMs } = this.options;
    return new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED,
      `run ${runId}: lease ${leaseId} was not renewed within ${leaseMs} ms (this process was paused or blocked ` +
        `${Math.round(late + leaseMs)} ms); another orchestrator may own the run now`,
      { context: { runId, leaseId, leaseMs } },
    );
  }

  /**
   * `check()` for a claim: when the lease may have run out, it is lost from now on (no write of this run may reach
   * the store any more) and `onLost` follows right after the caller's synchronous code.
   */
  claim(nowMs?: number): OnexError | null {
    const error = this.check(nowMs);
    if (error && !this.lostError) {
      this.lostError = error;
      this.stop();
      queueMicrotask(() => this.options.onLost(error));
    }
    return error;
  }

  /** Start renewing (the first renewal after `renewMs`). */
  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** Stop renewing; the lease then simply runs out (or the run already ended). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Renew now. Resolves when done; never rejects (failures are reported through the callbacks). */
  async renew(): Promise<void> {
    const { store, runId, leaseId, leaseMs } = this.options;
    const sent = performance.now();
    try {
      const status = await store.renewLease({ runId, leaseId, leaseMs });
      if (this.stopped) return;
      this.validUntil = Math.max(this.validUntil, sent + leaseMs);
      if (status.cancelRequested && !this.cancelSeen) {
        this.cancelSeen = true;
        this.options.onCancelRequested();
      }
    } catch (err) {
      if (this.stopped) return;
      const error = OnexError.from(err);
      if (LOST_CODES.has(error.code)) return this.lose(error);
      // The store is unreachable: keep trying while the lease lasts; past its expiry nobody can say we still own it.
      if (performance.now() >= this.validUntil) {
        this.lose(
          new OnexError(
            EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED,
            `run ${runId}: lease ${leaseId} expired, it could not be renewed (${error.message})`,
            { context: { runId, leaseId }, cause: error },
          ),
        );
      }
    }
  }

  private schedule(): void {
    this.timer = setTimeout(async () => {
      this.timer = undefined;
      // Woken up past the lease (paused, or the event loop was blocked): stop at once, before other timers run.
      const expired = this.check();
      if (expired) return this.lose(expired);
      await this.renew();
      if (!this.stopped && !this.lostError) this.schedule();
    }, this.options.renewMs);
    // The run keeps the process alive while it runs; the renewal timer alone must not.
    this.timer.unref();
  }

  private lose(error: OnexError): void {
    if (this.lostError) return;
    this.lostError = error;
    this.stop();
    this.options.onLost(error);
  }
}
