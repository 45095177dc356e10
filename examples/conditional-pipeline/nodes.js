// Nodes of the conditional pipeline: load a subset of movies → assess quality → fast_track (quality ≥ 0.9) or
// full_clean (quality < 0.9) → report. Each export name is the `target_node_type` used in workflow.yaml.
import {
  assessMovies,
  checkAborted,
  cleanMovie,
  isMovieFieldValid,
  loadDataset,
  MOVIE_REQUIRED_FIELDS,
  normaliseTitle,
} from '../shared/datasets.js';

/**
 * @typedef {{ inputs: unknown[], inputsById: Record<string, unknown>, signal: AbortSignal, attempt: number,
 *   idempotencyKey: string, logger: { info(obj: object, msg?: string): void }, workflowInput?: Record<string, unknown> }} Ctx
 * @typedef {{ subset: string, limit: number, records: Record<string, unknown>[] }} Subset
 */

/**
 * The dependency result that has key `key`. Inputs are matched by shape, not position, because a skipped
 * dependency is simply absent from `ctx.inputs`.
 * @param {Ctx} ctx
 * @param {string} key
 */
function inputWith(ctx, key) {
  return /** @type {Record<string, any> | undefined} */ (
    ctx.inputs.find((r) => r !== null && typeof r === 'object' && !Array.isArray(r) && key in r)
  );
}

/** @param {Ctx} ctx */
function subsetInput(ctx) {
  const found = inputWith(ctx, 'records');
  if (!found) throw new Error('expected the result of the load step among the inputs');
  return /** @type {Subset} */ (found);
}

/**
 * EFFECT: `clean` = the first `limit` records whose required fields are all valid; `dirty` = the first `limit`
 * raw records. Settings come from operation_data, else the workflow input (`--input-file`).
 */
export const load_movie_subset = {
  /** @param {{ subset?: string, limit?: number }} op @param {Ctx} ctx @returns {Subset} */
  execute(op, ctx) {
    const subset = String(op?.subset ?? ctx.workflowInput?.subset ?? 'dirty');
    const limit = Number(op?.limit ?? ctx.workflowInput?.limit ?? 500);
    if (subset !== 'clean' && subset !== 'dirty') throw new Error(`subset must be "clean" or "dirty", got "${subset}"`);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
    const movies = loadDataset('movies');
    const pool =
      subset === 'clean' ? movies.filter((m) => MOVIE_REQUIRED_FIELDS.every((f) => isMovieFieldValid(m, f))) : movies;
    const records = pool.slice(0, limit);
    ctx.logger.info({ subset, records: records.length }, 'loaded movie subset');
    return { subset, limit, records };
  },
};

/** COMPUTE: `{ subset, total, valid, invalid, quality_score, missing_by_field }` of the loaded subset. */
export const assess_quality = {
  /** @param {{ required_fields?: string[] }} op @param {Ctx} ctx */
  compute(op, ctx) {
    const { subset, records } = subsetInput(ctx);
    return { subset, ...assessMovies(records, op?.required_fields ?? MOVIE_REQUIRED_FIELDS) };
  },
};

/** COMPUTE, high-quality branch: light normalisation only (titles tidied, nothing dropped). */
export const fast_track_normalise = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  compute(_op, ctx) {
    const { records } = subsetInput(ctx);
    const rows = records.map((r) => ({ ...r, Title: normaliseTitle(r.Title) }));
    return { branch: 'fast_track', rows_in: records.length, rows_out: rows.length, dropped: 0, records: rows };
  },
};

/** COMPUTE, low-quality branch: the full cleaning of the movie pipeline (snake_case, ISO dates, unusable rows dropped). */
export const full_clean = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  compute(_op, ctx) {
    const { records } = subsetInput(ctx);
    const rows = [];
    for (let i = 0; i < records.length; i++) {
      if (i % 500 === 0) checkAborted(ctx.signal);
      const row = cleanMovie(/** @type {Record<string, unknown>} */ (records[i]));
      if (row) rows.push(row);
    }
    return {
      branch: 'full_clean',
      rows_in: records.length,
      rows_out: rows.length,
      dropped: records.length - rows.length,
      records: rows,
    };
  },
};

/** COMPUTE: which branch ran and what it did. Its dependencies include both branches; only the one that ran is an input. */
export const report_branches = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  compute(_op, ctx) {
    const quality = inputWith(ctx, 'quality_score');
    const branches = ctx.inputs.filter((r) => r !== null && typeof r === 'object' && 'branch' in r);
    const ran = /** @type {Record<string, any> | undefined} */ (branches[0]);
    return {
      subset: quality?.subset ?? null,
      quality_score: quality?.quality_score ?? null,
      branch_taken: ran?.branch ?? null,
      branches_run: branches.length,
      rows_in: ran?.rows_in ?? null,
      rows_out: ran?.rows_out ?? null,
      dropped: ran?.dropped ?? null,
    };
  },
};
