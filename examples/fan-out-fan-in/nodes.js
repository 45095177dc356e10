// Fan-out/fan-in (tutorial "Common Patterns"): three independent fetch → summarise branches over three real
// vega-datasets files, merged by one REDUCE, then a report. Export names are the `target_node_type`s.
import { checkAborted, loadDataset } from '../shared/datasets.js';

/**
 * @typedef {{ inputs: unknown[], inputsById: Record<string, unknown>, signal: AbortSignal, attempt: number,
 *   idempotencyKey: string, logger: { info(obj: object, msg?: string): void }, workflowInput?: Record<string, unknown> }} Ctx
 * @typedef {{ dataset: string, record_count: number, measure: string, non_null: number,
 *   min: number | null, max: number | null, mean: number | null }} Summary
 */

/** EFFECT: one dataset's records; the same node serves all three fetch steps (so BATCH mode can group them). */
export const fetch_dataset = {
  /** @param {{ dataset: string }} op @param {Ctx} ctx */
  execute(op, ctx) {
    checkAborted(ctx.signal);
    if (!op?.dataset) throw new Error('operation_data.dataset is required');
    const records = loadDataset(op.dataset);
    ctx.logger.info({ dataset: op.dataset, records: records.length }, 'fetched dataset');
    return { dataset: op.dataset, records };
  },
};

/** COMPUTE: record count and min/max/mean of one numeric field (nulls and non-numbers are skipped, not zeroed). */
export const summarise_dataset = {
  /** @param {{ measure: string }} op @param {Ctx} ctx @returns {Summary} */
  compute(op, ctx) {
    const fetched = /** @type {{ dataset: string, records: Record<string, unknown>[] } | undefined} */ (
      ctx.inputs.find((r) => r !== null && typeof r === 'object' && 'records' in r)
    );
    if (!fetched) throw new Error('expected a fetch_dataset result among the inputs');
    let nonNull = 0;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < fetched.records.length; i++) {
      if (i % 1000 === 0) checkAborted(ctx.signal);
      const v = fetched.records[i]?.[op.measure];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      nonNull += 1;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return {
      dataset: fetched.dataset,
      record_count: fetched.records.length,
      measure: op.measure,
      non_null: nonNull,
      // Infinity is not JSON: an all-null column reports null statistics.
      min: nonNull ? min : null,
      max: nonNull ? max : null,
      mean: nonNull ? Math.round((sum / nonNull) * 1000) / 1000 : null,
    };
  },
};

/** REDUCE (fan-in): the summaries keyed by dataset name, plus totals. */
export const merge_summaries = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  reduce(_op, ctx) {
    const summaries = /** @type {Summary[]} */ (
      ctx.inputs.filter((r) => r !== null && typeof r === 'object' && 'record_count' in r)
    );
    /** @type {Record<string, Summary>} */
    const datasets = {};
    for (const s of summaries) datasets[s.dataset] = s;
    return {
      dataset_count: summaries.length,
      total_records: summaries.reduce((n, s) => n + s.record_count, 0),
      datasets,
    };
  },
};

/**
 * Plain-function node: one human-readable line per dataset, largest first.
 * @param {Record<string, unknown>} _op
 * @param {Ctx} ctx
 */
export async function fan_in_report(_op, ctx) {
  const merged = /** @type {{ dataset_count: number, total_records: number, datasets: Record<string, Summary> }} */ (
    ctx.inputs.find((r) => r !== null && typeof r === 'object' && 'datasets' in r)
  );
  if (!merged) throw new Error('expected the merge result among the inputs');
  const ordered = Object.values(merged.datasets).sort((a, b) => b.record_count - a.record_count);
  return {
    dataset_count: merged.dataset_count,
    total_records: merged.total_records,
    largest_dataset: ordered[0]?.dataset ?? null,
    lines: ordered.map(
      (s) =>
        `${s.dataset}: ${s.record_count} records, ${s.measure} mean ${s.mean} (min ${s.min}, max ${s.max}, n=${s.non_null})`,
    ),
  };
}
