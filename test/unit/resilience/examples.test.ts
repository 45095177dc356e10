// The two resilience examples (examples/resilient-pipeline, examples/cicd-pipeline) loaded with loadWorkflowFile and
// run through the API with millisecond backoff: the seeded faults are reproducible, the breaker and the retries behave
// as the README says, and the CI/CD saga leaves the workspace as it was. Numbers are checked against values computed
// here from the raw vega-datasets files. (test/integration/resilience-examples.test.ts runs the same through the CLI.)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EnumCircuitState,
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  loadWorkflowFile,
  ModelONEXContainer,
  type ModelOrchestratorOutput,
  NodeOrchestrator,
  type NodeOrchestratorOptions,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { outputOf, rejectionOf, statesByName } from './helpers.js';

type Row = Record<string, unknown>;
const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const importExample = (rel: string) => import(pathToFileURL(join(EXAMPLES, rel)).href);
const datasets: { loadDataset(name: string): readonly Row[] } = await importExample('shared/datasets.js');
const faults: {
  injectedFailure(call: { seed: unknown; dataset: string; attempt: number; rate: number }): boolean;
  mulberry32(seed: number): () => number;
  hash32(text: string): number;
} = await importExample('resilient-pipeline/faults.js');

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'onex-resilience-'));
  temps.push(dir);
  return dir;
}

