/**
 * Groups the writes made during one event-loop turn into one transaction (hot-path batching). Each write still is
 * its own compare-and-set with its own outcome: the batch only shares the transaction (one commit, one round trip
 * where the store can), never the decision. Writes are applied in the order they were made, one batch at a time, so
 * a write at epoch e+1 always follows the write that produced epoch e.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** The outcome of one write of a batch: its new epoch, or why it was refused. */
export type WriteOutcome =
  | { readonly ok: true; readonly epoch: number }
  | { readonly ok: false; readonly error: Error };

/**
 * Applies a batch atomically and returns one outcome per write, in order. Throwing means the whole transaction
 * failed (nothing was written): every write of the batch is rejected with that error.
 */
export type ApplyBatch<W> = (writes: readonly W[]) => readonly WriteOutcome[] | Promise<readonly WriteOutcome[]>;

interface Pending<W> {
  readonly write: W;
  readonly resolve: (epoch: number) => void;
  readonly reject: (error: Error) => void;
}

/** A FIFO of writes flushed at the end of the current event-loop turn (`setImmediate`). */
export class WriteBatcher<W> {
  private queue: Pending<W>[] = [];
  private scheduled = false;
  private draining: Promise<void> | null = null;

  /** @param apply applies one batch in one transaction. @param describe names the store in transaction errors. */
  constructor(
    private readonly apply: ApplyBatch<W>,
    private readonly describe: string,
  ) {}

  /** Queue a write; resolves with its new epoch once its batch committed. */
  push(write: W): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  /**
   * Apply everything queued plus `write` now, synchronously, in one transaction (stores whose `apply` is synchronous
   * only). Returns the outcome of `write`; the queued writes are settled as usual. Used where the caller must know
   * the outcome before it goes on — claiming an action before its node runs.
   */
  applyNow(write: W): WriteOutcome {
    const batch = this.queue;
    this.queue = [];
    let outcomes: readonly WriteOutcome[];
    try {
      const applied = this.apply([...batch.map((p) => p.write), write]);
      if (!Array.isArray(applied)) throw new Error('applyNow needs a synchronous apply');
      outcomes = applied as readonly WriteOutcome[];
    } catch (err) {
      const error = transactionError(err, this.describe, batch.length + 1);
      for (const p of batch) p.reject(error);
      return { ok: false, error };
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) p.resolve(outcome.epoch);
      else p.reject(outcome?.error ?? new Error('write batch returned no outcome'));
    });
    return outcomes[batch.length] ?? { ok: false, error: new Error('write batch returned no outcome') };
  }

  /** Writes queued and not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Apply everything queued so far (and wait for a batch already being applied). */
  async flush(): Promise<void> {
    while (this.draining || this.queue.length > 0) await this.drain();
  }

  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      let outcomes: readonly WriteOutcome[];
      try {
        outcomes = await this.apply(batch.map((p) => p.write));
      } catch (err) {
        const error = transactionError(err, this.describe, batch.length);
        for (const p of batch) p.reject(error);
        continue;
      }
      batch.forEach((p, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) p.resolve(outcome.epoch);
        else p.reject(outcome?.error ?? new Error('write batch returned no outcome'));
      });
    }
  }
}

/** A failed transaction as a typed error (a fencing or validation error passes through unchanged). */
function transactionError(err: unknown, store: string, size: number): OnexError {
  if (err instanceof OnexError) return err;
  return new OnexError(
    EnumCoreErrorCode.SERVICE_UNAVAILABLE,
    `${store}: could not record ${size} write(s), nothing was written: ${(err as Error)?.message ?? String(err)}`,
    { context: { store, writes: size }, cause: err },
  );
}
