// Calls the example workflows' node functions directly (no engine) on the real vega-datasets files and checks the
// numbers against values computed independently here from the raw JSON.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Json = Record<string, unknown>;
interface FakeCtx {
  inputs: unknown[];
  inputsById: Record<string, unknown>;
  signal: AbortSignal;
  attempt: number;
  idempotencyKey: string;
  logger: Record<'info' | 'warn' | 'error' | 'debug', () => void>;
  workflowInput: Json;
}
type NodeFn<R> = (op: Json, ctx: FakeCtx) => R;
interface GenreRow {
  major_genre: string;
  total_worldwide_gross: number;
  movie_count: number;
}
interface CleanMovie {
  title: string;
  major_genre: string;
  release_date: string | null;
  worldwide_gross: number;
}
interface Quality {
  subset?: string;
  total: number;
  valid: number;
  invalid: number;
  quality_score: number;
}
interface SaveResult {
  table: string;
  rows_upserted: number;
  db_path: string;
}
interface Summary {
  dataset: string;
  record_count: number;
  measure: string;
  non_null: number;
  mean: number | null;
}

const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples');
// The examples are plain JS without declarations; a computed specifier keeps tsc from demanding .d.ts files.
const importExample = (rel: string) => import(pathToFileURL(join(examplesDir, rel)).href);

const datasets: { loadDataset(name: string): readonly Json[] } = await importExample('shared/datasets.js');
const movieNodes: {
  validate_movies: { compute: NodeFn<Quality> };
  fetch_movies: { execute: NodeFn<Json[]> };
  process_movies: { compute: NodeFn<CleanMovie[]> };
  aggregate_by_genre: { reduce: NodeFn<GenreRow[]> };
  save_genre_gross: {
    execute: NodeFn<SaveResult>;
    processBatch(items: { operationData: Json; ctx: FakeCtx }[], ctx: FakeCtx): SaveResult[];
  };
} = await importExample('movie-pipeline/nodes.js');
const condNodes: {
  load_movie_subset: { execute: NodeFn<{ subset: string; records: Json[] }> };
  assess_quality: { compute: NodeFn<Quality> };
  fast_track_normalise: { compute: NodeFn<Json> };
  full_clean: { compute: NodeFn<Json> };
  report_branches: { compute: NodeFn<Json> };
} = await importExample('conditional-pipeline/nodes.js');
const fanNodes: {
  fetch_dataset: { execute: NodeFn<{ dataset: string; records: Json[] }> };
  summarise_dataset: { compute: NodeFn<Summary> };
  merge_summaries: {
    reduce: NodeFn<{ dataset_count: number; total_records: number; datasets: Record<string, Summary> }>;
  };
  fan_in_report: NodeFn<Promise<{ largest_dataset: string; total_records: number; lines: string[] }>>;
} = await importExample('fan-out-fan-in/nodes.js');

function fakeCtx(inputs: unknown[] = [], workflowInput: Json = {}, signal = new AbortController().signal): FakeCtx {
  const noop = () => {};
  return {
    inputs,
    inputsById: {},
    signal,
    attempt: 1,
    idempotencyKey: 'k',
    logger: { info: noop, warn: noop, error: noop, debug: noop },
    workflowInput,
  };
}

// ---- independent reference values, read straight from the package files (not through loadDataset) ----
const dataDir = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data');
const raw = (file: string): Json[] => JSON.parse(readFileSync(join(dataDir, file), 'utf8'));
const rawMovies = raw('movies.json');
const usable = (m: Json) =>
  m.Title !== null &&
  String(m.Title).trim() !== '' &&
  typeof m['Major Genre'] === 'string' &&
  typeof m['Worldwide Gross'] === 'number';
// Every Release Date in movies.json has the form "Jun 12 1998", so the four required fields reduce to `usable`.
const expectedValid = rawMovies.filter(usable).length;

describe('shared/datasets.js', () => {
  it('loads movies.json from node_modules and caches it', () => {
    const movies = datasets.loadDataset('movies');
    expect(movies).toHaveLength(3201);
    expect(datasets.loadDataset('movies.json')).toBe(movies);
    expect(movies[0]?.Title).toBe('The Land Girls');
  });

  it('reports a missing dataset as RESOURCE_UNAVAILABLE and rejects path-like names', () => {
    expect(() => datasets.loadDataset('no-such-dataset')).toThrow(
      expect.objectContaining({ code: 'ONEX_CORE_083_RESOURCE_UNAVAILABLE' }),
    );
    expect(() => datasets.loadDataset('../package')).toThrow(/invalid dataset name/);
  });
});

