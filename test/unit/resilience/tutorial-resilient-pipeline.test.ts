// The tutorial's resilient pipeline (seed Step 5 and `test_error_recovery` of Step 6) on real data: the five-step
// pipeline validate (COMPUTE) → fetch (EFFECT) → process (COMPUTE) → aggregate (REDUCE, sum by genre) → save (EFFECT)
// over vega-datasets' movies.json. `continue_on_error` on an unavailable source gives PARTIAL_SUCCESS; a TIMEOUT of
// the source is recovered through the recovery API (NodeResilientOrchestrator / processWithRecovery).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type ModelONEXContainer,
  type ModelOrchestratorInputInput,
  type NodeContext,
  NodeReducer,
  NodeResilientOrchestrator,
  OnexError,
  processWithRecovery,
} from '../../../src/index.js';
import { orchestratorFor, quietContainer, rejectionOf, statesByName, step, steps } from './helpers.js';

type Row = Record<string, unknown>;
const examples = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
// Plain JS without declarations: a computed specifier keeps tsc from asking for .d.ts files.
const datasets: { loadDataset(name: string): readonly Row[] } = await import(
  pathToFileURL(join(examples, 'shared/datasets.js')).href
);
const MOVIES = datasets.loadDataset('movies');

/** Sum of Worldwide Gross per Major Genre, computed here independently of the pipeline. */
function expectedTotals(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const m of MOVIES) {
    const genre = m['Major Genre'];
    const gross = m['Worldwide Gross'];
    if (typeof genre === 'string' && genre.trim() && typeof gross === 'number' && Number.isFinite(gross)) {
      totals.set(genre.trim(), (totals.get(genre.trim()) ?? 0) + gross);
    }
  }
  return totals;
}

interface Probe {
  fetchCalls: number;
  saved: Row[][];
}

/**
 * The tutorial's nodes. `fetch` reads `input_data.data_source`: "movies" works, "unavailable_source" is down
 * (RESOURCE_UNAVAILABLE); "slow_database" hangs on its first `slowCalls` calls (so they time out).
 */
function registerPipeline(container: ModelONEXContainer, slowCalls = 0): Probe {
  const probe: Probe = { fetchCalls: 0, saved: [] };
  container.registerNode('NodeDataValidatorCompute', (_d: unknown, ctx: NodeContext) => ({
    valid: typeof ctx.workflowInput.data_source === 'string',
  }));
  container.registerNode('NodeDataFetcherEffect', {
    execute: (_d: unknown, ctx: NodeContext) => {
      probe.fetchCalls++;
      const source = String(ctx.workflowInput.data_source);
      if (source === 'unavailable_source') {
        throw new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, `data source '${source}' is unavailable`);
      }
      if (source === 'slow_database' && probe.fetchCalls <= slowCalls) return new Promise<never>(() => {});
      return MOVIES;
    },
  });
  container.registerNode('NodeDataTransformerCompute', (_d: unknown, ctx: NodeContext) =>
    (ctx.inputs[0] as Row[])
      .filter((m) => typeof m['Major Genre'] === 'string' && typeof m['Worldwide Gross'] === 'number')
      .map((m) => ({ category: String(m['Major Genre']).trim(), value: m['Worldwide Gross'] })),
  );
  container.registerNode('NodeDataAggregatorReducer', NodeReducer);
  container.registerNode('NodeDatabaseWriterEffect', {
    execute: (_d: unknown, ctx: NodeContext) => {
      probe.saved.push(ctx.inputs[0] as Row[]);
      return { rows_upserted: (ctx.inputs[0] as Row[]).length };
    },
  });
  return probe;
}

