// Beyond the seven Step 6 tests: the tutorial pipeline produces real results (checked against sums computed here from
// the raw rows), the conditional pipeline takes each branch, and the resilient pipeline recovers on each path.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumExecutionMode,
  EnumStepState,
  EnumWorkflowState,
  type ModelOrchestratorOutput,
  OnexError,
} from '../../src/index.js';
import { NodeConditionalPipelineOrchestrator } from './node-conditional-pipeline-orchestrator.js';
import { NodePipelineOrchestrator } from './node-pipeline-orchestrator.js';
import { NodeResilientPipelineOrchestrator } from './node-resilient-pipeline-orchestrator.js';
import {
  createTutorialContainer,
  DataSourceRegistry,
  type InMemoryDatabase,
  type NodeDataValidatorCompute,
  SOURCE_TABLES,
} from './pipeline-nodes.js';

const fast = { retryBackoff: { initialDelayMs: 1, maxDelayMs: 5 } };
const record = { id: 'test-123', data: 'sample' };

/** Sum of parseable amounts per normalised category, computed straight from the raw rows. */
function expectedSums(source: string, category?: string): { category: string; sum: number }[] {
  const sums = new Map<string, number>();
  for (const row of SOURCE_TABLES[source]!) {
    const key = row.category.trim().toLowerCase();
    if (category && key !== category) continue;
    const amount = typeof row.amount === 'number' ? row.amount : Number(row.amount);
    if (row.amount === null || !Number.isFinite(amount)) continue;
    sums.set(key, (sums.get(key) ?? 0) + amount);
  }
  return [...sums].map(([c, sum]) => ({ category: c, sum })).sort((a, b) => a.category.localeCompare(b.category));
}

const byCategory = (rows: unknown) =>
  [...(rows as { category: string; sum: number }[])].sort((a, b) => a.category.localeCompare(b.category));