describe('movie-pipeline nodes', () => {
  const ctx = fakeCtx([], { dataset: 'movies' });
  const fetched = movieNodes.fetch_movies.execute({}, ctx);
  const cleaned = movieNodes.process_movies.compute({}, fakeCtx([fetched]));
  const rows = movieNodes.aggregate_by_genre.reduce({}, fakeCtx([cleaned]));
  const tmp = mkdtempSync(join(tmpdir(), 'onex-examples-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('validate: quality score = valid / total over the required fields', () => {
    const q = movieNodes.validate_movies.compute(
      { required_fields: ['Title', 'Worldwide Gross', 'Major Genre', 'Release Date'] },
      ctx,
    );
    expect(q).toMatchObject({ total: 3201, valid: expectedValid, invalid: 3201 - expectedValid });
    expect(q.valid).toBe(2924);
    expect(q.quality_score).toBeCloseTo(2924 / 3201, 12);
    expect(q.quality_score).toBeGreaterThanOrEqual(0.9);
  });

  it('fetch: returns all 3,201 records', () => {
    expect(fetched).toHaveLength(3201);
  });

  it('process: keeps only usable rows, normalises titles and dates', () => {
    expect(cleaned).toHaveLength(expectedValid);
    const byTitle = new Map(cleaned.map((m) => [m.title, m]));
    expect(byTitle.get('1776')).toBeDefined(); // numeric title coerced to a string
    expect(byTitle.get('Halloween: The Curse of Michael Myers')).toBeDefined(); // double space collapsed
    for (const m of cleaned) {
      expect(m.title).toBe(m.title.trim());
      expect(m.title).not.toMatch(/\s{2}/);
      expect(m.release_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const landGirls = fakeCtx([[{ ...rawMovies[0], 'Major Genre': 'Drama' }]]);
    expect(movieNodes.process_movies.compute({}, landGirls)[0]?.release_date).toBe('1998-06-12');
  });

  it('process: stops when the signal is aborted', () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    expect(() => movieNodes.process_movies.compute({}, fakeCtx([fetched], {}, ac.signal))).toThrow('cancelled');
  });

  it('aggregate: per-genre sums match an independent sum over the raw data, largest first', () => {
    const dramaRaw = rawMovies.filter((m) => usable(m) && m['Major Genre'] === 'Drama');
    const drama = rows.find((r) => r.major_genre === 'Drama');
    expect(drama?.total_worldwide_gross).toBe(dramaRaw.reduce((s, m) => s + (m['Worldwide Gross'] as number), 0));
    expect(drama?.movie_count).toBe(dramaRaw.length);
    expect(rows).toHaveLength(12);
    expect(rows[0]).toEqual({ major_genre: 'Adventure', total_worldwide_gross: 66_080_959_632, movie_count: 274 });
    expect(rows.reduce((n, r) => n + r.movie_count, 0)).toBe(expectedValid);
    const totals = rows.map((r) => r.total_worldwide_gross);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
  });

  const readTable = (dbPath: string) => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare('SELECT * FROM genre_gross ORDER BY major_genre').all() as GenreRow[];
    } finally {
      db.close();
    }
  };

  it('save: upserts, so running twice (even after different values) leaves the same table', () => {
    const dbPath = join(tmp, 'nested', 'movies.db'); // directory does not exist yet
    const doubled = rows.map((r) => ({ ...r, total_worldwide_gross: r.total_worldwide_gross * 2 }));
    movieNodes.save_genre_gross.execute({ db_path: dbPath }, fakeCtx([doubled]));
    const first = movieNodes.save_genre_gross.execute({ db_path: dbPath }, fakeCtx([rows]));
    const afterFirst = readTable(dbPath);
    const second = movieNodes.save_genre_gross.execute({ db_path: dbPath }, fakeCtx([rows]));
    expect(first).toEqual({ table: 'genre_gross', rows_upserted: 12, db_path: dbPath });
    expect(second).toEqual(first);
    expect(readTable(dbPath)).toEqual(afterFirst);
    expect(afterFirst).toEqual([...rows].sort((a, b) => (a.major_genre < b.major_genre ? -1 : 1)));
  });

  it('save.processBatch: one result per item, in order, all rows written', () => {
    const dbPath = join(tmp, 'batch.db');
    const items = [
      { operationData: { db_path: dbPath }, ctx: fakeCtx([rows.slice(0, 5)]) },
      { operationData: { db_path: dbPath }, ctx: fakeCtx([rows.slice(5)]) },
    ];
    const results = movieNodes.save_genre_gross.processBatch(items, fakeCtx());
    expect(results.map((r) => r.rows_upserted)).toEqual([5, 7]);
    expect(readTable(dbPath)).toHaveLength(12);
  });
});

