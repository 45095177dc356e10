// NodeCompute (spec §6): results cached by target node type + hash of (operation data, dependency results, workflow
// input) in a bounded LRU, switchable off per node, with counters; plain functions and `{ compute }` objects are never
// cached. Everything runs through NodeOrchestrator.process, the path users take.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  NodeCompute,
  type NodeComputeOptions,
  type NodeContext,
  NodeOrchestrator,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

class Doubler extends NodeCompute<{ value: number }, { doubled: number; upstream: unknown }> {
  calls = 0;
  constructor(container: ModelONEXContainer, options?: NodeComputeOptions) {
    super(container, options);
  }
  compute(input: { value: number }, ctx: NodeContext) {
    this.calls++;
    return { doubled: input.value * 2, upstream: ctx.inputs[0] ?? null };
  }
}

function setup(options?: NodeComputeOptions) {
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  const node = new Doubler(container, options);
  container.registerNode('double', node);
  const orchestrator = new NodeOrchestrator(container, { retryBackoff: { initialDelayMs: 1 } });
  return { container, node, orchestrator };
}

const one = (value: number, extra: Partial<ModelOrchestratorInputInput> = {}): ModelOrchestratorInputInput => ({
  ...extra,
  steps: [{ stepName: 'd', actions: [{ actionType: 'compute', targetNodeType: 'double', operationData: { value } }] }],
});

