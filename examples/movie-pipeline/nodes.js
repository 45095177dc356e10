// Nodes of the five-step movie pipeline (spec §9): validate → fetch → process → aggregate → save.
// Each export name is the `target_node_type` used in workflow.yaml.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { assessMovies, checkAborted, cleanMovie, loadDataset, MOVIE_REQUIRED_FIELDS } from '../shared/datasets.js';

/**
 * @typedef {{ inputs: unknown[], inputsById: Record<string, unknown>, signal: AbortSignal, attempt: number,
 *   idempotencyKey: string, logger: { info(obj: object, msg?: string): void }, workflowInput?: Record<string, unknown> }} Ctx
 * @typedef {{ major_genre: string, total_worldwide_gross: number, movie_count: number }} GenreRow
 */

const TABLE = 'genre_gross';
const DEFAULT_DB_PATH = '.onex/movie-pipeline.db';

/** Dataset name: the action's operation_data wins over the workflow input. @param {Record<string, unknown>} op @param {Ctx} ctx */
function datasetName(op, ctx) {
  return String(op?.dataset ?? ctx.workflowInput?.dataset ?? 'movies');
}

/** The first array among the dependency results (the step before us produced it). @param {Ctx} ctx */
function arrayInput(ctx) {
  const found = ctx.inputs.find(Array.isArray);
  if (!found) throw new Error('expected an array result from a dependency step');
  return /** @type {any[]} */ (found);
}

/** COMPUTE: checks the required fields of every record; returns counts and quality_score = valid / total. */
export const validate_movies = {
  /** @param {{ dataset?: string, required_fields?: string[] }} op @param {Ctx} ctx */
  compute(op, ctx) {
    const records = loadDataset(datasetName(op, ctx));
    const result = assessMovies(records, op?.required_fields ?? MOVIE_REQUIRED_FIELDS);
    ctx.logger.info({ total: result.total, quality_score: result.quality_score }, 'validated movies');
    return result;
  },
};

/** EFFECT: reads the records from node_modules/vega-datasets (RESOURCE_UNAVAILABLE if missing); returns the array. */
export const fetch_movies = {
  /** @param {{ dataset?: string, limit?: number }} op @param {Ctx} ctx */
  execute(op, ctx) {
    checkAborted(ctx.signal);
    const records = loadDataset(datasetName(op, ctx));
    const out = op?.limit === undefined ? records : records.slice(0, op.limit);
    ctx.logger.info({ records: out.length }, 'fetched movies');
    return out;
  },
};

/** COMPUTE: normalised, snake_case records with ISO dates; drops rows without title, genre or numeric gross. */
export const process_movies = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx */
  compute(_op, ctx) {
    const records = arrayInput(ctx);
    const cleaned = [];
    for (let i = 0; i < records.length; i++) {
      if (i % 500 === 0) checkAborted(ctx.signal);
      const row = cleanMovie(records[i]);
      if (row) cleaned.push(row);
    }
    ctx.logger.info({ rows_in: records.length, rows_out: cleaned.length }, 'processed movies');
    return cleaned;
  },
};

/** REDUCE: sum of worldwide gross and count per major genre, largest total first. */
export const aggregate_by_genre = {
  /** @param {Record<string, unknown>} _op @param {Ctx} ctx @returns {GenreRow[]} */
  reduce(_op, ctx) {
    /** @type {Map<string, GenreRow>} */
    const groups = new Map();
    for (const movie of arrayInput(ctx)) {
      const row = groups.get(movie.major_genre) ?? {
        major_genre: movie.major_genre,
        total_worldwide_gross: 0,
        movie_count: 0,
      };
      row.total_worldwide_gross += movie.worldwide_gross;
      row.movie_count += 1;
      groups.set(movie.major_genre, row);
    }
    // Tie-break on the name so the order is deterministic.
    return [...groups.values()].sort(
      (a, b) => b.total_worldwide_gross - a.total_worldwide_gross || a.major_genre.localeCompare(b.major_genre),
    );
  },
};

/** @param {import('better-sqlite3').Database} db */
function prepareUpsert(db) {
  db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
    major_genre TEXT PRIMARY KEY,
    total_worldwide_gross INTEGER NOT NULL,
    movie_count INTEGER NOT NULL
  )`);
  // Upsert, so re-running the workflow (or retrying this effect) leaves the same table behind.
  return db.prepare(`INSERT INTO ${TABLE} (major_genre, total_worldwide_gross, movie_count)
    VALUES (@major_genre, @total_worldwide_gross, @movie_count)
    ON CONFLICT(major_genre) DO UPDATE SET
      total_worldwide_gross = excluded.total_worldwide_gross, movie_count = excluded.movie_count`);
}

/**
 * Opens (creating directory and file if needed) the database, runs `fn` in one transaction, closes it.
 * @template T
 * @param {string} dbPath
 * @param {(db: import('better-sqlite3').Database) => T} fn
 */
function withDatabase(dbPath, fn) {
  mkdirSync(dirname(dbPath), { recursive: true });
  const db = new Database(dbPath);
  try {
    return db.transaction(() => fn(db))();
  } finally {
    db.close();
  }
}

/** Only the bound columns, so extra keys in a row never reach SQLite. @param {GenreRow} row */
function pick(row) {
  return {
    major_genre: row.major_genre,
    total_worldwide_gross: row.total_worldwide_gross,
    movie_count: row.movie_count,
  };
}

/** @param {{ db_path?: string }} op  Relative paths are resolved against the process cwd. */
function dbPathOf(op) {
  return resolve(process.cwd(), op?.db_path ?? DEFAULT_DB_PATH);
}

/** EFFECT: upserts the genre rows into SQLite table `genre_gross`; returns `{ table, rows_upserted, db_path }`. */
export const save_genre_gross = {
  /** @param {{ db_path?: string }} op @param {Ctx} ctx */
  execute(op, ctx) {
    const rows = /** @type {GenreRow[]} */ (arrayInput(ctx));
    const dbPath = dbPathOf(op);
    withDatabase(dbPath, (db) => {
      const upsert = prepareUpsert(db);
      for (const row of rows) upsert.run(pick(row));
    });
    ctx.logger.info({ table: TABLE, rows: rows.length, db_path: dbPath }, 'saved genre totals');
    return { table: TABLE, rows_upserted: rows.length, db_path: dbPath };
  },

  /**
   * BATCH mode: all items that share a database file are written in one transaction.
   * @param {{ operationData: { db_path?: string }, ctx: Ctx }[]} items
   */
  processBatch(items, ctx) {
    /** @type {Map<string, number[]>} item indexes per database file */
    const byDb = new Map();
    items.forEach((item, i) => {
      const path = dbPathOf(item.operationData);
      byDb.set(path, [...(byDb.get(path) ?? []), i]);
    });
    const results = new Array(items.length);
    for (const [dbPath, indexes] of byDb) {
      withDatabase(dbPath, (db) => {
        const upsert = prepareUpsert(db);
        for (const i of indexes) {
          const rows = /** @type {GenreRow[]} */ (arrayInput(items[i].ctx));
          for (const row of rows) upsert.run(pick(row));
          results[i] = { table: TABLE, rows_upserted: rows.length, db_path: dbPath };
        }
      });
    }
    ctx?.logger?.info({ items: items.length, databases: byDb.size }, 'saved genre totals (batch)');
    return results;
  },
};