describe('conditional-pipeline nodes', () => {
  const run = (workflowInput: Json) => {
    const loaded = condNodes.load_movie_subset.execute({}, fakeCtx([], workflowInput));
    const quality = condNodes.assess_quality.compute({}, fakeCtx([loaded]));
    return { loaded, quality };
  };
  const input = (name: string): Json =>
    JSON.parse(readFileSync(join(examplesDir, 'conditional-pipeline', name), 'utf8'));

  it('clean.json lands at or above 0.9 and takes the fast track', () => {
    const { loaded, quality } = run(input('clean.json'));
    expect(loaded.records).toHaveLength(500);
    expect(quality.quality_score).toBeGreaterThanOrEqual(0.9);
    expect(quality.quality_score).toBe(1);
    const fast = condNodes.fast_track_normalise.compute({}, fakeCtx([loaded, quality]));
    const report = condNodes.report_branches.compute({}, fakeCtx([quality, fast])); // full_clean skipped
    expect(report).toMatchObject({
      subset: 'clean',
      branch_taken: 'fast_track',
      branches_run: 1,
      rows_out: 500,
      dropped: 0,
    });
  });

  it('dirty.json lands below 0.9 and the full clean drops the unusable rows', () => {
    const { quality, loaded } = run(input('dirty.json'));
    const expected = rawMovies.slice(0, 500).filter(usable).length;
    expect(quality).toMatchObject({ subset: 'dirty', total: 500, valid: expected });
    expect(quality.quality_score).toBeLessThan(0.9);
    expect(quality.quality_score).toBe(0.816);
    const full = condNodes.full_clean.compute({}, fakeCtx([loaded, quality]));
    const report = condNodes.report_branches.compute({}, fakeCtx([quality, full])); // fast_track skipped
    expect(report).toMatchObject({
      branch_taken: 'full_clean',
      rows_in: 500,
      rows_out: expected,
      dropped: 500 - expected,
    });
  });

  it('rejects an unknown subset', () => {
    expect(() => run({ subset: 'muddy' })).toThrow(/subset must be/);
  });
});

describe('fan-out-fan-in nodes', () => {
  const branches = [
    ['movies', 'IMDB Rating'],
    ['cars', 'Horsepower'],
    ['gapminder', 'life_expect'],
  ] as const;
  const summaries = branches.map(([dataset, measure]) =>
    fanNodes.summarise_dataset.compute({ measure }, fakeCtx([fanNodes.fetch_dataset.execute({ dataset }, fakeCtx())])),
  );

  it('summaries match the raw files', () => {
    const cars = raw('cars.json');
    const hp = cars.map((c) => c.Horsepower).filter((v): v is number => typeof v === 'number');
    expect(summaries[1]).toMatchObject({ dataset: 'cars', record_count: cars.length, non_null: hp.length });
    expect(summaries[1]?.mean).toBeCloseTo(hp.reduce((a, b) => a + b, 0) / hp.length, 2);
  });

  it('merge (fan-in) keys the three summaries by dataset and totals the records; report orders them', async () => {
    const merged = fanNodes.merge_summaries.reduce({}, fakeCtx(summaries));
    const expectedTotal = raw('movies.json').length + raw('cars.json').length + raw('gapminder.json').length;
    expect(merged.dataset_count).toBe(3);
    expect(merged.total_records).toBe(expectedTotal);
    expect(Object.keys(merged.datasets).sort()).toEqual(['cars', 'gapminder', 'movies']);
    expect(merged.datasets.gapminder?.record_count).toBe(682);
    const report = await fanNodes.fan_in_report({}, fakeCtx([merged]));
    expect(report.largest_dataset).toBe('movies');
    expect(report.lines).toHaveLength(3);
    expect(report.lines[0]).toMatch(/^movies: 3201 records/);
  });
});

describe('workflow files', () => {
  for (const name of ['movie-pipeline', 'conditional-pipeline', 'fan-out-fan-in']) {
    it(`${name}: every target_node_type is exported by its nodes module and every depends_on names a step`, async () => {
      const file = join(examplesDir, name, 'workflow.yaml');
      const wf = parse(readFileSync(file, 'utf8'));
      expect(wf.workflow_name).toBe(name);
      const nodes: Json = await import(pathToFileURL(resolve(dirname(file), wf.nodes)).href);
      const stepNames = new Set<string>(wf.steps.map((s: Json) => s.step_name));
      for (const step of wf.steps) {
        expect(nodes[step.target_node_type], `${name}/${step.step_name}`).toBeDefined();
        for (const dep of step.depends_on ?? []) expect(stepNames.has(dep), `${step.step_name} -> ${dep}`).toBe(true);
      }
    });
  }
});
