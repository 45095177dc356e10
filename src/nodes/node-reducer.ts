/**
 * `NodeReducer`: aggregation. `reduce(inputs, ctx)` folds the results of the actions it depends on. The default
 * implementation reads its operation data (spec §6):
 * - `{ operation: 'merge' }`: concatenate arrays / merge objects;
 * - `{ group_by, aggregations: [{ op, field, as }], order_by }`: sum/count/avg/min/max per group;
 * - `{ aggregation_type: 'sum', group_by, field }`: the tutorial's one-aggregation form (field defaults to `value`).
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { NodeContext } from './context.js';
import { NodeCoreBase } from './node-core-base.js';
import { type AggregateSpec, type Aggregation, aggregate, merge, type ReductionOp } from './reductions.js';

/** An aggregation node. Override `reduce`, or configure the built-in reductions through operation data. */
export class NodeReducer<TOutput = unknown> extends NodeCoreBase {
  /** Fold `inputs` (the dependency results; arrays are flattened into one list of items for aggregations). */
  reduce(inputs: readonly unknown[], ctx: NodeContext): TOutput | Promise<TOutput> {
    return reduceByOperationData(inputs, ctx.operationData) as TOutput;
  }

  /** Run `reduce` and record metrics (used by the orchestrator). */
  run(_input: unknown, ctx: NodeContext): Promise<TOutput> {
    return this.measured(() => this.reduce(ctx.inputs, ctx));
  }

  /** The built-in grouped aggregation (sum/count/avg/min/max). */
  static aggregate(items: readonly unknown[], spec: AggregateSpec): Record<string, unknown>[] {
    return aggregate(items, spec);
  }

  /** The built-in merge (arrays concatenated, objects merged, later wins). */
  static merge(results: readonly unknown[]): unknown {
    return merge(results);
  }
}

/** Apply the reduction described by `operationData` (see the module doc) to `inputs`. */
export function reduceByOperationData(inputs: readonly unknown[], data: Readonly<Record<string, unknown>>): unknown {
  if (data.operation === 'merge') return merge(inputs);
  const items = inputs.flatMap((r) => (Array.isArray(r) ? r : [r]));
  const groupBy = typeof data.group_by === 'string' ? data.group_by : undefined;
  const orderBy = typeof data.order_by === 'string' ? data.order_by : undefined;
  if (Array.isArray(data.aggregations)) {
    return aggregate(items, { groupBy, orderBy, aggregations: data.aggregations as Aggregation[] });
  }
  if (typeof data.aggregation_type === 'string') {
    const op = data.aggregation_type as ReductionOp;
    const field = typeof data.field === 'string' ? data.field : 'value';
    return aggregate(items, { groupBy, orderBy, aggregations: [{ op, field, as: op }] });
  }
  throw new OnexError(
    EnumCoreErrorCode.VALIDATION_ERROR,
    "reducer operation data needs 'operation: merge', 'aggregations' or 'aggregation_type'",
    { context: { keys: Object.keys(data) } },
  );
}
