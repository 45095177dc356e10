// The public API (src/index.ts): the exact list of runtime exports, and one short behavioural check per export, so a
// new export without a test, or an export that stops working, fails here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { createLogger } from '../../src/observability/logger.js';

const EXPECTED_EXPORTS = [
  'DEFAULT_LEASE_MS',
  'DEFAULT_LEASE_RENEW_MS',
  'DEFAULT_SQLITE_PATH',
  'PostgresStore',
  'SqliteStore',
  'openStore',
  'parseStoreSpec',
  'EnumActionType',
  'EnumBranchCondition',
  'EnumCircuitState',
  'EnumCoreErrorCode',
  'EnumExecutionMode',
  'EnumFailureStrategy',
  'EnumLogLevel',
  'EnumNodeLifecycleStatus',
  'EnumStepState',
  'EnumStepType',
  'EnumWorkflowState',
  'MemoryStore',
  'ModelONEXContainer',
  'NodeCompute',
  'NodeCoreBase',
  'NodeEffect',
  'NodeOrchestrator',
  'NodeReducer',
  'NodeResilientOrchestrator',
  'OnexError',
  'createAction',
  'createOrchestratorInput',
  'createWorkflowStep',
  'fromWire',
  'isRetryable',
  'loadWorkflowFile',
  'processWithRecovery',
  'toWire',
] as const;

const quiet = () => new api.ModelONEXContainer({ logger: createLogger('silent') });

/** A container whose one node fails with RESOURCE_UNAVAILABLE on its first call only, and a one-step workflow on it. */
function flakyOnce() {
  const container = quiet();
  let calls = 0;
  container.registerNode('flaky', async () => {
    calls++;
    if (calls === 1) throw new api.OnexError(api.EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'busy');
    return { ok: calls };
  });
  const input = { steps: [{ stepName: 'f', actions: [{ actionType: 'effect', targetNodeType: 'flaky' }] }] };
  return { container, input, calls: () => calls };
}

