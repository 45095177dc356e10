/**
 * `onex run examples/movie-pipeline/workflow.yaml` end to end (spec §8, §9): the summary table, the top rows of
 * the aggregate, the SQLite upsert, the three execution modes and the `--json` document.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonDocument, repoPath, runCli, stepNames, stepReports, tempDirs } from '../support/cli.js';

const WORKFLOW = repoPath('examples', 'movie-pipeline', 'workflow.yaml');
const STEPS = ['validate', 'fetch', 'process', 'aggregate', 'save'];
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

/** The cells of every body row of the box-drawn tables on stdout (cli-table3 draws `│ a │ b │`). */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

interface GenreRow {
  major_genre: string;
  total_worldwide_gross: number;
  movie_count: number;
}

function readGenreTable(cwd: string): GenreRow[] {
  const db = new Database(`${cwd}/.onex/movie-pipeline.db`, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT major_genre, total_worldwide_gross, movie_count FROM genre_gross ORDER BY major_genre')
      .all() as GenreRow[];
  } finally {
    db.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SNAKE = /^[a-z][a-z0-9_]*$/;

describe('onex run movie-pipeline (table output)', () => {
  it('exits 0 and prints the summary table and the top rows of the aggregate; a second run upserts the same rows', async () => {
    const cwd = dirs.make();
    const first = await runCli(['run', WORKFLOW], { cwd });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const rows = tableRows(first.stdout);
    expect(rows[0]).toEqual(['step', 'state', 'duration', 'attempts']);
    const stepRows = rows.filter((r) => STEPS.includes(r[0] ?? ''));
    expect(stepRows.map((r) => r[0])).toEqual(STEPS);
    for (const [, state, duration, attempts] of stepRows) {
      expect(state).toBe('completed');
      expect(duration).toMatch(/^\d+(\.\d+)? (ms|s)$/);
      expect(attempts).toBe('1');
    }
    // The aggregate's top rows: Adventure leads with $66,080,959,632 over 274 films.
    expect(first.stdout).toContain("top rows of 'aggregate'");
    expect(rows).toContainEqual(['Adventure', '66,080,959,632', '274']);
    expect(first.stdout).toMatch(
      /movie-pipeline: completed in .* \(5 completed, 0 failed, 0 skipped; mode sequential\)/,
    );

    const afterFirst = readGenreTable(cwd);
    expect(afterFirst).toHaveLength(12);
    expect(afterFirst).toContainEqual({
      major_genre: 'Adventure',
      total_worldwide_gross: 66_080_959_632,
      movie_count: 274,
    });

    const second = await runCli(['run', WORKFLOW], { cwd });
    expect(second.code).toBe(0);
    const stepRowsAgain = tableRows(second.stdout)
      .filter((r) => STEPS.includes(r[0] ?? ''))
      .map(([step, state, , attempts]) => [step, state, attempts]);
    expect(stepRowsAgain).toEqual(stepRows.map(([step, state, , attempts]) => [step, state, attempts]));
    // Upsert: the same 12 rows with the same values, not 24.
    expect(readGenreTable(cwd)).toEqual(afterFirst);
  });
});

describe('onex run movie-pipeline --mode', () => {
  it('sequential (the file default) dispatches nothing through the parallel scheduler', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--json'], { cwd });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('completed');
    expect((doc.metadata as Record<string, unknown>).execution_mode).toBe('sequential');
    expect(doc.parallel_executions).toBe(0);
    expect(doc.peak_concurrency).toBe(1);
  });

  it('--mode parallel runs through the parallel scheduler', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--mode', 'parallel', '--json'], { cwd });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('completed');
    expect((doc.metadata as Record<string, unknown>).execution_mode).toBe('parallel');
    expect(doc.parallel_executions).toBeGreaterThan(0);
    expect(doc.steps_completed).toBe(5);
    expect(readGenreTable(cwd)).toHaveLength(12);
  });

  it('--mode batch goes through the load balancer and records batches', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--mode', 'batch', '--json'], { cwd });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('completed');
    expect((doc.metadata as Record<string, unknown>).execution_mode).toBe('batch');
    expect(doc.parallel_executions).toBeGreaterThan(0);
    expect(doc.load_balanced_operations).toBeGreaterThan(0);
    expect(doc.batches).toBeGreaterThanOrEqual(1);
    expect(readGenreTable(cwd)).toContainEqual({
      major_genre: 'Adventure',
      total_worldwide_gross: 66_080_959_632,
      movie_count: 274,
    });
  });

  it('--mode bogus is a usage error: exit 2, nothing runs', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--mode', 'bogus'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('bogus');
    // `save` would have created the database under cwd.
    expect(() => readGenreTable(cwd)).toThrow();
  });
});

