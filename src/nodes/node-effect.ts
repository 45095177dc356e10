/**
 * `NodeEffect`: I/O. Implement `execute`; optionally `processBatch` (one call for a whole batch, e.g. one multi-row
 * write) and `compensate` (undo a completed effect, run by the saga on failure) (spec §6).
 * @module
 */
import type { BatchItem, NodeContext } from './context.js';
import { NodeCoreBase } from './node-core-base.js';

/** A side-effecting node: implement `execute`. Use `ctx.idempotencyKey` to make the effect idempotent. */
export abstract class NodeEffect<TInput = Record<string, unknown>, TOutput = unknown> extends NodeCoreBase {
  /** Perform the effect for one action. */
  abstract execute(input: TInput, ctx: NodeContext): TOutput | Promise<TOutput>;

  /** Perform the effect for a batch of actions; return one result per item, in order. Optional. */
  processBatch?(items: readonly BatchItem[], ctx: NodeContext): readonly TOutput[] | Promise<readonly TOutput[]>;

  /** Undo a completed effect. Optional. */
  compensate?(input: TInput, result: TOutput, ctx: NodeContext): unknown | Promise<unknown>;

  /** Run `execute` and record metrics (used by the orchestrator). */
  run(input: TInput, ctx: NodeContext): Promise<TOutput> {
    return this.measured(() => this.execute(input, ctx));
  }

  /** Run `processBatch` and record metrics (used by the orchestrator). */
  runBatch(items: readonly BatchItem[], ctx: NodeContext): Promise<readonly TOutput[]> {
    const batch = this.processBatch;
    if (!batch) return Promise.all(items.map((item) => this.run(item.operationData as TInput, item.ctx)));
    return this.measured(() => batch.call(this, items, ctx));
  }
}
