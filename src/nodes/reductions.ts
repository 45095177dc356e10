/**
 * Built-in reductions of `NodeReducer`: sum, count, avg, min, max grouped by a key, and merge.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { getPath } from '../models/json.js';

/** The reductions `aggregate` knows. */
export const REDUCTION_OPS = ['sum', 'count', 'avg', 'min', 'max'] as const;
export type ReductionOp = (typeof REDUCTION_OPS)[number];

/** One aggregate column: `op` over `field` (a dotted path; not needed for count), named `as`. */
export interface Aggregation {
  op: ReductionOp;
  field?: string;
  as?: string;
}

/** What to aggregate: group rows by `groupBy` (a dotted path; omit for one global group). */
export interface AggregateSpec {
  groupBy?: string;
  aggregations: readonly Aggregation[];
  /** Sort the rows by this output column, descending (largest first). @default first-seen group order */
  orderBy?: string;
}

/**
 * Group `items` by `spec.groupBy` and compute each aggregation per group. Rows come back as
 * `{ [groupBy]: key, [as]: value, … }`. Items whose field is not a finite number are left out of sum/avg/min/max
 * (they still count). Throws VALIDATION_ERROR for an unknown op.
 */
export function aggregate(items: readonly unknown[], spec: AggregateSpec): Record<string, unknown>[] {
  for (const a of spec.aggregations) {
    if (!(REDUCTION_OPS as readonly string[]).includes(a.op)) {
      throw new OnexError(
        EnumCoreErrorCode.VALIDATION_ERROR,
        `unknown reduction '${a.op}' (expected ${REDUCTION_OPS.join(', ')})`,
        {
          context: { op: a.op },
        },
      );
    }
  }
  const groups = new Map<unknown, { n: number[]; sum: number[]; min: number[]; max: number[]; count: number }>();
  for (const item of items) {
    const key = spec.groupBy ? (getPath(item, spec.groupBy) ?? null) : null;
    let g = groups.get(key);
    if (!g) {
      const k = spec.aggregations.length;
      g = {
        n: new Array(k).fill(0),
        sum: new Array(k).fill(0),
        min: new Array(k).fill(Infinity),
        max: new Array(k).fill(-Infinity),
        count: 0,
      };
      groups.set(key, g);
    }
    g.count++;
    spec.aggregations.forEach((a, i) => {
      if (a.op === 'count' || !a.field) return;
      const v = getPath(item, a.field);
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      g.n[i]!++;
      g.sum[i]! += v;
      if (v < g.min[i]!) g.min[i] = v;
      if (v > g.max[i]!) g.max[i] = v;
    });
  }
  const rows = [...groups].map(([key, g]) => {
    const row: Record<string, unknown> = spec.groupBy ? { [spec.groupBy]: key } : {};
    spec.aggregations.forEach((a, i) => {
      const name = a.as ?? (a.field ? `${a.op}_${a.field}` : a.op);
      row[name] = columnValue(a.op, g, i);
    });
    return row;
  });
  if (spec.orderBy) {
    const by = spec.orderBy;
    rows.sort((x, y) => Number(y[by] ?? -Infinity) - Number(x[by] ?? -Infinity));
  }
  return rows;
}

function columnValue(
  op: ReductionOp,
  g: { n: number[]; sum: number[]; min: number[]; max: number[]; count: number },
  i: number,
) {
  switch (op) {
    case 'count':
      return g.count;
    case 'sum':
      return g.sum[i]!;
    case 'avg':
      return g.n[i]! === 0 ? null : g.sum[i]! / g.n[i]!;
    case 'min':
      return g.n[i]! === 0 ? null : g.min[i]!;
    case 'max':
      return g.n[i]! === 0 ? null : g.max[i]!;
  }
}

/** Merge results: arrays are concatenated, objects shallow-merged (later wins); mixing the two is an error. */
export function merge(results: readonly unknown[]): unknown {
  const present = results.filter((r) => r !== undefined && r !== null);
  if (present.every(Array.isArray)) return present.flat();
  if (present.every((r) => typeof r === 'object' && !Array.isArray(r))) return Object.assign({}, ...present);
  throw new OnexError(EnumCoreErrorCode.TYPE_MISMATCH, 'merge: results mix arrays, objects and scalars', {
    context: { types: present.map((r) => (Array.isArray(r) ? 'array' : typeof r)) },
  });
}
