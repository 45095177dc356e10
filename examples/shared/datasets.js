// Shared helpers for the example workflows: load vega-datasets files from node_modules (never the network) and
// the movies.json record rules used by both movie pipelines, so "valid" means the same thing everywhere.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const RESOURCE_UNAVAILABLE = 'ONEX_CORE_083_RESOURCE_UNAVAILABLE';

/** @type {Map<string, readonly Record<string, unknown>[]>} */
const cache = new Map();

/** @param {string} message */
function unavailable(message) {
  const err = new Error(message);
  /** @type {Error & { code?: string }} */ (err).code = RESOURCE_UNAVAILABLE;
  return err;
}

/**
 * Directory holding the data files. vega-datasets' `exports` only exposes ".", so resolve the entry
 * (build/index.js) and step over to ../data. Resolved lazily so a missing package surfaces as
 * RESOURCE_UNAVAILABLE from a node rather than as an import error of the whole nodes module.
 */
export function dataDir() {
  try {
    const entry = createRequire(import.meta.url).resolve('vega-datasets');
    return join(dirname(entry), '..', 'data');
  } catch (cause) {
    throw unavailable(`vega-datasets is not installed: ${/** @type {Error} */ (cause).message}`);
  }
}

/**
 * Parsed JSON array of a vega-datasets file, e.g. `loadDataset('movies')` or `loadDataset('cars.json')`.
 * Cached in memory and frozen: the same array is handed to every caller, so nobody may mutate it.
 * @param {string} name
 * @returns {readonly Record<string, unknown>[]}
 */
export function loadDataset(name) {
  const file = String(name).endsWith('.json') ? String(name) : `${name}.json`;
  // Only plain file names: a workflow input must not be able to read arbitrary paths.
  if (!/^[A-Za-z0-9][\w-]*\.json$/.test(file)) throw new Error(`invalid dataset name: ${JSON.stringify(name)}`);
  const hit = cache.get(file);
  if (hit) return hit;
  let text;
  try {
    text = readFileSync(join(dataDir(), file), 'utf8');
  } catch (cause) {
    if (/** @type {Error & { code?: string }} */ (cause).code === RESOURCE_UNAVAILABLE) throw cause;
    throw unavailable(`dataset ${file} is not available: ${/** @type {Error} */ (cause).message}`);
  }
  const data = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error(`dataset ${file} is not a JSON array`);
  for (const record of data) Object.freeze(record);
  const frozen = Object.freeze(data);
  cache.set(file, frozen);
  return frozen;
}

// ---- movies.json record rules ----------------------------------------------------------------------------------

export const MOVIE_REQUIRED_FIELDS = Object.freeze(['Title', 'Worldwide Gross', 'Major Genre', 'Release Date']);

const MONTHS = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/**
 * "Jun 12 1998" → "1998-06-12"; null when unparseable. Parsed by hand, not with `new Date(str)`, whose
 * handling of this format is implementation-defined and depends on the local time zone.
 * @param {unknown} value
 * @returns {string | null}
 */
export function parseReleaseDate(value) {
  if (typeof value !== 'string') return null;
  const m = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(value.trim());
  const month = m ? MONTHS[/** @type {keyof typeof MONTHS} */ (m[1])] : undefined;
  if (!m || !month) return null;
  const day = Number(m[2]);
  const year = Number(m[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null; // rejects "Feb 30"
  return date.toISOString().slice(0, 10);
}

/**
 * Trimmed title with runs of whitespace collapsed; numeric titles ("1776", "300") become strings.
 * @param {unknown} value
 * @returns {string | null}
 */
export function normaliseTitle(value) {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const title = String(value).replace(/\s+/g, ' ').trim();
  return title === '' ? null : title;
}

/**
 * Whether one field of a movie record is usable.
 * @param {Record<string, unknown>} record
 * @param {string} field
 */
export function isMovieFieldValid(record, field) {
  const value = record[field];
  switch (field) {
    case 'Title':
      return normaliseTitle(value) !== null;
    case 'Release Date':
      return parseReleaseDate(value) !== null;
    case 'Major Genre':
    case 'Distributor':
    case 'MPAA Rating':
      return typeof value === 'string' && value.trim() !== '';
    default:
      // Every other movies.json field is numeric (grosses, budget, ratings, votes, running time).
      return typeof value === 'number' && Number.isFinite(value);
  }
}

/**
 * Count valid/invalid records for the given required fields.
 * @param {readonly Record<string, unknown>[]} records
 * @param {readonly string[]} requiredFields
 */
export function assessMovies(records, requiredFields = MOVIE_REQUIRED_FIELDS) {
  /** @type {Record<string, number>} */
  const missingByField = Object.fromEntries(requiredFields.map((f) => [f, 0]));
  let valid = 0;
  for (const record of records) {
    let ok = true;
    for (const field of requiredFields) {
      if (!isMovieFieldValid(record, field)) {
        ok = false;
        missingByField[field] = (missingByField[field] ?? 0) + 1;
      }
    }
    if (ok) valid += 1;
  }
  const total = records.length;
  // An empty input has no evidence of quality: score 0 so it never takes a "high quality" branch.
  return {
    total,
    valid,
    invalid: total - valid,
    quality_score: total === 0 ? 0 : valid / total,
    missing_by_field: missingByField,
  };
}

/**
 * One movies.json record in snake_case with a normalised title and ISO date; null when unusable
 * (no title, no genre or no numeric Worldwide Gross).
 * @param {Record<string, unknown>} record
 */
export function cleanMovie(record) {
  const title = normaliseTitle(record.Title);
  const genre = typeof record['Major Genre'] === 'string' ? record['Major Genre'].trim() : '';
  const gross = record['Worldwide Gross'];
  if (title === null || genre === '' || typeof gross !== 'number' || !Number.isFinite(gross)) return null;
  /** @param {unknown} v */
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    title,
    major_genre: genre,
    release_date: parseReleaseDate(record['Release Date']),
    worldwide_gross: gross,
    us_gross: num(record['US Gross']),
    production_budget: num(record['Production Budget']),
    imdb_rating: num(record['IMDB Rating']),
  };
}

/**
 * Throws the signal's reason if the run was aborted; call it every few hundred rows in long loops.
 * @param {AbortSignal | undefined} signal
 */
export function checkAborted(signal) {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