/** One behavioural check per export; the key set must equal EXPECTED_EXPORTS. */
const checks: Record<(typeof EXPECTED_EXPORTS)[number], () => void | Promise<void>> = {
  EnumActionType: () => expect(api.EnumActionType.REDUCE).toBe('reduce'),
  EnumBranchCondition: () => expect(api.EnumBranchCondition.IF_ERROR).toBe('if_error'),
  EnumCircuitState: () => expect(api.EnumCircuitState.HALF_OPEN).toBe('half_open'),
  EnumCoreErrorCode: () => expect(api.EnumCoreErrorCode.TIMEOUT).toBe('ONEX_CORE_088_TIMEOUT'),
  EnumExecutionMode: () => expect(api.EnumExecutionMode.BATCH).toBe('batch'),
  EnumFailureStrategy: () => expect(api.EnumFailureStrategy.FAIL_FAST).toBe('fail_fast'),
  EnumLogLevel: () => {
    // Values are pino method names, so emitLogEvent can call logger[level].
    const logger = createLogger('silent');
    for (const level of Object.values(api.EnumLogLevel)) expect(typeof logger[level]).toBe('function');
  },
  EnumNodeLifecycleStatus: () =>
    expect(Object.values(api.EnumNodeLifecycleStatus)).toEqual([
      'initialized',
      'initializing',
      'ready',
      'failed',
      'cleaning_up',
      'cleaned_up',
      'cleanup_failed',
    ]),
  EnumStepState: () => expect(api.EnumStepState.COMPENSATED).toBe('compensated'),
  EnumStepType: () => {
    // The reference's step_type literal, without the reserved 'conditional'.
    expect(Object.values(api.EnumStepType).sort()).toEqual(
      ['compute', 'custom', 'effect', 'orchestrator', 'parallel', 'reducer'].sort(),
    );
  },
  EnumWorkflowState: () => expect(api.EnumWorkflowState.PARTIAL_SUCCESS).toBe('partial_success'),
  MemoryStore: async () => {
    const store = new api.MemoryStore({ maxRuns: 2 });
    const container = quiet();
    container.registerNode('one', async () => ({ v: 1 }));
    const orchestrator = new api.NodeOrchestrator(container, { store });
    const outputs = [];
    for (let i = 0; i < 3; i++) {
      outputs.push(
        await orchestrator.process({
          workflowName: `run${i}`,
          steps: [{ stepName: 's', actions: [{ actionType: 'compute', targetNodeType: 'one' }] }],
        }),
      );
    }
    expect(store.kind).toBe('memory');
    const runs = await store.listRuns();
    expect(runs.map((r) => r.workflowName)).toEqual(['run2', 'run1']); // newest first, oldest evicted
    const last = await store.getRun(outputs[2]!.operationId);
    expect(last?.state).toBe('completed');
    expect(last?.actions.map((a) => a.state)).toEqual(['completed']);
    expect(await store.getRun(outputs[0]!.operationId)).toBeUndefined();
  },
  ModelONEXContainer: () => {
    const c = quiet().register('answer', () => 42);
    expect(c.get('answer')).toBe(42);
  },
  NodeCompute: async () => {
    const c = quiet();
    class Upper extends api.NodeCompute<{ s: string }, string> {
      compute(input: { s: string }) {
        return input.s.toUpperCase();
      }
    }
    c.registerNode('upper', new Upper(c));
    const out = await new api.NodeOrchestrator(c).process({
      steps: [
        { stepName: 'u', actions: [{ actionType: 'compute', targetNodeType: 'upper', operationData: { s: 'hi' } }] },
      ],
    });
    expect(out.stepOutputs.u).toBe('HI');
  },
  NodeCoreBase: async () => {
    class Bare extends api.NodeCoreBase {}
    const node = new Bare(quiet());
    await node.initialize();
    expect(node.status).toBe(api.EnumNodeLifecycleStatus.READY);
    expect(node).toBeInstanceOf(api.NodeCoreBase);
  },
  NodeEffect: async () => {
    const c = quiet();
    const written: unknown[] = [];
    class Save extends api.NodeEffect {
      execute(input: Record<string, unknown>) {
        written.push(input);
        return { saved: true };
      }
    }
    c.registerNode('save', new Save(c));
    await new api.NodeOrchestrator(c).process({
      steps: [{ stepName: 's', actions: [{ actionType: 'effect', targetNodeType: 'save', operationData: { id: 1 } }] }],
    });
    expect(written).toEqual([{ id: 1 }]);
  },
  NodeOrchestrator: async () => {
    const c = quiet();
    c.registerNode('double', async (data: Record<string, unknown>) => ({ value: Number(data.value) * 2 }));
    const out = await new api.NodeOrchestrator(c).process({
      steps: [
        { stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'double', operationData: { value: 21 } }] },
      ],
    });
    expect(out.workflowState).toBe('completed');
    expect(out.stepOutputs.a).toEqual({ value: 42 });
    expect(out.processingTimeMs).toBeGreaterThan(0);
  },
  NodeReducer: () => {
    expect(
      api.NodeReducer.aggregate(
        [
          { k: 'a', v: 1 },
          { k: 'a', v: 2 },
          { k: 'b', v: 5 },
        ],
        {
          groupBy: 'k',
          aggregations: [{ op: 'sum', field: 'v', as: 'total' }],
        },
      ),
    ).toEqual([
      { k: 'a', total: 3 },
      { k: 'b', total: 5 },
    ]);
  },
  NodeResilientOrchestrator: async () => {
    const { container, input, calls } = flakyOnce();
    const orchestrator = new api.NodeResilientOrchestrator(container, { recovery: { backoff: { initialDelayMs: 1 } } });
    const out = await orchestrator.process(input);
    expect(out.workflowState).toBe('completed');
    expect(out.stepOutputs.f).toEqual({ ok: 2 });
    expect(out.metadata.recovery_strategy).toBe('retry');
    expect(calls()).toBe(2);
  },
  OnexError: () => {
    const err = new api.OnexError(api.EnumCoreErrorCode.NOT_FOUND, 'no such run');
    expect(String(err)).toBe('[ONEX_CORE_028_NOT_FOUND] no such run');
  },
  createAction: () => expect(api.createAction({ actionType: 'effect', targetNodeType: 't' }).timeoutMs).toBe(30_000),
  createOrchestratorInput: () => expect(api.createOrchestratorInput({ steps: [] }).maxParallelSteps).toBe(5),
  createWorkflowStep: () => expect(api.createWorkflowStep({ stepName: 'x' }).enabled).toBe(true),
  fromWire: () => expect(api.fromWire({ step_name: 'x' })).toEqual({ stepName: 'x' }),
  isRetryable: () => expect(api.isRetryable(new api.OnexError(api.EnumCoreErrorCode.TIMEOUT, 't'))).toBe(true),
  loadWorkflowFile: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onex-public-api-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'nodes.mjs'),
      'export const add = async (data, ctx) => ({ sum: data.a + data.b + (ctx.inputs[0]?.sum ?? 0) });\n',
    );
    writeFileSync(
      join(dir, 'flow.yaml'),
      [
        'workflow_name: tiny',
        'nodes: ./nodes.mjs',
        'steps:',
        '  - step_name: first',
        '    action_type: compute',
        '    target_node_type: add',
        '    operation_data: { a: 1, b: 2 }',
        '  - step_name: second',
        '    depends_on: [first]',
        '    action_type: compute',
        '    target_node_type: add',
        '    operation_data: { a: 10, b: 20 }',
        '',
      ].join('\n'),
    );
    const loaded = await api.loadWorkflowFile(join(dir, 'flow.yaml'), { container: quiet() });
    expect(loaded.input.workflowName).toBe('tiny');
    expect(loaded.nodesPath).toBe(join(dir, 'nodes.mjs'));
    const out = await new api.NodeOrchestrator(loaded.container).process(loaded.input);
    expect(out.stepOutputs).toEqual({ first: { sum: 3 }, second: { sum: 33 } });
  },
  processWithRecovery: async () => {
    const { container, input, calls } = flakyOnce();
    const out = await api.processWithRecovery(new api.NodeOrchestrator(container), input, {
      strategy: 'retry',
      backoff: { initialDelayMs: 1 },
    });
    expect(out.stepOutputs.f).toEqual({ ok: 2 });
    expect(out.metadata.recovery_attempts).toBe(1);
    expect(calls()).toBe(2);
  },
  toWire: () =>
    expect(api.toWire({ stepName: 'x', operationData: { keepMe: 1 } })).toEqual({
      step_name: 'x',
      operation_data: { keepMe: 1 },
    }),
  DEFAULT_LEASE_MS: () => {
    // Spec §7: a lease lasts 15 s and is renewed every 5 s.
    expect(api.DEFAULT_LEASE_MS).toBe(15_000);
  },
  DEFAULT_LEASE_RENEW_MS: () => {
    expect(api.DEFAULT_LEASE_RENEW_MS).toBe(5_000);
    expect(api.DEFAULT_LEASE_RENEW_MS).toBeLessThan(api.DEFAULT_LEASE_MS);
  },
  DEFAULT_SQLITE_PATH: () => {
    expect(api.DEFAULT_SQLITE_PATH).toBe('.onex/onex.db');
  },
  parseStoreSpec: () => {
    expect(api.parseStoreSpec('memory')).toEqual({ kind: 'memory' });
    expect(api.parseStoreSpec('sqlite:/tmp/x.db')).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(api.parseStoreSpec('postgres://127.0.0.1:5432/test')).toEqual({
      kind: 'postgres',
      url: 'postgres://127.0.0.1:5432/test',
    });
    expect(() => api.parseStoreSpec('redis://x')).toThrow(/INVALID_PARAMETER|unknown store/);
  },
  openStore: async () => {
    const store = await api.openStore('memory');
    expect(store.kind).toBe('memory');
    expect(await store.listRuns()).toEqual([]);
    await store.close();
  },
  SqliteStore: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onex-api-'));
    dirs.push(dir);
    const store = api.SqliteStore.open(join(dir, 'runs.db'));
    const container = quiet();
    container.registerNode('one', async () => 1);
    const out = await new api.NodeOrchestrator(container, { store }).process({
      steps: [{ stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'one' }] }],
    });
    const run = await store.getRun(out.operationId);
    expect(run?.state).toBe('completed');
    expect(run?.actions[0]?.state).toBe('completed');
    await store.close();
  },
  PostgresStore: async () => {
    const schema = `onex_api_${process.pid}`;
    const store = await api.PostgresStore.open(`postgres://127.0.0.1:5432/test?schema=${schema}`);
    try {
      const container = quiet();
      container.registerNode('one', async () => 1);
      const out = await new api.NodeOrchestrator(container, { store }).process({
        steps: [{ stepName: 'a', actions: [{ actionType: 'compute', targetNodeType: 'one' }] }],
      });
      expect((await store.getRun(out.operationId))?.state).toBe('completed');
    } finally {
      await store.close();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  },
};

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('public API', () => {
  it('exports exactly the expected runtime names', async () => {
    const module = await import('../../src/index.js');
    expect(Object.keys(module).sort()).toEqual([...EXPECTED_EXPORTS].sort());
  });

  it('has a behavioural check for every export', () => {
    expect(Object.keys(checks).sort()).toEqual([...EXPECTED_EXPORTS].sort());
  });

  it.each([...EXPECTED_EXPORTS])('%s works', async (name) => {
    const module: Record<string, unknown> = await import('../../src/index.js');
    expect(module[name]).toBeDefined();
    await checks[name]();
  });
});