describe('onex run movie-pipeline --json', () => {
  it('prints exactly one snake_case JSON document with every output field', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--json'], { cwd, env: { ONEX_LOG_LEVEL: undefined } });
    expect(result.code).toBe(0);
    // The CLI's own default for --json is silent logs, so stderr stays empty too.
    expect(result.stderr).toBe('');
    expect(result.stdout.trimStart().startsWith('{')).toBe(true);
    const doc = parseJsonDocument(result.stdout);

    for (const field of [
      'workflow_id',
      'operation_id',
      'workflow_state',
      'steps_completed',
      'steps_failed',
      'steps_skipped',
      'completed_steps',
      'failed_steps',
      'skipped_steps',
      'actions_emitted',
      'results',
      'step_outputs',
      'errors',
      'processing_time_ms',
      'parallel_executions',
      'peak_concurrency',
      'load_balanced_operations',
      'batches',
      'metadata',
    ]) {
      expect(doc, `field ${field}`).toHaveProperty(field);
    }
    for (const key of Object.keys(doc)) expect(key).toMatch(SNAKE);

    expect(doc.workflow_id).toMatch(UUID);
    expect(doc.operation_id).toMatch(UUID);
    expect(doc.workflow_state).toBe('completed');
    expect(doc.steps_completed).toBe(5);
    expect(doc.steps_failed).toBe(0);
    expect(doc.steps_skipped).toBe(0);
    expect(stepNames(doc, doc.completed_steps)).toEqual(STEPS);
    expect(doc.failed_steps).toEqual([]);
    expect(doc.skipped_steps).toEqual([]);
    expect(doc.errors).toEqual([]);
    expect(doc.processing_time_ms).toBeGreaterThan(0);
    expect(typeof doc.parallel_executions).toBe('number');
    expect(typeof doc.peak_concurrency).toBe('number');
    expect(typeof doc.load_balanced_operations).toBe('number');
    expect(typeof doc.batches).toBe('number');
    expect(Array.isArray(doc.results) && doc.results.length).toBe(5);

    const metadata = doc.metadata as Record<string, unknown>;
    expect(metadata.execution_mode).toBe('sequential');
    expect(metadata.workflow_name).toBe('movie-pipeline');
    expect(metadata.workflow_hash).toMatch(/^[0-9a-f]{64}$/);

    // User data keeps its own keys: the raw movies.json records still say "Worldwide Gross".
    const outputs = doc.step_outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(STEPS));
    expect((outputs.fetch as Record<string, unknown>[])[0]).toHaveProperty(['Worldwide Gross']);
    expect((outputs.aggregate as Record<string, unknown>[])[0]).toEqual({
      major_genre: 'Adventure',
      total_worldwide_gross: 66_080_959_632,
      movie_count: 274,
    });

    const actions = doc.actions_emitted as Record<string, unknown>[];
    expect(actions).toHaveLength(5);
    for (const action of actions) {
      for (const key of Object.keys(action)) expect(key).toMatch(SNAKE);
      expect(action.action_id).toMatch(UUID);
      expect(['compute', 'effect', 'reduce', 'orchestrate', 'custom']).toContain(action.action_type);
      expect(typeof action.target_node_type).toBe('string');
      expect(action.operation_data).toBeTypeOf('object');
      expect(Array.isArray(action.dependencies)).toBe(true);
      expect(action.priority).toBe(1);
      expect(action.timeout_ms).toBe(10_000);
      expect(typeof action.retry_count).toBe('number');
      expect(action.lease_id).toMatch(UUID);
      expect(Number.isInteger(action.epoch) && (action.epoch as number) >= 1).toBe(true);
      expect(action.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    expect(actions.map((a) => [a.action_type, a.target_node_type])).toEqual([
      ['compute', 'validate_movies'],
      ['effect', 'fetch_movies'],
      ['compute', 'process_movies'],
      ['reduce', 'aggregate_by_genre'],
      ['effect', 'save_genre_gross'],
    ]);
    expect(actions.map((a) => a.retry_count)).toEqual([0, 2, 0, 0, 1]);

    const reports = stepReports(doc);
    expect(reports.map((r) => [r.step_name, r.state])).toEqual(STEPS.map((s) => [s, 'completed']));
  });

  it('keeps logs off stdout even at ONEX_LOG_LEVEL=info (they go to stderr)', async () => {
    const cwd = dirs.make();
    const result = await runCli(['run', WORKFLOW, '--json'], { cwd, env: { ONEX_LOG_LEVEL: 'info' } });
    expect(result.code).toBe(0);
    expect(parseJsonDocument(result.stdout).workflow_state).toBe('completed');
    // The nodes did log, so the clean stdout above is not an accident of silence.
    expect(result.stderr).toContain('validated movies');
  });

  it('gives the same workflow_hash to two runs of the same file', async () => {
    const cwd = dirs.make();
    const [a, b] = await Promise.all([
      runCli(['run', WORKFLOW, '--json'], { cwd }),
      runCli(['run', WORKFLOW, '--json'], { cwd: dirs.make() }),
    ]);
    const hashA = (parseJsonDocument(a.stdout).metadata as Record<string, unknown>).workflow_hash;
    const hashB = (parseJsonDocument(b.stdout).metadata as Record<string, unknown>).workflow_hash;
    expect(hashA).toMatch(/^[0-9a-f]{64}$/);
    expect(hashB).toBe(hashA);
  });
});