/** Load an example with its own container and run it on an orchestrator with millisecond backoff. */
async function run(
  example: string,
  inputData?: Row,
  options: NodeOrchestratorOptions = {},
): Promise<{ output: ModelOrchestratorOutput; error: OnexError | null }> {
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  const loaded = await loadWorkflowFile(join(EXAMPLES, example, 'workflow.yaml'), { container, inputData });
  const orchestrator = new NodeOrchestrator(loaded.container, {
    retryBackoff: { initialDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
  try {
    return { output: await orchestrator.process(loaded.input), error: null };
  } catch (err) {
    if (!(err instanceof OnexError)) throw err;
    return { output: outputOf(err), error: err };
  }
}

const attempts = (out: ModelOrchestratorOutput) =>
  Object.fromEntries(out.stepReports.map((r) => [r.stepName, r.attempts]));

/** count, non-null, min, max, mean (3 decimals) of one field, computed here. */
function summary(dataset: string, field: string) {
  const records = datasets.loadDataset(dataset);
  const values = records.map((r) => r[field]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    dataset,
    field,
    records: records.length,
    non_null: values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    mean: Math.round(mean * 1000) / 1000,
  };
}

/** Attempts a fetch needs under the seeded faults (first attempt that does not fail), computed from faults.js. */
function attemptsNeeded(seed: unknown, dataset: string, rate: number): number {
  let attempt = 1;
  while (faults.injectedFailure({ seed, dataset, attempt, rate })) attempt++;
  return attempt;
}

describe('resilient-pipeline: seeded faults', () => {
  it('injectedFailure is a pure function of (seed, dataset, attempt): same answers every time', () => {
    const calls = [1, 2, 3, 4, 5].flatMap((attempt) =>
      ['cars', 'penguins', 'gapminder'].map((dataset) => ({ seed: 41, dataset, attempt, rate: 0.4 })),
    );
    const first = calls.map((c) => faults.injectedFailure(c));
    for (let i = 0; i < 3; i++) expect(calls.map((c) => faults.injectedFailure(c))).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('rate 0 never fails and rate 1 always fails', () => {
    for (let attempt = 1; attempt <= 50; attempt++) {
      expect(faults.injectedFailure({ seed: 's', dataset: 'cars', attempt, rate: 0 })).toBe(false);
      expect(faults.injectedFailure({ seed: 's', dataset: 'cars', attempt, rate: 1 })).toBe(true);
    }
  });

  it('mulberry32 draws are in [0, 1) and about uniform', () => {
    const next = faults.mulberry32(faults.hash32('onex'));
    const draws = Array.from({ length: 20_000 }, next);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const below = draws.filter((d) => d < 0.4).length / draws.length;
    expect(below).toBeGreaterThan(0.38);
    expect(below).toBeLessThan(0.42);
  });
});

describe('resilient-pipeline', () => {
  it('default input: the injected failures are retried, every fetch gets through, COMPLETED with the real numbers', async () => {
    const { output, error } = await run('resilient-pipeline');
    expect(error).toBeNull();
    expect(output.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(attempts(output)).toEqual({
      fetch_cars: attemptsNeeded(41, 'cars', 0.4),
      summarise_cars: 1,
      fetch_penguins: attemptsNeeded(41, 'penguins', 0.4),
      summarise_penguins: 1,
      fetch_gapminder: attemptsNeeded(41, 'gapminder', 0.4),
      summarise_gapminder: 1,
      report: 1,
    });
    // The seed is chosen so the run shows retries without tripping the breaker (fewer than 3 failures in a row).
    expect(attempts(output)).toMatchObject({ fetch_cars: 3, fetch_penguins: 2, fetch_gapminder: 3 });
    expect(output.stepOutputs.report).toEqual({
      datasets: {
        cars: summary('cars', 'Horsepower'),
        penguins: summary('penguins', 'Body Mass (g)'),
        gapminder: summary('gapminder', 'life_expect'),
      },
      total_records: 406 + 344 + 682,
    });
    expect(output.metadata.circuit_breakers).toMatchObject({
      flaky_source: { state: EnumCircuitState.CLOSED, failure_threshold: 3 },
    });
  });

  it('is reproducible: the same input fails the same calls on every run; another seed fails others', async () => {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(attempts((await run('resilient-pipeline')).output));
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    const other = await run('resilient-pipeline', { seed: 9, failure_rate: 0.4, unavailable: [] });
    expect(other.output.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(attempts(other.output).fetch_gapminder).toBe(attemptsNeeded(9, 'gapminder', 0.4));
    expect(attempts(other.output)).not.toEqual(runs[0]);
  });

  it('outage.json: the breaker opens after 3 failed calls; continue_on_error gives PARTIAL_SUCCESS', async () => {
    const input = JSON.parse(readFileSync(join(EXAMPLES, 'resilient-pipeline', 'outage.json'), 'utf8')) as Row;
    const { output, error } = await run('resilient-pipeline', input);
    expect(error).toBeNull(); // continue_on_error resolves
    expect(output.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(statesByName(output)).toEqual({
      fetch_cars: EnumStepState.COMPLETED,
      summarise_cars: EnumStepState.COMPLETED,
      fetch_penguins: EnumStepState.COMPLETED,
      summarise_penguins: EnumStepState.COMPLETED,
      fetch_gapminder: EnumStepState.FAILED,
      summarise_gapminder: EnumStepState.SKIPPED,
      report: EnumStepState.SKIPPED,
    });
    expect(attempts(output).fetch_gapminder).toBe(5); // 3 calls that failed, then 2 rejected by the open circuit
    expect(output.errors).toEqual([
      expect.objectContaining({
        code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
        message: expect.stringMatching(/circuit breaker for 'flaky_source' is open/),
      }),
    ]);
    expect(output.metadata.circuit_breakers).toEqual({
      flaky_source: { state: EnumCircuitState.OPEN, failure_threshold: 3, cooldown_ms: 30_000 },
      summarise_source: { state: EnumCircuitState.CLOSED, failure_threshold: 3, cooldown_ms: 30_000 },
      merge_summaries: { state: EnumCircuitState.CLOSED, failure_threshold: 3, cooldown_ms: 30_000 },
    });
  });

  it('with a lower threshold the breaker opens sooner: after 2 failed calls', async () => {
    const input = { seed: 41, failure_rate: 0.4, unavailable: ['gapminder'] };
    const { output } = await run('resilient-pipeline', input, {
      circuitBreakers: { perNodeType: { flaky_source: { failureThreshold: 2 } } },
    });
    // cars needs 3 attempts under seed 41 (2 failures in a row): with threshold 2 that already opens the circuit.
    expect(statesByName(output).fetch_cars).toBe(EnumStepState.FAILED);
    expect(output.metadata.circuit_breakers).toMatchObject({
      flaky_source: { state: EnumCircuitState.OPEN, failure_threshold: 2 },
    });
    expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
  });
});

/** A CI/CD input with a workspace of its own. */
function cicdInput(workspace: string, extra: Row = {}): Row {
  return { release: '1.0.0', environment: 'staging', workspace, ...extra };
}

function currentRelease(workspace: string): Row | null {
  const path = join(workspace, 'environments', 'staging', 'current.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Row) : null;
}

function compensationsOf(output: ModelOrchestratorOutput) {
  return (output.metadata.compensations ?? []) as { step_name: string; state: string }[];
}

describe('cicd-pipeline', () => {
  it('default input: lint → test → build → deploy → notify, the release is active', async () => {
    const workspace = tempDir();
    const { output, error } = await run('cicd-pipeline', cicdInput(workspace));
    expect(error).toBeNull();
    expect(output.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(statesByName(output)).toEqual({
      lint: 'completed',
      test: 'completed',
      build: 'completed',
      deploy: 'completed',
      notify: 'completed',
    });
    expect(output.stepOutputs.lint).toMatchObject({ files_checked: 2, lint_errors: 0 });
    expect(output.stepOutputs.test).toMatchObject({ tests_run: 7, tests_passed: 7, tests_failed: 0 });
    const build = output.stepOutputs.build as { version: string; created: boolean };
    expect(build.version).toMatch(/^1\.0\.0-[0-9a-f]{8}$/);
    expect(build.created).toBe(true);
    expect(output.stepOutputs.notify).toEqual({
      status: 'deployed',
      environment: 'staging',
      version: build.version,
      tests_run: 7,
    });
    expect(currentRelease(workspace)).toMatchObject({ version: build.version, previous: null });
    const manifest = JSON.parse(readFileSync(join(workspace, 'artifacts', build.version, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(['stats.js']);
  });

  it('failing-tests.json: build and deploy are skipped (condition_false), notify says why, COMPLETED', async () => {
    const workspace = tempDir();
    const { output } = await run(
      'cicd-pipeline',
      cicdInput(workspace, { release: '1.1.0', inject_failing_test: true }),
    );
    expect(output.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(statesByName(output)).toMatchObject({ build: 'skipped', deploy: 'skipped', notify: 'completed' });
    expect(output.stepReports.find((r) => r.stepName === 'deploy')!.reason).toBe('condition_false');
    expect(output.stepOutputs.test).toMatchObject({ tests_run: 8, tests_failed: 1 });
    expect(output.stepOutputs.notify).toMatchObject({ status: 'not deployed: 1 of 8 test(s) failed', version: null });
    expect(existsSync(join(workspace, 'artifacts'))).toBe(false);
    expect(currentRelease(workspace)).toBeNull();
  });

  it('broken-deploy.json after a good deploy: deploy fails, the saga restores the release and discards the artifact', async () => {
    const workspace = tempDir();
    await run('cicd-pipeline', cicdInput(workspace));
    const before = currentRelease(workspace);
    const { output, error } = await run(
      'cicd-pipeline',
      cicdInput(workspace, { release: '1.1.0', break_deploy: true }),
    );
    expect(error?.code).toBe(EnumCoreErrorCode.SERVICE_UNAVAILABLE);
    expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
    // Reverse completion order: the activation (deploy) first, then the build.
    expect(compensationsOf(output).map((c) => [c.step_name, c.state])).toEqual([
      ['deploy', EnumStepState.COMPENSATED],
      ['build', EnumStepState.COMPENSATED],
    ]);
    const deploy = output.stepReports.find((r) => r.stepName === 'deploy')!;
    expect(deploy.actions.map((a) => [a.targetNodeType, a.state, a.attempts])).toEqual([
      ['activate_release', EnumStepState.COMPENSATED, 1],
      ['health_check', EnumStepState.FAILED, 3],
    ]);
    expect(currentRelease(workspace)).toEqual(before);
    expect(readdirSync(join(workspace, 'artifacts'))).toEqual([(before as { version: string }).version]);
    const history = readFileSync(join(workspace, 'environments', 'staging', 'history.log'), 'utf8')
      .trim()
      .split('\n');
    expect(history.map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      `activate ${(before as { version: string }).version}`,
      expect.stringMatching(/^activate 1\.1\.0-/),
      expect.stringMatching(/^rollback 1\.1\.0-[0-9a-f]{8} -> 1\.0\.0-[0-9a-f]{8}$/),
    ]);
  });

  it('broken-deploy.json on a fresh workspace: nothing was deployed before, so nothing stays deployed', async () => {
    const workspace = tempDir();
    const { output } = await run('cicd-pipeline', cicdInput(workspace, { break_deploy: true }));
    expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(currentRelease(workspace)).toBeNull();
    expect(readdirSync(join(workspace, 'artifacts'))).toEqual([]);
  });

  it('lint fails the pipeline on an error (VALIDATION_ERROR, not retried); nothing else runs', async () => {
    const app = tempDir();
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'bad.js'), 'var x = 1;   \nexport default x;\n');
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    const loaded = await loadWorkflowFile(join(EXAMPLES, 'cicd-pipeline', 'workflow.yaml'), {
      container,
      inputData: cicdInput(tempDir()),
    });
    // Same workflow, its lint step pointed at the bad application.
    const steps = loaded.input.steps.map((s) =>
      s.stepName === 'lint'
        ? { ...s, actions: [{ ...s.actions[0]!, operationData: { root: app, max_line_length: 120 } }] }
        : s,
    );
    const err = await rejectionOf(new NodeOrchestrator(container).process({ ...loaded.input, steps }));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toMatch(/lint: 2 error\(s\), first src\/bad\.js:1 no-trailing-whitespace/);
    const out = outputOf(err);
    expect(out.stepReports[0]!.attempts).toBe(1);
    expect(out.completedSteps).toEqual([]);
  });
});