async function rejection(promise: Promise<unknown>): Promise<OnexError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('tutorial pipeline results', () => {
  for (const mode of [EnumExecutionMode.SEQUENTIAL, EnumExecutionMode.PARALLEL, EnumExecutionMode.BATCH]) {
    it(`sums amounts by category and upserts them (${mode})`, async () => {
      const container = createTutorialContainer();
      const orchestrator = new NodePipelineOrchestrator(container, fast);
      const out = await orchestrator.process({
        inputData: record,
        config: { dataSource: 'test_database' },
        executionMode: mode,
      });
      expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
      const expected = expectedSums('test_database');
      // books 12.5 + 7.5 + 5, games 30 + 15, music 9 (the null and 'n/a' amounts are dropped).
      expect(expected).toEqual([
        { category: 'books', sum: 25 },
        { category: 'games', sum: 45 },
        { category: 'music', sum: 9 },
      ]);
      expect(byCategory(out.stepOutputs['Aggregate Processed Data'])).toEqual(expected);
      expect(out.stepOutputs['Save Aggregated Results']).toEqual({
        destination: 'processed_data_table',
        mode: 'upsert',
        rows_upserted: 3,
      });
      const db = container.get<InMemoryDatabase>('database');
      expect(db.rows('processed_data_table')).toEqual(expected);
      expect(db.writeCalls).toBe(1);
      expect(out.metadata).toMatchObject({ pipeline_type: 'data_processing', data_source: 'test_database' });
    });
  }

  it('applies the query of the input data', async () => {
    const container = createTutorialContainer();
    const out = await new NodePipelineOrchestrator(container, fast).process({
      inputData: { ...record, query: { category: 'books' } },
      config: { dataSource: 'test_database' },
    });
    expect(out.stepOutputs['Aggregate Processed Data']).toEqual(expectedSums('test_database', 'books'));
  });

  it('rejects input missing a required field with VALIDATION_ERROR before fetching anything', async () => {
    const sources = new DataSourceRegistry();
    const container = createTutorialContainer(sources);
    const err = await rejection(
      new NodePipelineOrchestrator(container, fast).process({
        inputData: { id: 'x' },
        config: { dataSource: 'test_database' },
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toMatch(/^Pipeline orchestration failed: .*missing required fields: data/);
    expect(sources.queries).toEqual([]);
    expect((err.context.output as ModelOrchestratorOutput).workflowState).toBe(EnumWorkflowState.FAILED);
  });

  it('fails fast with the fetcher code when the source is unavailable', async () => {
    const container = createTutorialContainer();
    const err = await rejection(
      new NodePipelineOrchestrator(container, fast).process({
        inputData: record,
        config: { dataSource: 'unavailable_source' },
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(container.get<InMemoryDatabase>('database').rows('processed_data_table')).toEqual([]);
  });

  it('rejects an invalid pipeline input (quality threshold above 1)', async () => {
    const orchestrator = new NodePipelineOrchestrator(createTutorialContainer(), fast);
    const err = await rejection(
      orchestrator.process({ inputData: record, config: { dataSource: 'test_database', qualityThreshold: 1.5 } }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain('config.qualityThreshold');
  });

  it('still accepts a plain orchestrator input, as its base class does', async () => {
    const container = createTutorialContainer();
    const out = await new NodePipelineOrchestrator(container, fast).process({
      steps: [
        {
          stepName: 'fetch',
          actions: [
            { actionType: 'effect', targetNodeType: 'NodeDataFetcherEffect', operationData: { source: 'database' } },
          ],
        },
      ],
    });
    expect((out.stepOutputs.fetch as { rows: unknown[] }).rows).toHaveLength(3);
  });
});

describe('conditional pipeline', () => {
  it('takes the fast track for high-quality data', async () => {
    const container = createTutorialContainer();
    const out = await new NodeConditionalPipelineOrchestrator(container, fast).process({
      inputData: { id: 'good', data: 'complete', owner: 'team-a' },
      config: { dataSource: 'test_database' },
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    const report = out.stepReports.find((r) => r.stepName === 'Fast Track Storage')!;
    expect(report.state).toBe(EnumStepState.COMPLETED);
    expect(container.get<InMemoryDatabase>('database').rows('fast_track_table')).toHaveLength(1);
  });

  it('skips the fast track for low-quality data, and the full pipeline still runs', async () => {
    const container = createTutorialContainer();
    const out = await new NodeConditionalPipelineOrchestrator(container, fast).process({
      inputData: { id: 'meh', data: 'partial', notes: null, owner: '' },
      config: { dataSource: 'test_database', qualityThreshold: 0.5 },
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.stepOutputs['Assess Data Quality']).toEqual({
      quality_score: 0.5,
      threshold: 0.5,
      meets_threshold: true,
      fields_checked: 4,
    });
    const report = out.stepReports.find((r) => r.stepName === 'Fast Track Storage')!;
    expect(report.state).toBe(EnumStepState.SKIPPED);
    expect(report.reason).toBe('condition_false');
    const db = container.get<InMemoryDatabase>('database');
    expect(db.rows('fast_track_table')).toEqual([]);
    expect(db.rows('processed_data_table')).toEqual(expectedSums('test_database'));
  });

  it('runs the quality check after validation and the fast track after the quality check', async () => {
    const container = createTutorialContainer();
    const out = await new NodeConditionalPipelineOrchestrator(container, fast).process({
      inputData: record,
      config: { dataSource: 'test_database' },
      executionMode: EnumExecutionMode.PARALLEL,
    });
    const position = (name: string) =>
      out.completedSteps.indexOf(out.stepReports.find((r) => r.stepName === name)!.stepId);
    expect(position('Assess Data Quality')).toBeGreaterThan(position('Validate Input Data'));
    expect(position('Fast Track Storage')).toBeGreaterThan(position('Assess Data Quality'));
    expect(out.actionsEmitted.every((a) => a.leaseId === out.leaseId)).toBe(true);
  });
});

describe('resilient pipeline', () => {
  it('retries the run after a TIMEOUT, reusing the cached validation result', async () => {
    // The source times out on its first 3 queries: the fetch's own 3 attempts all fail, the run fails with TIMEOUT,
    // and the recovery run's fetch succeeds. The default breaker (3 consecutive failures) would reject the recovery
    // run's fetch at once, so this orchestrator gives the fetcher a higher threshold.
    const sources = new DataSourceRegistry(
      { ...SOURCE_TABLES, slow_source: SOURCE_TABLES.test_database! },
      { slow_source: { kind: 'timeout', times: 3 } },
    );
    const container = createTutorialContainer(sources);
    const resilient = new NodeResilientPipelineOrchestrator(container, {
      ...fast,
      circuitBreakers: { perNodeType: { NodeDataFetcherEffect: { failureThreshold: 10 } } },
    });
    const out = await resilient.process({ inputData: record, config: { dataSource: 'slow_source' } });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect(byCategory(out.stepOutputs['Aggregate Processed Data'])).toEqual(expectedSums('test_database'));
    expect(sources.queries).toEqual(Array(4).fill('slow_source'));
    const validator = container.getNodes('NodeDataValidatorCompute')[0] as NodeDataValidatorCompute;
    expect(validator.getCacheStats()).toMatchObject({ hits: 1, misses: 1 });
    expect(resilient.activeWorkflows.size).toBe(0);
  });

  it('skips the unavailable step under fail_fast and returns PARTIAL_SUCCESS', async () => {
    const container = createTutorialContainer();
    const resilient = new NodeResilientPipelineOrchestrator(container, fast);
    const out = await resilient.process({ inputData: record, config: { dataSource: 'unavailable_source' } });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(out.metadata.recovery_strategy).toBe('skip_failed_step');
    expect(out.stepsCompleted).toBe(1);
    expect(out.errors[0]!.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
  });

  it('does not recover from a validation error', async () => {
    const resilient = new NodeResilientPipelineOrchestrator(createTutorialContainer(), fast);
    const err = await rejection(
      resilient.process({ inputData: { data: 'no id' }, config: { dataSource: 'database' } }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
  });

  it('does not turn a cancellation into a recovery', async () => {
    const resilient = new NodeResilientPipelineOrchestrator(createTutorialContainer(), fast);
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(
      resilient.process(
        { inputData: record, config: { dataSource: 'test_database' }, failureStrategy: 'continue_on_error' },
        { signal: controller.signal },
      ),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
  });
});
