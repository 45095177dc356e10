/**
 * One attempt at a node call, bounded by a timeout. The attempt settles at the deadline (or on `cancel`) even when
 * the node ignores its signal: the orchestrator moves on (spec §4 "Timeouts").
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** The TIMEOUT of a node call (`what` names it) that outlived its `timeoutMs`. */
export function timeoutError(what: string, timeoutMs: number): OnexError {
  return new OnexError(EnumCoreErrorCode.TIMEOUT, `${what} timed out after ${timeoutMs} ms`, {
    context: { timeoutMs },
  });
}

/**
 * A running call with its own deadline and abort signal. The `AbortController` is made only if the node reads
 * `signal` (most no-op or CPU-bound nodes never do): a controller per call is a measurable share of a short step.
 */
export class Attempt<T = unknown> {
  readonly promise: Promise<T>;
  private controller: AbortController | undefined;
  private abortReason: OnexError | undefined;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private rejectFn!: (reason: unknown) => void;

  /** Start `call` now; reject with TIMEOUT after `timeoutMs`. `what` names the call in the timeout message. */
  constructor(call: (attempt: Attempt<T>) => T | PromiseLike<T>, timeoutMs: number, what: string) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.rejectFn = reject;
      this.timer = setTimeout(() => {
        this.cancel(timeoutError(what, timeoutMs));
      }, timeoutMs);
      let value: T | PromiseLike<T>;
      try {
        value = call(this);
      } catch (err) {
        this.finish();
        reject(err);
        return;
      }
      if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function') {
        (value as PromiseLike<T>).then(
          (v) => {
            if (this.finish()) resolve(v);
          },
          (e: unknown) => {
            if (this.finish()) reject(e);
          },
        );
      } else if (this.finish()) {
        resolve(value as T);
      }
    });
  }

  /** The node's abort signal: aborted (with the reason) on timeout or cancel. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Whether the attempt has settled (resolved, rejected, timed out or cancelled). */
  get done(): boolean {
    return this.settled;
  }

  /** Settle now with `reason` and abort the node's signal. No effect once settled. */
  cancel(reason: OnexError): void {
    if (!this.finish()) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.rejectFn(reason);
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}

/** A cancellable sleep (retry backoff). Resolves true when it slept, false when cancelled. */
export class Sleep {
  readonly promise: Promise<boolean>;
  private timer: NodeJS.Timeout | undefined;
  private resolveFn!: (slept: boolean) => void;

  constructor(ms: number) {
    this.promise = new Promise((resolve) => {
      this.resolveFn = resolve;
      this.timer = setTimeout(() => resolve(true), ms);
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.resolveFn(false);
  }
}