describe('NodeCompute cache', () => {
  it('same input: the second run is a cache hit and compute runs once', async () => {
    const { node, orchestrator } = setup();
    const first = await orchestrator.process(one(21));
    const second = await orchestrator.process(one(21));
    expect(node.calls).toBe(1);
    expect(first.stepOutputs.d).toEqual({ doubled: 42, upstream: null });
    expect(second.stepOutputs.d).toEqual({ doubled: 42, upstream: null });
    expect(node.getCacheStats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it('a different input is a miss', async () => {
    const { node, orchestrator } = setup();
    await orchestrator.process(one(1));
    const out = await orchestrator.process(one(2));
    expect(node.calls).toBe(2);
    expect(out.stepOutputs.d).toEqual({ doubled: 4, upstream: null });
    expect(node.getCacheStats()).toEqual({ hits: 0, misses: 2, size: 2 });
  });

  it('different dependency results are a miss; equal ones a hit', async () => {
    const { container, node, orchestrator } = setup();
    const upstream = [10, 20, 20];
    let run = 0;
    container.registerNode('source', async () => ({ n: upstream[run++] }));
    const srcAction = crypto.randomUUID();
    const input: ModelOrchestratorInputInput = {
      steps: [
        { stepName: 'src', actions: [{ actionId: srcAction, actionType: 'effect', targetNodeType: 'source' }] },
        {
          stepName: 'd',
          actions: [
            { actionType: 'compute', targetNodeType: 'double', operationData: { value: 1 }, dependencies: [srcAction] },
          ],
        },
      ],
    };
    const outs = [];
    for (let i = 0; i < 3; i++) outs.push(await orchestrator.process(input));
    expect(outs.map((o) => o.stepOutputs.d)).toEqual([
      { doubled: 2, upstream: { n: 10 } },
      { doubled: 2, upstream: { n: 20 } },
      { doubled: 2, upstream: { n: 20 } },
    ]);
    expect(node.calls).toBe(2);
    expect(node.getCacheStats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('a different workflow input is a miss (the node may read it)', async () => {
    const { node, orchestrator } = setup();
    await orchestrator.process(one(3, { inputData: { region: 'eu' } }));
    await orchestrator.process(one(3, { inputData: { region: 'us' } }));
    await orchestrator.process(one(3, { inputData: { region: 'us' } }));
    expect(node.calls).toBe(2);
  });

  it('the key includes the target node type: one instance under two names caches separately', async () => {
    const { container, node, orchestrator } = setup();
    container.registerNode('double-too', node);
    await orchestrator.process(one(5));
    const out = await orchestrator.process({
      steps: [
        {
          stepName: 'd',
          actions: [{ actionType: 'compute', targetNodeType: 'double-too', operationData: { value: 5 } }],
        },
      ],
    });
    expect(out.stepOutputs.d).toEqual({ doubled: 10, upstream: null });
    expect(node.calls).toBe(2);
  });

  it('two equal actions in one run: the later one hits', async () => {
    const { node, orchestrator } = setup();
    const act = { actionType: 'compute', targetNodeType: 'double', operationData: { value: 4 } } as const;
    const out = await orchestrator.process({ steps: [{ stepName: 'pair', actions: [act, act] }] });
    expect(out.stepOutputs.pair).toEqual([
      { doubled: 8, upstream: null },
      { doubled: 8, upstream: null },
    ]);
    expect(node.calls).toBe(1);
    expect(node.getCacheStats().hits).toBe(1);
  });

  it('cacheEnabled: false never caches', async () => {
    const { node, orchestrator } = setup({ cacheEnabled: false });
    await orchestrator.process(one(7));
    await orchestrator.process(one(7));
    expect(node.cacheEnabled).toBe(false);
    expect(node.calls).toBe(2);
    expect(node.getCacheStats()).toEqual({ hits: 0, misses: 0, size: 0 });
  });

  it('is a bounded LRU: with cacheSize 2 the least recently used entry is evicted', async () => {
    const { node, orchestrator } = setup({ cacheSize: 2 });
    for (const v of [1, 2, 3]) await orchestrator.process(one(v)); // cache: {2, 3}; 1 evicted
    expect(node.getCacheStats().size).toBe(2);
    await orchestrator.process(one(3)); // hit
    expect(node.calls).toBe(3);
    await orchestrator.process(one(1)); // miss: was evicted; now {3, 1}, 2 evicted
    expect(node.calls).toBe(4);
    await orchestrator.process(one(3)); // still there
    expect(node.calls).toBe(4);
    await orchestrator.process(one(2)); // evicted by 1
    expect(node.calls).toBe(5);
    expect(node.getCacheStats()).toEqual({ hits: 2, misses: 5, size: 2 });
  });

  it('clearCache forgets every entry; peekCached reads one without counting', async () => {
    const { node, orchestrator } = setup();
    await orchestrator.process(one(6));
    expect(node.peekCached('double', { value: 6 }, [])).toEqual({ doubled: 12, upstream: null });
    expect(node.peekCached('double', { value: 99 }, [])).toBeUndefined();
    expect(node.getCacheStats().hits).toBe(0);
    node.clearCache();
    expect(node.getCacheStats().size).toBe(0);
    await orchestrator.process(one(6));
    expect(node.calls).toBe(2);
  });

  it('records metrics for computed results and for hits', async () => {
    const { node, orchestrator } = setup();
    await orchestrator.process(one(8));
    await orchestrator.process(one(8));
    const m = node.getPerformanceMetrics();
    expect(m.totalOperations).toBe(2);
    expect(m.successCount).toBe(2);
  });
});

describe('cache safety', () => {
  it('a failed compute is not cached: the next run computes again', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    class Flaky extends NodeCompute<{ value: number }, number> {
      calls = 0;
      compute(input: { value: number }) {
        this.calls++;
        if (this.calls === 1) throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'first call fails');
        return input.value;
      }
    }
    const node = new Flaky(container);
    container.registerNode('double', node);
    const orchestrator = new NodeOrchestrator(container);
    await expect(orchestrator.process(one(5))).rejects.toBeInstanceOf(OnexError);
    const out = await orchestrator.process(one(5));
    expect(out.stepOutputs.d).toBe(5);
    expect(node.calls).toBe(2);
    expect(node.getCacheStats()).toEqual({ hits: 0, misses: 2, size: 1 });
  });

  it('a downstream node mutating its input cannot change a cached result (pure: same input, same output)', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    class MakeList extends NodeCompute<Record<string, unknown>, { list: number[] }> {
      compute() {
        return { list: [1, 2] };
      }
    }
    container.registerNode('make', new MakeList(container));
    // A careless consumer that mutates what it received (and survives if that is refused).
    container.registerNode('mutate', async (_data: unknown, ctx: NodeContext) => {
      try {
        (ctx.inputs[0] as { list: number[] }).list.push(99);
      } catch {
        // frozen input: fine
      }
      return 'done';
    });
    const orchestrator = new NodeOrchestrator(container);
    const makeId = crypto.randomUUID();
    const input = {
      steps: [
        { stepName: 'm', actions: [{ actionId: makeId, actionType: 'compute', targetNodeType: 'make' }] },
        { stepName: 'x', actions: [{ actionType: 'compute', targetNodeType: 'mutate', dependencies: [makeId] }] },
      ],
    };
    await orchestrator.process(input);
    const second = await orchestrator.process(input);
    expect(second.stepOutputs.m).toEqual({ list: [1, 2] });
  });
});

describe('never cached', () => {
  it('a plain function registered as a node runs every time', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    let calls = 0;
    container.registerNode('double', async (data: Record<string, unknown>) => {
      calls++;
      return { doubled: Number(data.value) * 2 };
    });
    const orchestrator = new NodeOrchestrator(container);
    await orchestrator.process(one(9));
    const out = await orchestrator.process(one(9));
    expect(out.stepOutputs.d).toEqual({ doubled: 18 });
    expect(calls).toBe(2);
  });

  it('a plain object with compute runs every time', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    const node = {
      calls: 0,
      compute(data: Record<string, unknown>) {
        this.calls++;
        return { doubled: Number(data.value) * 2 };
      },
    };
    container.registerNode('double', node);
    const orchestrator = new NodeOrchestrator(container);
    await orchestrator.process(one(9));
    await orchestrator.process(one(9));
    expect(node.calls).toBe(2);
  });
});
