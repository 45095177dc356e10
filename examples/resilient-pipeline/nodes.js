// Nodes of the resilient pipeline: a data source that fails intermittently (seeded, reproducible) with
// RESOURCE_UNAVAILABLE, a per-dataset summary, and a merge. Each export name is a `target_node_type` of workflow.yaml.
import { checkAborted, loadDataset } from '../shared/datasets.js';
import { injectedFailure } from './faults.js';

const RESOURCE_UNAVAILABLE = 'ONEX_CORE_083_RESOURCE_UNAVAILABLE';

/**
 * @typedef {{ inputs: unknown[], signal: AbortSignal, attempt: number, logger: { info(o: object, m?: string): void },
 *   workflowInput?: Record<string, unknown> }} Ctx
 * @typedef {{ dataset: string, field: string, records: number, non_null: number, min: number | null,
 *   max: number | null, mean: number | null }} Summary
 */

/**
 * An error the engine retries (and the circuit breaker counts): onex reads the code of a plain Error.
 * @param {string} message
 */
function unavailable(message) {
  return Object.assign(new Error(message), { code: RESOURCE_UNAVAILABLE });
}

/** @param {Ctx} ctx */
function settings(ctx) {
  const input = ctx.workflowInput ?? {};
  const rate = Number(input.failure_rate ?? 0);
  const down = Array.isArray(input.unavailable) ? input.unavailable.map(String) : [];
  return { seed: input.seed ?? 0, rate: Number.isFinite(rate) ? rate : 0, down };
}

/**
 * EFFECT: reads one vega-datasets file, like a remote source would serve it. A dataset listed in
 * `input_data.unavailable` is down for the whole run; any other call fails when the seeded PRNG says so
 * (`input_data.seed`, `input_data.failure_rate`), as a function of (seed, dataset, attempt) only.
 */
export const flaky_source = {
  /** @param {{ dataset: string }} op @param {Ctx} ctx */
  execute(op, ctx) {
    checkAborted(ctx.signal);
    const { seed, rate, down } = settings(ctx);
    if (down.includes(op.dataset)) throw unavailable(`source '${op.dataset}' is unavailable`);
    if (injectedFailure({ seed, dataset: op.dataset, attempt: ctx.attempt, rate })) {
      throw unavailable(`source '${op.dataset}' is temporarily unavailable (attempt ${ctx.attempt})`);
    }
    const records = loadDataset(op.dataset);
    ctx.logger.info({ dataset: op.dataset, records: records.length, attempt: ctx.attempt }, 'fetched');
    return { dataset: op.dataset, attempt: ctx.attempt, records };
  },
};

/** Three decimals: summaries are for people to read, and exact equality in tests needs a fixed rounding. */
const round3 = (/** @type {number} */ x) => Math.round(x * 1000) / 1000;

/** COMPUTE: count, non-null count, min, max and mean of one numeric field of the fetched records. */
export const summarise_source = {
  /** @param {{ field: string }} op @param {Ctx} ctx @returns {Summary} */
  compute(op, ctx) {
    const fetched = /** @type {{ dataset: string, records: Record<string, unknown>[] }} */ (ctx.inputs[0]);
    if (!fetched || !Array.isArray(fetched.records)) throw new Error('expected the fetched records as input');
    const values = fetched.records
      .map((r) => r[op.field])
      .filter((v) => typeof v === 'number' && Number.isFinite(v))
      .map(Number);
    const sum = values.reduce((a, b) => a + b, 0);
    return {
      dataset: fetched.dataset,
      field: op.field,
      records: fetched.records.length,
      non_null: values.length,
      min: values.length ? Math.min(...values) : null,
      max: values.length ? Math.max(...values) : null,
      mean: values.length ? round3(sum / values.length) : null,
    };
  },
};

/** REDUCE: the summaries by dataset, plus the record total. */
export const merge_summaries = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  reduce(_op, ctx) {
    const summaries = /** @type {Summary[]} */ (ctx.inputs.filter((v) => v && typeof v === 'object'));
    return {
      datasets: Object.fromEntries(summaries.map((s) => [s.dataset, s])),
      total_records: summaries.reduce((n, s) => n + s.records, 0),
    };
  },
};