/** The five steps as the tutorial builds them (fetch: timeout 100 ms here, retry_count 0 so TIMEOUT reaches recovery). */
function pipeline(dataSource: string, extra: Partial<ModelOrchestratorInputInput> = {}): ModelOrchestratorInputInput {
  const validate = step('Validate Input Data', 'NodeDataValidatorCompute');
  const fetch = step(
    'Fetch Data from Source',
    'NodeDataFetcherEffect',
    { actionType: 'effect', timeoutMs: 100 },
    { dependsOn: [validate.stepId] },
  );
  const process = step('Transform Data', 'NodeDataTransformerCompute', {}, { dependsOn: [fetch.stepId] });
  const aggregate = step(
    'Aggregate Results',
    'NodeDataAggregatorReducer',
    { actionType: 'reduce', operationData: { aggregation_type: 'sum', group_by: 'category' } },
    { dependsOn: [process.stepId] },
  );
  const save = step(
    'Save Aggregated Results',
    'NodeDatabaseWriterEffect',
    { actionType: 'effect', operationData: { destination: 'processed_data_table', mode: 'upsert' } },
    { dependsOn: [aggregate.stepId] },
  );
  return {
    workflowName: 'resilient-pipeline',
    executionMode: 'sequential',
    inputData: { id: 'test-123', data: 'sample', data_source: dataSource },
    steps: steps(validate, fetch, process, aggregate, save),
    ...extra,
  };
}

describe("the tutorial's resilient pipeline", () => {
  it('test_error_recovery: continue_on_error on an unavailable source gives PARTIAL_SUCCESS', async () => {
    const container = quietContainer();
    const probe = registerPipeline(container);
    const resilient = new NodeResilientOrchestrator(container, { circuitBreakers: false });
    const out = await resilient.process(pipeline('unavailable_source', { failureStrategy: 'continue_on_error' }));
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(out.stepsCompleted).toBe(1);
    expect(out.stepsFailed).toBe(1);
    expect(statesByName(out)).toEqual({
      'Validate Input Data': EnumStepState.COMPLETED,
      'Fetch Data from Source': EnumStepState.FAILED,
      'Transform Data': EnumStepState.SKIPPED,
      'Aggregate Results': EnumStepState.SKIPPED,
      'Save Aggregated Results': EnumStepState.SKIPPED,
    });
    expect(out.errors).toEqual([expect.objectContaining({ code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE })]);
    expect(probe.saved).toEqual([]);
  });

  it('under FAIL_FAST the same run fails, and the skip strategy turns it into partial results', async () => {
    const container = quietContainer();
    registerPipeline(container);
    const orchestrator = orchestratorFor(container);
    const err = await rejectionOf(orchestrator.process(pipeline('unavailable_source')));
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    const out = await processWithRecovery(orchestrator, pipeline('unavailable_source'), { strategy: 'skip' });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expect(out.metadata.recovery_strategy).toBe('partial_results'); // the tutorial's value
  });

  it('recovers a TIMEOUT of the source: the retried run completes with the right totals', async () => {
    const container = quietContainer();
    const probe = registerPipeline(container, 1);
    const resilient = new NodeResilientOrchestrator(container, {
      circuitBreakers: false,
      recovery: { strategy: 'retry', maxRetries: 2, backoff: { initialDelayMs: 1, maxDelayMs: 5 } },
    });
    const out = await resilient.process(pipeline('slow_database', { executionMode: 'parallel', maxParallelSteps: 3 }));
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect((out.metadata.recovered_errors as { code: string }[]).map((e) => e.code)).toEqual([
      EnumCoreErrorCode.TIMEOUT,
    ]);
    expect(probe.fetchCalls).toBe(2);
    expect(out.stepsCompleted).toBe(5);
    const totals = new Map(
      (out.stepOutputs['Aggregate Results'] as { category: string; sum: number }[]).map((r) => [r.category, r.sum]),
    );
    expect(totals).toEqual(expectedTotals());
    expect(probe.saved).toHaveLength(1);
    expect(probe.saved[0]).toHaveLength(expectedTotals().size);
  });

  it('a source that keeps timing out is not recovered past maxRetries: the run fails with TIMEOUT', async () => {
    const container = quietContainer();
    const probe = registerPipeline(container, 10);
    const resilient = new NodeResilientOrchestrator(container, {
      circuitBreakers: false,
      recovery: { maxRetries: 1, backoff: { initialDelayMs: 1, maxDelayMs: 5 } },
    });
    const err = await rejectionOf(resilient.process(pipeline('slow_database')));
    expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(probe.fetchCalls).toBe(2);
    expect(probe.saved).toEqual([]);
  });
});
